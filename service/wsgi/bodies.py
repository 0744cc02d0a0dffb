"""Request bodies read under a size limit and a deadline, and never by every thread at once.

Granian calls the app as soon as a request's headers are in; the body is read from the
connection while the app reads it, on one of the worker's few threads, and no server option
bounds how long that read may wait. So every body, whatever its headers say (a length, chunks,
or nothing), is read here in pieces that grow while the client keeps up: a body that arrives
slower than `[server] body_min_bytes_per_second` (after a grace of GRACE_SECONDS) or takes
longer than `[server] body_timeout_seconds` is cut off with 408, and its thread is free again.

At most one thread fewer than a worker has may be reading bodies at once (pages and feeds
always keep one), and one client (its API token, else its address) all of those but one: a
client whose bodies stall is refused 503 for more, and other clients' writes go on.
A body is read whole on its first read, so a slot is held only while the body is arriving.

One case no deadline reaches: a client that sends its headers and then nothing at all, yet
keeps its connection open. The read then waits inside Granian, which offers no way to stop it,
until the client closes; the per-client share keeps that to the client's own slots.
"""

from __future__ import annotations

import io
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from werkzeug.exceptions import RequestTimeout, ServiceUnavailable

from service.wsgi import tokens

StartResponse = Callable[..., object]
WSGIApp = Callable[[dict, StartResponse], Iterable[bytes]]

# How long a request waits for a slot (its client's, then the worker's) before its 503.
SLOT_WAIT_SECONDS = 0.02
# Seconds a body may take to start arriving before the minimum rate applies.
GRACE_SECONDS = 2.0
# The largest piece read from the connection at once. Pieces start at one byte and grow
# GROWTH times while the client keeps up, so a slow client is checked after every few bytes it
# sends, and a body that came at once is read in a few calls (8 for 4 KiB, 25 for 1 MiB).
LARGEST_PIECE = 64 * 1024
GROWTH = 4


@dataclass(frozen=True)
class BodyLimits:
    max_bytes: int  # the largest body the app accepts; one byte more is read, so it sees 413
    timeout_seconds: float  # the longest any body may take, counted from its headers
    min_bytes_per_second: int  # the slowest a body may arrive, after GRACE_SECONDS


class BodyReaders:
    """WSGI middleware: every request body is read under `limits`, by few threads at once."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        readers: int,
        limits: BodyLimits,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.app = app
        self.limits = limits
        self.clock = clock
        self.slots = threading.BoundedSemaphore(max(1, readers))
        # Slots one client may hold at once: all but one, so other clients always find one.
        self.per_client = max(1, readers - 1)
        self.waiting: Counter[str] = Counter()
        self.changed = threading.Condition()

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if not is_bodiless_read(environ):
            environ["wsgi.input"] = WholeBody(environ["wsgi.input"], self, environ, self.clock())
        return self.app(environ, start_response)

    def take_slot(self, client: str) -> None:
        """Take a reading slot for `client`; raises ServiceUnavailable when none is free."""
        with self.changed:
            if not self.changed.wait_for(
                lambda: self.waiting[client] < self.per_client, timeout=SLOT_WAIT_SECONDS
            ):
                raise _busy("this client already has request bodies arriving")
            self.waiting[client] += 1
        if not self.slots.acquire(timeout=SLOT_WAIT_SECONDS):
            self._release_client(client)
            raise _busy("too many request bodies are still arriving")

    def give_back_slot(self, client: str) -> None:
        self.slots.release()
        self._release_client(client)

    def _release_client(self, client: str) -> None:
        with self.changed:
            self.waiting[client] -= 1
            if self.waiting[client] <= 0:
                del self.waiting[client]
            self.changed.notify_all()


def is_bodiless_read(environ: dict) -> bool:
    """Whether a request is a GET or HEAD with neither a length nor chunks: no body to guard
    (RFC 9112 6.3), and no view reads one. Feed polls and pages, most requests, pass here
    without a reader made for them."""
    return (
        environ.get("REQUEST_METHOD") in ("GET", "HEAD")
        and environ.get("CONTENT_LENGTH") in (None, "", "0")
        and "HTTP_TRANSFER_ENCODING" not in environ
    )


def _busy(reason: str) -> ServiceUnavailable:
    return ServiceUnavailable(f"{reason}; try again in a few seconds", retry_after=2)


def client_of(environ: dict) -> str:
    """Who sends a body, for its share of slots: its API token, else its address.

    Read when the body is first read, inside the app, so REMOTE_ADDR is already the client
    behind any trusted proxy (service/wsgi/proxies.py).
    """
    token = tokens.bearer_token(environ.get("HTTP_AUTHORIZATION") or "")
    if token:
        return "token " + token
    return "address " + (environ.get("REMOTE_ADDR") or "unknown")


class WholeBody(io.RawIOBase):
    """wsgi.input read in full (up to one byte past the largest body) on the first read."""

    def __init__(self, raw, readers: BodyReaders, environ: dict, started_at: float):
        self.raw = raw
        self.readers = readers
        self.environ = environ
        self.started_at = started_at
        self.body: io.BytesIO | None = None

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._received().read(size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._received().readline(size)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _received(self) -> io.BytesIO:
        if self.body is None:
            client = client_of(self.environ)
            self.readers.take_slot(client)
            try:
                self.body = io.BytesIO(self._read_in_pieces())
            finally:
                self.readers.give_back_slot(client)
        return self.body

    def _read_in_pieces(self) -> bytes:
        limits, clock = self.readers.limits, self.readers.clock
        wanted = limits.max_bytes + 1
        pieces: list[bytes] = []
        received, size = 0, 1
        while received < wanted:
            piece = self.raw.read(min(size, wanted - received))
            if not piece:
                break  # the whole body (or the client went away)
            pieces.append(piece)
            received += len(piece)
            elapsed = clock() - self.started_at
            if elapsed > limits.timeout_seconds:
                raise RequestTimeout(
                    f"the request body took longer than {limits.timeout_seconds:g} seconds"
                )
            if elapsed > GRACE_SECONDS + received / limits.min_bytes_per_second:
                raise RequestTimeout(
                    f"the request body arrived slower than {limits.min_bytes_per_second} "
                    "bytes a second"
                )
            keeping_up = received >= limits.min_bytes_per_second * elapsed
            size = min(size * GROWTH, LARGEST_PIECE) if keeping_up else 1
        return b"".join(pieces)
