"""Monthly archive feeds built in a process of their own, one process per run.

A month holds every story of the month, so building its feed holds them all in memory at once:
tens of MiB for a month of thousands of stories, more as the month fills. A long-lived worker
would keep that high-water mark for good (the allocator seldom gives memory back), and the
scheduler's worker would grow with every busy month. Here each run of a month job is a process
forked from multiprocessing's fork server (a clean, single-threaded process with the service
preloaded, started with the scheduler, so a run starts in milliseconds) that ends when its run
does, giving all of it back.

A stop reaches the run in hand through a shared event: the build ends before its next story
(service.feeds.stopping), as it does in a thread; a builder still running
STOP_GRACE_SECONDS later is killed (its write, if any, is one transaction: nothing half done).
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection

from service.settings import Settings

log = logging.getLogger("masthead.scheduler")

# How long a stopping builder may take to end its run before it is killed.
STOP_GRACE_SECONDS = 1.0

# The stop of the run in this process (a builder), set as the process starts.
_stop = None


class BuilderFailed(Exception):
    """A month run failed in its builder process, or the process died; the text says how."""


def builder_stop():
    """In a builder process: the event set when the scheduler stops (None elsewhere)."""
    return _stop


def build(work: Callable[[Settings], list[str]], settings: Settings, stop, sender: Connection):
    """A builder process: work(settings), its changed keys or its traceback sent back."""
    global _stop
    _stop = stop
    try:
        sender.send(("changed", work(settings)))
    except Exception:  # noqa: BLE001 (a boundary: the scheduler logs the failed run, runs again)
        sender.send(("failed", traceback.format_exc()))


class MonthBuilder:
    """Runs month jobs each in a fresh process, one at a time; `stop` ends the one in hand."""

    def __init__(self):
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(["service.feeds.scheduler"])
        self.stopping = self.context.Event()
        self.running: multiprocessing.process.BaseProcess | None = None
        self.lock = threading.Lock()

    def start(self) -> None:
        """Start the fork server now, in the background, so the first run does not wait."""
        from multiprocessing import forkserver

        threading.Thread(target=forkserver.ensure_running, name="fork-server", daemon=True).start()

    def run(self, work: Callable[[Settings], list[str]], settings: Settings) -> list[str]:
        """work(settings) in a builder process of its own: its changed keys. Raises
        BuilderFailed with the builder's traceback, or how it died; [] once stopping."""
        if self.stopping.is_set():
            return []
        receiver, sender = self.context.Pipe(duplex=False)
        process = self.context.Process(
            target=build, args=(work, settings, self.stopping, sender), name="masthead-months"
        )
        process.start()
        with self.lock:
            self.running = process
        sender.close()  # the builder holds the only sending end: its end is the pipe's end
        try:
            outcome = receiver.recv()
        except EOFError:
            outcome = None
        finally:
            receiver.close()
            process.join()
            with self.lock:
                self.running = None
        if outcome is None:
            if self.stopping.is_set():
                return []  # killed by the stop
            raise BuilderFailed(f"month builder {process.pid} died (exit {process.exitcode})")
        kind, value = outcome
        if kind == "failed":
            raise BuilderFailed(value)
        return value

    def stop(self) -> None:
        """End the run in hand before its next story; kill it if it has not ended in time."""
        self.stopping.set()
        with self.lock:
            process = self.running
        if process is None:
            return
        process.join(STOP_GRACE_SECONDS)
        if process.is_alive():
            log.warning(
                "month builder %s did not stop in %ss; killed", process.pid, STOP_GRACE_SECONDS
            )
            process.kill()
