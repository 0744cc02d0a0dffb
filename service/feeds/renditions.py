"""Renditions: stories -> Atom 1.0, RSS 2.0 and JSON Feed 1.1 bytes, stored in the archive.

The only place feeds are built. The scheduler calls `rebuild`; a request only looks bytes up.
"""

from __future__ import annotations

import gzip
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from archive import Archive, FeedScope, Rendition
from service import urls
from service.feeds.atom_rss import FeedLinks, build_atom, build_rss
from service.feeds.document import FeedDocument, describe
from service.feeds.jsonfeed import build_json
from service.feeds.kinds import build_order, gather, kind_of
from service.feeds.stopping import RebuildStopped, between_stories, stop_on
from service.settings import Settings
from service.wsgi.http import strong_etag

log = logging.getLogger("masthead.feeds")

# Queued scopes one pending run rebuilds at most: a run ends soon whatever the backlog.
SCOPES_PER_RUN = 200

# One lock per scope: two threads (the subscription and the month jobs) never build the same
# scope at once, so bytes read from the archive later are never replaced by bytes read earlier.
_BUILDING: defaultdict[FeedScope, threading.Lock] = defaultdict(threading.Lock)


@dataclass(frozen=True)
class Format:
    content_type: str
    build: Callable[[FeedDocument, FeedLinks, Settings], bytes]


FORMATS = {
    "atom": Format("application/atom+xml; charset=utf-8", build_atom),
    "rss": Format("application/rss+xml; charset=utf-8", build_rss),
    "json": Format("application/feed+json; charset=utf-8", build_json),
}


def rebuild(
    archive: Archive,
    settings: Settings,
    *,
    now: datetime,
    scopes: Iterable[FeedScope] | None = None,
    stop: threading.Event | None = None,
) -> Outcome:
    """Build the feeds of `scopes` (every scope when None); store what changed.

    Each scope is built on its own: one that fails is noted (logged once, kept for
    `masthead feeds list` and /health) and the others go on. A scope whose inputs are unchanged
    is not rebuilt, and equal bytes leave the stored rendition (and so its ETag) untouched.
    Once `stop` is set (the process is stopping), the build ends before its next story and
    no further scope is started: what is left stays as stored, queued or checked by the next
    full rebuild, and a graceful stop waits for no feed, however big (a month of thousands).
    """
    outcome = Outcome()
    for scope in archive.feed_scopes() if scopes is None else scopes:
        if stop is not None and stop.is_set():
            break
        try:
            with stop_on(stop):
                outcome.changed += rebuild_scope(archive, settings, scope, now=now)
        except RebuildStopped:
            break
        except Exception as error:  # noqa: BLE001 (a boundary: one feed never stops the rest)
            outcome.failed.append(scope)
            _note(archive, scope, now=now, built=False, error=describe(error))
        else:
            outcome.built.append(scope)
    return outcome


@dataclass
class Outcome:
    """What a rebuild did: keys whose bytes changed, scopes built and scopes that failed."""

    changed: list[str] = field(default_factory=list)
    built: list[FeedScope] = field(default_factory=list)
    failed: list[FeedScope] = field(default_factory=list)


def rebuild_scope(
    archive: Archive, settings: Settings, scope: FeedScope, *, now: datetime
) -> list[str]:
    """Build one scope's feeds when their inputs changed; returns the keys whose bytes changed.

    A story that cannot be built into one format is left out of every format of the feed (so
    the three agree), and named in the scope's build state.
    """
    with _BUILDING[scope]:
        source = gather(archive, settings, scope, now=now)
        inputs = source.inputs(settings)
        stale = [fmt for fmt in FORMATS if archive.rendition_inputs(scope.feed_key(fmt)) != inputs]
        if not stale:
            return []
        document, bodies = _build_formats(source.document(settings), settings)
        changed = [
            scope.feed_key(fmt)
            for fmt, body in bodies.items()
            if fmt in stale
            and archive.save_rendition(_rendition(scope, fmt, body, document, inputs, now))
        ]
    left_out = document.left_out
    error = f"{len(left_out)} stories left out: {next(iter(left_out.values()))}" if left_out else ""
    _note(archive, scope, now=now, built=True, error=error, story_ids=left_out)
    return changed


def _build_formats(
    document: FeedDocument, settings: Settings
) -> tuple[FeedDocument, dict[str, bytes]]:
    """Every format's bytes, from the document without the stories that stop any format from
    being built (the three agree); each format is built once unless a later one leaves a
    story out."""
    bodies: dict[str, bytes] = {}
    for fmt in FORMATS:
        before = document
        document, bodies[fmt] = _buildable(document, fmt, settings)
        if document is not before:  # formats built earlier still hold the stories left out
            bodies = {fmt: bodies[fmt]}
    for fmt in FORMATS:
        if fmt not in bodies:
            bodies[fmt] = FORMATS[fmt].build(document, _links(settings, document, fmt), settings)
    return document, bodies


def _buildable(document: FeedDocument, fmt: str, settings: Settings) -> tuple[FeedDocument, bytes]:
    """The document, without the stories that stop `fmt` from being built (found one by one),
    and its bytes in `fmt`."""
    build = FORMATS[fmt].build
    try:
        return document, build(document, _links(settings, document, fmt), settings)
    except Exception as error:
        culprits = set()
        for story_id in between_stories(document.story_ids):
            alone = document.only(story_id)
            try:
                build(alone, _links(settings, alone, fmt), settings)
            except Exception:  # noqa: BLE001 (this story is one of them)
                culprits.add(story_id)
        if not culprits:
            raise
        document = document.without(culprits, f"{fmt}: {describe(error)}")
    return document, build(document, _links(settings, document, fmt), settings)


def _links(settings: Settings, document: FeedDocument, fmt: str) -> FeedLinks:
    return FeedLinks(
        self_url=urls.feed_url(settings.site, document.scope, fmt),
        hub_url=settings.feeds.hub_url,
        archive_urls={
            rel: urls.feed_url(settings.site, target, fmt)
            for rel, target in document.archive_links.items()
        },
    )


def _rendition(
    scope: FeedScope, fmt: str, body: bytes, document: FeedDocument, inputs: str, now: datetime
) -> Rendition:
    return Rendition(
        key=scope.feed_key(fmt),
        scope=scope.key,
        content_type=FORMATS[fmt].content_type,
        body=body,
        # mtime=0: the same bytes always compress to the same gzip bytes.
        gzip_body=gzip.compress(body, compresslevel=9, mtime=0),
        etag=strong_etag(body),
        last_modified=document.updated_at,
        built_at=now,
        entries=len(document.entries),
        inputs=inputs,
    )


def _note(archive: Archive, scope: FeedScope, *, now: datetime, built: bool, **failure) -> None:
    """Keep a scope's build state; log a failure once, when it starts or changes."""
    if archive.record_build(scope, now=now, built=built, **failure) and failure.get("error"):
        ids = ", ".join(str(i) for i in failure.get("story_ids") or ()) or "none named"
        log.error("feed %s: %s (stories: %s)", scope, failure["error"], ids)


def every_scope(scope: FeedScope) -> bool:
    return True


def is_subscription(scope: FeedScope) -> bool:
    """The feeds readers poll: the site's and each section's, tag's and author's."""
    return kind_of(scope).is_subscription


def is_archive_month(scope: FeedScope) -> bool:
    """RFC 5005 monthly archives: each holds every story of its month, so one can be long to
    build; they are built apart from the feeds readers poll."""
    return not kind_of(scope).is_subscription


def rebuild_pending(
    archive: Archive,
    settings: Settings,
    *,
    now: datetime,
    everything: bool = False,
    which: Callable[[FeedScope], bool] = every_scope,
    most: int = SCOPES_PER_RUN,
    stop: threading.Event | None = None,
) -> list[str]:
    """Rebuild the scopes that writes queued (with `everything`, every scope as well, each
    once), of those `which` selects; returns changed keys.

    At most `most` queued scopes a run, in build_order (the site feed first): the rest
    stay queued for the next run, so a run ends soon whatever the backlog. A scope is unqueued
    only once built.
    """
    up_to, scopes = archive.pending_feed_changes()
    queued = sorted(filter(which, scopes), key=build_order)[:most]
    todo = set(queued) | (set(filter(which, archive.feed_scopes())) if everything else set())
    if not todo:
        return []
    outcome = rebuild(archive, settings, now=now, scopes=sorted(todo, key=build_order), stop=stop)
    archive.clear_feed_changes(up_to, [scope for scope in queued if scope in outcome.built])
    return outcome.changed
