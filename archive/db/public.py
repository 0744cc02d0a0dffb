"""What the public sees of stories read from the archive: each story through the one rule
(archive.story.visibility), a story that is no longer live as the tombstone of its last published
revision. Every public read of a story that may be a tombstone goes through here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime

import sqlite_utils

from archive.db import calendar, queries, renditions
from archive.db import names as name_store
from archive.db.history import snapshot_story
from archive.db.queries import from_text, to_text
from archive.errors import StoryWithdrawn
from archive.story.clock import Clock
from archive.story.models import STATUSES, PublishedStory, SavedStory, Story, as_saved
from archive.story.visibility import PUBLIC_REVISION, TOMBSTONE, is_tombstone, tombstone


def face(db: sqlite_utils.Database, story: SavedStory) -> SavedStory:
    """The story as the public sees it: itself while live, else its tombstone (made from its
    last published revision; see archive.story.visibility). Call only for a public story."""
    if not is_tombstone(story):
        return story
    row = db.execute(
        f"""SELECT revision, snapshot FROM revisions WHERE story_id = ? AND {PUBLIC_REVISION}
            ORDER BY revision DESC LIMIT 1""",
        [story.id],
    ).fetchone()
    if row is None:
        # Restored without its history. A withdrawn row is its own tombstone (a public export's);
        # a draft's row is the editor's, so only its identity, address and dates are shown.
        if story.is_withdrawn:
            return tombstone(story, story, story.withdrawn_at)
        public_slug = story.path.rstrip("/").rsplit("/", 1)[-1] if story.path else story.slug
        unknown = story.replace(
            slug=public_slug,
            title="",
            section="",
            section_slug="",
            tags=(),
            tag_slugs=(),
            authors=(),
            publisher=None,
            original_url=None,
        )
        return tombstone(story, unknown, story.updated_at)
    # Its text is not read: a tombstone has none.
    snapshot = {**json.loads(row[1]), "body": "", "body_text": ""}
    published = snapshot_story(snapshot, lambda kind, name: name_store.slug_of(db, kind, name))
    left = db.execute(
        "SELECT min(saved_at) FROM revisions WHERE story_id = ? AND revision > ?",
        [story.id, row[0]],
    ).fetchone()[0]
    return tombstone(story, published, from_text(left))


def faces(db: sqlite_utils.Database, stories: Iterable[SavedStory]) -> list[SavedStory]:
    return [face(db, story) for story in stories]


def story_at(db: sqlite_utils.Database, path: str) -> PublishedStory:
    """The live story at a permalink path. Raises StoryMoved, StoryNotFound, or StoryWithdrawn
    carrying the tombstone (never the story as it is now)."""
    try:
        return queries.story_at(db, path)
    except StoryWithdrawn as gone:
        raise StoryWithdrawn(face(db, gone.story)) from None


def withdrawn_since(
    db: sqlite_utils.Database,
    since: datetime,
    *,
    section: str | None = None,
    tag: str | None = None,
    author: str | None = None,
) -> list[SavedStory]:
    """Tombstones of stories that left publication at or after `since`, newest first, of one
    section, tag or author slug as their last published revision had it (RFC 6721)."""
    # Every story that left since then has a withdrawal or a revision saved since: the rows
    # read are a few; which of them left, and where they were, their faces say.
    rows = queries.rows_of(
        db,
        f"""SELECT * FROM stories WHERE {TOMBSTONE} AND (withdrawn_at >= ? OR EXISTS
            (SELECT 1 FROM revisions WHERE revisions.story_id = stories.id
             AND revisions.saved_at >= ?))""",
        [to_text(since)] * 2,
    )
    found = [
        gone
        for gone in faces(db, queries.stories_from_rows(db, rows))
        # A tombstone says when it left (archive.story.visibility.tombstone).
        if gone.withdrawn_at is not None
        and gone.withdrawn_at >= since
        and is_in_scope(gone, section, tag, author)
    ]
    return sorted(found, key=lambda gone: (gone.withdrawn_at, gone.id), reverse=True)


def tombstones_between(
    db: sqlite_utils.Database, first_day: str, last_day: str
) -> list[SavedStory]:
    """Tombstones of the stories first published between two local dates (YYYY-MM-DD), as
    their permalinks date them, newest first."""
    rows = queries.rows_of(
        db,
        f"""SELECT * FROM stories WHERE {TOMBSTONE} AND local_date BETWEEN ? AND ?
            ORDER BY local_date DESC, published_at DESC, id DESC""",
        [first_day, last_day],
    )
    return faces(db, queries.stories_from_rows(db, rows))


def is_in_scope(story: Story, section: str | None, tag: str | None, author: str | None) -> bool:
    """Whether a story has this section, tag and author slug (each when given)."""
    return (
        (not section or story.section_slug == section)
        and (not tag or tag in story.tag_slugs)
        and (not author or author in {a.slug for a in story.authors})
    )


def all_stories(
    db: sqlite_utils.Database, *, include_unpublished: bool = False, batch: int = 500
) -> Iterator[SavedStory]:
    """Every public story (live, and tombstones as tombstones) in id order; or, with
    `include_unpublished`, every story as it is stored (a complete backup)."""
    stories = queries.all_stories(db, include_unpublished=include_unpublished, batch=batch)
    if include_unpublished:
        yield from stories
        return
    for story in stories:
        yield face(db, story)


def changes(
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
    """queries.changed_stories; with `public_only`, each story as the public sees it, and a
    tombstone kept only when its face is of the section, tag and author asked for."""
    found = queries.changed_stories(
        db,
        after=after,
        since=since,
        statuses=statuses,
        section=section,
        tag=tag,
        author=author,
        limit=limit,
        public_only=public_only,
    )
    if not public_only:
        return list(found)
    scope = [section, tag, author]
    shown = [(number, face(db, story)) for number, story in found]
    return [(number, story) for number, story in shown if is_in_scope(story, *scope)]


def scopes_of(db: sqlite_utils.Database, clock: Clock, story: Story | None) -> set:
    """Every feed scope the story is in as the public sees it (none when it was never public)."""
    if story is None or story.published_at is None:
        return set()
    shown = face(db, as_saved(story)) if is_tombstone(story) else story
    if shown.published_at is None:
        return set()
    found = renditions.scopes_of(shown, clock.local_date(shown.published_at))
    if found and is_tombstone(story):
        found.add(renditions.WITHDRAWALS)  # it left, or leaves now
    return found


def tombstone_scopes(db: sqlite_utils.Database) -> set:
    """The section, tag and author scopes of every tombstone, as its face has them."""
    rows = queries.rows_of(db, f"SELECT * FROM stories WHERE {TOMBSTONE}")
    found: set = set()
    for gone in faces(db, queries.stories_from_rows(db, rows)):
        found |= {s for s in renditions.scopes_of(gone, "0001-01-01") if s.kind != "archive"}
    return found


def withdrawals(db: sqlite_utils.Database, *, limit: int) -> list[SavedStory]:
    """The newest `limit` tombstones by when each story left publication, newest first."""
    rows = queries.rows_of(db, f"SELECT * FROM stories WHERE {TOMBSTONE}")
    found = faces(db, queries.stories_from_rows(db, rows))
    return sorted(found, key=lambda gone: (gone.withdrawn_at, gone.id), reverse=True)[:limit]


def month_neighbours(
    db: sqlite_utils.Database, first_day: str, last_day: str
) -> tuple[str | None, str | None]:
    """The nearest local dates outside [first_day, last_day] of a story in the RFC 5005
    archive: a live story that goes into feeds, or a tombstone (dated by its permalink)."""
    live = calendar.neighbours(db, first_day, last_day, syndicated=True)
    gone = TOMBSTONE
    before = db.execute(
        f"SELECT max(local_date) FROM stories WHERE {gone} AND local_date < ?", [first_day]
    ).fetchone()[0]
    after = db.execute(
        f"SELECT min(local_date) FROM stories WHERE {gone} AND local_date > ?", [last_day]
    ).fetchone()[0]
    befores = [day for day in (live.before, before) if day]
    afters = [day for day in (live.after, after) if day]
    return max(befores, default=None), min(afters, default=None)
