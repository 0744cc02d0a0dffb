"""Renditions kept in the archive: built feed bytes with their validators, and the queue of
feed scopes that writes have touched. Building feeds is the service's job, not this module's.

A scope names one feed whatever its format: `latest`, `sections/<slug>`, `tags/<slug>`,
`authors/<slug>` or `archive/YYYY/MM` (stories first published that month, site time).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from archive.errors import ArchiveError
from archive.models import Story
from archive.queries import from_text, to_text
from archive.transaction import write_transaction
from archive.visibility import PUBLIC, is_public

# Scopes named in one DELETE: well under SQLite's limit on bound parameters.
SCOPES_PER_STATEMENT = 500


class RenditionNotFound(ArchiveError):
    """No rendition is stored under that key."""


@dataclass(frozen=True)
class Rendition:
    key: str
    scope: str
    content_type: str
    body: bytes
    gzip_body: bytes
    etag: str
    last_modified: datetime | None
    built_at: datetime
    entries: int
    inputs: str  # a digest of what the bytes were built from; equal inputs, equal bytes


@dataclass(frozen=True)
class RenditionInfo:
    key: str
    scope: str
    content_type: str
    size: int
    etag: str
    last_modified: datetime | None
    built_at: datetime
    entries: int


def month_scope(local_date: str) -> str:
    """The archive scope of a local date 'YYYY-MM-DD': 'archive/YYYY/MM'."""
    return f"archive/{local_date[:4]}/{local_date[5:7]}"


def scopes_of(story: Story, local_date: str | None) -> set[str]:
    """Every feed scope a story appears in (or leaves a tombstone in), given its local date."""
    if story.published_at is None or local_date is None or not is_public(story):
        return set()
    scopes = {"latest", month_scope(local_date)}
    if story.section_slug:
        scopes.add(f"sections/{story.section_slug}")
    scopes |= {f"tags/{slug}" for slug in story.tag_slugs}
    scopes |= {f"authors/{author.slug}" for author in story.authors if author.slug}
    return scopes


def record_changes(db: sqlite_utils.Database, scopes: Iterable[str], now: datetime) -> None:
    """Queue scopes for rebuilding. Call inside the write's own transaction."""
    db["feed_changes"].insert_all(
        {"scope": scope, "changed_at": to_text(now)} for scope in sorted(set(scopes))
    )


def pending_changes(db: sqlite_utils.Database) -> tuple[int, set[str]]:
    """The newest queued change id and every scope queued up to it (0 and empty when none)."""
    rows = db.execute("SELECT id, scope FROM feed_changes ORDER BY id").fetchall()
    return (rows[-1][0] if rows else 0), {scope for _, scope in rows}


def clear_changes(
    db: sqlite_utils.Database, up_to: int, scopes: Iterable[str] | None = None
) -> None:
    """Forget queued changes up to id `up_to` (of `scopes` only, when given) once rebuilt.

    A scope left out stays queued: a feed that failed is tried again next run, alone.
    """
    if scopes is None:
        with write_transaction(db):
            db.execute("DELETE FROM feed_changes WHERE id <= ?", [up_to])
        return
    scopes = sorted(set(scopes))
    for start in range(0, len(scopes), SCOPES_PER_STATEMENT):
        chunk = scopes[start : start + SCOPES_PER_STATEMENT]
        marks = ",".join("?" * len(chunk))
        with write_transaction(db):
            db.execute(
                f"DELETE FROM feed_changes WHERE id <= ? AND scope IN ({marks})", [up_to, *chunk]
            )


@dataclass(frozen=True)
class BuildState:
    """How the last build of a feed scope went: `error` is empty when every story went in."""

    scope: str
    attempted_at: datetime
    built_at: datetime | None  # the last build that stored its feeds
    failing_since: datetime | None
    error: str
    story_ids: tuple[int, ...]  # stories left out of the feed because they could not be built

    @property
    def status(self) -> str:
        if self.error and self.built_at is not None and self.built_at >= self.attempted_at:
            return "partial"  # built, without the stories named
        return "failing" if self.error else "ok"


def record_build(
    db: sqlite_utils.Database,
    scope: str,
    *,
    now: datetime,
    built: bool,
    error: str = "",
    story_ids: Iterable[int] = (),
) -> bool:
    """Note how a scope's build went; True when that is news (it was not failing so before)."""
    before = db.execute(
        "SELECT error, story_ids FROM feed_builds WHERE scope = ?", [scope]
    ).fetchone()
    ids = ",".join(str(i) for i in sorted(set(story_ids)))
    is_news = (before or ("", ""))[0:2] != (error, ids)
    with write_transaction(db):
        db.execute(
            """INSERT INTO feed_builds (scope, attempted_at, built_at, failing_since, error,
                   story_ids) VALUES (:scope, :now, :built, :failing, :error, :ids)
               ON CONFLICT(scope) DO UPDATE SET attempted_at = :now,
                   built_at = coalesce(:built, built_at),
                   failing_since = CASE WHEN :error = '' THEN NULL
                       ELSE coalesce(failing_since, :now) END,
                   error = :error, story_ids = :ids""",
            {
                "scope": scope,
                "now": to_text(now),
                "built": to_text(now) if built else None,
                "failing": to_text(now) if error else None,
                "error": error,
                "ids": ids,
            },
        )
    return is_news


def build_states(db: sqlite_utils.Database, *, failing_only: bool = False) -> list[BuildState]:
    """The build state of every scope built so far (or only those with an error)."""
    where = "WHERE error != ''" if failing_only else ""
    return [
        BuildState(
            scope=row["scope"],
            attempted_at=from_text(row["attempted_at"]),
            built_at=from_text(row["built_at"]),
            failing_since=from_text(row["failing_since"]),
            error=row["error"],
            story_ids=tuple(int(i) for i in row["story_ids"].split(",") if i),
        )
        for row in db.query(f"SELECT * FROM feed_builds {where} ORDER BY scope")
    ]


def all_scopes(db: sqlite_utils.Database) -> list[str]:
    """Every scope that has, or had, a published story: the feeds a full rebuild makes."""
    seen = PUBLIC
    sections = db.execute(
        f"SELECT DISTINCT section_slug FROM stories WHERE {seen} AND section_slug != ''"
    ).fetchall()
    tags = db.execute(
        f"SELECT DISTINCT tag_slug FROM story_tags WHERE story_id IN "
        f"(SELECT id FROM stories WHERE {seen})"
    ).fetchall()
    authors = db.execute(
        f"SELECT DISTINCT author_slug FROM story_authors WHERE story_id IN "
        f"(SELECT id FROM stories WHERE {seen})"
    ).fetchall()
    months = db.execute(
        f"SELECT DISTINCT substr(local_date, 1, 7) FROM stories WHERE {seen} "
        "AND local_date IS NOT NULL"
    ).fetchall()
    return [
        "latest",
        *(f"sections/{slug}" for (slug,) in sorted(sections)),
        *(f"tags/{slug}" for (slug,) in sorted(tags)),
        *(f"authors/{slug}" for (slug,) in sorted(authors)),
        *(month_scope(f"{month}-01") for (month,) in sorted(months)),
    ]


def save_rendition(db: sqlite_utils.Database, rendition: Rendition) -> bool:
    """Store a rendition unless the same bytes are stored already; True when the bytes changed.

    Equal bytes keep the stored row (its ETag, Last-Modified and build time) untouched.
    """
    stored = db.execute(
        "SELECT etag, inputs FROM renditions WHERE key = ?", [rendition.key]
    ).fetchone()
    if stored and stored[0] == rendition.etag:
        if stored[1] != rendition.inputs:
            with write_transaction(db):
                db.execute(
                    "UPDATE renditions SET inputs = ? WHERE key = ?",
                    [rendition.inputs, rendition.key],
                )
        return False
    row = {
        **vars(rendition),
        "last_modified": to_text(rendition.last_modified),
        "built_at": to_text(rendition.built_at),
    }
    with write_transaction(db):
        db["renditions"].upsert(row, pk="key")
    return True


def stored_inputs(db: sqlite_utils.Database, key: str) -> str | None:
    """The inputs digest of the rendition stored under `key`, if any."""
    row = db.execute("SELECT inputs FROM renditions WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def stored_etag(db: sqlite_utils.Database, key: str) -> str:
    """The ETag of the rendition stored under `key` (cheap: no bytes read). Raises
    RenditionNotFound."""
    row = db.execute("SELECT etag FROM renditions WHERE key = ?", [key]).fetchone()
    if row is None:
        raise RenditionNotFound(f"no feed is stored as {key!r}")
    return row[0]


def get_rendition(db: sqlite_utils.Database, key: str) -> Rendition:
    """The rendition stored under `key`. Raises RenditionNotFound."""
    cursor = db.execute("SELECT * FROM renditions WHERE key = ?", [key])
    row = cursor.fetchone()
    if row is None:
        raise RenditionNotFound(f"no feed is stored as {key!r}")
    columns = [column[0] for column in cursor.description]
    return Rendition(**_times(dict(zip(columns, row, strict=True))))


def list_renditions(db: sqlite_utils.Database) -> list[RenditionInfo]:
    """What is stored, without the bytes: for `masthead feeds list` and the feeds index."""
    rows = db.query(
        "SELECT key, scope, content_type, length(body) AS size, etag, last_modified, built_at, "
        "entries FROM renditions ORDER BY key"
    )
    return [RenditionInfo(**_times(row)) for row in rows]


def _times(row: dict) -> dict:
    return {
        **row,
        "last_modified": from_text(row["last_modified"]),
        "built_at": from_text(row["built_at"]),
    }
