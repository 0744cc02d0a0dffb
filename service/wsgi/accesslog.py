"""The access log: one line per request in the Combined Log Format, plus the time taken.

    127.0.0.1 - - [25/Nov/2026:12:05:39 +0000] "GET /feeds/latest.atom HTTP/1.1" 304 - "-"
    "Reader/1.0" 0.000071

A feed poll costs Python about ten microseconds, so the log must cost less than that: a
logging.Logger call would double it, and even a write(2) per line lets the other threads of the
worker take the interpreter lock at every line. Lines are collected and written to standard
output in batches of at most PIPE_BUF bytes, so batches from several workers never interleave,
at least once a second, and when the worker stops. Query strings are left out, the request's
and the Referer's alike: they can carry a reader's private feed token or search words (a click
on a search result sends the search page's address, ?q= and all, as its Referer).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import select
import threading
import time
from collections.abc import Callable, Iterable
from functools import lru_cache
from multiprocessing.util import Finalize

StartResponse = Callable[..., object]
WSGIApp = Callable[[dict, StartResponse], Iterable[bytes]]

# Longest request line and header values kept in a line, so a line fits in one batch.
FIELD_LIMIT = 512
# Largest batch: POSIX writes this much to a pipe in one piece, never mixed with other writers.
BATCH_BYTES = select.PIPE_BUF
FLUSH_SECONDS = 1.0


class LineWriter:
    """Lines to a file descriptor, in whole-line batches, flushed by size, time and exit."""

    def __init__(self, fd: int):
        self.fd = fd
        self.lock = threading.Lock()
        self.pending: list[bytes] = []
        self.size = 0
        self.pid = 0  # the process the flushing thread runs in; a forked worker starts its own

    def write(self, line: bytes) -> None:
        if self.pid != os.getpid():
            self._start()
        with self.lock:
            if self.size + len(line) > BATCH_BYTES:
                self._flush_locked()
            self.pending.append(line)
            self.size += len(line)

    def flush(self) -> None:
        with self.lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if not self.pending:
            return
        batch = b"".join(self.pending)
        self.pending.clear()
        self.size = 0
        with contextlib.suppress(OSError):  # a closed or full log never fails a request
            os.write(self.fd, batch)

    def _start(self) -> None:
        with self.lock:
            if self.pid == os.getpid():
                return
            self.pid = os.getpid()
            self.pending.clear()  # lines a parent had not written are the parent's to write
            self.size = 0
        threading.Thread(target=self._flush_every_second, name="access-log", daemon=True).start()
        # A worker process ends through multiprocessing (no atexit); a plain process, atexit.
        Finalize(None, self.flush, exitpriority=0)
        atexit.register(self.flush)

    def _flush_every_second(self) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            self.flush()


class AccessLog:
    """WSGI middleware writing one line per request to `fd` (standard output); with no `fd`,
    nothing until `write_to` names one (the production server does, for standard output)."""

    def __init__(self, app: WSGIApp, fd: int | None = 1):
        self.app = app
        self.out = None if fd is None else LineWriter(fd)
        self._second = -1
        self._stamp = ""

    def write_to(self, fd: int) -> None:
        """Write a line per request to `fd` from now on."""
        self.out = LineWriter(fd)

    def timestamp(self, now: float) -> str:
        second = int(now)
        if second != self._second:  # formatted once a second, not once a request
            self._stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(second))
            self._second = second
        return self._stamp

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if self.out is None:
            return self.app(environ, start_response)
        started = time.perf_counter()
        seen: list = ["-", "-"]  # status, Content-Length

        def recording(status: str, headers: list[tuple[str, str]], exc_info=None):
            seen[0] = status[:3]
            for name, value in headers:
                if name.lower() == "content-length":
                    seen[1] = value
                    break  # answers made here name it second, after Content-Type
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, recording)
        finally:
            self.write(environ, seen[0], seen[1], time.perf_counter() - started)

    def write(self, environ: dict, status: str, length: str, seconds: float) -> None:
        if self.out is None:
            return
        request = _request_field(
            environ.get("REQUEST_METHOD", "-"),
            environ.get("PATH_INFO", ""),
            environ.get("SERVER_PROTOCOL", "-"),
        )
        referer = environ.get("HTTP_REFERER", "-")
        line = (
            f"{environ.get('REMOTE_ADDR') or '-'} - - [{self.timestamp(time.time())}] "
            f'"{request}" {status} {length} '
            f'"{"-" if referer == "-" else _field(_without_query(referer))}" '
            f'"{_agent_field(environ.get("HTTP_USER_AGENT", "-"))}" {seconds:.6f}\n'
        )
        self.out.write(line.encode("utf-8", "backslashreplace"))


# Feed readers poll the same few addresses with the same few agents: their fields are made
# once and remembered (bounded, and only for values no longer than MEMO_LENGTH).
MEMO_LENGTH = 256


def _request_field(method: str, path: str, protocol: str) -> str:
    if len(path) <= MEMO_LENGTH:
        return _remembered_request_field(method, path, protocol)
    return _make_request_field(method, path, protocol)


def _make_request_field(method: str, path: str, protocol: str) -> str:
    # WSGI hands the path over as Latin-1 text of the raw bytes; show it as the UTF-8 it was.
    path = path.encode("latin-1", "replace").decode("utf-8", "replace")
    return _field(f"{method} {path} {protocol}")


_remembered_request_field = lru_cache(maxsize=1024)(_make_request_field)
_remembered_field = lru_cache(maxsize=512)(lambda value: _field(value))


def _agent_field(agent: str) -> str:
    return _remembered_field(agent) if len(agent) <= MEMO_LENGTH else _field(agent)


def _without_query(url: str) -> str:
    """A URL without its query string and fragment: who linked, not what they searched for."""
    return url.split("?", 1)[0].split("#", 1)[0]


def _field(value: str) -> str:
    """A value safe inside a quoted log field: no quotes, control characters or huge lengths."""
    if value.isprintable() and '"' not in value and "\\" not in value:
        return value[:FIELD_LIMIT]
    cleaned = (c if c.isprintable() and c not in '"\\' else f"\\x{ord(c):02x}" for c in value)
    return "".join(cleaned)[:FIELD_LIMIT]
