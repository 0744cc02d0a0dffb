"""Converts archive errors to HTTP answers once, for every page."""

from __future__ import annotations

from flask import Flask, redirect, render_template
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.wrappers import Response

from archive import NotFound, StoryMoved, StoryWithdrawn

# What a 404 page says when neither the archive nor the view gave a reason.
NO_PAGE = "There is no page at this address."


def not_found(error: NotFound | HTTPNotFound) -> tuple[str, int]:
    """The one 404 page: for anything the archive has not got (a story, a name, a rendition)
    and for any address no view answers or a view refused with abort(404)."""
    if isinstance(error, NotFound):
        detail = str(error)
    else:
        # A view's own reason (abort(404, description=...)) says more than the generic text.
        custom = error.description != HTTPNotFound.description
        detail = error.description if custom else NO_PAGE
    return render_template("error.html", code=404, title="Not found", detail=detail), 404


def bad_request(error: BadRequest) -> tuple[str, int]:
    return render_template(
        "error.html", code=400, title="Bad request", detail=error.description
    ), 400


def moved(error: StoryMoved) -> Response:
    # DESIGN.md: a changed slug answers 301 so old citations keep working.
    return redirect(error.path, code=301)


def withdrawn(error: StoryWithdrawn) -> tuple[str, int]:
    # RFC 9110 15.5.11: 410 Gone, with a tombstone that keeps the citation meaningful.
    return render_template("tombstone.html", story=error.story), 410


def init_app(app: Flask) -> None:
    app.register_error_handler(NotFound, not_found)
    app.register_error_handler(404, not_found)
    app.register_error_handler(400, bad_request)
    app.register_error_handler(StoryMoved, moved)
    app.register_error_handler(StoryWithdrawn, withdrawn)
