"""Reads: stories by id and permalink, latest, date ranges, sections, tags, authors, search.

Parameterised SQL only; nothing here writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import cast, overload

import sqlite_utils

from archive.errors import StoryMoved, StoryNotFound, StoryWithdrawn
from archive.story.models import (
    STATUSES,
    Author,
    Media,
    PublishedStory,
    Publisher,
    Rights,
    SavedStory,
    Source,
    saved_story,
)
from archive.story.visibility import (
    LIVE,
    PUBLIC,
    PUBLIC_REVISION,
    SYNDICATED,
    TOMBSTONE,
    TOMBSTONE_STATUS,
    is_tombstone,
)


def to_text(moment: datetime | None) -> str | None:
    """How the archive stores a time: UTC ISO 8601 to the second, so text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


@overload
def from_text(text: str) -> datetime: ...
@overload
def from_text(text: None) -> None: ...
@overload
def from_text(text: str | None) -> datetime | None: ...
def from_text(text: str | None) -> datetime | None:
    """A stored ISO 8601 time as a datetime (None stays None): the inverse of to_text."""
    return datetime.fromisoformat(text) if text else None


def rows_of(db: sqlite_utils.Database, sql: str, params: Iterable = ()) -> Iterator[dict]:
    """The rows of a query as dicts, straight from the connection (what sqlite-utils' `query`
    gives, without its reading of the SQL on every call: the story reads run it often)."""
    cursor = db.conn.execute(sql, tuple(params))
    keys = [column[0] for column in cursor.description]
    return (dict(zip(keys, row, strict=True)) for row in cursor)


def stories_from_rows(db: sqlite_utils.Database, rows: Iterable[dict]) -> list[SavedStory]:
    """Stories with their authors, tags, media and sources, in the rows' order (4 queries)."""
    rows = list(rows)
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    marks = ",".join("?" * len(ids))
    children = {
        "authors": rows_of(
            db,
            f"""SELECT sa.story_id, a.name, a.slug, sa.url, sa.kind FROM story_authors sa
                JOIN authors a ON a.slug = sa.author_slug
                WHERE sa.story_id IN ({marks}) ORDER BY sa.story_id, sa.position""",
            ids,
        ),
        "tags": rows_of(
            db,
            f"SELECT story_id, tag, tag_slug FROM story_tags WHERE story_id IN ({marks}) "
            "ORDER BY story_id, position",
            ids,
        ),
        "media": rows_of(
            db, f"SELECT * FROM media WHERE story_id IN ({marks}) ORDER BY story_id, position", ids
        ),
        "sources": rows_of(
            db,
            f"SELECT * FROM sources WHERE story_id IN ({marks}) ORDER BY story_id, position",
            ids,
        ),
    }
    grouped: dict[str, dict[int, list]] = {key: {} for key in children}
    for key, found in children.items():
        for child in found:
            grouped[key].setdefault(child["story_id"], []).append(child)
    return [_story(row, {key: grouped[key].get(row["id"], []) for key in grouped}) for row in rows]


def _story(row: dict, children: dict[str, list[dict]]) -> SavedStory:
    publisher = (
        Publisher(row["publisher_name"], row["publisher_url"]) if row["publisher_name"] else None
    )
    has_rights = row["rights_holder"] or row["rights_statement"] or row["rights_license_url"]
    rights = (
        Rights(
            row["rights_holder"] or "",
            row["rights_statement"] or "",
            row["rights_license_url"],
            # The attribution a licence asks for (migration m010):
            row["rights_attribution"] or "",
        )
        if has_rights
        else None
    )
    return saved_story(
        id=row["id"],
        entry_id=row["entry_id"],
        path=row["path"],
        slug=row["slug"],
        title=row["title"],
        dek=row["dek"],
        summary=row["summary"],
        body_html=row["body_html"],
        body_text=row["body_text"],
        language=row["language"],
        section=row["section"],
        section_slug=row["section_slug"],
        tags=tuple(t["tag"] for t in children["tags"]),
        tag_slugs=tuple(t["tag_slug"] for t in children["tags"]),
        authors=tuple(
            Author(a["name"], a["slug"], a["url"], a["kind"]) for a in children["authors"]
        ),
        media=tuple(
            Media(
                m["url"],
                m["caption"],
                m["credit"],
                m["copyright"],
                m["alt"],
                m["mime_type"],
                # Its size in pixels (migration m009):
                m["width"],
                m["height"],
            )
            for m in children["media"]
        ),
        sources=tuple(Source(s["name"], s["role"]) for s in children["sources"]),
        publisher=publisher,
        # Origin of syndicated copy (migration m008):
        original_url=row["original_url"],
        canonical_is_original=bool(row["canonical_is_original"]),
        rights=rights,
        syndication=row["syndication"],
        status=row["status"],
        was_published=bool(row["was_published"]),
        embargo_at=from_text(row["embargo_at"]),
        published_at=from_text(row["published_at"]),
        updated_at=from_text(row["updated_at"]),
        revision=row["revision"],
        origin=row["origin"],
        withdrawn_at=from_text(row["withdrawn_at"]),
        withdrawn_reason=row["withdrawn_reason"],
        dateline=row["dateline"],
        published_offset=row["published_offset"],
    )


def _select(
    db: sqlite_utils.Database, where: str, params: Iterable = (), *, tail: str = ""
) -> list[SavedStory]:
    return stories_from_rows(db, rows_of(db, f"SELECT * FROM stories WHERE {where} {tail}", params))


def published(stories: list[SavedStory]) -> list[PublishedStory]:
    """Stories read under LIVE (archive.story.visibility), as the published stories they are.
    Raises ValueError for one without a permalink or publication time: the archive sets both
    at first publication (archive.db.store), so that would be a damaged row."""
    for story in stories:
        if not isinstance(story, PublishedStory):
            raise ValueError(f"story {story.id} is live but has no permalink or publication time")
    return cast(list[PublishedStory], stories)


def get_story(db: sqlite_utils.Database, story_id: int) -> SavedStory:
    """The story with this id, whatever its status. Raises StoryNotFound."""
    found = _select(db, "id = ?", [story_id])
    if not found:
        raise StoryNotFound(f"no story has id {story_id}")
    return found[0]


def find_by_origin(db: sqlite_utils.Database, origin: str) -> SavedStory | None:
    """The story imported from `origin` (a file), if any."""
    found = _select(db, "origin = ?", [origin])
    return found[0] if found else None


def revision_from(db: sqlite_utils.Database, origin: str) -> int | None:
    """The revision of the story imported from `origin`, if any."""
    row = db.execute("SELECT revision FROM stories WHERE origin = ?", [origin]).fetchone()
    return row[0] if row else None


def story_at(db: sqlite_utils.Database, path: str) -> PublishedStory:
    """The published story at a permalink path such as /2014/02/24/slug/.

    Raises StoryMoved (an old permalink), StoryWithdrawn (a tombstone) or StoryNotFound.
    """
    found = _select(db, f"path = ? AND {PUBLIC}", [path])
    if found and is_tombstone(found[0]):
        raise StoryWithdrawn(found[0])  # archive.db.public makes its face
    if found and found[0].is_published:
        return published(found)[0]
    if not found:
        moved = db.execute(
            f"""SELECT stories.path FROM redirects JOIN stories ON stories.id = redirects.story_id
               WHERE redirects.path = ? AND stories.path IS NOT NULL AND {PUBLIC}""",
            [path],
        ).fetchone()
        if moved:
            raise StoryMoved(moved[0])
    raise StoryNotFound(f"no published story at {path}")


def latest(
    db: sqlite_utils.Database,
    *,
    limit: int = 50,
    offset: int = 0,
    section: str | None = None,
    tag: str | None = None,
    author: str | None = None,
    syndicated: bool = False,
) -> list[PublishedStory]:
    """Published stories, newest first, site-wide or for one section, tag or author slug.

    `syndicated` leaves out stories whose syndication policy is `none` (for feeds).
    """
    where, params = scope_filter(section=section, tag=tag, author=author)
    where.insert(0, LIVE)
    if syndicated:
        where.append(SYNDICATED)
    return published(
        _select(
            db,
            " AND ".join(where),
            [*params, limit, offset],
            tail="ORDER BY published_at DESC, id DESC LIMIT ? OFFSET ?",
        )
    )


def scope_filter(
    *, section: str | None = None, tag: str | None = None, author: str | None = None
) -> tuple[list[str], list[str]]:
    """SQL conditions (on `stories`, qualified so joins can use them) for a section, tag or
    author slug, with their parameters."""
    where, params = [], []
    if section:
        where.append("stories.section_slug = ?")
        params.append(section)
    if tag:
        where.append("stories.id IN (SELECT story_id FROM story_tags WHERE tag_slug = ?)")
        params.append(tag)
    if author:
        where.append("stories.id IN (SELECT story_id FROM story_authors WHERE author_slug = ?)")
        params.append(author)
    return where, params


def between(
    db: sqlite_utils.Database,
    first_day: str,
    last_day: str,
    *,
    limit: int = 500,
    offset: int = 0,
    syndicated: bool = False,
) -> list[PublishedStory]:
    """Published stories whose local publication date is in [first_day, last_day] (YYYY-MM-DD).

    A negative limit means no limit; `syndicated` leaves out policy `none` (for feeds).
    """
    where = f"{LIVE} AND local_date BETWEEN ? AND ?"
    if syndicated:
        where += f" AND {SYNDICATED}"
    return published(
        _select(
            db,
            where,
            [first_day, last_day, limit, offset],
            # The same order as published_at DESC (a local date follows its time), in index order.
            tail="ORDER BY local_date DESC, published_at DESC, id DESC LIMIT ? OFFSET ?",
        )
    )


def public_revision_times(db: sqlite_utils.Database, story_id: int) -> list[tuple[int, datetime]]:
    """(revision, saved_at) of each revision saved while the story was published, oldest first,
    without reading the snapshots into Python (the Memento list of a story)."""
    rows = db.execute(
        f"""SELECT revision, saved_at FROM revisions
            WHERE story_id = ? AND {PUBLIC_REVISION} ORDER BY revision""",
        [story_id],
    ).fetchall()
    return [(number, from_text(saved_at)) for number, saved_at in rows]


def revision_saved_at(db: sqlite_utils.Database, story_id: int, number: int) -> datetime:
    """When a revision of a story was saved. Raises StoryNotFound when there is no such one."""
    row = db.execute(
        "SELECT saved_at FROM revisions WHERE story_id = ? AND revision = ?", [story_id, number]
    ).fetchone()
    if row is None:
        raise StoryNotFound(f"story {story_id} has no revision {number}")
    return from_text(row[0])


def revisions(db: sqlite_utils.Database, story_id: int) -> list[dict]:
    """Every revision of a story, oldest first: revision, action, saved_at and the snapshot."""
    return [
        {**row, "saved_at": from_text(row["saved_at"]), "snapshot": json.loads(row["snapshot"])}
        for row in db.query(
            "SELECT * FROM revisions WHERE story_id = ? ORDER BY revision", [story_id]
        )
    ]


def all_stories(
    db: sqlite_utils.Database, *, include_unpublished: bool = False, batch: int = 500
) -> Iterator[SavedStory]:
    """Every public story (live and tombstones), or every story, in id order, a batch at a time."""
    where = "1 = 1" if include_unpublished else PUBLIC
    last = 0
    while True:
        found = _select(db, f"{where} AND id > ?", [last, batch], tail="ORDER BY id LIMIT ?")
        yield from found
        if len(found) < batch:
            return
        last = found[-1].id


def count_stories(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT count(*) FROM stories").fetchone()[0]


def generation(db: sqlite_utils.Database) -> int:
    """A number that grows with every write to any story (each write records a revision), so
    whatever was made from the archive at one generation still holds while it is the same."""
    return db.execute("SELECT coalesce(max(rowid), 0) FROM revisions").fetchone()[0]


def due_for_publication(db: sqlite_utils.Database, now: datetime) -> list[SavedStory]:
    """Scheduled stories whose embargo has passed at `now`."""
    return _select(
        db, "status = 'scheduled' AND embargo_at <= ?", [to_text(now)], tail="ORDER BY embargo_at"
    )


def changed_stories(
    db: sqlite_utils.Database,
    *,
    after: int = 0,
    since: datetime | None = None,
    statuses: Iterable[str] = STATUSES,
    section: str | None = None,
    tag: str | None = None,
    author: str | None = None,
    limit: int = 50,
    public_only: bool = False,
) -> list[tuple[int, SavedStory]]:
    """(change number, story) pairs in the order stories last changed, oldest change first.

    `public_only` keeps the stories the public may see (archive.story.visibility).

    A change number is the rowid of a story's latest revision: revisions are only appended,
    one writer at a time, so the numbers follow commit order and `after=` resumes exactly.
    `since` keeps stories with a revision saved at or after that time. Revisions are walked
    in rowid order from the cursor, keeping those that are their story's current revision,
    until the page is full: a page costs about its own size, however big the archive.
    """
    if since is not None:
        first = db.execute(
            "SELECT min(rowid) FROM revisions WHERE saved_at >= ?", [to_text(since)]
        ).fetchone()[0]
        if first is None:
            return []
        after = max(after, first - 1)
    statuses = list(statuses)
    where, scope_params = scope_filter(section=section, tag=tag, author=author)
    marks = ",".join("?" * len(statuses))
    if public_only:
        # As the public sees them: a story no longer live is a tombstone, whose section, tag
        # and author are its last published revision's (archive.db.public filters those).
        shown = f"CASE WHEN {LIVE} THEN 'published' ELSE '{TOMBSTONE_STATUS}' END"
        scoped = " AND ".join([LIVE, *where]) if where else LIVE
        where = [f"{shown} IN ({marks})", PUBLIC, f"(({scoped}) OR ({TOMBSTONE}))"]
    else:
        where.insert(0, f"stories.status IN ({marks})")
    params: list = [after, *statuses, *scope_params]
    rows = list(
        db.query(
            f"""SELECT stories.*, revisions.rowid AS change_seq FROM revisions NOT INDEXED
                JOIN stories ON stories.id = revisions.story_id
                    AND stories.revision = revisions.revision
                WHERE revisions.rowid > ? AND {" AND ".join(where)}
                ORDER BY revisions.rowid LIMIT ?""",
            [*params, limit],
        )
    )
    return list(zip((row["change_seq"] for row in rows), stories_from_rows(db, rows), strict=True))


def idempotency_keys(db: sqlite_utils.Database) -> dict[int, list[dict]]:
    """Every API idempotency key by the story it created: key, digest, created_at (text)."""
    found: dict[int, list[dict]] = {}
    rows = db.query(
        "SELECT key, digest, story_id, created_at FROM api_idempotency ORDER BY created_at, key"
    )
    for row in rows:
        story_id = row.pop("story_id")
        found.setdefault(story_id, []).append(row)
    return found


def idempotent_request(db: sqlite_utils.Database, key: str) -> dict | None:
    """The request an idempotency key was first used for: digest, story_id, created_at."""
    rows = list(db.query("SELECT * FROM api_idempotency WHERE key = ?", [key]))
    return rows[0] if rows else None
