"""HTTP caching and headers: ETag, Last-Modified, Cache-Control, gzip from stored bytes, 304.

Views call `send_bytes` (or `send_page`); no view sets these headers by hand. Feed polls are
answered before Flask by service/feeds.py from the same answers (service/answers.py).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import Flask, Response, request

from service.answers import Answer

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
    """Bytes as a response, made as every cached answer is (service/answers.py): 304 when the
    client's validators match, gzip when accepted (compressed here unless `gzip_body` is given).
    """
    answer = Answer(
        body,
        content_type=content_type,
        etag=etag,
        last_modified=last_modified,
        headers=[("Cache-Control", f"public, max-age={max_age}")],
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


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
