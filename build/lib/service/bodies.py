"""Request bodies that stall after their headers cannot take every worker thread.

Granian calls the app as soon as a request's headers are in; the body is read from the
connection while the app reads it, on one of the worker's few threads, and no server option
bounds how long that read may wait. So at most one thread fewer than a worker has may be
waiting for a body at once: a request that would be one more answers 503 at once, and pages and
feeds always keep a thread. A body is read whole on its first read, so a slot is held only while
the body is still arriving (microseconds for a client that sends it at once).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable

from werkzeug.exceptions import ServiceUnavailable

StartResponse = Callable[..., object]
WSGIApp = Callable[[dict, StartResponse], Iterable[bytes]]

# How long a request waits for another request's body to finish arriving before its 503.
SLOT_WAIT_SECONDS = 0.02


class BodyReaders:
    """WSGI middleware: request bodies are read by at most `readers` threads at once."""

    def __init__(self, app: WSGIApp, *, readers: int, max_bytes: int):
        self.app = app
        self.slots = threading.BoundedSemaphore(max(1, readers))
        self.max_bytes = max_bytes

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        has_body = environ.get("CONTENT_LENGTH", "0") not in ("", "0") or (
            "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        )
        if has_body:
            environ["wsgi.input"] = WholeBody(environ["wsgi.input"], self)
        return self.app(environ, start_response)


class WholeBody(io.RawIOBase):
    """wsgi.input read in full (up to one byte past the largest body) on the first read."""

    def __init__(self, raw, readers: BodyReaders):
        self.raw = raw
        self.readers = readers
        self.body: io.BytesIO | None = None

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._received().read(size)

    def readline(self, size: int = -1) -> bytes:
        return self._received().readline(size)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _received(self) -> io.BytesIO:
        if self.body is None:
            if not self.readers.slots.acquire(timeout=SLOT_WAIT_SECONDS):
                raise ServiceUnavailable(
                    "too many request bodies are still arriving; try again in a few seconds",
                    retry_after=2,
                )
            try:
                # One byte past the largest body, so the app still sees that it is too large.
                self.body = io.BytesIO(self.raw.read(self.readers.max_bytes + 1))
            finally:
                self.readers.slots.release()
        return self.body
