"""What a feed is built from, whatever its format: a FeedDocument of plain, feed-safe values,
and the entries it is made of.

Gathering (service.feeds.kinds) reads the archive; everything after it is a pure function of the
document, so equal documents give equal bytes. Text here is already cleaned for XML and links
are absolute.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import lxml.html
from cachetools import LRUCache
from markupsafe import escape

from archive import FeedScope, Story, rights_holder
from archive.db.history import Note
from archive.story.html import strip_forbidden
from archive.story.models import MAX_PARTS
from service import urls
from service.settings import Settings, SiteSettings

# Bump when the builders change what they write, so stored renditions are rebuilt.
BUILD_VERSION = "4"
# Atom requires an updated time even for a feed with no entries.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Image:
    url: str | None
    caption: str
    credit: str
    copyright: str
    alt: str
    mime_type: str | None
    width: int | None
    height: int | None


@dataclass(frozen=True)
class Entry:
    story_id: int
    id: str
    url: str
    title: str
    summary: str
    content_html: str | None  # None when the syndication policy is `summary`
    language: str
    authors: tuple[tuple[str, str | None], ...]  # (name, url) in byline order
    categories: tuple[tuple[str, str, str], ...]  # (term, label, scheme URL)
    published_at: datetime
    updated_at: datetime
    rights_holder: str
    rights_statement: str
    license_url: str | None
    image: Image | None
    publisher_name: str | None
    publisher_url: str | None
    # Origin of syndicated copy: where the originating publisher published the story.
    original_url: str | None = None
    # More links of the entry, (relation, URL): RFC 5829 versions of a correction.
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DeletedEntry:
    """RFC 6721: a story withdrawn lately, so readers that kept a copy can drop it."""

    story_id: int
    id: str
    url: str
    withdrawn_at: datetime
    reason: str


@dataclass(frozen=True)
class FeedDocument:
    scope: FeedScope
    title: str
    subtitle: str
    page_url: str  # the HTML page this feed follows
    updated_at: datetime
    language: str
    entries: tuple[Entry, ...]
    deleted: tuple[DeletedEntry, ...] = ()
    is_archive: bool = False  # RFC 5005 archive document (one month)
    # RFC 5005 navigation, as scopes: {"prev-archive": archive/2014/01, "current": latest}
    archive_links: dict[str, FeedScope] = field(default_factory=dict)
    # Stories that could not be made into entries: {story id: what went wrong}.
    left_out: dict[int, str] = field(default_factory=dict)

    def without(self, story_ids: set[int], reason: str) -> FeedDocument:
        """The document with these stories' entries and tombstones left out."""
        return replace(
            self,
            entries=tuple(e for e in self.entries if e.story_id not in story_ids),
            deleted=tuple(d for d in self.deleted if d.story_id not in story_ids),
            left_out={**self.left_out, **dict.fromkeys(story_ids, reason)},
        )

    def only(self, story_id: int) -> FeedDocument:
        """The document with nothing but this story's entry or tombstone (to find a culprit)."""
        return replace(
            self,
            entries=tuple(e for e in self.entries if e.story_id == story_id),
            deleted=tuple(d for d in self.deleted if d.story_id == story_id),
        )

    @property
    def story_ids(self) -> list[int]:
        return [e.story_id for e in self.entries] + [d.story_id for d in self.deleted]


def describe(error: BaseException) -> str:
    """An error as one line for logs, `masthead feeds list` and /health."""
    text = " ".join(str(error).split())[:300]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def tombstone_of(story: Story, settings: Settings) -> DeletedEntry:
    """RFC 6721 deleted-entry of a withdrawn story; only a story once public has one."""
    if story.id is None or not story.entry_id or not story.path or not story.withdrawn_at:
        raise ValueError(f"story {story.id} was never public: it has no tombstone")
    return DeletedEntry(
        story_id=story.id,
        id=story.entry_id,
        url=urls.story_url(settings.site, story),
        withdrawn_at=story.withdrawn_at,
        reason=clean(story.withdrawn_reason),
    )


class EntryCache:
    """Entries of subscription feeds by the story and settings they were built from (both
    frozen values, compared whole), so a kept entry is the one entry_of would build. A story is
    in up to six feeds, all rebuilt after a write, so its entry is built once, not once per
    feed. Shared by the build threads; at most `[cache] feed_entries` of them, the least
    recently used leaving first. Months (thousands of entries each) are built without it, so
    they never push these out."""

    def __init__(self):
        # cachetools' LRU: the scheduler's build threads ask it under `lock`, a few thousand
        # times a rebuild, never on a request (where functools.lru_cache is 20 times cheaper).
        self.kept: LRUCache[tuple, Entry] = LRUCache(maxsize=0)
        self.used: set[tuple] = set()  # keys used since the last sweep
        self.lock = threading.Lock()

    def entry(self, story: Story, settings: Settings) -> Entry:
        key = (story, settings)
        limit = settings.cache.feed_entries
        with self.lock:
            self.used.add(key)
            if self.kept.maxsize != limit:  # cachetools fixes a size at creation
                self.kept = LRUCache(maxsize=limit)
            if key in self.kept:
                return self.kept[key]  # now the most recently used
        built = entry_of(story, settings)  # raises for a story that cannot be an entry
        with self.lock:
            if limit > 0:  # the least recently used leaves when full
                self.kept[key] = built
        return built

    def sweep(self) -> int:
        """Drop the entries not used since the last sweep: those of stories that have left
        every feed, and of feeds not rebuilt since (built again when they next change).
        Returns how many were dropped. So the cache holds the entries the feeds use now, not
        `feed_entries` of every story written since the start."""
        with self.lock:
            stale = [key for key in self.kept if key not in self.used]
            for key in stale:
                del self.kept[key]
            self.used.clear()
        return len(stale)

    def report(self, limit: int) -> dict:
        """Its size and limit, for /health."""
        return {"size": len(self.kept), "limit": limit, "unit": "entries"}


ENTRIES = EntryCache()


def _rights_statement(story: Story, holder: str, settings: Settings) -> str:
    """The story's rights notice; the site's for its own copy; else who holds it, or that no
    one is stated."""
    if story.rights and story.rights.statement:
        return story.rights.statement
    if holder == settings.site.rights_holder:
        return settings.site.rights
    return f"© {holder}" if holder else "Rights holder not stated."


def entry_of(story: Story, settings: Settings) -> Entry:
    """A story as a feed entry: what its syndication policy allows, with its attribution."""
    site = settings.site
    rights = story.rights
    image = story.lead_image
    # archive.rights_holder: the site holds only its own copy; else "" (not stated).
    holder = rights_holder(story, own_holder=settings.site.rights_holder)
    if story.id is None or not story.entry_id or not story.path or not story.published_at:
        raise ValueError(f"story {story.id} has no entry id, permalink or publication time")
    return Entry(
        story_id=story.id,
        # RFC 4287 4.2.6: the entry id is minted once and never derived from the slug.
        id=story.entry_id,
        url=urls.story_url(site, story),
        title=clean(story.title),
        summary=clean(story.summary or story.dek),
        content_html=body_html(story.body_html, settings) if story.syndication == "full" else None,
        language=story.language,
        authors=tuple(
            (clean(a.name), urls.name_url(site, "author", a.slug)) for a in story.authors
        ),
        categories=_categories(story, site),
        published_at=story.published_at,
        updated_at=story.updated_at or story.published_at,
        rights_holder=clean(holder),
        rights_statement=clean(_rights_statement(story, holder, settings)),
        license_url=clean(rights.license_url) or None if rights else None,
        image=Image(
            url=urls.resolve(site, clean(image.url)) if image.url else None,
            caption=clean(image.caption),
            credit=clean(image.credit),
            copyright=clean(image.copyright),
            alt=clean(image.alt),
            mime_type=clean(image.mime_type) or None,
            width=image.width,
            height=image.height,
        )
        if image
        else None,
        publisher_name=clean(story.publisher.name) if story.publisher else None,
        publisher_url=clean(story.publisher.url) or None if story.publisher else None,
        original_url=clean(story.original_url) or None if story.original_url else None,
    )


def correction_entry(note: Note, story: Story, settings: Settings) -> Entry:
    """A correction as an entry of the corrections feed: its note and the words it changed,
    dated when it was made, linking to the corrected revision's page, with the revision it
    corrected (RFC 5829 `predecessor-version`) and the story as it reads now
    (`latest-version`). Its id is the story's, with the revision that corrected it, so it is
    never taken for the story's own entry."""
    entry = entry_of(story, settings)
    text = clean(note.note)
    versions = [("latest-version", entry.url)]
    if note.predecessor is not None:
        versions.insert(0, ("predecessor-version", f"{entry.url}revisions/{note.predecessor}/"))
    return replace(
        entry,
        id=f"{entry.id}/corrections/{note.revision}",
        url=f"{entry.url}revisions/{note.revision}/",
        title=clean(f"Correction: {story.title}"),
        summary=text,
        content_html=f"<p>{escape(text)}</p>{diff_html(note.changes)}"
        f'<p><a href="{escape(entry.url)}">{escape(entry.title)}</a></p>',
        categories=(),
        image=None,
        published_at=note.saved_at,
        updated_at=note.saved_at,
        links=tuple(versions),
    )


# How a diff line is marked in a correction's content: (class, element of its changed words).
DIFF_MARKS = {"-": ("removed", "del"), "+": ("added", "ins"), " ": ("context", "span")}


def diff_html(changes) -> str:
    """What a correction changed, as the revision page shows it: each field with its removed
    and added lines, only the changed words in `del` and `ins`."""
    if not changes:
        return ""
    parts = ["<dl>"]
    for change in changes:
        parts.append(f"<dt>{escape(clean(change.label))}</dt>")
        if change.sentence:
            parts.append(f"<dd>{escape(clean(change.sentence))}</dd>")
        for line in change.lines:
            kind, tag = DIFF_MARKS[line.mark]
            words = "".join(
                f"<{tag}>{escape(clean(text))}</{tag}>" if is_changed else escape(clean(text))
                for is_changed, text in line.parts
            )
            parts.append(f'<dd class="{kind}">{escape(line.mark)} {words}</dd>')
    parts.append("</dl>")
    return "".join(parts)


def withdrawal_entry(story: Story, settings: Settings) -> Entry:
    """A story no longer published as an entry of the withdrawals feed: when and why it went,
    linking to its tombstone. Its id is the story's, with the moment it went, so it is never
    taken for the story's own entry and stays the same while the story stays out."""
    if not story.withdrawn_at:
        raise ValueError(f"story {story.id} was not withdrawn")
    entry = entry_of(story, settings)
    reason = clean(story.withdrawn_reason)
    when = story.withdrawn_at
    return replace(
        entry,
        id=f"{entry.id}/withdrawals/{when.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        title=clean(f"Withdrawn: {story.title}"),
        summary=reason,
        content_html=f'<p>{escape(reason)}</p><p><a href="{escape(entry.url)}">'
        f"{escape(entry.title)}</a> (first published {entry.published_at:%Y-%m-%d}) was "
        f"withdrawn on {when:%Y-%m-%d}.</p>",
        categories=(),
        image=None,
        published_at=when,
        updated_at=when,
    )


def _categories(story: Story, site: SiteSettings) -> tuple[tuple[str, str, str], ...]:
    found = []
    if story.section_slug:
        found.append((story.section_slug, clean(story.section), urls.names_url(site, "section")))
    found += [
        (slug, clean(tag), urls.names_url(site, "tag"))
        for tag, slug in zip(story.tags, story.tag_slugs, strict=True)
    ]
    # No more than the gate lets a story have, whatever an older archive holds.
    return tuple(found[: MAX_PARTS["tags"] + 1])


def body_html(body: str, settings: Settings) -> str:
    """A stored body (sanitised when it was saved) with every link absolute, for any reader."""
    if not body:
        return ""
    tree = lxml.html.fragment_fromstring(body, create_parent="div")
    tree.make_links_absolute(urls.site_url(settings.site))
    wrapped = lxml.html.tostring(tree, encoding="unicode")
    return strip_forbidden(wrapped.removeprefix("<div>").removesuffix("</div>"))


def clean(text: str | None) -> str:
    """Text with the characters XML 1.0 forbids removed (a feed must stay well-formed)."""
    return strip_forbidden(text or "")
