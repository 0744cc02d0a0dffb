"""Polling sources: fetch, read, and take each entry into the archive through its one gate.

A poll is a conditional GET (the stored ETag and Last-Modified); 304 costs nothing. Each entry
becomes a story through `Archive.save` like any import: a new entry a new story, a changed one a
new revision (change kind `update`, the note naming the source), a repeated one nothing, a
tombstone (at:deleted-entry, a ninjs item taken back) a withdrawal. An entry that fails fails
alone and is named in the source's status; a source that fails never touches another.
The interval between polls adapts between `[sources] min_minutes` and `max_minutes`: it
halves when a poll brings news and grows by half when not, never under what Cache-Control's
max-age or Retry-After ask, and backs off by doubling after each failure.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

from archive import Archive, ArchiveError, ChangeNote
from archive.db import sources as store
from archive.ingest import origin
from archive.ingest.syndicated import (
    Document,
    Entry,
    Terms,
    UnreadableDocument,
    parse_document,
    story_shape,
)
from archive.story.shape import story_from_dict
from service.archive_access import open_for
from service.settings import Settings
from service.sources import websub
from service.sources.fetch import AddressRefused, Fetcher, FetchFailed, any_address, public_only

log = logging.getLogger("masthead.sources")

# How many entry problems a source's status names (the rest are counted).
PROBLEMS_SHOWN = 3
# Sources a scheduler run polls at most; the rest wait for the next run.
SOURCES_PER_RUN = 1000


@dataclass
class Taken:
    """What one poll did with a document's entries."""

    created: int = 0
    updated: int = 0
    withdrawn: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.withdrawn

    def summary(self) -> str:
        parts = [
            f"{n} {what}"
            for what, n in (
                ("new", self.created),
                ("updated", self.updated),
                ("withdrawn", self.withdrawn),
                ("unchanged", self.unchanged),
            )
            if n
        ]
        text = "ok: " + (", ".join(parts) or "no entries")
        if self.problems:
            shown = "; ".join(self.problems[:PROBLEMS_SHOWN])
            more = len(self.problems) - PROBLEMS_SHOWN
            text += f"; {len(self.problems)} problems: {shown}" + (
                f" (and {more} more)" if more > 0 else ""
            )
        return text


def fetcher_for(settings: Settings, **parts) -> Fetcher:
    """The fetcher of these settings: its User-Agent names Masthead and the site."""
    config = settings.sources
    return Fetcher(
        user_agent=f"Masthead/0.1 (+{settings.site.base_url}; {settings.site.title})",
        timeout=config.timeout_seconds,
        deadline=config.fetch_seconds,
        max_bytes=config.max_bytes,
        permits=any_address if config.allow_private else public_only,
        **parts,
    )


def terms_of(source: store.Source, settings: Settings) -> Terms:
    return Terms(
        policy=source.policy,
        rights=source.rights,
        publisher=source.publisher,
        section=source.section,
        tags=source.tags,
        status=source.story_status,
        own_names=(settings.site.rights_holder, settings.site.title),
    )


def poll_due(
    settings: Settings,
    *,
    now: datetime | None = None,
    fetcher: Fetcher | None = None,
    stop: threading.Event | None = None,
) -> list[str]:
    """Poll every active source that is due, `[sources] concurrency` at a time. Returns the
    slugs of the sources whose entries changed the archive."""
    now = now or datetime.now(UTC)
    with open_for(settings) as archive:
        due = store.due_sources(archive.db, now, limit=SOURCES_PER_RUN)
    if not due:
        return []
    fetcher = fetcher or fetcher_for(settings)

    def one(source: store.Source) -> str | None:
        if stop is not None and stop.is_set():
            return None
        # A boundary: one source's failure is recorded on it and never stops the others.
        try:
            taken = poll_source(settings, source.slug, now=now, fetcher=fetcher)
        except Exception:
            log.exception("polling source %s failed", source.slug)
            return None
        return source.slug if taken and taken.changed else None

    with ThreadPoolExecutor(settings.sources.concurrency, thread_name_prefix="source") as pool:
        return [slug for slug in pool.map(one, due) if slug]


def poll_source(
    settings: Settings, slug: str, *, now: datetime | None = None, fetcher: Fetcher | None = None
) -> Taken | None:
    """Fetch one source now and take in its entries; the outcome is recorded on the source.
    Returns what was taken (None when nothing was read: 304, or a failure)."""
    now = now or datetime.now(UTC)
    fetcher = fetcher or fetcher_for(settings)
    with open_for(settings) as archive:
        source = store.get_source(archive.db, slug)
        if _is_folder(source.url):
            return _poll_folder(archive, source, settings, now=now)
        headers = {}
        if source.etag:
            headers["If-None-Match"] = source.etag
        if source.last_modified:
            headers["If-Modified-Since"] = source.last_modified
        try:
            answer = fetcher.get(source.url, headers)
        except FetchFailed as error:
            what = "refused" if isinstance(error, AddressRefused) else "error"
            _failed(archive, source, settings, f"{what}: {error}", now=now)
            return None
        moved = answer.moved_to or None  # a permanent redirect's new address
        if answer.status == 304:
            recorded = _record(
                archive,
                source,
                settings,
                now=now,
                status="not modified",
                changed=False,
                max_age=_max_age(answer.headers),
                url=moved,
            )
            if websub.needs_subscription(recorded, now):
                websub.subscribe(archive, settings, recorded, fetcher, now=now)
            return None
        if answer.status == 410:
            archive_state = store.Fetched(
                status="gone (410): the source will not come back; stopped",
                error="410 Gone",
                state="stopped",
                url=moved,
            )
            store.record_fetch(archive.db, source, archive_state, now=now)
            return None
        if answer.status in (429, 503) or answer.status != 200:
            retry = _retry_after(answer.headers, now)
            _failed(
                archive,
                source,
                settings,
                f"error: answered {answer.status}",
                now=now,
                at_least=retry,
                url=moved,
            )
            return None
        try:
            document = parse_document(
                answer.body, url=answer.url, max_entries=settings.sources.max_entries
            )
        except UnreadableDocument as error:
            _failed(archive, source, settings, f"error: {error}", now=now, url=moved)
            return None
        taken = take_entries(archive, source, document, settings, now=now)
        recorded = _record(
            archive,
            source,
            settings,
            now=now,
            status=taken.summary(),
            changed=taken.changed > 0,
            max_age=_max_age(answer.headers),
            etag=answer.headers.get("ETag"),
            last_modified=answer.headers.get("Last-Modified"),
            title=document.title,
            hub_url=document.hub_url,
            hub_topic=document.self_url,
            url=moved,
        )
        if websub.needs_subscription(recorded, now):
            websub.subscribe(archive, settings, recorded, fetcher, now=now)
        return taken


def take_entries(
    archive: Archive, source: store.Source, document: Document, settings: Settings, *, now: datetime
) -> Taken:
    """Save, update or withdraw the story of each entry; each entry fails alone."""
    taken = Taken()
    terms = terms_of(source, settings)
    for entry in document.entries:
        try:
            what = _take(archive, source, entry, document, terms, settings, now=now)
        except (ArchiveError, ValueError) as error:
            taken.problems.append(f"entry {entry.entry_id[:200]!r}: {error}")
            continue
        setattr(taken, what, getattr(taken, what) + 1)
    taken.problems[:0] = list(document.problems)
    return taken


def _take(
    archive: Archive,
    source: store.Source,
    entry: Entry,
    document: Document,
    terms: Terms,
    settings: Settings,
    *,
    now: datetime,
) -> str:
    key = source.origin_of(entry.entry_id)
    before = archive.by_origin(key)
    if entry.deleted:
        if before is None or before.is_withdrawn:
            return "unchanged"
        archive.withdraw(before.id, reason=f"Withdrawn by its source, {source.name}.", now=now)
        return "withdrawn"
    if before is not None and before.is_withdrawn:
        return "unchanged"  # a withdrawn story's tombstone is permanent, whatever the entry says
    shape = story_shape(entry, document, terms)
    digest = store.digest_of(shape)
    if before is not None and store.entry_digest(archive.db, source, entry.entry_id) == digest:
        return "unchanged"
    story = story_from_dict(shape, base=before)
    story = origin.unless_own(story, terms.own_names, settings.site.base_url).replace(origin=key)
    if before is None:
        change = ChangeNote(is_import=True)
    else:
        # The archive keeps the first publication time; the entry's update time moves on.
        change = ChangeNote("update", f"Updated from its source, {source.name}.", is_import=True)
    with store.one_transaction(archive.db):
        saved = archive.save(story, now=now, change=change)
        store.remember_entry(
            archive.db, source, entry.entry_id, story_id=saved.id, digest=digest, now=now
        )
    if before is None:
        return "created"
    return "updated" if saved.revision != before.revision else "unchanged"


# --- Folders of ninjs items ---------------------------------------------------------------


def _is_folder(url: str) -> bool:
    return url.startswith("file:") or url.startswith("/")


def _poll_folder(
    archive: Archive, source: store.Source, settings: Settings, *, now: datetime
) -> Taken | None:
    folder = Path(source.url.removeprefix("file://").removeprefix("file:"))
    if not folder.is_dir():
        _failed(archive, source, settings, f"error: {folder} is not a folder", now=now)
        return None
    entries: list[Entry] = []
    problems: list[str] = []
    for path in sorted(folder.glob("*.json"))[: settings.sources.max_entries]:
        try:
            if path.stat().st_size > settings.sources.max_bytes:
                raise UnreadableDocument(f"larger than {settings.sources.max_bytes:,} bytes")
            read = parse_document(path.read_bytes(), url=folder.as_uri() + "/")
        except (UnreadableDocument, OSError) as error:
            problems.append(f"{path.name}: {error}")
            continue
        entries += read.entries
    document = Document(kind="ninjs", entries=tuple(entries), problems=tuple(problems))
    taken = take_entries(archive, source, document, settings, now=now)
    _record(archive, source, settings, now=now, status=taken.summary(), changed=taken.changed > 0)
    return taken


# --- When to poll next ----------------------------------------------------------------------


def _bounds(settings: Settings) -> tuple[int, int]:
    return settings.sources.min_minutes * 60, settings.sources.max_minutes * 60


def _record(
    archive: Archive,
    source: store.Source,
    settings: Settings,
    *,
    now: datetime,
    status: str,
    changed: bool,
    max_age: int | None = None,
    **facts,
) -> store.Source:
    low, high = _bounds(settings)
    interval = source.interval_seconds // 2 if changed else source.interval_seconds * 3 // 2
    interval = min(high, max(low, interval))
    wait = min(high, max(interval, max_age or 0))
    fetched = store.Fetched(
        status=status,
        interval_seconds=interval,
        next_poll_at=now + timedelta(seconds=wait),
        **facts,
    )
    return store.record_fetch(archive.db, source, fetched, now=now)


def _failed(
    archive: Archive,
    source: store.Source,
    settings: Settings,
    message: str,
    *,
    now: datetime,
    at_least: int | None = None,
    **facts,
) -> None:
    """Record a failure and back off: the wait doubles with each failure in a row."""
    low, high = _bounds(settings)
    wait = min(high, max(low * 2 ** min(source.failures, 16), at_least or 0))
    log.warning("source %s: %s", source.slug, message)
    fetched = store.Fetched(
        status=message, error=message, next_poll_at=now + timedelta(seconds=wait), **facts
    )
    store.record_fetch(archive.db, source, fetched, now=now)


def _max_age(headers) -> int | None:
    for directive in (headers.get("Cache-Control") or "").split(","):
        name, _, value = directive.strip().partition("=")
        if name.lower() == "max-age" and value.strip().isdigit():
            return int(value.strip())
    return None


def _retry_after(headers, now: datetime) -> int | None:
    """Retry-After in seconds (RFC 9110 10.2.3: a number of seconds or an HTTP date)."""
    value = (headers.get("Retry-After") or "").strip()
    if value.isdigit():
        return int(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0, int((moment - now).total_seconds())) if moment.tzinfo else None
