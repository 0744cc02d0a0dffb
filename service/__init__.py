"""The Masthead web service. `create_app(settings)` is the only thing defined here."""

from __future__ import annotations

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from service.settings import Settings, load_settings


def create_app(settings: Settings | None = None) -> Flask:
    """The Flask app for these settings (None: config.toml plus the environment)."""
    from service import archive_access
    from service.api import sources as source_api
    from service.api import views as api
    from service.site import (
        assets,
        citation,
        corrections_page,
        crawlers,
        errors,
        feed_directory,
        feed_page,
        health,
        pages,
        revisions,
        search,
        templating,
    )
    from service.site import ninjs as ninjs_out
    from service.site import sources as source_views
    from service.sources import websub as source_websub
    from service.wsgi import http, pipeline

    settings = settings or load_settings()
    app = Flask(__name__)
    app.config["MASTHEAD"] = settings
    if isinstance(app.json, DefaultJSONProvider):  # Flask's own, always: keep keys in order
        app.json.sort_keys = False
    archive_access.init_app(app)
    errors.init_app(app)
    http.init_app(app)
    templating.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(assets.bp)
    app.register_blueprint(feed_directory.bp)
    app.register_blueprint(feed_page.bp)
    app.register_blueprint(corrections_page.bp)
    app.register_blueprint(revisions.bp)
    app.register_blueprint(citation.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(crawlers.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(ninjs_out.bp)
    app.register_blueprint(source_views.bp)
    app.register_blueprint(source_websub.bp)
    app.register_blueprint(source_api.bp)
    api.init_app(app)
    pipeline.build(app, settings)  # every stage in front of Flask (service/wsgi/__init__.py)
    return app
