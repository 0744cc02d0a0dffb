"""The access log: one line per request in the Combined Log Format, plus the time taken.

    127.0.0.1 - - [25/Nov/2026:12:05:39 +0000] "GET /feeds/latest.atom HTTP/1.1" 304 0 "-"
    "Reader/1.0" 0.000071

Each line goes out in one write(2) to standard output: cheap enough for the feed path (a poll
costs tens of microseconds, and a logging.Logger call would double it), nothing buffered to lose
when a worker stops, and lines from several workers never interleave (each is shorter than
PIPE_BUF). The query string is left out: it can carry a reader's private feed token or search.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable

StartResponse = Callable[..., object]
WSGIApp = Callable[[dict, StartResponse], Iterable[bytes]]

# Longest request line and header values kept in a line, so one line stays one atomic write.
FIELD_LIMIT = 512


class AccessLog:
    """WSGI middleware writing one line per request to `fd` (standard output)."""

    def __init__(self, app: WSGIApp, fd: int = 1):
        self.app = app
        self.fd = fd
        self._second = -1
        self._stamp = ""

    def timestamp(self, now: float) -> str:
        second = int(now)
        if second != self._second:  # formatted once a second, not once a request
            self._stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(second))
            self._second = second
        return self._stamp

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        seen: list = ["-", "-"]  # status, Content-Length

        def recording(status: str, headers: list[tuple[str, str]], exc_info=None):
            seen[0] = status[:3]
            for name, value in headers:
                if name.lower() == "content-length":
                    seen[1] = value
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, recording)
        finally:
            self.write(environ, seen[0], seen[1], time.perf_counter() - started)

    def write(self, environ: dict, status: str, length: str, seconds: float) -> None:
        # WSGI hands the path over as Latin-1 text of the raw bytes; show it as the UTF-8 it was.
        path = environ.get("PATH_INFO", "").encode("latin-1", "replace").decode("utf-8", "replace")
        request = (
            f"{environ.get('REQUEST_METHOD', '-')} {path} {environ.get('SERVER_PROTOCOL', '-')}"
        )
        line = (
            f"{environ.get('REMOTE_ADDR') or '-'} - - [{self.timestamp(time.time())}] "
            f'"{_field(request)}" {status} {length} '
            f'"{_field(environ.get("HTTP_REFERER", "-"))}" '
            f'"{_field(environ.get("HTTP_USER_AGENT", "-"))}" {seconds:.6f}\n'
        )
        with contextlib.suppress(OSError):  # a closed or full log never fails a request
            os.write(self.fd, line.encode("utf-8", "backslashreplace"))


def _field(value: str) -> str:
    """A value safe inside a quoted log field: no quotes, control characters or huge lengths."""
    if value.isprintable() and '"' not in value and "\\" not in value:
        return value[:FIELD_LIMIT]
    cleaned = (c if c.isprintable() and c not in '"\\' else f"\\x{ord(c):02x}" for c in value)
    return "".join(cleaned)[:FIELD_LIMIT]
