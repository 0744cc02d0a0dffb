"""The one pipeline in front of Flask, built in one order (service/wsgi/__init__.py lists it)."""

from __future__ import annotations

from flask import Flask

from service.settings import Settings
from service.wsgi import (
    accesslog,
    bodies,
    feed_server,
    http,
    page_cache,
    proxies,
    ratelimit,
    request_environ,
)
from service.wsgi.answers import WSGIApp

MIB = 1024 * 1024


def build(app: Flask, settings: Settings) -> WSGIApp:
    """Put every stage in front of `app` and make the first one its WSGI entry (`app.wsgi_app`).

    Built from the inside out: Flask, then each stage wrapping the one after it. The stages
    the service reports on or configures later are kept in `app.extensions`.
    """
    pages = page_cache.PageServer(app, app.wsgi_app, settings.cache.pages_mib * MIB)
    feeds = feed_server.FeedServer(app, pages)
    limits = bodies.BodyLimits(
        max_bytes=settings.api.max_body_bytes,
        timeout_seconds=settings.server.body_timeout_seconds,
        min_bytes_per_second=settings.server.body_min_bytes_per_second,
    )
    # A stalled request body holds its thread; one thread of each worker is never given to one.
    guarded = bodies.BodyReaders(feeds, readers=settings.server.threads - 1, limits=limits)
    # The table is made here, with the app: `masthead serve` forks its workers after, so
    # they all count in it.
    limiter = ratelimit.RateLimiter(settings.http.rate_limit_per_minute)
    limited = ratelimit.RateLimit(guarded, limiter, settings.api)
    logged = accesslog.AccessLog(limited, fd=None)
    trusted = proxies.TrustedProxies(settings.server.trusted_proxies)
    addressed = proxies.ClientAddress(logged, trusted)
    readable = http.ReadableHost(addressed, settings.site.base_url)
    entry = request_environ.WithoutProcessEnvironment(readable)
    app.extensions.update(
        {
            "masthead.page_cache": pages,
            "masthead.feed_cache": feeds.cache,
            "masthead.access_log": logged,
            "masthead.proxies": trusted,
        }
    )
    app.wsgi_app = entry  # type: ignore[method-assign]
    return entry
