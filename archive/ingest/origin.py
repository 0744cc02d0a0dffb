"""The origin of syndicated copy, as an imported article states it: who first published it (the
originating publisher) and where (the original URL).

Read from an "Originally published by X" line anywhere, a "Source: X" line after the body, the
rights line's holder, and a saved page's <link rel="canonical"> or og:url. A story the site
itself published has no origin: `unless_own` removes what names the site.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

import regex

from archive.lexicon import ORIGIN_LABELS, ORIGIN_PHRASES, words_pattern
from archive.story.models import Story, is_web_url
from archive.story.rights import unquoted

# Longest origin line: a sentence naming a publisher and a URL.
MAX_ORIGIN_LINE = 400
MAX_PUBLISHER_NAME = 120
MAX_NAME_WORDS = 8
URL = regex.compile(r"https?://[^\s<>\"'«»“”]+")
PHRASE = regex.compile(
    r"^(?:" + words_pattern(ORIGIN_PHRASES).pattern + r")\s*[:：]?\s*(?P<rest>.+)$",
    regex.IGNORECASE | regex.VERSION1,
)
LABEL = regex.compile(
    r"^(?:" + words_pattern(ORIGIN_LABELS).pattern + r")\s*[:：﹕]\s*(?P<rest>.+)$",
    regex.IGNORECASE | regex.VERSION1,
)
# Words between a publisher's name and its URL: "X at https://...", "X (https://...)", "X — ...".
LINKING = regex.compile(r"\s*(?:\b(?:at|on|in|на|auf|sur|en|unter)\b|[-–—:(\[,])\s*$", regex.I)
SENTENCE_INSIDE = regex.compile(r"[.!?。！？]\s+\p{Lu}")
# A publisher's name: letters of any script, with the marks company names use; no sentence.
NAME = regex.compile(r"^[\p{L}\p{M}\p{N}][\p{L}\p{M}\p{N} .,&'’«»\"“”„()-]*$")


def parse_origin(block: str, *, after_body: bool = False) -> dict | None:
    """An origin line as {"name"[, "url"]}, else None.

    "Originally published by X", "First published in X on https://..." are origin lines wherever
    they stand; a bare "Source: X" only after the body (above it, it credits a photo or a quote).
    """
    if len(block) > MAX_ORIGIN_LINE:
        return None
    match = PHRASE.match(block) or (LABEL.match(block) if after_body else None)
    if match is None:
        return None
    rest = match["rest"].strip()
    url = None
    if found := URL.search(rest):
        url = found.group(0).rstrip(".,;:)]")
        rest = (rest[: found.start()] + rest[found.end() :]).strip(" .)]")
        rest = LINKING.sub("", rest).strip()
    name = unquoted(rest)
    if not is_publisher_name(name):
        return None  # "Source: Alexander Vilf / RIA Novosti" credits a picture
    origin = {"name": name}
    if url and is_web_url(url):
        origin["url"] = url
    return origin


def is_publisher_name(name: str) -> bool:
    """A few words naming an organisation: no slash (a credit's), no sentence inside, not
    starting in lower case (prose)."""
    return (
        0 < len(name) <= MAX_PUBLISHER_NAME
        and len(name.split()) <= MAX_NAME_WORDS
        and "/" not in name
        and not SENTENCE_INSIDE.search(name)
        and not regex.match(r"\p{Ll}", name)
        and bool(NAME.match(name))
    )


def origin_shape(publisher: dict | None) -> dict:
    """The shape's origin fields from an origin line's {name[, url]}."""
    shape: dict = {}
    if publisher:
        shape["publisher"] = {"name": publisher["name"]}
        if publisher.get("url"):
            shape["original_url"] = publisher["url"]
    return shape


def with_holder_as_origin(shape: dict) -> dict:
    """An article read from its text: when neither the text nor the importer names an
    originating publisher, the rights holder is one ("All rights reserved by X."). Run after
    the importer's defaults, so that --publisher wins over the guess."""
    rights = shape.get("rights")
    if shape.get("publisher") or not isinstance(rights, dict):
        return shape
    holder = rights.get("holder")
    return {**shape, "publisher": {"name": holder}} if isinstance(holder, str) and holder else shape


def page_origin(page) -> dict:
    """A saved page's own URL, as its <link rel="canonical"> or og:url states it."""
    for found in (
        page.xpath("//link[@rel='canonical']/@href"),
        page.xpath("//meta[@property='og:url']/@content"),
    ):
        url = found[0].strip() if found else ""
        if url and is_web_url(url):
            return {"original_url": url}
    return {}


def unless_own(story: Story, names: Iterable[str], base_url: str) -> Story:
    """The story without an origin that is the site itself: its rights holder or title as the
    publisher, its own host in the original URL."""
    own = {_folded(name) for name in names if name}
    story_host = urlsplit(story.original_url or "").hostname
    if story_host and story_host == urlsplit(base_url).hostname:
        story = story.replace(original_url=None, canonical_is_original=False)
    if story.publisher and _folded(story.publisher.name) in own:
        story = story.replace(publisher=None, original_url=None, canonical_is_original=False)
    return story


def _folded(name: str) -> str:
    return " ".join(name.casefold().split())
