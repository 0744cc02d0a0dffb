"""Documents made for programs that people open too: /feeds.opml and a story's TimeMap.

A browser (its Accept prefers text/html to the document's type, the rule feeds follow in
service/wsgi/feed_server.py) gets an HTML page at the document's own address; every other
client (the document's type, `*/*` or no Accept) gets the document's bytes, unchanged. Both
answers vary on Accept, so that a cache never hands one to the other.
"""

from __future__ import annotations

from flask import Response, request

from service.wsgi.feed_server import is_browser_view


def wants_page(document_type: str) -> bool:
    """Whether this request's Accept prefers an HTML page to `document_type`."""
    return is_browser_view(request.headers.get("Accept"), document_type)


def varying_on_accept(response: Response) -> Response:
    """The response, marked as chosen by the request's Accept (RFC 9110 12.5.5). Accept comes
    first, as in every answer made ready in advance (service/wsgi/answers.py), so a page reads
    the same whether Flask or the page cache sends it."""
    others = [name for name in response.vary if name.lower() != "accept"]
    response.headers["Vary"] = ", ".join(["Accept", *others])
    return response
