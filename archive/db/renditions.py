"""Renditions kept in the archive: built feed bytes with their validators, and the queue of
feed scopes that writes have touched. Building feeds is the service's job, not this module's.

A scope names one feed whatever its format: `latest`, `sections/<slug>`, `tags/<slug>`,
`authors/<slug>`, `archive/YYYY/MM` (stories first published that month, site time),
`corrections` (every correction to a public story) or `withdrawals` (every story that was
published and is not now, with when and why it went).
`FeedScope` is the only place such strings are parsed or made.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

import sqlite_utils

from archive.db.queries import from_text, to_text
from archive.db.transaction import write_transaction
from archive.errors import ArchiveError, NotFound
from archive.story.clock import Clock
from archive.story.models import Story
from archive.story.names import MAX_SLUG_LENGTH
from archive.story.visibility import LIVE, PUBLIC, is_public

log = logging.getLogger("masthead.feeds")

# Scopes named in one DELETE: well under SQLite's limit on bound parameters.
SCOPES_PER_STATEMENT = 500


class RenditionNotFound(NotFound):
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


class InvalidScope(ArchiveError, ValueError):
    """A string that names no feed scope."""


# Scope kinds that follow one name, and the archive filter (and name kind) each stands for.
SUBJECT_KINDS = {"sections": "section", "tags": "tag", "authors": "author"}


class ScopeFilter(TypedDict, total=False):
    """The keyword a scope's reads filter by (`Archive.latest`, `Archive.withdrawn_since`)."""

    section: str
    tag: str
    author: str


# RFC 3986 unreserved characters: a slug goes into URL paths as it is. Slugs the archive mints
# are narrower (lower-case words and hyphens); this accepts any slug a path can carry.
SCOPE_SLUG = re.compile(r"[A-Za-z0-9._~-]+")
SCOPE_MONTH = re.compile(r"([0-9]{4})/([0-9]{2})")
EXPECTED = (
    "latest, sections/<slug>, tags/<slug>, authors/<slug>, archive/YYYY/MM, corrections or "
    "withdrawals"
)


@dataclass(frozen=True)
class FeedScope:
    """One feed whatever its format, as an immutable value; `parse` and `key` convert it from
    and to its stored string. Build one with `parse`, `of`, `for_month` or `LATEST`.

    `kind` is `latest`, `sections`, `tags`, `authors` or `archive`; `slug` names the section,
    tag or author; `year` and `month` the archive month. Raises InvalidScope when they don't
    make a scope.
    """

    kind: str
    slug: str = ""
    year: int = 0
    month: int = 0

    def __post_init__(self) -> None:
        problem = _scope_problem(self.kind, self.slug, self.year, self.month)
        if problem:
            raise InvalidScope(f"feed scope {self.key!r}: {problem}")

    @classmethod
    def parse(cls, text: str) -> FeedScope:
        """The scope a stored string names. Raises InvalidScope naming the string."""
        if not isinstance(text, str):
            raise InvalidScope(f"feed scope {text!r} is not a string; expected {EXPECTED}")
        if text == "latest":
            return LATEST
        if text == "corrections":
            return CORRECTIONS
        if text == "withdrawals":
            return WITHDRAWALS
        kind, _, rest = text.partition("/")
        if kind in SUBJECT_KINDS and rest and "/" not in rest:
            return cls.of(kind, rest)
        month = SCOPE_MONTH.fullmatch(rest)
        if kind == "archive" and month:
            return cls.for_month(int(month[1]), int(month[2]))
        raise InvalidScope(f"feed scope {text!r} is not one of {EXPECTED}")

    @classmethod
    def of(cls, kind: str, slug: str) -> FeedScope:
        """The feed of one section, tag or author: FeedScope.of("tags", "transport")."""
        return cls(kind, slug)

    @classmethod
    def for_month(cls, year: int, month: int) -> FeedScope:
        """The RFC 5005 archive feed of one month (first publication, site time)."""
        return cls("archive", year=year, month=month)

    @classmethod
    def for_local_date(cls, local_date: str) -> FeedScope:
        """The archive month of a local date 'YYYY-MM-DD'."""
        return cls.for_month(int(local_date[:4]), int(local_date[5:7]))

    @property
    def key(self) -> str:
        """The stored string: latest, tags/transport, archive/2014/02."""
        if self.kind == "archive":
            return f"archive/{self.year:04d}/{self.month:02d}"
        return f"{self.kind}/{self.slug}" if self.slug else self.kind

    def is_archive_document(self, clock: Clock, now: datetime) -> bool:
        """RFC 5005 4.2: whether its feed is an archive document, a month closed in the site's
        zone, which changes only when one of its stories does (never by a new story)."""
        return self.kind == "archive" and clock.is_month_closed(self.year, self.month, now)

    @property
    def filters(self) -> ScopeFilter:
        """The archive filter it stands for (`tag=...` for latest / withdrawn_since); {} when
        it follows every story."""
        if self.kind == "sections":
            return {"section": self.slug}
        if self.kind == "tags":
            return {"tag": self.slug}
        if self.kind == "authors":
            return {"author": self.slug}
        return {}

    def feed_key(self, fmt: str) -> str:
        """Where its feed in `fmt` lives under /feeds/: latest.atom, tags/x/latest.rss,
        archive/2014/02.json."""
        if self.kind in SUBJECT_KINDS:
            return f"{self.key}/latest.{fmt}"
        return f"{self.key}.{fmt}"

    def feed_path(self, fmt: str) -> str:
        """The site path of its feed in `fmt`: /feeds/tags/x/latest.atom."""
        return f"/feeds/{self.feed_key(fmt)}"

    @property
    def page_path(self) -> str:
        """The site path of the HTML page it follows: /, /tags/x/, /2014/02/, /corrections/."""
        if self.kind == "archive":
            return f"/{self.year:04d}/{self.month:02d}/"
        return "/" if self.kind in ("latest", "withdrawals") else f"/{self.key}/"

    @classmethod
    def from_feed_key(cls, key: str) -> tuple[FeedScope, str]:
        """The scope and format of a key under /feeds/ (the inverse of `feed_key`).

        Raises InvalidScope naming the key.
        """
        path, dot, fmt = key.rpartition(".")
        if dot and path.endswith("/latest") and path.count("/") == 2:
            path = path.removesuffix("/latest")
        try:
            scope = cls.parse(path)
        except InvalidScope:
            raise InvalidScope(f"feed key {key!r} names no feed scope") from None
        if not fmt or scope.feed_key(fmt) != key:
            raise InvalidScope(f"feed key {key!r} names no feed scope")
        return scope, fmt

    def __str__(self) -> str:
        return self.key

    def __lt__(self, other: FeedScope) -> bool:
        # Scopes sort as their stored strings do.
        return self.key < other.key


def _scope_problem(kind: str, slug: str, year: int, month: int) -> str:
    """What is wrong with these parts as a scope ("" when nothing)."""
    if kind in ("latest", "corrections", "withdrawals"):
        return f"the {kind} feed has no slug, year or month" if slug or year or month else ""
    if kind == "archive":
        if slug or not (1 <= year <= 9999 and 1 <= month <= 12):
            return "an archive month needs a year 0001-9999 and a month 01-12, and no slug"
        return ""
    if kind not in SUBJECT_KINDS:
        return f"kind {kind!r} is not one of latest, {', '.join(SUBJECT_KINDS)} or archive"
    if year or month:
        return f"a {SUBJECT_KINDS[kind]} feed has no year or month"
    if not (isinstance(slug, str) and SCOPE_SLUG.fullmatch(slug)) or set(slug) == {"."}:
        return f"slug {slug!r} is not a slug (letters, digits, '-', '.', '_' or '~', not only dots)"
    if len(slug) > MAX_SLUG_LENGTH:
        return f"slug is {len(slug)} characters long, more than {MAX_SLUG_LENGTH}"
    return ""


# The site feed: every public story.
LATEST = FeedScope("latest")
# The site's corrections: one entry per correction to a public story, newest first.
CORRECTIONS = FeedScope("corrections")
# The site's withdrawals: one entry per story that was published and is not now, newest first.
WITHDRAWALS = FeedScope("withdrawals")


def scopes_of(story: Story, local_date: str | None) -> set[FeedScope]:
    """Every feed scope a story appears in (or leaves a tombstone in), given its local date."""
    if story.published_at is None or local_date is None or not is_public(story):
        return set()
    scopes = {LATEST, FeedScope.for_local_date(local_date)}
    if story.section_slug:
        scopes.add(FeedScope.of("sections", story.section_slug))
    scopes |= {FeedScope.of("tags", slug) for slug in story.tag_slugs}
    scopes |= {FeedScope.of("authors", author.slug) for author in story.authors if author.slug}
    return scopes


def record_changes(db: sqlite_utils.Database, scopes: Iterable[FeedScope], now: datetime) -> None:
    """Queue scopes for rebuilding. Call inside the write's own transaction; inside
    `gathered_changes` they are only gathered, and queued once when it ends."""
    gathering = _GATHERING.get()
    if gathering is not None and gathering[0] is db.conn:
        gathered = gathering[1]
        for scope in scopes:
            gathered[scope] = max(now, gathered.get(scope, now))
        return
    _queue(db, dict.fromkeys(scopes, now))


# The scopes an open `gathered_changes` has gathered, with the connection they were written on
# and the latest time each changed.
_GATHERING: ContextVar[tuple[object, dict[FeedScope, datetime]] | None] = ContextVar(
    "gathered_feed_changes", default=None
)


@contextmanager
def gathered_changes(db: sqlite_utils.Database) -> Iterator[None]:
    """Writes inside queue their feed scopes once, at the end, as one write (a batch of
    imported stories touches the same few feeds again and again). Use inside the writes' own
    transaction: when the block raises, nothing is queued, as the transaction rolls back."""
    if (outer := _GATHERING.get()) is not None and outer[0] is db.conn:
        yield  # an outer gathering queues them
        return
    gathered: dict[FeedScope, datetime] = {}
    token = _GATHERING.set((db.conn, gathered))
    try:
        yield
    finally:
        _GATHERING.reset(token)
    _queue(db, gathered)


def _queue(db: sqlite_utils.Database, changed: dict[FeedScope, datetime]) -> None:
    db.conn.executemany(
        "INSERT INTO feed_changes (scope, changed_at) VALUES (?, ?)",
        [(scope.key, to_text(changed[scope])) for scope in sorted(changed)],
    )


def pending_changes(db: sqlite_utils.Database) -> tuple[int, set[FeedScope]]:
    """The newest queued change id and every scope queued up to it (0 and empty when none).

    A queued string that names no feed (a damaged row) is logged and dropped from the queue:
    one bad row never stops the rebuild of the others.
    """
    rows = db.execute("SELECT id, scope FROM feed_changes ORDER BY id").fetchall()
    scopes, bad = set(), []
    for row_id, text in rows:
        try:
            scopes.add(FeedScope.parse(text))
        except InvalidScope as error:
            log.error("feed queue row %s dropped: %s", row_id, error)
            bad.append(row_id)
    if bad:
        with write_transaction(db):
            db.conn.executemany("DELETE FROM feed_changes WHERE id = ?", [(i,) for i in bad])
    return (rows[-1][0] if rows else 0), scopes


def clear_changes(
    db: sqlite_utils.Database, up_to: int, scopes: Iterable[FeedScope] | None = None
) -> None:
    """Forget queued changes up to id `up_to` (of `scopes` only, when given) once rebuilt.

    A scope left out stays queued: a feed that failed is tried again next run, alone.
    """
    if scopes is None:
        with write_transaction(db):
            db.execute("DELETE FROM feed_changes WHERE id <= ?", [up_to])
        return
    keys = sorted({scope.key for scope in scopes})
    for start in range(0, len(keys), SCOPES_PER_STATEMENT):
        chunk = keys[start : start + SCOPES_PER_STATEMENT]
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
    scope: FeedScope,
    *,
    now: datetime,
    built: bool,
    error: str = "",
    story_ids: Iterable[int] = (),
) -> bool:
    """Note how a scope's build went; True when that is news (it was not failing so before)."""
    before = db.execute(
        "SELECT error, story_ids FROM feed_builds WHERE scope = ?", [scope.key]
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
                "scope": scope.key,
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


def all_scopes(db: sqlite_utils.Database) -> list[FeedScope]:
    """Every scope of a live story, and every archive month that has or had a published
    story: the feeds a full rebuild makes (with the scopes of tombstones: archive.db.public)."""
    seen = LIVE
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
        f"SELECT DISTINCT substr(local_date, 1, 7) FROM stories WHERE {PUBLIC} "
        "AND local_date IS NOT NULL"
    ).fetchall()
    texts = [
        *(f"sections/{slug}" for (slug,) in sorted(sections)),
        *(f"tags/{slug}" for (slug,) in sorted(tags)),
        *(f"authors/{slug}" for (slug,) in sorted(authors)),
        *(f"archive/{month[:4]}/{month[5:7]}" for (month,) in sorted(months)),
    ]
    return [LATEST, CORRECTIONS, WITHDRAWALS, *_parsed(texts)]


def _parsed(texts: Iterable[str]) -> Iterator[FeedScope]:
    """The scopes these strings name; one that names none (a damaged row) is logged, skipped."""
    for text in texts:
        try:
            yield FeedScope.parse(text)
        except InvalidScope as error:
            log.error("no feed for %s", error)


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
        db.table("renditions").upsert(row, pk="key")
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
