"""Writes: save, withdraw and publish stories; the only module that writes stories.

Every write is one transaction that also stores a revision snapshot; validation runs first.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar, overload

import sqlite_utils

from archive.db import names as name_store
from archive.db import public, queries, renditions
from archive.db.queries import to_text
from archive.db.transaction import write_transaction
from archive.errors import (
    ArchiveError,
    DuplicateRequest,
    FieldProblem,
    InvalidStory,
    RevisionConflict,
    SlugConflict,
    StoryNotFound,
)
from archive.story import html, names
from archive.story.attribution import with_licence
from archive.story.clock import Clock
from archive.story.fields import REASON
from archive.story.models import (
    ChangeNote,
    SavedStory,
    Story,
    change_problems,
    field_problems,
    validate,
    with_language,
)
from archive.story.shape import story_to_dict
from archive.story.visibility import is_live, is_public

# A story of any class (Story, SavedStory, PublishedStory): writes keep the class they were given.
StoryT = TypeVar("StoryT", bound=Story)


@overload
def _second(moment: datetime) -> datetime: ...
@overload
def _second(moment: None) -> None: ...
@overload
def _second(moment: datetime | None) -> datetime | None: ...
def _second(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC).replace(microsecond=0) if moment else None


@dataclass(frozen=True)
class Checked:
    """A story through the gate (every field checked, the body cleaned), with the change note
    checked alongside: what save_story makes first of every story. Made by `check` alone,
    ahead of the save when that is worth it (an import checks on other processors while this
    one writes)."""

    story: Story
    change: ChangeNote | None = None


def check(story: Story, change: ChangeNote | None = None, *, language: str = "en") -> Checked:
    """The story through the gate, in `language` when it states none. Raises InvalidStory
    naming every problem of both."""
    story = with_language(story, language)
    # The gate runs on what was sent, before any HTML parser reads the body.
    # A licence's licensor and attribution are filled once here, whatever the way in.
    return Checked(with_licence(_with_clean_body(_validated(story, change))), change)


def save_story(
    db: sqlite_utils.Database,
    story: Story | Checked,
    *,
    clock: Clock,
    now: datetime,
    expected_revision: int | None = None,
    idempotency: tuple[str, str] | None = None,
    change: ChangeNote | None = None,
    language: str = "en",
) -> SavedStory:
    """Create or update a story (matched by id, else by origin) and write a revision.

    `story` goes through the gate (`check`, in `language` when it states none) first, unless it
    comes Checked; a Checked story carries its change note. Saving what is already stored
    changes nothing and returns the stored story (a change note sent with no change is not
    recorded: it would describe nothing).
    `change`: what kind of change this is, with a note for readers (ChangeNote); an edit
    without a kind is an `update`. A `minor` edit keeps the story's updated time, so feeds do
    not announce it again.
    `expected_revision`: the update applies only if the stored story is still at that revision,
    checked inside the write transaction. `idempotency`: (key, request digest) recorded with a
    new story in the same transaction.
    Raises InvalidStory, SlugConflict, StoryNotFound (an id that does not exist),
    RevisionConflict or DuplicateRequest (the key was used already).
    """
    checked = story if isinstance(story, Checked) else check(story, change, language=language)
    story, change = checked.story, checked.change
    now = _second(now)
    existing: SavedStory | None
    if story.id is not None:
        existing = queries.get_story(db, story.id)
    else:
        existing = queries.find_by_origin(db, story.origin) if story.origin else None
    if existing is not None and expected_revision is not None:
        _check_revision(existing, expected_revision)
    change = _change_of(change, existing)
    story = _settle(story, existing, now=now, change=change)
    if existing is not None and _content(story) == _content(existing):
        return existing
    with write_transaction(db):
        before: set = set()
        if existing is not None:
            # What was read before the transaction is still what is stored: another writer
            # (the API, the scheduler) cannot slip in between, whoever the caller is.
            _claim_revision(db, existing.id, existing.revision)
            before = public.scopes_of(db, clock, existing)
            story_id = existing.id
        else:
            if idempotency is not None:
                # Under the write lock: a retry that lost the race is told so before any check
                # of its slug (the winner's story holds it now).
                _check_request_unused(db, idempotency[0])
            story_id = _next_id(db)
            story = story.replace(id=story_id)
        if not story.slug:
            story = story.replace(slug=_free_slug(db, story, clock=clock, now=now))
        if story.status == "published":
            # First publication: the story becomes public and gets its permanent ids.
            story = story.replace(
                was_published=True,
                # Published means dated: _settle gave it its publication time.
                entry_id=story.entry_id or clock.entry_id(story_id, story.published_at or now),
            )
        if is_live(story):
            # The permalink follows the story only while it is published: one taken out of
            # publication keeps the one it last had in public (archive.story.visibility).
            story = story.replace(path=clock.path(story))
        _check_path(db, story)
        story = story.replace(revision=(existing.revision if existing else 0) + 1)
        story = _write(db, story, clock, is_new=existing is None)
        if existing is None and idempotency is not None:
            _remember_request(db, idempotency, story_id=story_id, now=now)
        if existing is not None and existing.path and existing.path != story.path:
            db.execute(
                "INSERT OR REPLACE INTO redirects (path, story_id) VALUES (?, ?)",
                [existing.path, story_id],
            )
        action = "create" if existing is None else "update"
        _record_revision(db, story, action, now, change)
        renditions.record_changes(db, before | public.scopes_of(db, clock, story), now)
        if is_public(story) and _has_corrections(db, story_id):
            # A new correction, or a corrected story's new title or address.
            renditions.record_changes(db, {renditions.CORRECTIONS}, now)
    return queries.get_story(db, story_id)


def _has_corrections(db: sqlite_utils.Database, story_id: int) -> bool:
    """Whether any revision of the story is a correction (so it is in the corrections feed)."""
    found = db.execute(
        "SELECT 1 FROM revisions WHERE story_id = ? AND change_kind = 'correction' LIMIT 1",
        [story_id],
    )
    return found.fetchone() is not None


def _validated(story: Story, change: ChangeNote | None) -> Story:
    """The story through the gate, with its change note checked alongside (every problem
    of both listed at once)."""
    found = change_problems(change) if change is not None else []
    try:
        story = validate(story)
    except InvalidStory as error:
        if found:
            raise InvalidStory([*error.found, *found], story=error.story) from None
        raise
    if found:
        raise InvalidStory(found, story=story.slug or story.title or None)
    return story


def _change_of(change: ChangeNote | None, existing: Story | None) -> ChangeNote:
    """The change a write makes: as sent; an edit without a kind is an update. A new story
    has no earlier version, so no kind (its note, if any, is kept with revision 1)."""
    change = change or ChangeNote()
    kind = None if existing is None else change.kind or "update"
    return ChangeNote(kind, change.note.strip(), change.is_import)


def _check_revision(existing: SavedStory, expected: int) -> None:
    if existing.revision != expected:
        raise RevisionConflict(existing.id, expected=expected, actual=existing.revision)


def _claim_revision(db: sqlite_utils.Database, story_id: int, expected: int) -> None:
    """Inside a write transaction (which holds the write lock), the story is still `expected`."""
    row = db.execute("SELECT revision FROM stories WHERE id = ?", [story_id]).fetchone()
    if row is None or row[0] != expected:
        raise RevisionConflict(story_id, expected=expected, actual=row[0] if row else 0)


def _next_id(db: sqlite_utils.Database) -> int:
    """The id SQLite's AUTOINCREMENT would give the next story (never one a story had).

    Taken inside the write transaction, it is the new story's until the transaction ends; the
    row is then inserted whole, once, rather than inserted empty and updated (each write to
    the stories table also writes both full-text indexes and every index of the table).
    """
    row = db.conn.execute(
        """SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'stories'), 0),
                      coalesce((SELECT max(id) FROM stories), 0)) + 1"""
    ).fetchone()
    return row[0]


def _check_request_unused(db: sqlite_utils.Database, key: str) -> None:
    first = queries.idempotent_request(db, key)
    if first is not None:
        raise DuplicateRequest(key, story_id=first["story_id"], digest=first["digest"])


def _remember_request(
    db: sqlite_utils.Database, idempotency: tuple[str, str], *, story_id: int, now: datetime
) -> None:
    key, digest = idempotency
    try:
        db.execute(
            "INSERT INTO api_idempotency (key, digest, story_id, created_at) VALUES (?, ?, ?, ?)",
            [key, digest, story_id, to_text(now)],
        )
    except sqlite3.IntegrityError:
        # Another request with this key won the race; the caller's transaction rolls back.
        first = queries.idempotent_request(db, key)
        assert first is not None  # the row that refused this one
        raise DuplicateRequest(key, story_id=first["story_id"], digest=first["digest"]) from None


def _with_clean_body(story: Story) -> Story:
    body = html.sanitise(story.body_html)
    return story.replace(body_html=body, body_text=html.to_text(body))


def _settle(
    story: Story, existing: Story | None, *, now: datetime, change: ChangeNote | None = None
) -> Story:
    """Fill what the archive decides: identity, publication time, updated time."""
    change = change or ChangeNote()
    if existing is not None:
        story = story.replace(
            id=existing.id,
            entry_id=existing.entry_id,
            path=existing.path,
            revision=existing.revision,
            # A public story keeps its permalink unless the editor names another slug; until
            # then the slug follows the title.
            slug=story.slug or (existing.slug if existing.was_published else ""),
            was_published=existing.was_published,
            origin=story.origin or existing.origin,
            withdrawn_at=existing.withdrawn_at,
            withdrawn_reason=existing.withdrawn_reason,
        )
        if existing.is_withdrawn and story.status != "withdrawn":
            raise InvalidStory(
                [
                    FieldProblem.at(
                        ("status",),
                        "status: a withdrawn story stays withdrawn (its tombstone is permanent)",
                    )
                ],
                story=existing.slug,
            )
        # First publication is a fact: an edit never moves it unless the editor says so.
        if story.published_at is None:
            story = story.replace(published_at=existing.published_at)
        # The same moment sent back (in UTC, say, as the API answers it) keeps the offset it
        # was first written with.
        if _second(story.published_at) == existing.published_at:
            story = story.replace(published_offset=existing.published_offset)
    if story.status == "scheduled" and story.embargo_at is not None and story.embargo_at <= now:
        story = story.replace(
            status="published", published_at=story.published_at or story.embargo_at
        )
    if story.status == "published" and story.published_at is None:
        story = story.replace(published_at=now)
    updated = _updated_at(story, existing, now=now, change=change)
    published = _second(story.published_at)
    if published and updated < published:
        updated = published
    return story.replace(
        published_at=published, updated_at=_second(updated), embargo_at=_second(story.embargo_at)
    )


def _updated_at(
    story: Story, existing: Story | None, *, now: datetime, change: ChangeNote
) -> datetime:
    """When the story was last updated, as readers and feeds are told.

    Never earlier than the stored one: an editor's earlier time is refused (InvalidStory
    naming updated_at). A minor edit keeps the stored time; otherwise it is the editor's,
    or now.
    """
    if existing is None:
        return story.updated_at or story.published_at or now
    stored = existing.updated_at
    sent = _second(story.updated_at)
    if sent and sent != stored:
        if stored and sent < stored:
            raise InvalidStory(
                [
                    FieldProblem.at(
                        ("updated_at",),
                        f"updated_at {sent.isoformat()!r} is earlier than the stored "
                        f"{stored.isoformat()!r} (an update time never goes back)",
                    )
                ],
                story=existing.slug,
            )
        return sent
    if change.kind == "minor" and stored:
        return stored
    return max(now, stored) if stored else now


def _content(story: Story) -> dict:
    """What a revision records, without the bookkeeping that changes on every save."""
    shape = story_to_dict(story)
    for key in ("revision", "updated_at", "id", "entry_id", "path", "body_text"):
        shape.pop(key)
    return shape


def _path_owner(db: sqlite_utils.Database, path: str, story_id: int | None) -> int | None:
    """The id of another story whose permalink (or old permalink) is `path`, if any."""
    row = db.execute(
        """SELECT id FROM stories WHERE path = ? AND id IS NOT ?
           UNION ALL SELECT story_id FROM redirects WHERE path = ? AND story_id IS NOT ?""",
        [path, story_id, path, story_id],
    ).fetchone()
    return row[0] if row else None


def _free_slug(db: sqlite_utils.Database, story: Story, *, clock: Clock, now: datetime) -> str:
    """A slug from the title whose permalink no other story has: `-2`, `-3` ... when taken.

    The archive chose it, so a clash is the archive's to solve; a slug an editor chose that
    clashes is refused instead (SlugConflict), since they may mean another story.
    """
    base = names.slugify(story.title)
    moment = story.published_at or story.embargo_at or now
    day = "/" + clock.local_date(moment).replace("-", "/") + "/"
    slug, number = base, 1
    while _path_owner(db, f"{day}{slug}/", story.id) is not None:
        number += 1
        slug = f"{base[: names.MAX_SLUG_LENGTH - 1 - len(str(number))]}-{number}"
    return slug


def _check_path(db: sqlite_utils.Database, story: Story) -> None:
    if story.path is None:
        return
    other = db.execute(
        "SELECT id FROM stories WHERE path = ? AND id != ?", [story.path, story.id]
    ).fetchone()
    if other:
        raise SlugConflict(
            f"story {story.slug!r}: permalink {story.path} already belongs to story {other[0]}; "
            "choose another slug"
        )


def _write(
    db: sqlite_utils.Database, story: StoryT, clock: Clock, *, is_new: bool = False
) -> StoryT:
    """Store the story's row and parts; returns it with the slugs its names were given.

    `is_new`: the story's id is in no row yet (a new story, or a restored one): its row is
    inserted whole."""
    story = _named(db, story)
    rights, publisher = story.rights, story.publisher
    row = {
        "entry_id": story.entry_id,
        "path": story.path,
        "slug": story.slug,
        "title": story.title,
        "dek": story.dek,
        "summary": story.summary,
        "body_html": story.body_html,
        "body_text": story.body_text,
        "byline": ", ".join(a.name for a in story.authors),
        "language": story.language,
        "section": story.section,
        "section_slug": story.section_slug,
        "publisher_name": publisher.name if publisher else None,
        "publisher_url": publisher.url if publisher else None,
        # Origin of syndicated copy (migration m008):
        "original_url": story.original_url,
        "canonical_is_original": int(story.canonical_is_original),
        "rights_holder": rights.holder if rights else None,
        "rights_statement": rights.statement if rights else None,
        "rights_license_url": rights.license_url if rights else None,
        "rights_attribution": rights.attribution if rights else None,
        "syndication": story.syndication,
        "status": story.status,
        "embargo_at": to_text(story.embargo_at),
        "published_at": to_text(story.published_at),
        "updated_at": to_text(story.updated_at),
        "local_date": _local_date(story, clock),
        "revision": story.revision,
        "origin": story.origin,
        "withdrawn_at": to_text(story.withdrawn_at),
        "withdrawn_reason": story.withdrawn_reason,
        "was_published": int(story.was_published),
        # Times as the story knew them.
        "dateline": story.dateline,
        "published_offset": story.published_offset,
    }
    if is_new:
        _insert_rows(db, "stories", [{"id": story.id, **row}])
    else:
        columns = ", ".join(f"{column} = ?" for column in row)
        db.conn.execute(f"UPDATE stories SET {columns} WHERE id = ?", [*row.values(), story.id])
        for table in ("story_authors", "story_tags", "media", "sources"):
            db.conn.execute(f"DELETE FROM {table} WHERE story_id = ?", [story.id])
    _insert_rows(
        db,
        "story_authors",
        (
            {
                "story_id": story.id,
                "author_slug": a.slug,
                "position": i,
                "url": a.url,
                "kind": a.kind,
            }
            for i, a in enumerate(story.authors)
        ),
    )
    _insert_rows(
        db,
        "story_tags",
        (
            {"story_id": story.id, "tag_slug": slug, "tag": tag, "position": i}
            for i, (tag, slug) in enumerate(zip(story.tags, story.tag_slugs, strict=True))
        ),
    )
    _insert_rows(
        db,
        "media",
        (
            {"story_id": story.id, "position": i, **vars(media)}
            for i, media in enumerate(story.media)
        ),
    )
    _insert_rows(
        db,
        "sources",
        (
            {"story_id": story.id, "position": i, **vars(source)}
            for i, source in enumerate(story.sources)
        ),
    )
    return story


def _local_date(story: Story, clock: Clock) -> str | None:
    """The site's date the story is filed under: its permalink's once it has one (a story
    out of publication keeps its last public one), else its publication time's."""
    if story.path:
        return story.path[1:11].replace("/", "-")
    return clock.local_date(story.published_at) if story.published_at else None


def _insert_rows(db: sqlite_utils.Database, table: str, rows: Iterable[dict]) -> None:
    """Insert rows that share their keys with one statement; plain SQL, as every save runs it
    a few times and sqlite-utils reads the table's schema on each call."""
    rows = list(rows)
    if rows:
        columns = ", ".join(rows[0])
        marks = ", ".join("?" * len(rows[0]))
        db.conn.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})", [list(r.values()) for r in rows]
        )


def _named(db: sqlite_utils.Database, story: StoryT) -> StoryT:
    """The story with the slugs of its section, tags and authors, each claimed by name."""
    return story.replace(
        section_slug=name_store.claim(db, "section", story.section) if story.section else "",
        tag_slugs=tuple(name_store.claim(db, "tag", tag) for tag in story.tags),
        authors=tuple(
            dataclasses.replace(author, slug=name_store.claim(db, "author", author.name))
            for author in story.authors
        ),
    )


def _record_revision(
    db: sqlite_utils.Database,
    story: Story,
    action: str,
    now: datetime,
    change: ChangeNote | None = None,
) -> None:
    change = change or ChangeNote()
    db.conn.execute(
        "INSERT INTO revisions (story_id, revision, action, saved_at, snapshot, change_kind, "
        "change_note, is_import) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            story.id,
            story.revision,
            action,
            to_text(now),
            json.dumps(story_to_dict(story), ensure_ascii=False, sort_keys=True),
            change.kind,
            change.note,
            int(change.is_import),
        ],
    )


# Stories a batch of imported stories holds at most: one write transaction and one write to the
# feed queue each. Bigger batches save little more time and hold the write lock longer (other
# writers, the API and the scheduler, wait up to the busy timeout).
BATCH_SIZE = 250
# Longest a batch holds the write lock, in seconds of writing: on a busy machine 250 saves can
# take seconds, so a batch commits early once this has passed, and the rest of its stories go
# in the next one. Other writers then wait at most about this long.
BATCH_SECONDS = 0.5


@contextmanager
def batch(db: sqlite_utils.Database) -> Iterator[None]:
    """Saves inside share one write transaction (the write lock taken first) and queue their
    feeds once, at the end. Each save is still a savepoint of its own: one that raises is
    undone alone, and the others are kept when the caller goes on. Inside a transaction
    already (a dry run) the batch is a savepoint of it.
    """
    with write_transaction(db), renditions.gathered_changes(db):
        yield


def withdraw_story(
    db: sqlite_utils.Database,
    story_id: int,
    *,
    reason: str,
    clock: Clock,
    now: datetime,
    expected_revision: int | None = None,
) -> SavedStory:
    """Withdraw a story: it leaves lists, search and feeds and its permalink answers 410.

    The row stays as a tombstone; a revision records who-knows-what was withdrawn and why.
    Raises StoryNotFound, or InvalidStory when no reason is given or it is already withdrawn,
    or RevisionConflict when the story is not at `expected_revision` or changes meanwhile.
    """
    if problems := field_problems(REASON, reason, ("reason",)):
        raise InvalidStory(problems)
    story = queries.get_story(db, story_id)
    if story.is_withdrawn:
        raise InvalidStory([f"story {story_id} is already withdrawn"], story=story.slug)
    if expected_revision is not None:
        _check_revision(story, expected_revision)
    seen = story.revision
    now = _second(now)
    story = story.replace(
        status="withdrawn",
        withdrawn_at=now,
        withdrawn_reason=reason.strip(),
        revision=story.revision + 1,
        updated_at=now,
    )
    with write_transaction(db):
        _claim_revision(db, story_id, seen)
        story = _write(db, story, clock)
        _record_revision(db, story, "withdraw", now)
        renditions.record_changes(db, public.scopes_of(db, clock, story), now)
        # Its corrections leave the corrections feed with it.
        renditions.record_changes(db, {renditions.CORRECTIONS}, now)
    return queries.get_story(db, story_id)


def publish_due(db: sqlite_utils.Database, *, clock: Clock, now: datetime) -> list[SavedStory]:
    """Publish every scheduled story whose embargo has passed; returns them as published.

    Each is read again inside its own transaction, so an edit that landed meanwhile wins and
    the story is looked at again next run.
    """
    published: list[SavedStory] = []
    for due in queries.due_for_publication(db, now):
        with write_transaction(db):
            story = queries.get_story(db, due.id)
            if story.status != "scheduled" or story.revision != due.revision:
                continue
            # A scheduled story has its embargo time (the gate refuses one without).
            moment = story.published_at or story.embargo_at or _second(now)
            # A story published before comes back updated now (after its tombstone), never
            # dated back to its first publication.
            updated = (
                max(_second(now), story.updated_at or _second(now))
                if story.was_published
                else moment
            )
            live = story.replace(
                status="published", published_at=moment, updated_at=updated, was_published=True
            )
            if _path_owner(db, clock.path(live), story.id) is not None:
                # Nobody is there to be told of a clash: the story goes live under a free slug.
                free = _free_slug(db, live.replace(title=live.slug), clock=clock, now=now)
                live = live.replace(slug=free)
            live = live.replace(
                entry_id=live.entry_id or clock.entry_id(story.id, moment),
                path=clock.path(live),
                revision=story.revision + 1,
            )
            before = public.scopes_of(db, clock, story)
            live = _write(db, live, clock)
            if story.path and story.path != live.path:
                # Published again under another slug: its old permalink moves (301).
                db.execute(
                    "INSERT OR REPLACE INTO redirects (path, story_id) VALUES (?, ?)",
                    [story.path, story.id],
                )
            _record_revision(db, live, "publish", _second(now))
            renditions.record_changes(db, before | public.scopes_of(db, clock, live), _second(now))
        published.append(queries.get_story(db, story.id))
    return published


__all__ = [
    "BATCH_SECONDS",
    "BATCH_SIZE",
    "ArchiveError",
    "Clock",
    "StoryNotFound",
    "batch",
    "publish_due",
    "save_story",
    "withdraw_story",
    "write_transaction",
]
