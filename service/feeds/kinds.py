"""Feed kinds: one class per kind of feed scope (the site's, a section's, a tag's, an author's,
a month's, the corrections and the withdrawals), each saying what its feed is made of, its
title, the entry of a story, where the site lists it and when it is built. KINDS holds one of
each by FeedScope.kind; callers ask `kind_of(scope)` instead of asking what a scope is.

Reads the archive (gather); builds no bytes (renditions does).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar, TypeVar

from archive import LATEST, Archive, FeedScope, NameNotFound, Story
from archive.db.history import Note
from service import urls
from service.feeds.document import (
    BUILD_VERSION,
    ENTRIES,
    EPOCH,
    Entry,
    FeedDocument,
    clean,
    correction_entry,
    describe,
    entry_of,
    tombstone_of,
    withdrawal_entry,
)
from service.feeds.stopping import between_stories
from service.settings import Settings

# RFC 6721 tombstones stay in subscription feeds this long after a withdrawal.
DELETED_ENTRY_DAYS = 30
# A local date after every story's: the newest month is the neighbour before it.
END_OF_TIME = "9999-12-31"

Item = TypeVar("Item")
Built = TypeVar("Built")


@dataclass(frozen=True)
class FeedSource:
    """What a feed is made of, as read from the archive, before any entry is built."""

    scope: FeedScope
    title: str
    page: str  # the site path of the HTML page this feed follows
    stories: tuple[Story, ...]
    deleted: tuple[Story, ...] = ()
    is_archive: bool = False
    archive_links: dict[str, FeedScope] = field(default_factory=dict)
    # The corrections feed: each correction with its story, newest first.
    corrections: tuple[tuple[Note, Story], ...] = ()

    def inputs(self, settings: Settings) -> str:
        """A digest of everything the bytes depend on: equal digests, equal bytes.

        A story's id and revision stand for its content: every change writes a new revision.
        """
        facts = [
            BUILD_VERSION,
            asdict(settings.site),
            asdict(settings.feeds),
            [
                self.scope.key,
                self.title,
                self.page,
                self.is_archive,
                {rel: scope.key for rel, scope in self.archive_links.items()},
            ],
            [(story.id, story.revision) for story in self.stories],
            [(story.id, story.revision) for story in self.deleted],
            [(note.story_id, note.revision, story.revision) for note, story in self.corrections],
        ]
        text = json.dumps(facts, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def document(self, settings: Settings) -> FeedDocument:
        """The feed-safe document: entries built, text cleaned, links absolute.

        A story that cannot be made into an entry is left out and named in `left_out`.
        """
        left_out: dict[int, str] = {}
        kind = kind_of(self.scope)
        entries = tuple(_each(self.stories, lambda s: kind.entry(s, settings), left_out))
        tombstones = tuple(_each(self.deleted, lambda s: tombstone_of(s, settings), left_out))
        entries += tuple(
            _each(self.corrections, lambda found: correction_entry(*found, settings), left_out)
        )
        times = [e.updated_at for e in entries] + [d.withdrawn_at for d in tombstones]
        return FeedDocument(
            scope=self.scope,
            title=clean(self.title),
            subtitle=clean(settings.site.description),
            page_url=urls.site_url(settings.site, self.page),
            updated_at=max(times, default=EPOCH),
            language=settings.site.language,
            entries=entries,
            deleted=tombstones,
            is_archive=self.is_archive,
            archive_links=self.archive_links,
            left_out=left_out,
        )


def _each(
    items: Iterable[Item], build: Callable[[Item], Built], left_out: dict[int, str]
) -> Iterator[Built]:
    """build(item) for each story (or correction and its story); one that fails is noted in
    `left_out`, the rest go on."""
    for item in between_stories(items):
        try:
            yield build(item)
        except Exception as error:
            story = item[1] if isinstance(item, tuple) else item
            if not isinstance(story, Story) or story.id is None:
                raise  # no story read from the archive lacks an id
            left_out[story.id] = describe(error)


class FeedKind:
    """One kind of feed scope. The defaults are a subscription feed of stories (the site's,
    a section's, a tag's, an author's): the newest stories the scope filters, with tombstones
    of those withdrawn lately."""

    kind: ClassVar[str]  # FeedScope.kind
    group: ClassVar[str] = "Site"  # its heading on /feeds/ and in OPML ("" for months)
    # Readers poll it; an archive month is an RFC 5005 document, built apart and never pinged.
    is_subscription: ClassVar[bool] = True
    # Built and listed in this order: the site feed first, archive months last.
    rank: ClassVar[int] = 1
    # What the feed's HTML page calls its entries.
    entries_heading: ClassVar[str] = "Entries"

    def name(self, archive: Archive, settings: Settings, scope: FeedScope) -> str:
        """What the feed follows, in a few words: its line on /feeds/, under its heading (the
        site's name is on the page once, not on every line)."""
        raise NotImplementedError

    def title(self, archive: Archive, settings: Settings, scope: FeedScope) -> str:
        """The feed's own title, for readers that show many sites' feeds side by side: the
        site's name, then what the feed follows."""
        return f"{settings.site.title}: {self.name(archive, settings, scope)}"

    def gather(
        self, archive: Archive, settings: Settings, scope: FeedScope, *, now: datetime
    ) -> FeedSource:
        """What the scope's feed is made of, read from the archive at `now`."""
        filters = scope.filters
        stories = archive.latest(limit=settings.feeds.size, syndicated=True, **filters)
        deleted = archive.withdrawn_since(now - timedelta(days=DELETED_ENTRY_DAYS), **filters)
        return FeedSource(
            scope,
            self.title(archive, settings, scope),
            scope.page_path,
            tuple(stories),
            deleted=tuple(deleted),
            archive_links=self.archive_links(archive, now),
        )

    def archive_links(self, archive: Archive, now: datetime) -> dict[str, FeedScope]:
        """RFC 5005 links of a subscription feed, by relation: none but the site feed's."""
        return {}

    def entry(self, story: Story, settings: Settings) -> Entry:
        """A story as an entry of this kind of feed (kept for the other feeds it is in)."""
        return ENTRIES.entry(story, settings)

    def is_offered(self, archive: Archive, scope: FeedScope) -> bool:
        """Whether /feeds/ and OPML list it: its page lists live stories (the reads the pages
        themselves answer 404 from). A feed not offered still serves its tombstones."""
        return True


class LatestFeed(FeedKind):
    """The site feed: every public story."""

    kind = "latest"
    rank = 0

    def name(self, archive: Archive, settings: Settings, scope: FeedScope) -> str:
        return "Latest stories"

    def title(self, archive: Archive, settings: Settings, scope: FeedScope) -> str:
        return settings.site.title

    def archive_links(self, archive: Archive, now: datetime) -> dict[str, FeedScope]:
        # RFC 5005 4: the site feed's prev-archive is the newest archive document, the newest
        # closed month (the month in progress still changes: it is no archive document yet).
        local = archive.clock.local(now)
        newest, _after = archive.month_neighbours(f"{local:%Y-%m}-01", END_OF_TIME)
        return {"prev-archive": FeedScope.for_local_date(newest)} if newest else {}


class NameFeed(FeedKind):
    """The feed of one section, tag or author, titled with its name."""

    def name(self, archive: Archive, settings: Settings, scope: FeedScope) -> str:
        try:
            return archive.names.of_scope(scope.kind, scope.slug)
        except NameNotFound:  # the last story left this tag: its feed empties under its slug
            return scope.slug

    def is_offered(self, archive: Archive, scope: FeedScope) -> bool:
        return archive.names.has_live_stories(scope.kind, scope.slug)


class SectionFeed(NameFeed):
    kind = "sections"
    group = "Sections"


class TagFeed(NameFeed):
    kind = "tags"
    group = "Tags"


class AuthorFeed(NameFeed):
    kind = "authors"
    group = "Authors"


class MonthFeed(FeedKind):
    """RFC 5005 monthly archive: every story first published in the month (site time). Each
    holds all of its month's stories, so one can be long to build: months are built apart from
    the feeds readers poll, and listed apart on /feeds/."""

    kind = "archive"
    group = ""
    is_subscription = False
    rank = 2

    def name(self, archive: Archive, settings: Settings, scope: FeedScope) -> str:
        return f"{datetime(scope.year, scope.month, 1):%B %Y}"

    def gather(
        self, archive: Archive, settings: Settings, scope: FeedScope, *, now: datetime
    ) -> FeedSource:
        """Its stories, and a tombstone (RFC 6721) of each of its stories that is no longer
        published, for good (an aggregator that paged the month earlier learns of it).

        RFC 5005 4.2: an archive document must not change once published, so the month in
        progress (in the site's zone) is not one yet; it becomes one when it closes. Every link
        of the archive walk (`prev-archive`, `next-archive`) leads to a closed month only: the
        month in progress links back into the walk, but nothing in the walk links to it.
        """
        first = f"{scope.year:04d}-{scope.month:02d}-01"
        last = f"{scope.year:04d}-{scope.month:02d}-31"
        stories = archive.between(first, last, limit=-1, syndicated=True)
        links = {"current": LATEST}
        before, after = archive.month_neighbours(first, last)
        if before:
            links["prev-archive"] = FeedScope.for_local_date(before)
        following = FeedScope.for_local_date(after) if after else None
        if following and following.is_archive_document(archive.clock, now):
            links["next-archive"] = following
        return FeedSource(
            scope,
            self.title(archive, settings, scope),
            scope.page_path,
            tuple(stories),
            deleted=tuple(archive.tombstones_between(first, last)),
            is_archive=scope.is_archive_document(archive.clock, now),
            archive_links=links,
        )

    def entry(self, story: Story, settings: Settings) -> Entry:
        # Built without the entry cache: a month's thousands of entries would push out those
        # of the feeds readers poll.
        return entry_of(story, settings)

    def is_offered(self, archive: Archive, scope: FeedScope) -> bool:
        # The month page's own read (a month of rows, not the whole year's for each month).
        return bool(archive.day_counts(scope.year, scope.month))


class CorrectionsFeed(FeedKind):
    """The site's corrections: one entry per correction to a public story, newest first."""

    kind = "corrections"
    entries_heading = "Corrections"

    def name(self, archive: Archive, settings: Settings, scope: FeedScope) -> str:
        return "Corrections"

    def gather(
        self, archive: Archive, settings: Settings, scope: FeedScope, *, now: datetime
    ) -> FeedSource:
        found = archive.corrections(limit=settings.feeds.size)
        title = self.title(archive, settings, scope)
        return FeedSource(scope, title, scope.page_path, (), corrections=tuple(found))


class WithdrawalsFeed(FeedKind):
    """The site's withdrawals: one entry per story that was published and is not now."""

    kind = "withdrawals"
    entries_heading = "Withdrawals"

    def name(self, archive: Archive, settings: Settings, scope: FeedScope) -> str:
        return "Withdrawals"

    def gather(
        self, archive: Archive, settings: Settings, scope: FeedScope, *, now: datetime
    ) -> FeedSource:
        gone = archive.withdrawals(limit=settings.feeds.size)
        title = self.title(archive, settings, scope)
        return FeedSource(scope, title, scope.page_path, tuple(gone))

    def entry(self, story: Story, settings: Settings) -> Entry:
        return withdrawal_entry(story, settings)


# Every kind by FeedScope.kind, in the order /feeds/ and OPML group them.
KINDS: dict[str, FeedKind] = {
    kind.kind: kind
    for kind in (
        LatestFeed(),
        CorrectionsFeed(),
        WithdrawalsFeed(),
        SectionFeed(),
        TagFeed(),
        AuthorFeed(),
        MonthFeed(),
    )
}


def kind_of(scope: FeedScope) -> FeedKind:
    return KINDS[scope.kind]


def gather(archive: Archive, settings: Settings, scope: FeedScope, *, now: datetime) -> FeedSource:
    """What one feed scope is made of, read from the archive at `now`."""
    return kind_of(scope).gather(archive, settings, scope, now=now)


def build_order(scope: FeedScope) -> tuple[int, str]:
    """The site feed first, then the other subscription feeds, archive months last."""
    return (kind_of(scope).rank, scope.key)
