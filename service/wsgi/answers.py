"""Cached answers: the one way every stored or rendered answer is sent, pages and feeds alike.

An `Answer` is bytes turned once into what a request gets: an identity and a gzip variant, each
with its own strong ETag and every header (type, length, validators, `Cache-Control`, `Vary`,
security headers) built in advance. Sending one is a comparison of validators and a lookup.

HTTP as RFC 9110 asks: a strong ETag per representation (the gzip bytes have their own),
If-None-Match evaluated first and If-Modified-Since only without it (13.2.2), 304 carrying the
same validators and caching headers as the 200 (15.4.5), HEAD with the 200's headers and no body.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import lru_cache

from werkzeug.http import http_date, parse_accept_header, parse_date, parse_etags

StartResponse = Callable[..., object]
WSGIApp = Callable[[dict, StartResponse], Iterable[bytes]]
Headers = list[tuple[str, str]]

# Content-Security-Policy for every page: no inline scripts, nothing from other origins
# except images (stories' lead images live on the publisher's image servers).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'self'; form-action 'self'"
)

# On every response; HTML also gets the CSP and X-Frame-Options.
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)

# Cache-Control by kind of answer: the one place its values are written; every answer asks
# `cache_control` for its kind.
CACHE_CONTROL = {
    # Pages, sitemaps, OPML, feeds' HTML pages, a TimeGate's redirect: [http] page_max_age.
    "page": "public, max-age={max_age}",
    # Feeds: until the next rebuild; a month closed in the site's zone, [http] archive_max_age.
    "feed": "public, max-age={max_age}",
    # A static file under a name that never changes meaning (the icon): a day.
    "asset": "public, max-age=86400",
    # A static file under a content-hashed name: a year, the longest RFC 9111 caches are asked
    # to keep anything.
    "immutable asset": "public, max-age=31536000, immutable",
    # API answers depend on the token: shared caches must not keep them; clients revalidate.
    "private": "private, no-cache",
    # RFC 9457 problems: an error is about this request, never kept.
    "error": "no-store",
    # What is true at this moment only: /health, WebSub and partner sources' answers.
    "no-store": "no-store",
}


def cache_control(kind: str, max_age: int | None = None) -> str:
    """The Cache-Control value of an answer of `kind` (a key of CACHE_CONTROL); `max_age`, in
    seconds, for the kinds whose age is a setting (page, feed). Raises KeyError for an unknown
    kind, ValueError when a page or feed has no max_age."""
    value = CACHE_CONTROL[kind]
    if "{max_age}" not in value:
        return value
    if max_age is None:
        raise ValueError(f"a {kind} answer needs its max_age")
    return value.format(max_age=max_age)


# Below this many bytes gzip saves too little to be worth a second variant.
GZIP_MIN_BYTES = 256
# Types sent compressed when the client accepts gzip.
COMPRESSIBLE = ("text/", "application/xml", "application/json", "+xml", "+json", "javascript")


@lru_cache(maxsize=512)
def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding value admits gzip (q=0 refuses it; * admits it)."""
    return parse_accept_header(accept_encoding)["gzip"] > 0


def is_compressible(content_type: str) -> bool:
    kind = content_type.split(";")[0].strip()
    return any(part in kind for part in COMPRESSIBLE)


class Variant:
    """One representation (identity or gzip): its bytes and its response headers."""

    __slots__ = ("body", "etag", "not_modified_headers", "ok_headers")

    def __init__(self, body: bytes, etag: str, ok: Headers, not_modified: Headers):
        self.body = body
        self.etag = etag
        self.ok_headers = ok
        self.not_modified_headers = not_modified


class Answer:
    """Bytes ready to send in either encoding; see the module's description.

    `headers` are sent with every variant (Cache-Control, security headers, Link ...); `vary`
    names the request headers besides Accept-Encoding the bytes were chosen by. Text is
    compressed here unless `gzip_body` is given or `compress` is false.
    """

    __slots__ = ("gzip", "last_modified", "plain", "size")

    def __init__(
        self,
        body: bytes,
        *,
        content_type: str,
        etag: str,
        last_modified: datetime | None,
        headers: Sequence[tuple[str, str]] = (),
        vary: Sequence[str] = (),
        gzip_body: bytes | None = None,
        compress: bool = True,
    ):
        self.last_modified = last_modified
        compress = compress and len(body) >= GZIP_MIN_BYTES and is_compressible(content_type)
        if gzip_body is None and compress:
            gzip_body = gzip.compress(body, compresslevel=6, mtime=0)
        varies = [*vary, "Accept-Encoding"] if gzip_body is not None else list(vary)
        shared: Headers = []
        if last_modified is not None:
            shared.append(("Last-Modified", http_date(last_modified)))
        if varies:
            shared.append(("Vary", ", ".join(varies)))
        shared += headers

        def variant(data: bytes, tag: str, encoding: Headers) -> Variant:
            tagged = [("ETag", f'"{tag}"'), *shared]
            entity = [("Content-Type", content_type), ("Content-Length", str(len(data)))]
            return Variant(data, tag, [*entity, *encoding, *tagged], tagged)

        self.plain = variant(body, etag, [])
        self.gzip = None
        self.size = len(body)
        if gzip_body is not None:
            self.gzip = variant(gzip_body, f"{etag}-gz", [("Content-Encoding", "gzip")])
            self.size += len(gzip_body)

    def variant(self, environ: dict) -> Variant:
        accept_encoding = environ.get("HTTP_ACCEPT_ENCODING")
        if self.gzip is not None and accept_encoding and accepts_gzip(accept_encoding):
            return self.gzip
        return self.plain

    def choose(self, environ: dict) -> tuple[int, Variant]:
        """The status (200 or 304) and variant a request gets."""
        variant = self.variant(environ)
        return (304 if not_modified(environ, variant, self.last_modified) else 200), variant

    def send(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        """Answer a WSGI request: 304 when its validators match, else the variant's bytes."""
        status, variant = self.choose(environ)
        if status == 304:
            start_response("304 Not Modified", variant.not_modified_headers)
            return []
        start_response("200 OK", variant.ok_headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [variant.body]


def not_modified(environ: dict, variant: Variant, last_modified: datetime | None) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when present; If-Modified-Since only without it."""
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        # 13.1.2: weak comparison. Most pollers send back exactly the ETag they were given.
        if if_none_match == f'"{variant.etag}"':
            return True
        return parse_etags(if_none_match).contains_weak(variant.etag)
    if_modified_since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if if_modified_since is None or last_modified is None:
        return False
    since = parse_date(if_modified_since)
    return since is not None and last_modified.replace(microsecond=0) <= since


def text_answer(
    start_response: StartResponse,
    status: str,
    text: str,
    extra: Iterable[tuple[str, str]] = (),
) -> list[bytes]:
    """A short plain-text answer made in front of Flask (a 404 of a feed, a 429, a 500)."""
    body = text.encode()
    headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
        *SECURITY_HEADERS,
        *extra,
    ]
    start_response(status, headers)
    return [body]
