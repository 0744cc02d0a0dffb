"""The archive's schema: append-only named migrations, indexes and the full-text index.

Never edit a migration that has shipped; add a new one at the end.
"""

from __future__ import annotations

import json
import re
import unicodedata

import sqlite_utils
from anyascii import anyascii

from archive.db import bodies_m013

migrations = sqlite_utils.Migrations("masthead")


@migrations()
def m001_stories(db: sqlite_utils.Database) -> None:
    # AUTOINCREMENT: a story id is never reused, even after a row is deleted by hand.
    db.execute(
        """
        CREATE TABLE stories (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            entry_id TEXT UNIQUE,
            path TEXT UNIQUE,
            slug TEXT NOT NULL,
            title TEXT NOT NULL,
            dek TEXT NOT NULL DEFAULT '',
            summary TEXT NOT NULL DEFAULT '',
            body_html TEXT NOT NULL DEFAULT '',
            body_text TEXT NOT NULL DEFAULT '',
            byline TEXT NOT NULL DEFAULT '',
            language TEXT NOT NULL DEFAULT 'en',
            section TEXT NOT NULL DEFAULT '',
            section_slug TEXT NOT NULL DEFAULT '',
            publisher_name TEXT,
            publisher_url TEXT,
            rights_holder TEXT,
            rights_statement TEXT,
            rights_license_url TEXT,
            syndication TEXT NOT NULL DEFAULT 'full'
                CHECK (syndication IN ('full', 'summary', 'none')),
            status TEXT NOT NULL DEFAULT 'published'
                CHECK (status IN ('draft', 'scheduled', 'published', 'withdrawn')),
            embargo_at TEXT,
            published_at TEXT,
            updated_at TEXT,
            local_date TEXT,
            revision INTEGER NOT NULL DEFAULT 0,
            origin TEXT UNIQUE,
            withdrawn_at TEXT,
            withdrawn_reason TEXT NOT NULL DEFAULT ''
        )
        """
    )
    db.execute(
        """
        CREATE TABLE authors (
            slug TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            url TEXT
        )
        """
    )
    db.execute(
        """
        CREATE TABLE story_authors (
            story_id INTEGER NOT NULL REFERENCES stories(id),
            author_slug TEXT NOT NULL REFERENCES authors(slug),
            position INTEGER NOT NULL,
            PRIMARY KEY (story_id, position)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE story_tags (
            story_id INTEGER NOT NULL REFERENCES stories(id),
            tag_slug TEXT NOT NULL,
            tag TEXT NOT NULL,
            position INTEGER NOT NULL,
            PRIMARY KEY (story_id, position)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE media (
            story_id INTEGER NOT NULL REFERENCES stories(id),
            position INTEGER NOT NULL,
            url TEXT,
            caption TEXT NOT NULL DEFAULT '',
            credit TEXT NOT NULL DEFAULT '',
            copyright TEXT NOT NULL DEFAULT '',
            alt TEXT NOT NULL DEFAULT '',
            mime_type TEXT,
            PRIMARY KEY (story_id, position)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE sources (
            story_id INTEGER NOT NULL REFERENCES stories(id),
            position INTEGER NOT NULL,
            name TEXT NOT NULL,
            role TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (story_id, position)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE revisions (
            story_id INTEGER NOT NULL REFERENCES stories(id),
            revision INTEGER NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('create', 'update', 'withdraw', 'publish')),
            saved_at TEXT NOT NULL,
            snapshot TEXT NOT NULL,
            PRIMARY KEY (story_id, revision)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE redirects (
            path TEXT PRIMARY KEY,
            story_id INTEGER NOT NULL REFERENCES stories(id)
        )
        """
    )
    # One index per lookup in the URL table: permalink (path, UNIQUE above), latest,
    # date archives, sections, tags, authors; plus the scheduler's embargo scan.
    db.execute("CREATE INDEX stories_status_published ON stories(status, published_at)")
    db.execute("CREATE INDEX stories_status_local_date ON stories(status, local_date)")
    db.execute("CREATE INDEX stories_section ON stories(section_slug, status, published_at)")
    db.execute("CREATE INDEX stories_embargo ON stories(status, embargo_at)")
    db.execute("CREATE INDEX stories_updated ON stories(updated_at)")
    db.execute("CREATE INDEX story_tags_tag ON story_tags(tag_slug, story_id)")
    db.execute("CREATE INDEX story_authors_author ON story_authors(author_slug, story_id)")
    db.table("stories").enable_fts(
        ["title", "dek", "body_text", "byline"],
        fts_version="FTS5",
        create_triggers=True,
        tokenize="porter",
    )


@migrations()
def m002_renditions(db: sqlite_utils.Database) -> None:
    # Built feeds, kept as bytes so that a request never builds one: the service's renditions.
    db.execute(
        """
        CREATE TABLE renditions (
            key TEXT PRIMARY KEY,
            scope TEXT NOT NULL,
            content_type TEXT NOT NULL,
            body BLOB NOT NULL,
            gzip_body BLOB NOT NULL,
            etag TEXT NOT NULL,
            last_modified TEXT,
            built_at TEXT NOT NULL,
            entries INTEGER NOT NULL,
            inputs TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX renditions_scope ON renditions(scope)")
    # The feed scopes a write touched, written in the write's own transaction; the scheduler
    # rebuilds them and deletes the rows it handled.
    db.execute(
        """
        CREATE TABLE feed_changes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            scope TEXT NOT NULL,
            changed_at TEXT NOT NULL
        )
        """
    )
    # Withdrawn stories by time, for RFC 6721 deleted-entry tombstones in feeds.
    db.execute("CREATE INDEX stories_withdrawn ON stories(status, withdrawn_at)")


@migrations()
def m003_api_idempotency(db: sqlite_utils.Database) -> None:
    # An Idempotency-Key names the story its first request created, with a digest of that
    # request, so a retry returns the same story and a reused key with another body is refused.
    db.execute(
        """
        CREATE TABLE api_idempotency (
            key TEXT PRIMARY KEY,
            digest TEXT NOT NULL,
            story_id INTEGER NOT NULL REFERENCES stories(id),
            created_at TEXT NOT NULL
        )
        """
    )
    # The API's sync listing turns `since=` into the first revision saved at or after it.
    db.execute("CREATE INDEX revisions_saved_at ON revisions(saved_at)")


@migrations()
def m004_pages(db: sqlite_utils.Database) -> None:
    # Date archives list a day or month newest first: with published_at in the index they walk
    # it backwards and stop at a page, instead of sorting every story of the month. It serves
    # every lookup the (status, local_date) index did, so that one goes.
    db.execute(
        "CREATE INDEX stories_status_local_date_published "
        "ON stories(status, local_date, published_at)"
    )
    db.execute("DROP INDEX stories_status_local_date")


@migrations()
def m005_identity_and_visibility(db: sqlite_utils.Database) -> None:
    # Public means published at least once: a withdrawn draft is not a tombstone.
    db.execute("ALTER TABLE stories ADD COLUMN was_published INTEGER NOT NULL DEFAULT 0")
    db.execute(
        """UPDATE stories SET was_published = 1 WHERE status = 'published' OR EXISTS (
               SELECT 1 FROM revisions WHERE revisions.story_id = stories.id
               AND json_extract(revisions.snapshot, '$.status') = 'published')"""
    )
    db.execute("CREATE INDEX stories_public ON stories(was_published, status, withdrawn_at)")
    # A name's slug, given once: two names never share one, and no later write renames it.
    db.execute(
        """
        CREATE TABLE names (
            kind TEXT NOT NULL CHECK (kind IN ('section', 'tag', 'author')),
            key TEXT NOT NULL,
            slug TEXT NOT NULL,
            name TEXT NOT NULL,
            PRIMARY KEY (kind, key),
            UNIQUE (kind, slug)
        )
        """
    )
    # An author's link belongs to the story that gives it: a draft cannot change a public page.
    db.execute("ALTER TABLE story_authors ADD COLUMN url TEXT")
    _name_existing_stories(db)
    # The build state of each feed scope, for `masthead feeds list` and /health.
    db.execute(
        """
        CREATE TABLE feed_builds (
            scope TEXT PRIMARY KEY,
            attempted_at TEXT NOT NULL,
            built_at TEXT,
            failing_since TEXT,
            error TEXT NOT NULL DEFAULT '',
            story_ids TEXT NOT NULL DEFAULT ''
        )
        """
    )


def _name_existing_stories(db: sqlite_utils.Database) -> None:
    """Give every name the archive holds its own slug, from each story's current revision.

    Stories are taken oldest first, and a name keeps the slug it had when that slug is still
    free, so existing addresses stay; names that used to share a slug get their own.
    """
    rows = db.execute(
        """SELECT stories.id, stories.section_slug, revisions.snapshot FROM stories
           JOIN revisions ON revisions.story_id = stories.id
           AND revisions.revision = stories.revision ORDER BY stories.id"""
    ).fetchall()
    for story_id, section_slug, text in rows:
        snapshot = json.loads(text)
        if snapshot.get("section"):
            slug = _claim_m005(db, "section", snapshot["section"], prefer=section_slug or None)
            db.execute("UPDATE stories SET section_slug = ? WHERE id = ?", [slug, story_id])
        old_tags = dict(
            db.execute("SELECT position, tag_slug FROM story_tags WHERE story_id = ?", [story_id])
        )
        for position, tag in enumerate(snapshot.get("tags") or []):
            slug = _claim_m005(db, "tag", tag, prefer=old_tags.get(position))
            db.execute(
                "UPDATE story_tags SET tag_slug = ? WHERE story_id = ? AND position = ?",
                [slug, story_id, position],
            )
        old_authors = dict(
            db.execute(
                "SELECT position, author_slug FROM story_authors WHERE story_id = ?", [story_id]
            )
        )
        for position, author in enumerate(snapshot.get("authors") or []):
            slug = _claim_m005(db, "author", author["name"], prefer=old_authors.get(position))
            db.execute(
                "UPDATE story_authors SET author_slug = ?, url = ? "
                "WHERE story_id = ? AND position = ?",
                [slug, author.get("url"), story_id, position],
            )
    # The first name given to each slug is its name; a later draft's spelling is not.
    db.execute(
        "UPDATE authors SET url = NULL, name = coalesce((SELECT name FROM names "
        "WHERE kind = 'author' AND names.slug = authors.slug), name)"
    )


# m005's naming rules as they were when it was written: a migration gives the same slugs for
# ever, whatever archive.story.names and archive.db.names become.
SLUG_LENGTH_M005 = 120
CASE_BLIND_M005 = {"section": True, "tag": True, "author": False}
WORD_M005 = re.compile(r"[a-z0-9]+")


def _slugify_m005(text: str, fallback: str) -> str:
    pieces = []
    for char in unicodedata.normalize("NFC", text):
        ascii_char = anyascii(char)
        is_wide = unicodedata.east_asian_width(char) in ("W", "F") and ascii_char.isalnum()
        pieces.append(f" {ascii_char} " if is_wide else ascii_char)
    words = WORD_M005.findall("".join(pieces).lower())
    return "-".join(words)[:SLUG_LENGTH_M005].strip("-") or fallback


def _claim_m005(db: sqlite_utils.Database, kind: str, name: str, *, prefer: str | None) -> str:
    key = " ".join(unicodedata.normalize("NFC", name).split())
    key = key.casefold() if CASE_BLIND_M005[kind] else key
    row = db.execute("SELECT slug FROM names WHERE kind = ? AND key = ?", [kind, key]).fetchone()
    if row:
        return row[0]

    def taken(slug: str) -> bool:
        named = db.execute("SELECT 1 FROM names WHERE kind = ? AND slug = ?", [kind, slug])
        if named.fetchone():
            return True
        owned = db.execute("SELECT 1 FROM authors WHERE slug = ?", [slug])
        return kind == "author" and owned.fetchone() is not None

    named_already = db.execute("SELECT 1 FROM names WHERE kind = ? AND slug = ?", [kind, prefer])
    if prefer and named_already.fetchone() is None:
        slug = prefer
    else:
        base = slug = _slugify_m005(name, kind)
        number = 1
        while taken(slug):
            number += 1
            slug = f"{base[: SLUG_LENGTH_M005 - 1 - len(str(number))]}-{number}"
    db.execute(
        "INSERT INTO names (kind, key, slug, name) VALUES (?, ?, ?, ?)", [kind, key, slug, name]
    )
    if kind == "author":
        db.execute("INSERT OR IGNORE INTO authors (slug, name) VALUES (?, ?)", [slug, name])
    return slug


# Arabic-script marks a reader seldom types (harakat U+064B-U+0652, the superscript alef U+0670,
# the tatweel U+0640): the substring index and short-term search read text without them.
ARABIC_MARKS_M006 = [0x0640, *range(0x064B, 0x0653), 0x0670]
SEARCH_COLUMNS_M006 = ("title", "dek", "body_text", "byline")


def _without_marks_sql(expression: str) -> str:
    for code in ARABIC_MARKS_M006:
        expression = f"replace({expression}, char({code}), '')"
    return expression


@migrations()
def m006_search_in_every_script(db: sqlite_utils.Database) -> None:
    # Words of Chinese, Japanese, Thai... have no spaces between them, and Arabic words carry
    # their article and prepositions (للكتاب, "for the book"): the word index cannot find them.
    # A trigram index over the same columns finds any run of three or more characters.
    folded = ", ".join(
        f"{_without_marks_sql(column)} AS {column}" for column in SEARCH_COLUMNS_M006
    )
    db.execute(f"CREATE VIEW stories_folded AS SELECT rowid AS story_rowid, {folded} FROM stories")
    columns = ", ".join(SEARCH_COLUMNS_M006)
    db.execute(
        f"""CREATE VIRTUAL TABLE stories_grams USING fts5({columns}, content='stories_folded',
            content_rowid='story_rowid', tokenize='trigram')"""
    )
    old = ", ".join(_without_marks_sql(f"old.{column}") for column in SEARCH_COLUMNS_M006)
    new = ", ".join(_without_marks_sql(f"new.{column}") for column in SEARCH_COLUMNS_M006)
    delete = f"""INSERT INTO stories_grams (stories_grams, rowid, {columns})
                 VALUES ('delete', old.rowid, {old});"""
    insert = f"INSERT INTO stories_grams (rowid, {columns}) VALUES (new.rowid, {new});"
    db.execute(f"CREATE TRIGGER stories_grams_ai AFTER INSERT ON stories BEGIN {insert} END")
    db.execute(f"CREATE TRIGGER stories_grams_ad AFTER DELETE ON stories BEGIN {delete} END")
    db.execute(
        f"CREATE TRIGGER stories_grams_au AFTER UPDATE ON stories BEGIN {delete} {insert} END"
    )
    # Existing archives: both indexes read every story again.
    db.execute("INSERT INTO stories_grams (stories_grams) VALUES ('rebuild')")
    db.execute("INSERT INTO stories_fts (stories_fts) VALUES ('rebuild')")


@migrations()
def m007_change_notes_and_local_times(db: sqlite_utils.Database) -> None:
    # Each revision says what kind of change it was, with the note readers are shown, and
    # whether an import wrote it. Revisions written before say nothing (kind NULL).
    db.execute(
        "ALTER TABLE revisions ADD COLUMN change_kind TEXT "
        "CHECK (change_kind IN ('correction', 'update', 'minor'))"
    )
    db.execute("ALTER TABLE revisions ADD COLUMN change_note TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE revisions ADD COLUMN is_import INTEGER NOT NULL DEFAULT 0")
    # The site-wide corrections feed reads corrections newest first.
    db.execute("CREATE INDEX revisions_change_kind ON revisions(change_kind, saved_at)")
    # Where a story was filed, and the UTC offset its publication time was written with.
    db.execute("ALTER TABLE stories ADD COLUMN dateline TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE stories ADD COLUMN published_offset TEXT")


@migrations()
def m008_origin_of_syndicated_copy(db: sqlite_utils.Database) -> None:
    # Where the originating publisher (publisher_name, publisher_url) published the story, and
    # whether pages name that URL as canonical. Off for every story stored before.
    db.execute("ALTER TABLE stories ADD COLUMN original_url TEXT")
    db.execute(
        "ALTER TABLE stories ADD COLUMN canonical_is_original INTEGER NOT NULL DEFAULT 0 "
        "CHECK (canonical_is_original IN (0, 1))"
    )


@migrations()
def m009_image_dimensions(db: sqlite_utils.Database) -> None:
    # An image's size in pixels, both or neither (archive.story.fields.TOGETHER): pages reserve its
    # space before it loads. Unknown (NULL) for every image stored before.
    db.execute("ALTER TABLE media ADD COLUMN width INTEGER CHECK (width > 0)")
    db.execute("ALTER TABLE media ADD COLUMN height INTEGER CHECK (height > 0)")


@migrations()
def m010_syndication_sources(db: sqlite_utils.Database) -> None:
    # Partner feeds and agency item folders polled into the archive (archive.db.sources): what to
    # fetch, how its entries become stories, and how the last fetches went.
    db.execute(
        """
        CREATE TABLE syndication_sources (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            slug TEXT NOT NULL UNIQUE,
            url TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL DEFAULT '',
            section TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '[]',
            story_status TEXT NOT NULL DEFAULT 'published'
                CHECK (story_status IN ('draft', 'published')),
            policy TEXT NOT NULL DEFAULT 'full' CHECK (policy IN ('full', 'summary', 'link')),
            rights TEXT NOT NULL DEFAULT '',
            publisher TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL DEFAULT 'active'
                CHECK (state IN ('active', 'paused', 'stopped')),
            etag TEXT,
            last_modified TEXT,
            interval_seconds INTEGER NOT NULL,
            next_poll_at TEXT NOT NULL,
            last_fetch_at TEXT,
            last_status TEXT NOT NULL DEFAULT '',
            last_error TEXT NOT NULL DEFAULT '',
            failures INTEGER NOT NULL DEFAULT 0,
            entries_taken INTEGER NOT NULL DEFAULT 0,
            hub_url TEXT,
            hub_topic TEXT,
            hub_secret TEXT,
            lease_until TEXT,
            added_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX syndication_sources_due ON syndication_sources(state, next_poll_at)")
    # An entry's id (guid, id, ninjs uri) is its identity within its source: the story it
    # became, and a digest of what it said last, so a repeated entry costs no write.
    db.execute(
        """
        CREATE TABLE syndication_entries (
            source_id INTEGER NOT NULL REFERENCES syndication_sources(id) ON DELETE CASCADE,
            entry_id TEXT NOT NULL,
            story_id INTEGER NOT NULL REFERENCES stories(id),
            digest TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            PRIMARY KEY (source_id, entry_id)
        )
        """
    )
    db.execute("CREATE INDEX syndication_entries_story ON syndication_entries(story_id)")


@migrations()
def m011_licences_and_organisation_bylines(db: sqlite_utils.Database) -> None:
    # A byline names a person or an organisation (a news agency); every byline stored before
    # named a person. A licensed story keeps the attribution its licence asks reusers to give.
    db.execute(
        "ALTER TABLE story_authors ADD COLUMN kind TEXT NOT NULL DEFAULT 'person' "
        "CHECK (kind IN ('person', 'organization'))"
    )
    db.execute("ALTER TABLE stories ADD COLUMN rights_attribution TEXT")


@migrations()
def m012_display_names(db: sqlite_utils.Database) -> None:
    # A name's display name is its first spelling (names.name) until an editor sets another;
    # an author may also have a short bio and a home page. updated_at records the last edit.
    for column in ("display_name", "bio", "url", "updated_at"):
        db.execute(f"ALTER TABLE names ADD COLUMN {column} TEXT")


@migrations()
def m013_bodies_cleaned_once(db: sqlite_utils.Database) -> None:
    # A body is cleaned when it is saved and trusted after: pages, revision pages and feeds no
    # longer clean it again. Bodies stored under older rules, the current story's and each
    # revision's, are cleaned once more here, with the rules as they were when m013 shipped.
    bodies_m013.clean_stored_bodies(db)


def migrate(db: sqlite_utils.Database) -> None:
    """Bring an archive's schema up to date; safe to call on every open."""
    migrations.apply(db)
