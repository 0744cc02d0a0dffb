"""Identity of sections, tags and authors in the archive: a name gets a slug once, and keeps it
for ever. A tag and a section may share a slug; two tags may not.
"""

from __future__ import annotations

import sqlite_utils

from archive.story.names import MAX_SLUG_LENGTH, name_key, slugify


def claim(db: sqlite_utils.Database, kind: str, name: str, *, prefer: str | None = None) -> str:
    """The slug of `name` among `kind`: the one it was given, or a new one no other name has.

    `prefer` is the slug to give a new name if it is free (a migration keeps old addresses).
    Call inside a write transaction.
    """
    key = name_key(kind, name)
    row = db.execute("SELECT slug FROM names WHERE kind = ? AND key = ?", [kind, key]).fetchone()
    if row:
        return row[0]
    slug = prefer if prefer and not _is_named(db, kind, prefer) else _free_slug(db, kind, name)
    db.execute(
        "INSERT INTO names (kind, key, slug, name) VALUES (?, ?, ?, ?)", [kind, key, slug, name]
    )
    if kind == "author":
        # story_authors refers to authors(slug); the name there is the one first given.
        db.execute("INSERT OR IGNORE INTO authors (slug, name) VALUES (?, ?)", [slug, name])
    return slug


def _is_named(db: sqlite_utils.Database, kind: str, slug: str) -> bool:
    found = db.execute("SELECT 1 FROM names WHERE kind = ? AND slug = ?", [kind, slug])
    return found.fetchone() is not None


def _is_taken(db: sqlite_utils.Database, kind: str, slug: str) -> bool:
    if _is_named(db, kind, slug):
        return True
    # An author row no story names any more still owns its address.
    return kind == "author" and bool(
        db.execute("SELECT 1 FROM authors WHERE slug = ?", [slug]).fetchone()
    )


def _free_slug(db: sqlite_utils.Database, kind: str, name: str) -> str:
    base = slugify(name, fallback=kind)
    slug, number = base, 1
    while _is_taken(db, kind, slug):
        number += 1
        slug = f"{base[: MAX_SLUG_LENGTH - 1 - len(str(number))]}-{number}"
    return slug


def slug_of(db: sqlite_utils.Database, kind: str, name: str) -> str | None:
    """The slug `name` was given among `kind`, if it was ever named (reads only)."""
    row = db.execute(
        "SELECT slug FROM names WHERE kind = ? AND key = ?", [kind, name_key(kind, name)]
    ).fetchone()
    return row[0] if row else None
