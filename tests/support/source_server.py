"""A partner's server on 127.0.0.1 for source tests: serves documents the test sets, answers
conditional requests as a real server does, and records every request it is sent."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# How often the serving thread checks for a stop: shutdown() waits up to this long, and the
# default (0.5 s) would be paid by every test that stops a source server.
POLL_SECONDS = 0.02


@dataclass
class Page:
    body: bytes = b""
    content_type: str = "application/xml"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    # A handler of its own (a slow or endless answer): writes to the request itself.
    write: Callable[[BaseHTTPRequestHandler], None] | None = None


class SourceServer:
    """`pages[path] = Page(...)`; `requests` lists (path, headers) in the order received."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        # POSTs received (a WebSub hub's subscriptions): (path, headers, body).
        self.posts: list[tuple[str, dict[str, str], bytes]] = []
        self.closing = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers)))
                page = server.pages.get(self.path)
                if page is None:
                    self.send_error(404)
                    return
                if page.write is not None:
                    page.write(self)
                    return
                etag = '"' + hashlib.sha256(page.body).hexdigest()[:16] + '"'
                if page.status == 200 and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                self.send_header("Content-Length", str(len(page.body)))
                if page.status == 200:
                    self.send_header("ETag", etag)
                for name, value in page.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(page.body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                server.posts.append((self.path, dict(self.headers), self.rfile.read(length)))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                """Quiet: a test reads what the server saw (`requests`, `posts`), not its log."""

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def headers_sent_to(self, path: str) -> list[dict[str, str]]:
        return [headers for sent, headers in self.requests if sent == path]

    def __enter__(self) -> SourceServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def endless(chunk: bytes = b"<item>" * 1000) -> Callable[[BaseHTTPRequestHandler], None]:
    """An answer that never ends (until the client hangs up or the server closes)."""

    def write(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.end_headers()
        handler.wfile.write(b"<?xml version='1.0'?><rss version='2.0'><channel>")
        try:
            while True:
                handler.wfile.write(chunk)
        except OSError:
            return

    return write


def trickle(closing: threading.Event, *, every: float = 0.2) -> Callable:
    """An answer of one byte at a time, `every` seconds apart, until `closing` is set."""

    def write(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        try:
            while not closing.wait(every):
                handler.wfile.write(b" ")
                handler.wfile.flush()
        except OSError:
            return

    return write
