"""Feeds as stored bytes: a poll is a key lookup that answers 304 or the bytes, never a build.

Polls are most of what the service answers, so they skip Flask: `FeedServer` is a WSGI layer
in front of the app that answers /feeds/<key> itself. Each stored rendition is turned once into
an answer (service/wsgi/answers.py: both encodings, every header); a poll then costs one indexed
read
of the stored ETag (so every worker sees a rebuild at once) and a few comparisons.

A browser that opens a feed (its Accept prefers text/html to the feed's type) is passed on to
Flask, which answers with the feed's HTML page at the same address (service/site/feed_page.py).
Readers (a feed type, `*/*` or no Accept) get the stored bytes. Both vary on Accept.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache

from flask import Flask
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from archive import Clock, FeedScope, InvalidScope, Rendition, RenditionNotFound
from service import urls
from service.archive_access import clock_for, thread_archive
from service.settings import Settings
from service.wsgi.answers import (
    CONTENT_SECURITY_POLICY,
    SECURITY_HEADERS,
    Answer,
    StartResponse,
    WSGIApp,
    cache_control,
    text_answer,
)

log = logging.getLogger(__name__)

PREFIX = "/feeds/"
MIB = 1024 * 1024
# The type of each feed format, by the extension of its key.
FEED_TYPES = {
    "atom": "application/atom+xml",
    "rss": "application/rss+xml",
    "json": "application/feed+json",
}


class Prepared:
    """A stored rendition ready to send (an `Answer`), and until when its headers hold."""

    __slots__ = ("feed", "good_until", "size")

    def __init__(self, rendition: Rendition, config: Settings, now: datetime, clock: Clock):
        seconds, self.good_until = max_age(rendition, config, now, clock)
        headers = [
            ("Cache-Control", cache_control("feed", seconds)),
            # Feeds are public: web-based readers may fetch them from any origin.
            ("Access-Control-Allow-Origin", "*"),
            ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
            *SECURITY_HEADERS,
        ]
        if config.feeds.hub_url:
            # WebSub 4: discovery through Link headers as well as inside the feed.
            self_url = urls.site_url(config.site, PREFIX + rendition.key)
            links = f'<{config.feeds.hub_url}>; rel="hub", <{self_url}>; rel="self"'
            headers.append(("Link", links))

        # The gzip bytes are stored with the feed: never compressed per request.
        self.feed = Answer(
            rendition.body,
            content_type=rendition.content_type,
            etag=rendition.etag,
            last_modified=rendition.last_modified,
            headers=headers,
            # Browsers get the feed's HTML page at this address.
            vary=("Accept",),
            gzip_body=rendition.gzip_body,
        )
        self.size = self.feed.size


# The request-path memos here and in answers.py, proxies.py and http.py are functools.lru_cache:
# bounded, safe to share between threads, and a hit costs a tenth of a microsecond in C, where
# a cachetools cache costs about two (a feed poll takes about ten).
@lru_cache(maxsize=512)
def feed_type_of(key: str) -> str | None:
    """The type of the feed a key under /feeds/ names (by its extension); None for a key that
    names no feed scope."""
    try:
        return FEED_TYPES.get(FeedScope.from_feed_key(key)[1])
    except InvalidScope:
        return None


@lru_cache(maxsize=512)
def is_browser_view(accept: str | None, feed_type: str) -> bool:
    """Whether an Accept header prefers an HTML page to the feed's own type (a browser's does;
    a reader's, `*/*` or none, does not)."""
    if not accept:
        return False
    accepted = parse_accept_header(accept, MIMEAccept)
    return accepted.quality("text/html") > accepted.quality(feed_type)


def max_age(
    rendition: Rendition, config: Settings, now: datetime, clock: Clock
) -> tuple[int, float]:
    """Seconds a cache may keep a feed, and the time (epoch) after which that must be asked again.

    A month closed in the site's zone changes only when one of its stories does, so caches keep
    it for long; the current month and every other feed only until the next rebuild.
    """
    scope = FeedScope.parse(rendition.scope)
    if scope.is_archive_document(clock, now):
        return config.http.archive_max_age, float("inf")
    seconds = config.feeds.rebuild_minutes * 60
    # Prepared headers hold until the month ends: then an archive month's max-age changes.
    return seconds, clock.current_month_ends_at(now).timestamp()


class RenditionCache:
    """A worker's prepared renditions, checked against the archive's ETag on every use, so a
    poll reads one ETag from the archive, not a feed: at most `[cache] feeds_mib` of them,
    and when full it starts again from empty (0 keeps none).

    Shared by the worker's threads: a hit reads the dict without a lock; preparing a new answer
    (rare: after a rebuild) updates the dict and its byte count under one.
    """

    def __init__(self, config: Settings, limit: int | None = None):
        self.config = config
        self.clock = clock_for(config)
        self.limit = config.cache.feeds_mib * MIB if limit is None else limit
        self.kept: dict[str, Prepared] = {}
        self.size = 0
        self.lock = threading.Lock()

    def get(self, archive, key: str) -> Prepared:
        """The current rendition of `key`, prepared. Raises RenditionNotFound."""
        etag = archive.rendition_etag(key)
        kept = self.kept.get(key)
        if kept is not None and kept.feed.plain.etag == etag and time.time() < kept.good_until:
            return kept
        prepared = Prepared(archive.rendition(key), self.config, datetime.now(UTC), self.clock)
        if prepared.size > self.limit:
            return prepared  # bigger than the whole cache: answered, never kept
        with self.lock:
            replaced = self.kept.pop(key, None)
            self.size -= replaced.size if replaced is not None else 0
            if self.size + prepared.size > self.limit:
                self.kept.clear()
                self.size = 0
            self.kept[key] = prepared
            self.size += prepared.size
        return prepared

    def report(self) -> dict:
        """Its size and limit, for /health."""
        return {"size": self.size, "limit": self.limit, "unit": "bytes", "entries": len(self.kept)}


class FeedServer:
    """WSGI: answers GET and HEAD on /feeds/<key> from prepared renditions; the rest goes on to
    `inner` (the Flask app), /feeds/ itself included."""

    def __init__(self, app: Flask, inner: WSGIApp):
        self.app = app
        self.inner = inner
        self.config: Settings = app.config["MASTHEAD"]
        self.cache = RenditionCache(self.config)

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX) or path == PREFIX:
            return self.inner(environ, start_response)
        try:
            return self.answer(environ, start_response, path[len(PREFIX) :])
        except Exception:
            log.exception("serving %s failed", path)
            return text_answer(start_response, "500 Internal Server Error", "Internal error.\n")

    def answer(self, environ: dict, start_response: StartResponse, key: str) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return text_answer(
                start_response,
                "405 Method Not Allowed",
                f"{method} is not allowed here: feeds are read with GET or HEAD.\n",
                [("Allow", "GET, HEAD")],
            )
        accept = environ.get("HTTP_ACCEPT")
        if accept and (feed_type := feed_type_of(key)) and is_browser_view(accept, feed_type):
            return self.inner(environ, start_response)  # the feed's page, rendered by Flask
        try:
            prepared = self.cache.get(thread_archive(self.app), key)
        except RenditionNotFound as error:
            return text_answer(
                start_response,
                "404 Not Found",
                f"No feed here: {error}. The list of feeds is at {PREFIX}.\n",
            )
        return prepared.feed.send(environ, start_response)
