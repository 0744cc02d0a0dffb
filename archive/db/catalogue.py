"""Reads for what the archive holds beyond single stories: the names behind section, tag and
author slugs, the indexes of them with their story counts, and the permalinks crawlers are
given (sitemaps, in chunks).

A section or tag spelled two ways ("Sport", "sport") is one name with one slug
(archive.story.names);
readers see the spelling of its first published story, so a new story never renames a page.

Parameterised SQL only; nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from archive.db import names as name_store
from archive.db.queries import from_text
from archive.errors import NameNotFound
from archive.story.models import Author
from archive.story.visibility import LIVE, PUBLIC


@dataclass(frozen=True)
class SitemapChunk:
    """One sitemap file's worth of permalinks: its number (from 1) and newest update."""

    number: int
    updated_at: datetime | None


@dataclass(frozen=True)
class NameCount:
    """A section, tag or author in an index: its slug, the name shown and its live stories."""

    slug: str
    name: str
    count: int


@dataclass(frozen=True)
class SitemapEntry:
    path: str
    updated_at: datetime


def display_name(db: sqlite_utils.Database, kind: str, slug: str) -> str | None:
    """The name shown for a section, tag or author: the first spelling it was given (`Sport`
    rather than a later `sport`), unless an editor has set another."""
    row = db.execute(
        "SELECT coalesce(display_name, name) FROM names WHERE kind = ? AND slug = ?", [kind, slug]
    ).fetchone()
    return row[0] if row else None


def section_name(db: sqlite_utils.Database, slug: str, *, published_only: bool = True) -> str:
    """The section's name as its first (published) story spells it. Raises NameNotFound."""
    visible = LIVE if published_only else PUBLIC
    row = db.execute(
        f"""SELECT section FROM stories WHERE section_slug = ? AND {visible}
            ORDER BY published_at LIMIT 1""",
        [slug],
    ).fetchone()
    if not row:
        raise NameNotFound(f"no section has the slug {slug!r}")
    return display_name(db, "section", slug) or row[0]


def tag_name(db: sqlite_utils.Database, slug: str, *, published_only: bool = True) -> str:
    """The tag's name as its first (published) story spells it. Raises NameNotFound.

    A tag only drafts or embargoed stories carry is not there yet: its name could tell of them.
    """
    visible = LIVE if published_only else PUBLIC
    row = db.execute(
        f"""SELECT story_tags.tag FROM story_tags JOIN stories ON stories.id = story_tags.story_id
            WHERE story_tags.tag_slug = ? AND {visible}
            ORDER BY stories.published_at LIMIT 1""",
        [slug],
    ).fetchone()
    if not row:
        raise NameNotFound(f"no tag has the slug {slug!r}")
    return display_name(db, "tag", slug) or row[0]


def author_named(db: sqlite_utils.Database, slug: str, *, published_only: bool = True) -> Author:
    """The author with this slug, if a published story carries their byline (any public one,
    live or withdrawn, with `published_only` False), with the link the newest such story gives.
    Raises NameNotFound."""
    visible = LIVE if published_only else PUBLIC
    row = db.execute(
        f"""SELECT authors.name, authors.slug, story_authors.url, story_authors.kind FROM authors
            JOIN story_authors ON story_authors.author_slug = authors.slug
            JOIN stories ON stories.id = story_authors.story_id
            WHERE authors.slug = ? AND {visible}
            ORDER BY story_authors.url IS NULL, stories.published_at DESC LIMIT 1""",
        [slug],
    ).fetchone()
    if not row:
        raise NameNotFound(f"no author has the slug {slug!r}")
    return Author(*row)


def name_of(db: sqlite_utils.Database, kind: str, slug: str) -> str:
    """The name of a feed scope's section, tag or author ("sections", "tags", "authors"), from
    any public story, withdrawn ones too: a feed keeps its title while its stories come and go,
    and a draft never names it. Raises NameNotFound."""
    if kind == "sections":
        return section_name(db, slug, published_only=False)
    if kind == "tags":
        return tag_name(db, slug, published_only=False)
    return author_named(db, slug, published_only=False).name


# Each index: its names, the first published spelling (SQLite takes the bare columns from the
# row holding min()), and how many live stories carry the name. Sections have no spelling here:
# their counts come from the (section_slug, status, published_at) index alone, and each name
# from one seek of it (section_name).
INDEX_QUERIES = {
    "sections": f"""SELECT section_slug, NULL, NULL, count(*) FROM stories
        INDEXED BY stories_section WHERE section_slug != '' AND {LIVE} GROUP BY section_slug""",
    "tags": f"""SELECT story_tags.tag_slug, story_tags.tag, min(stories.published_at),
        count(DISTINCT stories.id) FROM story_tags JOIN stories ON stories.id = story_tags.story_id
        WHERE {LIVE} GROUP BY story_tags.tag_slug""",
    "authors": f"""SELECT authors.slug, authors.name, min(stories.published_at),
        count(DISTINCT stories.id) FROM authors
        JOIN story_authors ON story_authors.author_slug = authors.slug
        JOIN stories ON stories.id = story_authors.story_id
        WHERE {LIVE} GROUP BY authors.slug""",
}


# Whether a name has a live story, per index: one index seek that stops at the first one found.
LIVE_NAME_QUERIES = {
    "sections": f"SELECT 1 FROM stories WHERE section_slug = ? AND {LIVE} LIMIT 1",
    "tags": f"""SELECT 1 FROM story_tags JOIN stories ON stories.id = story_tags.story_id
        WHERE story_tags.tag_slug = ? AND {LIVE} LIMIT 1""",
    "authors": f"""SELECT 1 FROM story_authors JOIN stories ON stories.id = story_authors.story_id
        WHERE story_authors.author_slug = ? AND {LIVE} LIMIT 1""",
}


def has_live_stories(db: sqlite_utils.Database, kind: str, slug: str) -> bool:
    """Whether a section, tag or author ("sections", "tags", "authors") has a page: a live
    story carries it."""
    return db.execute(LIVE_NAME_QUERIES[kind], [slug]).fetchone() is not None


def name_index(db: sqlite_utils.Database, kind: str) -> list[NameCount]:
    """Every section, tag or author ("sections", "tags", "authors") that live stories carry,
    with how many, in alphabetical order. A name only drafts or withdrawn stories carry is not
    listed: its page would answer 404."""
    rows = db.execute(INDEX_QUERIES[kind]).fetchall()
    found = [
        NameCount(slug, name or section_name(db, slug), count) for slug, name, _first, count in rows
    ]
    return sorted(found, key=lambda entry: (entry.name.casefold(), entry.slug))


def sitemap_chunks(db: sqlite_utils.Database, *, size: int) -> list[SitemapChunk]:
    """Published permalinks cut into chunks of `size`, oldest first, each with its lastmod."""
    rows = db.execute(
        f"""SELECT chunk, max(updated_at) FROM (
                SELECT (row_number() OVER (ORDER BY published_at, id) - 1) / ? AS chunk, updated_at
                FROM stories WHERE {LIVE}
            ) GROUP BY chunk ORDER BY chunk""",
        [size],
    ).fetchall()
    return [SitemapChunk(chunk + 1, from_text(updated)) for chunk, updated in rows]


def sitemap_entries(db: sqlite_utils.Database, number: int, *, size: int) -> list[SitemapEntry]:
    """The permalinks of chunk `number` (from 1). Raises NameNotFound past the last chunk."""
    if number < 1:
        raise NameNotFound(f"there is no sitemap {number} (they are numbered from 1)")
    rows = db.execute(
        f"""SELECT path, updated_at FROM stories WHERE {LIVE}
            ORDER BY published_at, id LIMIT ? OFFSET ?""",
        [size, (number - 1) * size],
    ).fetchall()
    if not rows and number != 1:
        raise NameNotFound(f"there is no sitemap {number}")
    return [SitemapEntry(path, from_text(updated)) for path, updated in rows]


@dataclass(frozen=True)
class Names:
    """The names behind section, tag and author slugs, as pages and feeds show them
    (`archive.names`). `kind` is "section", "tag" or "author" for one name, and "sections",
    "tags" or "authors" (a feed scope's or an index's kind) where a method says so."""

    db: sqlite_utils.Database

    def shown(self, kind: str, slug: str) -> str | None:
        """The name shown for a slug: its first spelling (`Sport` rather than a later `sport`)
        unless an editor set another; None when no story ever carried it."""
        return display_name(self.db, kind, slug)

    def section(self, slug: str) -> str:
        """The section's name as its first published story spells it. Raises NameNotFound."""
        return section_name(self.db, slug)

    def tag(self, slug: str) -> str:
        """The tag's name as its first published story spells it. Raises NameNotFound."""
        return tag_name(self.db, slug)

    def author(self, slug: str) -> Author:
        """The author with this slug, as a public story's byline gives them. Raises
        NameNotFound."""
        return author_named(self.db, slug)

    def of_scope(self, kind: str, slug: str) -> str:
        """The name of a feed scope's section, tag or author ("sections", "tags", "authors").
        Raises NameNotFound."""
        return name_of(self.db, kind, slug)

    def index(self, kind: str) -> list[NameCount]:
        """Every section, tag or author ("sections", "tags", "authors") live stories carry,
        with its count of them."""
        return name_index(self.db, kind)

    def has_live_stories(self, kind: str, slug: str) -> bool:
        """Whether a section, tag or author ("sections", "tags", "authors") has a page: a live
        story carries it."""
        return has_live_stories(self.db, kind, slug)

    def slug_of(self, kind: str, name: str) -> str | None:
        """The slug a section, tag or author name ("section", "tag", "author") was given, if
        any story carried it."""
        return name_store.slug_of(self.db, kind, name)
