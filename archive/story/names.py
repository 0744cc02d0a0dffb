"""Names of sections, tags and authors: their slugs, and what makes two spellings one name.

The archive gives each name its slug once (archive.db.names): two different names never share a
slug (the second gets `-2`, `-3` ...), and no write renames what another write named. Slugs are
readable in every script: text is transliterated to ASCII (anyascii: Cyrillic, Greek, Arabic,
Hebrew, CJK, ...), so a permalink stays a plain ASCII URL that every client, log and terminal
copes with, instead of a percent-encoded IRI.
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

# Longest slug: permalinks stay readable and well under URL limits.
MAX_SLUG_LENGTH = 120
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
