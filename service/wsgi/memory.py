"""The allocator of a worker: fewer heaps, and what is freed given back to the system.

glibc's malloc keeps what a process frees in its heaps and gives little of it back, and it
makes a heap for each thread that allocates at once, up to eight a core. A worker renders pages
and feeds on several threads, so its resident size creeps up for hours though nothing is kept:
freed memory scattered over many heaps. `limit_heaps` (in the main process, before the
workers fork; they inherit it) caps the heaps at HEAPS, and `give_back_regularly` (in each
worker) asks glibc every TRIM_SECONDS to return the free pages of every heap (malloc_trim).
Elsewhere than glibc both do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
import time

log = logging.getLogger("masthead.server")

# Heaps (glibc "arenas") a process may make: threads share them beyond this.
HEAPS = 2
# Seconds between two returns of free memory to the system; each takes a few milliseconds.
TRIM_SECONDS = 60.0
# mallopt's parameter for the number of arenas (glibc's malloc.h).
M_ARENA_MAX = -8


def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    if libc is None or not hasattr(libc, "malloc_trim") or not hasattr(libc, "mallopt"):
        return None  # not glibc (musl, macOS): its allocator is left as it is
    return libc


def limit_heaps() -> None:
    """Cap the allocator's heaps at HEAPS for this process and the workers it forks."""
    libc = _glibc()
    if libc is not None and not libc.mallopt(M_ARENA_MAX, HEAPS):
        log.warning("the allocator refused a limit of %s heaps", HEAPS)


def give_back() -> None:
    """Return the free pages of every heap to the system, now."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def give_back_regularly(*, every: float = TRIM_SECONDS) -> None:
    """In a worker: give_back every `every` seconds, on a thread of its own."""
    libc = _glibc()
    if libc is None:
        return

    def trim() -> None:
        while True:
            time.sleep(every)
            libc.malloc_trim(0)

    threading.Thread(target=trim, name="memory-trim", daemon=True).start()
