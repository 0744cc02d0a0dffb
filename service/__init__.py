"""The Masthead web service. `create_app(settings)` is the only thing defined here."""

from __future__ import annotations

from flask import Flask

from service.settings import Settings, load_settings


def create_app(settings: Settings | None = None) -> Flask:
    """The Flask app for these settings (None: config.toml plus the environment)."""
    from service import (
        api,
        archive_access,
        assets,
        citation,
        crawlers,
        errors,
        feed_directory,
        feeds,
        health,
        http,
        ninjs_out,
        page_cache,
        pages,
        proxies,
        ratelimit,
        revisions,
        search,
        templating,
    )
    from service.sources import api as source_api
    from service.sources import views as source_views
    from service.sources import websub as source_websub

    settings = settings or load_settings()
    app = Flask(__name__)
    app.config["MASTHEAD"] = settings
    app.json.sort_keys = False
    archive_access.init_app(app)
    errors.init_app(app)
    http.init_app(app)
    templating.init_app(app)
    ratelimit.init_app(app, settings.http.rate_limit_per_minute)
    app.register_blueprint(pages.bp)
    app.register_blueprint(assets.bp)
    app.register_blueprint(feed_directory.bp)
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
    page_cache.init_app(app)
    feeds.init_app(app)
    proxies.init_app(app, settings.server.trusted_proxies)  # outermost: read by every layer
    return app
