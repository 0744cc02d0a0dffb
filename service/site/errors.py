"""Converts archive errors to HTTP answers once, for every page."""

from __future__ import annotations

from flask import Flask, redirect, render_template
from werkzeug.exceptions import NotFound

from archive import NameNotFound, StoryMoved, StoryNotFound, StoryWithdrawn


def init_app(app: Flask) -> None:
    @app.errorhandler(StoryNotFound)
    def not_found(error):
        return render_template("error.html", code=404, title="Not found", detail=str(error)), 404

    @app.errorhandler(404)
    def http_not_found(error):
        # A view's own reason (abort(404, description=...)) says more than the generic text.
        custom = error.description != NotFound.description
        detail = error.description if custom else "There is no page at this address."
        return render_template("error.html", code=404, title="Not found", detail=detail), 404

    @app.errorhandler(NameNotFound)
    def name_not_found(error):
        return render_template("error.html", code=404, title="Not found", detail=str(error)), 404

    @app.errorhandler(400)
    def bad_request(error):
        return render_template(
            "error.html", code=400, title="Bad request", detail=error.description
        ), 400

    @app.errorhandler(StoryMoved)
    def moved(error):
        # DESIGN.md: a changed slug answers 301 so old citations keep working.
        return redirect(error.path, code=301)

    @app.errorhandler(StoryWithdrawn)
    def withdrawn(error):
        # RFC 9110 15.5.11: 410 Gone, with a tombstone that keeps the citation meaningful.
        return render_template("tombstone.html", story=error.story), 410
