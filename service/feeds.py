"""Feeds as stored bytes: a request is a key lookup that answers 304 or the bytes, never a build."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, current_app

from archive import Archive, Rendition, RenditionNotFound
from service.archive_access import get_archive, settings
from service.http import send_bytes

bp = Blueprint("feeds", __name__)


# Bytes of feeds a worker keeps in memory, so a poll reads one ETag from the archive, not a feed.
CACHE_BYTES = 64 * 1024 * 1024


class RenditionCache:
    """A worker's copies of stored renditions, checked against the archive's ETag on every use."""

    def __init__(self, limit: int = CACHE_BYTES):
        self.limit = limit
        self.kept: dict[str, Rendition] = {}

    def get(self, archive: Archive, key: str) -> Rendition:
        """The current rendition of `key`. Raises RenditionNotFound."""
        etag = archive.rendition_etag(key)
        kept = self.kept.get(key)
        if kept is not None and kept.etag == etag:
            return kept
        rendition = archive.rendition(key)
        if sum(len(r.body) + len(r.gzip_body) for r in self.kept.values()) > self.limit:
            self.kept.clear()
        self.kept[key] = rendition
        return rendition


@bp.record_once
def _make_cache(state) -> None:
    state.app.extensions["masthead.renditions"] = RenditionCache()


@bp.get("/feeds/<path:key>")
def show_feed(key: str):
    cache: RenditionCache = current_app.extensions["masthead.renditions"]
    rendition = cache.get(get_archive(), key)
    config = settings()
    links = None
    if config.feeds.hub_url:
        # WebSub 4: discovery through Link headers as well as inside the feed.
        self_url = f"{config.site.base_url.rstrip('/')}/feeds/{key}"
        links = {"hub": config.feeds.hub_url, "self": self_url}
    return send_bytes(
        rendition.body,
        gzip_body=rendition.gzip_body,
        content_type=rendition.content_type,
        etag=rendition.etag,
        last_modified=rendition.last_modified,
        max_age=max_age(rendition, now=datetime.now(UTC)),
        links=links,
    )


def max_age(rendition: Rendition, *, now: datetime) -> int:
    """Seconds a cache may keep a feed: a closed month for long, anything else until a rebuild."""
    config = settings()
    if rendition.scope.startswith("archive/"):
        month = rendition.scope.removeprefix("archive/").replace("/", "-")
        if month < now.strftime("%Y-%m"):
            return config.http.archive_max_age
    return config.feeds.rebuild_minutes * 60


@bp.errorhandler(RenditionNotFound)
def unknown_feed(error: RenditionNotFound):
    return Response(
        f"No feed here: {error}. The list of feeds is at /feeds/.\n",
        status=404,
        content_type="text/plain; charset=utf-8",
    )
