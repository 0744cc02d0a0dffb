"""Masthead's story archive: SQLite, usable from a plain script. Knows nothing of HTTP or Flask.

from archive import open_archive, ingest
with open_archive("news.db", domain="news.example", timezone="Europe/London") as archive:
    story = archive.save(ingest.from_text(raw, defaults={"section": "sport"}), now=now)
    archive.latest(limit=10)
"""

from __future__ import annotations

import errno
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from archive.db import (
    calendar,
    catalogue,
    history,
    public,
    queries,
    renditions,
    restore,
    search,
    storage,
    store,
)
from archive.db import names as name_store
from archive.db.renditions import (
    CORRECTIONS,
    LATEST,
    WITHDRAWALS,
    BuildState,
    FeedScope,
    InvalidScope,
    Rendition,
    RenditionInfo,
    RenditionNotFound,
)
from archive.db.schema import migrate
from archive.db.transaction import begin_immediate
from archive.errors import (
    ArchiveBusy,
    ArchiveError,
    DuplicateRequest,
    FieldProblem,
    InvalidStory,
    NameNotFound,
    RevisionConflict,
    SlugConflict,
    StoryMoved,
    StoryNotFound,
    StoryWithdrawn,
)
from archive.story.attribution import is_syndicated, rights_holder
from archive.story.clock import Clock
from archive.story.models import Author, ChangeNote, Media, Publisher, Rights, Source, Story
from archive.story.names import slugify
from archive.story.shape import story_from_dict, story_to_dict

__all__ = [
    "CORRECTIONS",
    "LATEST",
    "WITHDRAWALS",
    "Archive",
    "ArchiveBusy",
    "ArchiveError",
    "Author",
    "BuildState",
    "ChangeNote",
    "Clock",
    "DuplicateRequest",
    "FeedScope",
    "FieldProblem",
    "InvalidScope",
    "InvalidStory",
    "Media",
    "NameNotFound",
    "Publisher",
    "Rendition",
    "RenditionInfo",
    "RenditionNotFound",
    "RevisionConflict",
    "Rights",
    "SlugConflict",
    "Source",
    "Story",
    "StoryMoved",
    "StoryNotFound",
    "StoryWithdrawn",
    "is_syndicated",
    "open_archive",
    "rights_holder",
    "slugify",
    "story_from_dict",
    "story_to_dict",
]

# How long a connection waits for another process's write lock before giving up (ArchiveBusy),
# unless the caller says otherwise ([archive] busy_timeout_ms).
BUSY_TIMEOUT_MS = 10_000


class Archive:
    """An open archive: one SQLite connection plus the site facts that writes need."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        clock: Clock,
        *,
        read_only: bool = False,
        language: str = "en",
    ):
        self.db = db
        self.clock = clock
        self.language = (
            language  # of every story that states none (archive.story.models.with_language)
        )
        self.is_read_only = read_only  # opened read-only on a full disk: every write raises

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    # Writes: each one transaction with its revision.
    def save(
        self,
        story: Story | store.Checked,
        *,
        now: datetime | None = None,
        expected_revision: int | None = None,
        idempotency: tuple[str, str] | None = None,
        change: ChangeNote | None = None,
    ) -> Story:
        """Create or update a story. Raises RevisionConflict when `expected_revision` is stale.

        `change`: the kind of change (correction, update, minor) and a note for readers.
        """
        return store.save_story(
            self.db,
            story,
            clock=self.clock,
            now=now or _now(),
            language=self.language,
            expected_revision=expected_revision,
            idempotency=idempotency,
            change=change,
        )

    def withdraw(
        self,
        story_id: int,
        *,
        reason: str,
        now: datetime | None = None,
        expected_revision: int | None = None,
    ) -> Story:
        return store.withdraw_story(
            self.db,
            story_id,
            reason=reason,
            clock=self.clock,
            now=now or _now(),
            expected_revision=expected_revision,
        )

    def publish_due(self, *, now: datetime | None = None) -> list[Story]:
        return store.publish_due(self.db, clock=self.clock, now=now or _now())

    def restore(
        self, exported: dict | restore.Restorable, *, now: datetime | None = None
    ) -> tuple[str, Story]:
        """Write a story as `masthead export` wrote it, keeping its id, entry id, permalink,
        times, withdrawn state and revisions: ("created", story), or ("unchanged", stored) when
        the archive has that very story. Raises InvalidStory, or SlugConflict. `exported` may
        come checked already, by `restorable`."""
        return restore.restore_story(
            self.db, exported, clock=self.clock, now=now or _now(), language=self.language
        )

    def restorable(self, exported: dict) -> restore.Restorable:
        """An exported story checked for `restore`, without the archive. Raises InvalidStory."""
        return restore.restorable(exported, clock=self.clock, language=self.language)

    @contextmanager
    def batch(self) -> Iterator[Archive]:
        """Saves and restores inside share one write transaction and one write to the feed
        queue; each is undone alone when it raises (see store.batch). Keep a batch to about
        store.BATCH_SIZE stories: it holds the write lock."""
        with store.batch(self.db):
            yield self

    @contextmanager
    def trial(self) -> Iterator[Archive]:
        """Writes made inside are all undone at the end (for a dry run that says exactly what
        the real run would do). One transaction: other writers wait until it ends."""
        if self.db.conn.in_transaction:
            raise RuntimeError("a trial cannot start inside a transaction")
        begin_immediate(self.db)
        try:
            yield self
        finally:
            self.db.conn.rollback()

    # Reads.
    def get(self, story_id: int) -> Story:
        return queries.get_story(self.db, story_id)

    def by_origin(self, origin: str) -> Story | None:
        """The story imported from `origin` (such as file:/path/story.txt), if any."""
        return queries.find_by_origin(self.db, origin)

    def revision_from(self, origin: str) -> int | None:
        """The revision of the story imported from `origin`, if any (one indexed read)."""
        return queries.revision_from(self.db, origin)

    def at(self, path: str) -> Story:
        """The live story at a permalink. Raises StoryMoved, StoryNotFound, or StoryWithdrawn
        with the story's tombstone (archive.story.visibility)."""
        return public.story_at(self.db, path)

    def public_face(self, story: Story) -> Story:
        """The story as the public sees it: itself while live, else its tombstone."""
        return public.face(self.db, story)

    def latest(self, **filters) -> list[Story]:
        return queries.latest(self.db, **filters)

    def between(self, first_day: str, last_day: str, **options) -> list[Story]:
        return queries.between(self.db, first_day, last_day, **options)

    def search(self, query: str, **options) -> list[Story]:
        return queries.search(self.db, query, **options)

    def revisions(self, story_id: int) -> list[dict]:
        return queries.revisions(self.db, story_id)

    def revision_saved_at(self, story_id: int, number: int) -> datetime:
        return queries.revision_saved_at(self.db, story_id, number)

    def public_revision_times(self, story_id: int) -> list[tuple[int, datetime]]:
        """(revision, saved_at) of each revision saved while the story was published."""
        return queries.public_revision_times(self.db, story_id)

    def changes(self, **options) -> list[tuple[int, Story]]:
        """(change number, story) pairs in the order stories last changed (for sync); with
        `public_only`, each as the public sees it."""
        return public.changes(self.db, **options)

    def idempotent_request(self, key: str) -> dict | None:
        return queries.idempotent_request(self.db, key)

    def idempotency_keys(self) -> dict[int, list[dict]]:
        """Every API idempotency key by the id of the story it created (for export --all)."""
        return queries.idempotency_keys(self.db)

    def count(self) -> int:
        return queries.count_stories(self.db)

    def generation(self) -> int:
        """Grows with every write to a story: pages made at one generation hold while it lasts."""
        return queries.generation(self.db)

    # Reads for the archive pages: browsing, search, revision history, sitemaps.
    def year_counts(self) -> dict[int, int]:
        return calendar.year_counts(self.db)

    def month_counts(self, year: int) -> dict[int, int]:
        return calendar.month_counts(self.db, year)

    def day_counts(self, year: int, month: int) -> dict[int, int]:
        return calendar.day_counts(self.db, year, month)

    def neighbours(
        self, first_day: str, last_day: str, *, syndicated: bool = False
    ) -> calendar.Neighbours:
        return calendar.neighbours(self.db, first_day, last_day, syndicated=syndicated)

    def search_stories(self, text: str, **options) -> search.SearchResults:
        return search.search_stories(self.db, text, **options)

    def notes(self, story_id: int) -> list[history.Note]:
        """The corrections and updates readers are shown for a story, oldest first."""
        return history.notes_of(self.db, story_id)

    def corrections(self, *, limit: int, offset: int = 0) -> list[tuple[history.Note, Story]]:
        """The newest corrections to public stories, newest first, each with its story."""
        return history.corrections(self.db, limit=limit, offset=offset)

    def history(self, story_id: int, *, published_only: bool = False) -> list[history.Revision]:
        return history.story_history(self.db, story_id, published_only=published_only)

    def revision(
        self, story_id: int, number: int, *, published_only: bool = False
    ) -> history.Revision:
        return history.revision_of(self.db, story_id, number, published_only=published_only)

    def display_name(self, kind: str, slug: str) -> str | None:
        return catalogue.display_name(self.db, kind, slug)

    def section_name(self, slug: str) -> str:
        return catalogue.section_name(self.db, slug)

    def tag_name(self, slug: str) -> str:
        return catalogue.tag_name(self.db, slug)

    def author_named(self, slug: str) -> Author:
        return catalogue.author_named(self.db, slug)

    def name_index(self, kind: str) -> list[catalogue.NameCount]:
        """Sections, tags or authors ("sections", "tags", "authors") live stories carry."""
        return catalogue.name_index(self.db, kind)

    def has_live_stories(self, kind: str, slug: str) -> bool:
        return catalogue.has_live_stories(self.db, kind, slug)

    def sitemap_chunks(self, *, size: int) -> list[catalogue.SitemapChunk]:
        return catalogue.sitemap_chunks(self.db, size=size)

    def sitemap_entries(self, number: int, *, size: int) -> list[catalogue.SitemapEntry]:
        return catalogue.sitemap_entries(self.db, number, size=size)

    def all_stories(self, *, include_unpublished: bool = False, batch: int = 500):
        """Every story in id order, loaded `batch` at a time (for export)."""
        return public.all_stories(self.db, include_unpublished=include_unpublished, batch=batch)

    def withdrawn_since(self, since: datetime, **scope) -> list[Story]:
        """Tombstones of stories that left publication since then (archive.db.public)."""
        return public.withdrawn_since(self.db, since, **scope)

    def tombstones_between(self, first_day: str, last_day: str) -> list[Story]:
        """Tombstones of the stories first published between two local dates, newest first."""
        return public.tombstones_between(self.db, first_day, last_day)

    def withdrawals(self, *, limit: int) -> list[Story]:
        """The newest tombstones, by when each story left publication, newest first."""
        return public.withdrawals(self.db, limit=limit)

    def month_neighbours(self, first_day: str, last_day: str) -> tuple[str | None, str | None]:
        """The nearest local dates before and after [first_day, last_day] with a story in
        the RFC 5005 archive (live and syndicated, or a tombstone)."""
        return public.month_neighbours(self.db, first_day, last_day)

    def slug_of(self, kind: str, name: str) -> str | None:
        """The slug a section, tag or author name ("section", "tag", "author") was given."""
        return name_store.slug_of(self.db, kind, name)

    def name_of(self, kind: str, slug: str) -> str:
        return catalogue.name_of(self.db, kind, slug)

    # Renditions: feed bytes the service built, and the scopes that writes queued for rebuild.
    def feed_scopes(self) -> list[FeedScope]:
        scopes = renditions.all_scopes(self.db)
        more = public.tombstone_scopes(self.db) - set(scopes)
        return [*scopes, *sorted(more)]

    def pending_feed_changes(self) -> tuple[int, set[FeedScope]]:
        return renditions.pending_changes(self.db)

    def clear_feed_changes(self, up_to: int, scopes: Iterable[FeedScope] | None = None) -> None:
        renditions.clear_changes(self.db, up_to, scopes)

    def record_build(self, scope: FeedScope, *, now: datetime, built: bool, **failure) -> bool:
        """Note how a feed scope's build went (`error`, `story_ids` left out); True if news."""
        return renditions.record_build(self.db, scope, now=now, built=built, **failure)

    def build_states(self, *, failing_only: bool = False) -> list[BuildState]:
        return renditions.build_states(self.db, failing_only=failing_only)

    def save_rendition(self, rendition: Rendition) -> bool:
        return renditions.save_rendition(self.db, rendition)

    def rendition(self, key: str) -> Rendition:
        return renditions.get_rendition(self.db, key)

    def rendition_etag(self, key: str) -> str:
        return renditions.stored_etag(self.db, key)

    def rendition_inputs(self, key: str) -> str | None:
        return renditions.stored_inputs(self.db, key)

    def renditions(self) -> list[RenditionInfo]:
        return renditions.list_renditions(self.db)

    def backup(self, destination: str | Path) -> None:
        """A consistent copy of the whole archive, taken while it is in use (SQLite backup).

        The copy is made whole or not at all: written to a temporary file beside `destination`
        (`.NAME.*.partial`), checked, flushed to disk, and only then renamed to `destination`,
        so a failed or killed backup leaves nothing under that name. A failure removes the
        temporary file; a killed process leaves it behind. Raises FileExistsError when
        `destination` exists, sqlite3.Error or OSError when the copy fails (a full disk, say).
        """
        destination = Path(destination)
        if destination.exists():
            raise FileExistsError(errno.EEXIST, "it exists already", str(destination))
        handle, name = tempfile.mkstemp(
            dir=destination.parent, prefix=f".{destination.name}.", suffix=".partial"
        )
        os.close(handle)
        partial = Path(name)
        try:
            storage.copy_checked(self.db.conn, partial)
            storage.flush(partial)
            partial.rename(destination)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        storage.flush(destination.parent)  # the rename itself survives a power cut


def open_archive(
    path: str | Path,
    *,
    domain: str = "localhost",
    timezone: str = "UTC",
    language: str = "en",
    prepare: bool = True,
    read_only_fallback: bool = False,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    checkpoint_pages: int | None = None,
) -> Archive:
    """Open (creating and migrating if needed) the archive at `path`, in WAL mode.

    `domain` is the tag: URI authority for entry ids; `timezone` dates the permalinks;
    `language` is that of every story saved without one.
    `prepare=False` opens an archive that was prepared before (it must exist), skipping the
    creation, WAL and migration checks: the service does those once, then opens a connection
    per worker thread this way. Neither writes anything to an archive that is up to date.
    `read_only_fallback=True`: when the disk cannot take the files a normal open needs (it is
    full), open the archive read-only instead (`is_read_only`; every write then raises
    sqlite3.OperationalError), so that it can still be read; open it again later to write.
    `busy_timeout_ms`: how long a write waits for another connection's write lock before it
    raises ArchiveBusy.
    `checkpoint_pages`: this connection folds the write-ahead log back into the archive (a
    PASSIVE checkpoint, which never waits for readers) once the log holds that many pages;
    None keeps SQLite's 1,000.
    Raises sqlite3.OperationalError when the file cannot be opened (for `prepare=False`, also
    when it does not exist): an archive that cannot be opened is a failure, not bad input.
    """
    path = Path(path)
    clock = Clock(domain=domain, timezone=timezone)
    try:
        db = _connect(
            path,
            prepare=prepare,
            busy_timeout_ms=busy_timeout_ms,
            checkpoint_pages=checkpoint_pages,
        )
    except sqlite3.OperationalError as error:
        # Only a whole write-ahead log is safe to ignore: the read-only way reads the main file.
        if read_only_fallback and storage.storage_failure(error) and storage.wal_is_empty(path):
            db = sqlite_utils.Database(storage.connect_read_only(path))
            return Archive(db, clock, read_only=True, language=language)
        raise
    return Archive(db, clock, language=language)


def _connect(
    path: Path, *, prepare: bool, busy_timeout_ms: int, checkpoint_pages: int | None
) -> sqlite_utils.Database:
    if prepare:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite_utils.Database(path)
    else:
        db = sqlite_utils.Database(sqlite3.connect(f"file:{path}?mode=rw", uri=True))
    try:
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        db.execute("PRAGMA foreign_keys = ON")
        if checkpoint_pages is not None:
            db.execute(f"PRAGMA wal_autocheckpoint = {int(checkpoint_pages)}")
        db.execute("PRAGMA schema_version").fetchone()  # a first read: fails now, not later
        if prepare:
            if db.journal_mode != "wal":
                db.enable_wal()
            migrate(db)  # writes nothing when no migration is pending
    except sqlite3.Error:
        db.close()
        raise
    return db


def _now() -> datetime:
    return datetime.now(UTC)
