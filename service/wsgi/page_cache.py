"""Pages answered like feeds: rendered once, kept as a ready answer, looked up per request.

`PageServer` is a WSGI layer between the feed layer and Flask. A GET or HEAD of a page (story
and revision pages, lists, indexes, sitemaps, assets; never /api/, /search or /health) is
rendered by Flask once, as a plain GET, and kept as an `Answer` (service/wsgi/answers.py: both
encodings, every header Flask gave it). Later requests are answered from it, 304s included, as
long as nothing was written to the archive since (`Archive.generation`, one indexed read), for
at most KEEP_SECONDS (pages say how old a story is). A page that varies on a request header
besides Accept-Encoding (/feeds.opml and TimeMaps on Accept: a page for a browser, the document
for a reader) is kept once per value of that header, as a shared cache keys on Vary, up to
MAX_VARIANTS values a path; past them, such a request is rendered and not kept.

What Flask answers with anything but a public 200 (a redirect, a 404, a 410 tombstone) is
passed on as it is and never kept. Each worker keeps at most `[cache] pages_mib` of pages;
when full, it starts again from empty (and keeps nothing when it is 0).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from urllib.parse import parse_qsl

from flask import Flask
from werkzeug.http import parse_date

from service.archive_access import thread_archive
from service.wsgi.answers import Answer, StartResponse
from service.wsgi.http import strong_etag

log = logging.getLogger(__name__)

# Paths whose answers depend on more than the path: left to Flask every time.
NOT_KEPT = ("/api/", "/feeds/", "/search", "/health")
MIB = 1024 * 1024
# Longest a page is kept without a write: pages that say "this story is from ..." age.
KEEP_SECONDS = 3600
# Values of a varied header (Accept, say) kept per path; more are rendered and not kept, so no
# client can fill the cache with made-up values.
MAX_VARIANTS = 8
# Request headers a kept page is rendered without: the answer is chosen from it per request.
CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_ACCEPT_ENCODING")
# Headers an Answer makes itself, per variant.
MADE_BY_ANSWER = {
    "content-type",
    "content-length",
    "content-encoding",
    "etag",
    "last-modified",
    "vary",
    "date",
    "server",
}


class Kept:
    __slots__ = ("answer", "generation", "good_until", "varies")

    def __init__(self, answer: Answer, generation: int, good_until: float, varies: list[str]):
        self.answer = answer
        self.generation = generation
        self.good_until = good_until
        self.varies = varies  # WSGI names of request headers that change the page


class Captured:
    """What Flask answered to the plain GET of a page."""

    def __init__(self):
        self.status = ""
        self.headers: list[tuple[str, str]] = []

    def start_response(self, status, headers, exc_info=None):
        self.status, self.headers = status, list(headers)
        return lambda data: None  # the legacy write() callable; Flask never uses it


def is_kept_path(environ: dict) -> bool:
    """Whether a request's answer may come from a kept page: GET or HEAD of a page, with no
    query but a list's ?page=N."""
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return False
    if environ.get("PATH_INFO", "").startswith(NOT_KEPT):
        return False
    query = environ.get("QUERY_STRING", "")
    return not query or all(key == "page" for key, _ in parse_qsl(query, keep_blank_values=True))


class PageServer:
    """WSGI: pages from kept answers; everything else, and every miss, goes on to `inner`."""

    def __init__(self, app: Flask, inner, limit: int):
        self.app = app
        self.inner = inner
        self.limit = limit
        self.kept: dict[str, Kept] = {}
        # Per path: the WSGI names of the request headers its answer varies on, and how many
        # of their values are kept.
        self.varies: dict[str, list[str]] = {}
        self.variants: dict[str, int] = {}
        self.size = 0
        self.lock = threading.Lock()

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if not is_kept_path(environ):
            return self.inner(environ, start_response)
        path = f"{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"
        key = variant_key(path, self.varies.get(path, ()), environ)
        generation = thread_archive(self.app).generation()
        kept = self.kept.get(key)
        if kept is not None and kept.generation == generation and time.time() < kept.good_until:
            return kept.answer.send(environ, start_response)
        return self.render(path, generation, environ, start_response)

    def render(self, path: str, generation: int, environ: dict, start_response: StartResponse):
        """Flask renders the page as a plain GET; a public 200 is kept and answered from."""
        plain = {name: value for name, value in environ.items() if name not in CONDITIONAL}
        plain["REQUEST_METHOD"] = "GET"
        captured = Captured()
        chunks = self.inner(plain, captured.start_response)
        try:
            body = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        kept = self.keep(captured, body, generation)
        if kept is None:
            start_response(captured.status, captured.headers)
            return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]
        with self.lock:
            self.store(path, variant_key(path, kept.varies, environ), kept)
        return kept.answer.send(environ, start_response)

    def store(self, path: str, key: str, kept: Kept) -> None:
        """Keep an answer under `key`, unless it is bigger than the whole cache or one value too
        many of a header its page varies on; when full, start again from empty. Under the lock.
        Every path with an answer kept has its varied headers recorded, and loses them with it."""
        is_new_variant = key != path and key not in self.kept
        if kept.answer.size > self.limit:
            return
        if is_new_variant and self.variants.get(path, 0) >= MAX_VARIANTS:
            return
        replaced = self.kept.pop(key, None)
        self.size -= replaced.answer.size if replaced is not None else 0
        if self.size + kept.answer.size > self.limit:
            self.kept.clear()
            self.varies.clear()
            self.variants.clear()
            self.size = 0
            is_new_variant = key != path
        self.kept[key] = kept
        self.varies[path] = kept.varies
        self.size += kept.answer.size
        if is_new_variant:
            self.variants[path] = self.variants.get(path, 0) + 1

    def report(self) -> dict:
        """Its size and limit, for /health."""
        return {"size": self.size, "limit": self.limit, "unit": "bytes", "entries": len(self.kept)}

    @staticmethod
    def keep(captured: Captured, body: bytes, generation: int) -> Kept | None:
        """The answer to keep of what Flask answered, or None when it must not be kept."""
        headers = {name.lower(): value for name, value in captured.headers}
        cache_control = headers.get("cache-control", "")
        if not captured.status.startswith("200 ") or "public" not in cache_control:
            return None
        if "set-cookie" in headers or "no-store" in cache_control:
            return None
        vary = [
            name.strip()
            for name in headers.get("vary", "").split(",")
            if name.strip() and name.strip().lower() != "accept-encoding"
        ]
        varies = ["HTTP_" + name.upper().replace("-", "_") for name in vary]
        etag = headers.get("etag", "").removeprefix("W/").strip('"') or strong_etag(body)
        last_modified = parse_date(headers["last-modified"]) if "last-modified" in headers else None
        answer = Answer(
            body,
            content_type=headers.get("content-type", "application/octet-stream"),
            etag=etag,
            last_modified=last_modified,
            headers=[(n, v) for n, v in captured.headers if n.lower() not in MADE_BY_ANSWER],
            vary=vary,
        )
        return Kept(answer, generation, time.time() + KEEP_SECONDS, varies)


def variant_key(path: str, varies: Iterable[str], environ: dict) -> str:
    """Where the answer to this request is kept: the path, with the values of the headers its
    answer varies on when the request sends any."""
    asked = [environ.get(name, "") for name in varies]
    return "\n".join([path, *asked]) if any(asked) else path
