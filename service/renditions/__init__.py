"""Renditions: stories -> Atom 1.0, RSS 2.0 and JSON Feed 1.1 bytes, stored in the archive.

The only place feeds are built. The scheduler calls `rebuild`; a request only looks bytes up.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from archive import Archive, Rendition
from service.http import strong_etag
from service.renditions.atom_rss import FeedLinks, build_atom, build_rss
from service.renditions.document import FeedDocument, gather
from service.renditions.jsonfeed import build_json
from service.settings import Settings


@dataclass(frozen=True)
class Format:
    content_type: str
    build: Callable[[FeedDocument, FeedLinks, Settings], bytes]


FORMATS = {
    "atom": Format("application/atom+xml; charset=utf-8", build_atom),
    "rss": Format("application/rss+xml; charset=utf-8", build_rss),
    "json": Format("application/feed+json; charset=utf-8", build_json),
}


def feed_key(scope: str, fmt: str) -> str:
    """Where a feed lives under /feeds/: latest.atom, tags/x/latest.rss, archive/2014/02.json."""
    if scope == "latest" or scope.startswith("archive/"):
        return f"{scope}.{fmt}"
    return f"{scope}/latest.{fmt}"


def feed_url(settings: Settings, scope: str, fmt: str) -> str:
    """The absolute URL of a feed, from the site's base URL (never the request's host)."""
    return f"{settings.site.base_url.rstrip('/')}/feeds/{feed_key(scope, fmt)}"


def rebuild(
    archive: Archive, settings: Settings, *, now: datetime, scopes: Iterable[str] | None = None
) -> list[str]:
    """Build the feeds of `scopes` (every scope when None); store what changed.

    Returns the keys whose bytes changed. A scope whose inputs are unchanged is not rebuilt,
    and equal bytes leave the stored rendition (and so its ETag) untouched.
    """
    changed = []
    for scope in archive.feed_scopes() if scopes is None else scopes:
        changed += rebuild_scope(archive, settings, scope, now=now)
    return changed


def rebuild_scope(archive: Archive, settings: Settings, scope: str, *, now: datetime) -> list[str]:
    source = gather(archive, settings, scope, now=now)
    inputs = source.inputs(settings)
    stale = [fmt for fmt in FORMATS if archive.rendition_inputs(feed_key(scope, fmt)) != inputs]
    if not stale:
        return []
    document = source.document(settings)
    changed = []
    for fmt in stale:
        feed_format, key = FORMATS[fmt], feed_key(scope, fmt)
        links = FeedLinks(
            self_url=feed_url(settings, scope, fmt),
            hub_url=settings.feeds.hub_url,
            archive_urls={
                rel: feed_url(settings, target, fmt)
                for rel, target in document.archive_links.items()
            },
        )
        body = feed_format.build(document, links, settings)
        rendition = Rendition(
            key=key,
            scope=scope,
            content_type=feed_format.content_type,
            body=body,
            # mtime=0: the same bytes always compress to the same gzip bytes.
            gzip_body=gzip.compress(body, compresslevel=9, mtime=0),
            etag=strong_etag(body),
            last_modified=document.updated_at,
            built_at=now,
            entries=len(document.entries),
            inputs=inputs,
        )
        if archive.save_rendition(rendition):
            changed.append(key)
    return changed


def rebuild_pending(
    archive: Archive, settings: Settings, *, now: datetime, everything: bool = False
) -> list[str]:
    """Publish what is due, rebuild the scopes that writes queued (with `everything`, every
    scope as well, each once); returns changed keys."""
    archive.publish_due(now=now)
    up_to, scopes = archive.pending_feed_changes()
    if everything:
        scopes = set(scopes) | set(archive.feed_scopes())
    if not scopes:
        return []
    changed = rebuild(archive, settings, now=now, scopes=sorted(scopes))
    archive.clear_feed_changes(up_to)
    return changed
