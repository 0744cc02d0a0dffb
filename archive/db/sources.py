"""Sources: partner feeds and agency item folders whose entries the archive takes in.

The store of sources and of the entries each gave (its id, the story it became, a digest of
what it said last). Knows nothing of HTTP: service.sources fetches and parses, then records
here what a fetch brought. Every write is one transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from archive.db.queries import from_text, to_text
from archive.db.transaction import write_transaction
from archive.errors import ArchiveError, NotFound
from archive.story.names import slugify

POLICIES = ("full", "summary", "link")
STORY_STATUSES = ("draft", "published")
STATES = ("active", "paused", "stopped")
# Longest error kept on a source: enough for a parser's message and where it stopped.
MAX_ERROR_LENGTH = 2_000


class SourceNotFound(NotFound):
    """No source has that slug."""


class SourceConflict(ArchiveError):
    """A source with that URL or slug exists already."""


@dataclass(frozen=True)
class Source:
    """A polled source: what to fetch, how its entries become stories, how its fetches went."""

    id: int
    slug: str
    url: str
    title: str
    section: str
    tags: tuple[str, ...]
    story_status: str
    policy: str
    rights: str
    publisher: str
    state: str
    etag: str | None
    last_modified: str | None
    interval_seconds: int
    next_poll_at: datetime
    last_fetch_at: datetime | None
    last_status: str
    last_error: str
    failures: int
    entries_taken: int
    hub_url: str | None
    hub_topic: str | None
    hub_secret: str | None
    lease_until: datetime | None
    added_at: datetime

    @property
    def is_failing(self) -> bool:
        return self.failures > 0 or self.state == "stopped"

    @property
    def name(self) -> str:
        """Who the source is, as notes and pages name it."""
        return self.publisher or self.title or self.url

    def origin_of(self, entry_id: str) -> str:
        """The story origin of one of this source's entries: the source's own, so that an
        entry carrying another source's id never takes over that source's story."""
        return f"source:{self.id}:{entry_id}"


@dataclass(frozen=True)
class Fetched:
    """How one fetch went, to be recorded on its source."""

    status: str
    error: str = ""
    etag: str | None = None
    last_modified: str | None = None
    url: str | None = None  # a permanent redirect's new address
    state: str | None = None  # "stopped" on 410 Gone
    next_poll_at: datetime | None = None
    interval_seconds: int | None = None
    title: str | None = None
    hub_url: str | None = None
    hub_topic: str | None = None


def _source(row: dict) -> Source:
    values = dict(row)
    values["tags"] = tuple(json.loads(values["tags"]))
    for key in ("next_poll_at", "last_fetch_at", "lease_until", "added_at"):
        values[key] = from_text(values[key])
    return Source(**values)


def add_source(
    db: sqlite_utils.Database,
    url: str,
    *,
    now: datetime,
    interval_seconds: int,
    slug: str = "",
    section: str = "",
    tags: tuple[str, ...] = (),
    story_status: str = "published",
    policy: str = "full",
    rights: str = "",
    publisher: str = "",
) -> Source:
    """A new active source, polled first at `now`. Raises SourceConflict, ValueError."""
    if policy not in POLICIES:
        raise ValueError(f"policy {policy!r} is not one of {', '.join(POLICIES)}")
    if story_status not in STORY_STATUSES:
        raise ValueError(f"status {story_status!r} is not one of {', '.join(STORY_STATUSES)}")
    with write_transaction(db):
        if db.execute("SELECT 1 FROM syndication_sources WHERE url = ?", [url]).fetchone():
            raise SourceConflict(f"a source with the URL {url} exists already")
        slug = _free_slug(db, slug or slugify(publisher or url) or "source")
        db.execute(
            "INSERT INTO syndication_sources (slug, url, section, tags, story_status, policy, "
            "rights, publisher, interval_seconds, next_poll_at, added_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                slug,
                url,
                section,
                json.dumps(list(tags), ensure_ascii=False),
                story_status,
                policy,
                rights,
                publisher,
                interval_seconds,
                to_text(now),
                to_text(now),
            ],
        )
    return get_source(db, slug)


def _free_slug(db: sqlite_utils.Database, wanted: str) -> str:
    slug, number = wanted[:80].strip("-") or "source", 1
    while db.execute("SELECT 1 FROM syndication_sources WHERE slug = ?", [slug]).fetchone():
        number += 1
        slug = f"{wanted[:80].strip('-')}-{number}"
    return slug


def get_source(db: sqlite_utils.Database, slug: str) -> Source:
    rows = list(db.query("SELECT * FROM syndication_sources WHERE slug = ?", [slug]))
    if not rows:
        raise SourceNotFound(f"no source is named {slug!r}")
    return _source(rows[0])


def source_by_id(db: sqlite_utils.Database, source_id: int) -> Source:
    rows = list(db.query("SELECT * FROM syndication_sources WHERE id = ?", [source_id]))
    if not rows:
        raise SourceNotFound(f"no source has id {source_id}")
    return _source(rows[0])


def list_sources(db: sqlite_utils.Database) -> list[Source]:
    return [_source(row) for row in db.query("SELECT * FROM syndication_sources ORDER BY slug")]


def due_sources(db: sqlite_utils.Database, now: datetime, *, limit: int = 1000) -> list[Source]:
    """Active sources whose next poll is due, the longest waiting first."""
    rows = db.query(
        "SELECT * FROM syndication_sources WHERE state = 'active' AND next_poll_at <= ? "
        "ORDER BY next_poll_at LIMIT ?",
        [to_text(now), limit],
    )
    return [_source(row) for row in rows]


def set_state(db: sqlite_utils.Database, slug: str, state: str, *, now: datetime) -> Source:
    """Pause, resume (polled at once) or stop a source. Raises SourceNotFound."""
    if state not in STATES:
        raise ValueError(f"state {state!r} is not one of {', '.join(STATES)}")
    source = get_source(db, slug)
    with write_transaction(db):
        db.execute(
            "UPDATE syndication_sources SET state = ?, next_poll_at = ?, failures = "
            "CASE WHEN ? = 'active' THEN 0 ELSE failures END WHERE id = ?",
            [state, to_text(now), state, source.id],
        )
    return get_source(db, slug)


def remove_source(db: sqlite_utils.Database, slug: str) -> Source:
    """Forget a source and its entries' ids; the stories it gave stay in the archive."""
    source = get_source(db, slug)
    with write_transaction(db):
        db.execute("DELETE FROM syndication_entries WHERE source_id = ?", [source.id])
        db.execute("DELETE FROM syndication_sources WHERE id = ?", [source.id])
    return source


def record_fetch(
    db: sqlite_utils.Database, source: Source, fetched: Fetched, *, now: datetime
) -> Source:
    """Note how a fetch went: status, validators, next poll, error (and count of failures)."""
    failed = bool(fetched.error)
    with write_transaction(db):
        db.execute(
            "UPDATE syndication_sources SET last_fetch_at = ?, last_status = ?, last_error = ?, "
            "failures = ?, etag = ?, last_modified = ?, url = ?, state = ?, next_poll_at = ?, "
            "interval_seconds = ?, title = ?, hub_url = ?, hub_topic = ? WHERE id = ?",
            [
                to_text(now),
                fetched.status,
                fetched.error[:MAX_ERROR_LENGTH],
                source.failures + 1 if failed else 0,
                fetched.etag if fetched.etag is not None else source.etag,
                fetched.last_modified
                if fetched.last_modified is not None
                else source.last_modified,
                fetched.url or source.url,
                fetched.state or source.state,
                to_text(fetched.next_poll_at or now + timedelta(seconds=source.interval_seconds)),
                fetched.interval_seconds or source.interval_seconds,
                fetched.title if fetched.title is not None else source.title,
                fetched.hub_url if fetched.hub_url is not None else source.hub_url,
                fetched.hub_topic if fetched.hub_topic is not None else source.hub_topic,
                source.id,
            ],
        )
    return source_by_id(db, source.id)


def record_subscription(
    db: sqlite_utils.Database, source: Source, *, secret: str | None, lease_until: datetime | None
) -> None:
    """The WebSub secret of a source's subscription and when its lease lapses."""
    with write_transaction(db):
        db.execute(
            "UPDATE syndication_sources SET hub_secret = ?, lease_until = ? WHERE id = ?",
            [secret, to_text(lease_until), source.id],
        )


def record_push(db: sqlite_utils.Database, source: Source, *, status: str, now: datetime) -> None:
    """Note what a WebSub push brought (the poll schedule is left as it is)."""
    with write_transaction(db):
        db.execute(
            "UPDATE syndication_sources SET last_status = ?, last_fetch_at = ? WHERE id = ?",
            [status[:MAX_ERROR_LENGTH], to_text(now), source.id],
        )


def digest_of(shape: dict) -> str:
    """A digest of what an entry said: the same entry sent again has the same digest."""
    text = json.dumps(shape, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def entry_digest(db: sqlite_utils.Database, source: Source, entry_id: str) -> str | None:
    row = db.execute(
        "SELECT digest FROM syndication_entries WHERE source_id = ? AND entry_id = ?",
        [source.id, entry_id],
    ).fetchone()
    return row[0] if row else None


def remember_entry(
    db: sqlite_utils.Database,
    source: Source,
    entry_id: str,
    *,
    story_id: int,
    digest: str,
    now: datetime,
) -> None:
    """Record what an entry said last and the story it is (inside the story's transaction)."""
    with write_transaction(db):
        is_new = not db.execute(
            "SELECT 1 FROM syndication_entries WHERE source_id = ? AND entry_id = ?",
            [source.id, entry_id],
        ).fetchone()
        db.execute(
            "INSERT OR REPLACE INTO syndication_entries (source_id, entry_id, story_id, digest, "
            "seen_at) VALUES (?, ?, ?, ?, ?)",
            [source.id, entry_id, story_id, digest, to_text(now)],
        )
        if is_new:
            db.execute(
                "UPDATE syndication_sources SET entries_taken = entries_taken + 1 WHERE id = ?",
                [source.id],
            )


def story_ids_of(db: sqlite_utils.Database, source: Source, *, limit: int = 200) -> list[int]:
    """The stories a source gave, the newest entries first."""
    rows = db.execute(
        "SELECT story_id FROM syndication_entries WHERE source_id = ? "
        "ORDER BY seen_at DESC, story_id DESC LIMIT ?",
        [source.id, limit],
    )
    return [row[0] for row in rows]


def source_of_story(db: sqlite_utils.Database, story_id: int) -> Source | None:
    """The source a story came from, if it came from one."""
    rows = list(
        db.query(
            "SELECT s.* FROM syndication_sources s JOIN syndication_entries e "
            "ON s.id = e.source_id WHERE e.story_id = ? LIMIT 1",
            [story_id],
        )
    )
    return _source(rows[0]) if rows else None


@contextmanager
def one_transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """A story's save and its entry's record as one write."""
    with write_transaction(db):
        yield
