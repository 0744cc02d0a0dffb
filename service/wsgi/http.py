"""HTTP caching and headers: ETag, Last-Modified, Cache-Control, gzip from stored bytes, 304.

Views call `send_bytes` (or `send_page`); no view sets these headers by hand. Feed polls are
answered before Flask by service/wsgi/feed_server.py from the same answers
(service/wsgi/answers.py).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, Response, current_app, request
from werkzeug.sansio.utils import host_is_trusted
from werkzeug.utils import redirect as werkzeug_redirect

from service.wsgi.answers import CONTENT_SECURITY_POLICY, SECURITY_HEADERS, Answer, cache_control

# RFC 9110 8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text
# (a comma may be inside the quotes); list elements are separated by commas with optional white
# space, and empty elements are ignored (5.6.1).
ENTITY_TAG = re.compile(r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"')
LIST_GAP = re.compile(r"[ \t]*(?:,[ \t]*)*")


class MalformedEntityTags(ValueError):
    """An If-Match or If-None-Match value that is not "*" nor a list of entity tags."""


def strong_entity_tags(value: str) -> frozenset[str] | None:
    """The strong entity tags of an If-Match value (RFC 9110 13.1.1), None for "*".

    Weak tags are left out: If-Match compares strongly, so they never match. Raises
    MalformedEntityTags for anything else (an unquoted or unterminated tag, a bare W/, a
    value with no tag at all), which Werkzeug's lenient parser would read as some tag.
    """
    if value.strip(" \t") == "*":
        return None
    strong: set[str] = set()
    found = False
    position = _gap(value, 0).end()
    while position < len(value):
        match = ENTITY_TAG.match(value, position)
        if match is None:
            raise MalformedEntityTags(f"{value[position:].strip()[:40]!r} is not an entity tag")
        found = True
        if match.group(1) is None:
            strong.add(match.group(2))
        gap = _gap(value, match.end())
        if gap.end() < len(value) and "," not in gap.group():
            raise MalformedEntityTags(
                f"{value[match.start() :].strip()[:40]!r} is not an entity tag"
            )
        position = gap.end()
    if not found:
        raise MalformedEntityTags("it holds no entity tag")
    return frozenset(strong)


def _gap(value: str, position: int) -> re.Match[str]:
    """The list gap at `position`: it always matches, every part of it being optional."""
    gap = LIST_GAP.match(value, position)
    assert gap is not None
    return gap


class StoredResponse(Response):
    """A response of stored bytes whose 304 keeps Last-Modified (Werkzeug strips it as an
    entity header; RFC 9110 15.4.5 lets a 304 carry it, and pollers compare it)."""

    def get_wsgi_headers(self, environ):
        headers = super().get_wsgi_headers(environ)
        if self.status_code == 304 and "Last-Modified" in self.headers:
            headers["Last-Modified"] = self.headers["Last-Modified"]
        return headers


def strong_etag(body: bytes) -> str:
    """A strong validator from the bytes themselves: the same bytes always give the same ETag."""
    return hashlib.sha256(body).hexdigest()[:32]


def send_bytes(
    body: bytes,
    *,
    content_type: str,
    etag: str,
    last_modified: datetime | None,
    max_age: int,
    gzip_body: bytes | None = None,
) -> Response:
    """Bytes as a response, made as every cached answer is (service/wsgi/answers.py): 304 when the
    client's validators match, gzip when accepted (compressed here unless `gzip_body` is given).
    """
    answer = Answer(
        body,
        content_type=content_type,
        etag=etag,
        last_modified=last_modified,
        headers=[("Cache-Control", cache_control("page", max_age))],
        gzip_body=gzip_body,
    )
    return respond(answer)


def respond(answer: Answer) -> Response:
    """The Flask response to this request from an answer (Werkzeug leaves out HEAD's body)."""
    status, variant = answer.choose(request.environ)
    headers = variant.not_modified_headers if status == 304 else variant.ok_headers
    return StoredResponse(variant.body if status == 200 else b"", status=status, headers=headers)


def send_page(
    text: str,
    *,
    max_age: int,
    last_modified: datetime | None = None,
    content_type: str = "text/html; charset=utf-8",
) -> Response:
    """A rendered page (or sitemap, or OPML): a strong ETag from its bytes, Cache-Control, and
    304 when it matches."""
    body = text.encode("utf-8")
    return send_bytes(
        body,
        content_type=content_type,
        etag=strong_etag(body),
        last_modified=last_modified,
        max_age=max_age,
    )


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS:
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    return response


def relative_redirect(response: Response) -> Response:
    """A redirect to this site names its path only, never the host the request claimed.

    Werkzeug builds the trailing-slash redirect (308) from the request's Host header, which
    any client can forge (in any case, or with characters it cannot write, which leave the
    host empty); a path-absolute Location (RFC 9110 10.2.2) is resolved by the client against
    the address it asked, so caches in front of the service never store a forged host. Only
    an address on `[site] base_url`'s host (a Memento's, say) stays absolute. The body's link
    is written anew from the path, so no forged host is there either.
    """
    location = response.headers.get("Location")
    if location is None or not 300 <= response.status_code < 400:
        return response
    parts = urlsplit(location)
    if not (parts.scheme or parts.netloc):
        return response
    netloc = parts.netloc.lower()
    base = urlsplit(current_app.config["MASTHEAD"].site.base_url).netloc.lower()
    if netloc == base and netloc != request.host.lower():
        return response
    relative = urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
    response.headers["Location"] = relative
    if response.mimetype == "text/html":  # Werkzeug's "Redirecting..." page, linking it
        response.set_data(werkzeug_redirect(relative, response.status_code).get_data())
    return response


class ReadableHost:
    """WSGI layer: a `Host` header that names no host (characters no URL authority holds, or
    nothing) is replaced by `[site] base_url`'s, so that neither the app nor its error pages
    raise reading it. Nothing is ever written from the Host a request claims (see
    `relative_redirect`), so the site's own host stands in for it without changing an answer.
    """

    def __init__(self, app: Callable, base_url: str):
        self.app = app
        self.host = urlsplit(base_url).netloc

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        claimed = environ.get("HTTP_HOST")
        if claimed is not None and not is_readable_host(claimed):
            environ["HTTP_HOST"] = self.host
        return self.app(environ, start_response)


# A memo of the Host values seen, as every request asks (most name the site itself): C's
# lru_cache answers in a tenth of a microsecond, where the IDNA check takes a microsecond.
@lru_cache(maxsize=256)
def is_readable_host(host: str) -> bool:
    return host_is_trusted(host)


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
    app.after_request(relative_redirect)
