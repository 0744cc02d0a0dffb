"""Identity of sections, tags and authors: a name gets a slug once, and keeps it for ever.

Two different names never share a slug (the second gets `-2`, `-3` ...), and no write renames
what another write named. Slugs are readable in every script: text is transliterated to ASCII
(anyascii: Cyrillic, Greek, Arabic, Hebrew, CJK, ...), so a permalink stays a plain ASCII URL
that every client, log and terminal copes with, instead of a percent-encoded IRI.
"""

from __future__ import annotations

import re
import unicodedata

import sqlite_utils
from anyascii import anyascii

# Longest slug: permalinks stay readable and well under URL limits.
MAX_SLUG_LENGTH = 120
# Kinds of names; a tag and a section may share a slug, two tags may not.
KINDS = ("section", "tag", "author")
# Tags and sections are one whatever their case ("Sport" and "sport"); authors are people, and
# two spellings of a name are two bylines until an editor says otherwise.
CASE_BLIND = {"section": True, "tag": True, "author": False}
WORD = re.compile(r"[a-z0-9]+")


def slugify(text: str, *, fallback: str = "story") -> str:
    """A URL slug from text in any script: lower-case ASCII words joined by hyphens.

    Ideographs and syllables (CJK, Hangul, kana) are words of their own, so 東京の天気 reads
    dong-jing-no-tian-qi rather than one run of letters. `fallback` is used when the text has no
    letters or digits at all (emoji, punctuation).
    """
    pieces = []
    for char in unicodedata.normalize("NFC", text):
        ascii_char = anyascii(char)
        is_wide = unicodedata.east_asian_width(char) in ("W", "F") and ascii_char.isalnum()
        pieces.append(f" {ascii_char} " if is_wide else ascii_char)
    words = WORD.findall("".join(pieces).lower())
    slug = "-".join(words)[:MAX_SLUG_LENGTH].strip("-")
    return slug or fallback


def name_key(kind: str, name: str) -> str:
    """What makes two names one: the same text, spaces collapsed (and case, for tags and
    sections)."""
    key = " ".join(unicodedata.normalize("NFC", name).split())
    return key.casefold() if CASE_BLIND[kind] else key


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
