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
    public,
    queries,
    renditions,
    storage,
    store,
    transaction,
)
from archive.db import history as revision_store
from archive.db import restore as restoration
from archive.db import search as search_index
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
from archive.errors import (
    ArchiveBusy,
    ArchiveError,
    DuplicateRequest,
    FieldProblem,
    InvalidStory,
    NameNotFound,
    NotFound,
    RevisionConflict,
    SlugConflict,
    StoryMoved,
    StoryNotFound,
    StoryWithdrawn,
)
from archive.story.attribution import is_syndicated, rights_holder
from archive.story.clock import Clock
from archive.story.models import (
    STATUSES,
    Author,
    ChangeNote,
    Media,
    PublishedStory,
    Publisher,
    Rights,
    SavedStory,
    Source,
    Story,
)
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
    "NotFound",
    "PublishedStory",
    "Publisher",
    "Rendition",
    "RenditionInfo",
    "RenditionNotFound",
    "RevisionConflict",
    "Rights",
    "SavedStory",
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
        # The names behind section, tag and author slugs (archive.db.catalogue.Names).
        self.names = catalogue.Names(db)

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection; the archive cannot be used after."""
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
    ) -> SavedStory:
        """Create or update a story; the story as stored (unchanged when nothing changed).

        `change`: the kind of change (correction, update, minor) and a note for readers.
        Raises InvalidStory, SlugConflict, StoryNotFound (an id that does not exist),
        RevisionConflict when `expected_revision` is stale, DuplicateRequest (the idempotency
        key was used already) or ArchiveBusy.
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
    ) -> SavedStory:
        """Take a story out of publication for `reason`; the story as stored now (its permalink
        then answers 410 with a tombstone). Raises StoryNotFound, RevisionConflict or
        ArchiveBusy."""
        return store.withdraw_story(
            self.db,
            story_id,
            reason=reason,
            clock=self.clock,
            now=now or _now(),
            expected_revision=expected_revision,
        )

    def publish_due(self, *, now: datetime | None = None) -> list[SavedStory]:
        """Publish every scheduled story whose embargo has passed at `now`; those stories, as
        stored now. Raises ArchiveBusy."""
        return store.publish_due(self.db, clock=self.clock, now=now or _now())

    def restore(
        self, exported: dict | restoration.Restorable, *, now: datetime | None = None
    ) -> tuple[str, SavedStory]:
        """Write a story as `masthead export` wrote it, keeping its id, entry id, permalink,
        times, withdrawn state and revisions: ("created", story), or ("unchanged", stored) when
        the archive has that very story. Raises InvalidStory, or SlugConflict. `exported` may
        come checked already, by `restorable`."""
        return restoration.restore_story(
            self.db, exported, clock=self.clock, now=now or _now(), language=self.language
        )

    def restorable(self, exported: dict) -> restoration.Restorable:
        """An exported story checked for `restore`, without the archive. Raises InvalidStory."""
        return restoration.restorable(exported, clock=self.clock, language=self.language)

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
        the real run would do). One transaction: other writers wait until it ends.
        Raises RuntimeError inside another transaction, ArchiveBusy when the lock is held."""
        with transaction.trial_transaction(self.db):
            yield self

    def roll_back_unfinished(self) -> None:
        """Undo a write transaction left open (a request that failed halfway through a write);
        nothing when none is. Leaves the connection ready for the next caller."""
        transaction.roll_back_unfinished(self.db)

    # Reads.
    def get(self, story_id: int) -> SavedStory:
        """The story with this id, whatever its status. Raises StoryNotFound."""
        return queries.get_story(self.db, story_id)

    def by_origin(self, origin: str) -> SavedStory | None:
        """The story imported from `origin` (such as file:/path/story.txt), if any."""
        return queries.find_by_origin(self.db, origin)

    def revision_from(self, origin: str) -> int | None:
        """The revision of the story imported from `origin`, if any (one indexed read)."""
        return queries.revision_from(self.db, origin)

    def at(self, path: str) -> PublishedStory:
        """The live story at a permalink. Raises StoryMoved, StoryNotFound, or StoryWithdrawn
        with the story's tombstone (archive.story.visibility)."""
        return public.story_at(self.db, path)

    def public_face(self, story: SavedStory) -> SavedStory:
        """The story as the public sees it: itself while live, else its tombstone."""
        return public.face(self.db, story)

    def latest(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
        section: str | None = None,
        tag: str | None = None,
        author: str | None = None,
        syndicated: bool = False,
    ) -> list[PublishedStory]:
        """Live stories, newest first, site-wide or of one section, tag or author slug;
        `syndicated` leaves out those whose syndication policy is `none` (for feeds)."""
        return queries.latest(
            self.db,
            limit=limit,
            offset=offset,
            section=section,
            tag=tag,
            author=author,
            syndicated=syndicated,
        )

    def between(
        self,
        first_day: str,
        last_day: str,
        *,
        limit: int = 500,
        offset: int = 0,
        syndicated: bool = False,
    ) -> list[PublishedStory]:
        """Live stories whose local publication date is in [first_day, last_day] (YYYY-MM-DD),
        newest first; a negative `limit` means no limit; `syndicated` as for `latest`."""
        return queries.between(
            self.db, first_day, last_day, limit=limit, offset=offset, syndicated=syndicated
        )

    def search(
        self,
        text: str,
        *,
        section: str | None = None,
        author: str | None = None,
        first_day: str | None = None,
        last_day: str | None = None,
        limit: int = 20,
        offset: int = 0,
        max_counted: int = search_index.MAX_COUNTED,
    ) -> search_index.SearchResults:
        """Live stories matching what a reader typed, best first, with highlighted titles and
        snippets, and how many match (archive.db.search: words, "phrases", OR, -not, prefix*;
        text in scripts written without spaces is found by substring). `.stories` lists the
        page's stories. Any text is a valid query: none raises."""
        return search_index.search_stories(
            self.db,
            text,
            section=section,
            author=author,
            first_day=first_day,
            last_day=last_day,
            limit=limit,
            offset=offset,
            max_counted=max_counted,
        )

    def revision_saved_at(self, story_id: int, number: int) -> datetime:
        """When revision `number` of a story was saved. Raises StoryNotFound when the story has
        no such revision."""
        return queries.revision_saved_at(self.db, story_id, number)

    def public_revision_times(self, story_id: int) -> list[tuple[int, datetime]]:
        """(revision, saved_at) of each revision saved while the story was published."""
        return queries.public_revision_times(self.db, story_id)

    def changes(
        self,
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
        """(change number, story) pairs in the order stories last changed, oldest change first
        (for sync): those after change number `after`, changed at or after `since`, with one of
        `statuses`, of a section, tag or author slug; with `public_only`, each as the public
        sees it (a tombstone when no longer live)."""
        return public.changes(
            self.db,
            after=after,
            since=since,
            statuses=statuses,
            section=section,
            tag=tag,
            author=author,
            limit=limit,
            public_only=public_only,
        )

    def idempotent_request(self, key: str) -> dict | None:
        """The request an idempotency key was first used for (digest, story_id, created_at),
        or None when the key is new."""
        return queries.idempotent_request(self.db, key)

    def idempotency_keys(self) -> dict[int, list[dict]]:
        """Every API idempotency key by the id of the story it created (for export --all)."""
        return queries.idempotency_keys(self.db)

    def count(self) -> int:
        """How many stories the archive holds, whatever their status."""
        return queries.count_stories(self.db)

    def generation(self) -> int:
        """Grows with every write to a story: pages made at one generation hold while it lasts."""
        return queries.generation(self.db)

    # Reads for the archive pages: browsing, search, revision history, sitemaps.
    def year_counts(self) -> dict[int, int]:
        """Live stories per year ({year: count}, newest first, years with none left out)."""
        return calendar.year_counts(self.db)

    def month_counts(self, year: int) -> dict[int, int]:
        """Live stories per month of `year` ({month: count}, months with none left out)."""
        return calendar.month_counts(self.db, year)

    def day_counts(self, year: int, month: int) -> dict[int, int]:
        """Live stories per day of a month ({day: count}, days with none left out)."""
        return calendar.day_counts(self.db, year, month)

    def neighbours(
        self, first_day: str, last_day: str, *, syndicated: bool = False
    ) -> calendar.Neighbours:
        """The nearest local dates with live stories before and after [first_day, last_day]."""
        return calendar.neighbours(self.db, first_day, last_day, syndicated=syndicated)

    def notes(self, story_id: int) -> list[revision_store.Note]:
        """The corrections and updates readers are shown for a story, oldest first."""
        return revision_store.notes_of(self.db, story_id)

    def corrections(
        self, *, limit: int, offset: int = 0
    ) -> list[tuple[revision_store.Note, Story]]:
        """The newest corrections to public stories, newest first, each with its story."""
        return revision_store.corrections(self.db, limit=limit, offset=offset)

    def history(
        self, story_id: int, *, published_only: bool = False
    ) -> list[revision_store.Revision]:
        """Every revision of a story, oldest first (none for an id the archive never had), each
        with what changed from the one before; `published_only` keeps those saved while the
        story was published, as readers see them."""
        return revision_store.story_history(self.db, story_id, published_only=published_only)

    def revision(
        self, story_id: int, number: int, *, published_only: bool = False
    ) -> revision_store.Revision:
        """One revision of a story (as `history` gives it). Raises StoryNotFound when the story
        has no such revision (or, with `published_only`, none saved while published)."""
        return revision_store.revision_of(self.db, story_id, number, published_only=published_only)

    def sitemap_chunks(self, *, size: int) -> list[catalogue.SitemapChunk]:
        """Published permalinks cut into chunks of `size`, oldest first, each with its
        lastmod."""
        return catalogue.sitemap_chunks(self.db, size=size)

    def sitemap_entries(self, number: int, *, size: int) -> list[catalogue.SitemapEntry]:
        """The permalinks of chunk `number` (from 1). Raises NameNotFound past the last one."""
        return catalogue.sitemap_entries(self.db, number, size=size)

    def all_stories(
        self, *, include_unpublished: bool = False, batch: int = 500
    ) -> Iterator[SavedStory]:
        """Every public story (live, and tombstones as tombstones) in id order, loaded `batch`
        at a time (for export); with `include_unpublished`, every story as it is stored."""
        return public.all_stories(self.db, include_unpublished=include_unpublished, batch=batch)

    def withdrawn_since(
        self,
        since: datetime,
        *,
        section: str | None = None,
        tag: str | None = None,
        author: str | None = None,
    ) -> list[SavedStory]:
        """Tombstones of stories that left publication at or after `since`, newest first, of
        one section, tag or author slug as their last published revision had it."""
        return public.withdrawn_since(self.db, since, section=section, tag=tag, author=author)

    def tombstones_between(self, first_day: str, last_day: str) -> list[SavedStory]:
        """Tombstones of the stories first published between two local dates, newest first."""
        return public.tombstones_between(self.db, first_day, last_day)

    def withdrawals(self, *, limit: int) -> list[SavedStory]:
        """The newest tombstones, by when each story left publication, newest first."""
        return public.withdrawals(self.db, limit=limit)

    def month_neighbours(self, first_day: str, last_day: str) -> tuple[str | None, str | None]:
        """The nearest local dates before and after [first_day, last_day] with a story in
        the RFC 5005 archive (live and syndicated, or a tombstone)."""
        return public.month_neighbours(self.db, first_day, last_day)

    # Renditions: feed bytes the service built, and the scopes that writes queued for rebuild.
    def feed_scopes(self) -> list[FeedScope]:
        """Every feed a full rebuild makes: the scopes of live stories, archive months, and
        those of tombstones."""
        scopes = renditions.all_scopes(self.db)
        more = public.tombstone_scopes(self.db) - set(scopes)
        return [*scopes, *sorted(more)]

    def pending_feed_changes(self) -> tuple[int, set[FeedScope]]:
        """The newest queued change id and every scope queued up to it (0 and none when
        nothing is queued)."""
        return renditions.pending_changes(self.db)

    def clear_feed_changes(self, up_to: int, scopes: Iterable[FeedScope] | None = None) -> None:
        """Forget queued changes up to id `up_to` (of `scopes` only, when given) once rebuilt.
        Raises ArchiveBusy."""
        renditions.clear_changes(self.db, up_to, scopes)

    def record_build(
        self,
        scope: FeedScope,
        *,
        now: datetime,
        built: bool,
        error: str = "",
        story_ids: Iterable[int] = (),
    ) -> bool:
        """Note how a feed scope's build went (`error`, and the `story_ids` left out of it);
        True when that is news (it was not failing so before). Raises ArchiveBusy."""
        return renditions.record_build(
            self.db, scope, now=now, built=built, error=error, story_ids=story_ids
        )

    def build_states(self, *, failing_only: bool = False) -> list[BuildState]:
        """The build state of every feed scope built so far (or only those with an error)."""
        return renditions.build_states(self.db, failing_only=failing_only)

    def save_rendition(self, rendition: Rendition) -> bool:
        """Store a rendition unless the same bytes are stored already; True when the bytes
        changed. Raises ArchiveBusy."""
        return renditions.save_rendition(self.db, rendition)

    def rendition(self, key: str) -> Rendition:
        """The rendition stored under `key`. Raises RenditionNotFound."""
        return renditions.get_rendition(self.db, key)

    def rendition_etag(self, key: str) -> str:
        """The ETag of the rendition stored under `key` (no bytes read). Raises
        RenditionNotFound."""
        return renditions.stored_etag(self.db, key)

    def rendition_inputs(self, key: str) -> str | None:
        """The inputs digest of the rendition stored under `key`, if any."""
        return renditions.stored_inputs(self.db, key)

    def renditions(self) -> list[RenditionInfo]:
        """What is stored, without the bytes (for `masthead feeds list` and the feeds index)."""
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
