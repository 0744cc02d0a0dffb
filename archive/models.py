"""The story model: frozen dataclasses, built from plain dicts and validated in one place.

Validation lists every problem it finds; it never touches the database.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from archive.errors import InvalidStory
from archive.names import MAX_SLUG_LENGTH

SYNDICATION_POLICIES = ("full", "summary", "none")
STATUSES = ("draft", "scheduled", "published", "withdrawn")
# A slug is a whole string of such words: fullmatch, as `$` would also match before a newline.
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# BCP 47 language tag, as pages' lang= and feeds' xml:lang need it: "en", "ru", "zh-Hant-TW".
LANGUAGE_PATTERN = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
# Characters no text field may hold: C0 and C1 controls (tab, newline and return aside), DEL,
# lone surrogates and the non-characters XML 1.0 forbids. Feeds and pages could not carry them.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Most parts one story may have: each tag, author and section is a feed to rebuild, so these
# bound the work one write can queue.
MAX_PARTS = {"tags": 50, "authors": 20, "media": 50, "sources": 100}
# Longest title, and longest of any other plain-text field, in characters.
MAX_TITLE_LENGTH = 1_000
MAX_TEXT_LENGTH = 20_000
# Largest story body accepted, in characters of HTML.
MAX_BODY_LENGTH = 2_000_000
# Years a story's times may fall in: four-digit years keep stored times and permalink dates
# in text order, and a day's margin keeps conversion to any time zone in range.
TIME_YEARS = (1000, 9998)


@dataclass(frozen=True)
class Author:
    name: str
    slug: str = ""
    url: str | None = None


@dataclass(frozen=True)
class Media:
    url: str | None = None
    caption: str = ""
    credit: str = ""
    copyright: str = ""
    alt: str = ""
    mime_type: str | None = None


@dataclass(frozen=True)
class Source:
    """A person quoted in the story, with their role as the text gives it."""

    name: str
    role: str = ""


@dataclass(frozen=True)
class Publisher:
    name: str
    url: str | None = None


@dataclass(frozen=True)
class Rights:
    holder: str = ""
    statement: str = ""
    license_url: str | None = None


@dataclass(frozen=True)
class Story:
    title: str
    slug: str
    body_html: str = ""
    body_text: str = ""
    dek: str = ""
    summary: str = ""
    language: str = "en"
    section: str = ""
    tags: tuple[str, ...] = ()
    authors: tuple[Author, ...] = ()
    media: tuple[Media, ...] = ()
    sources: tuple[Source, ...] = ()
    publisher: Publisher | None = None
    rights: Rights | None = None
    syndication: str = "full"
    status: str = "published"
    embargo_at: datetime | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    # Set by the archive, never by an editor:
    id: int | None = None
    was_published: bool = False
    section_slug: str = ""
    tag_slugs: tuple[str, ...] = ()
    entry_id: str | None = None
    path: str | None = None
    revision: int = 0
    origin: str | None = None
    withdrawn_at: datetime | None = None
    withdrawn_reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    @property
    def is_withdrawn(self) -> bool:
        return self.status == "withdrawn"

    @property
    def has_embargo(self) -> bool:
        return self.embargo_at is not None

    @property
    def was_edited(self) -> bool:
        return bool(self.updated_at and self.published_at and self.updated_at > self.published_at)

    @property
    def lead_image(self) -> Media | None:
        return self.media[0] if self.media else None

    def replace(self, **changes: Any) -> Story:
        return dataclasses.replace(self, **changes)


# Languages and scripts written right to left (BCP 47 primary subtags and ISO 15924 scripts).
RTL_LANGUAGES = {
    "ar",
    "arc",
    "ckb",
    "dv",
    "fa",
    "he",
    "iw",
    "ks",
    "ps",
    "sd",
    "syr",
    "ug",
    "ur",
    "yi",
}
RTL_SCRIPTS = {"arab", "hebr", "syrc", "thaa", "nkoo", "adlm", "rohg"}
LTR_SCRIPTS = {"latn", "cyrl", "grek", "hans", "hant", "jpan", "kore", "deva"}


def direction_of(language: str) -> str:
    """The writing direction of a language tag: "rtl" (ar, he, fa, ur, ...) or "ltr".

    A script subtag decides when there is one: ku-Arab is rtl, az-Latn is ltr.
    """
    subtags = language.lower().split("-")
    scripts = [tag for tag in subtags[1:] if len(tag) == 4 and tag.isalpha()]
    if scripts:
        return "rtl" if scripts[0] in RTL_SCRIPTS else "ltr"
    return "rtl" if subtags[0] in RTL_LANGUAGES else "ltr"


def is_aware(moment: datetime | None) -> bool:
    return moment is None or (
        moment.tzinfo is not None and moment.tzinfo.utcoffset(moment) is not None
    )


def is_in_range(moment: datetime) -> bool:
    """Whether an aware time is within TIME_YEARS (in UTC)."""
    try:
        return TIME_YEARS[0] <= moment.astimezone(UTC).year <= TIME_YEARS[1]
    except OverflowError:
        return False


def validate(story: Story) -> Story:
    """Check every field; return the story with times in UTC, or raise InvalidStory."""
    problems = []
    if not story.title.strip():
        problems.append("title is empty (every story needs a title)")
    if story.slug and (not SLUG_PATTERN.fullmatch(story.slug) or len(story.slug) > MAX_SLUG_LENGTH):
        problems.append(
            f"slug {story.slug!r} is not a slug (lower-case letters, digits and single "
            f"hyphens, at most {MAX_SLUG_LENGTH} characters)"
        )
    if not LANGUAGE_PATTERN.fullmatch(story.language):
        problems.append(
            f"language {story.language!r} is not a language tag (BCP 47, e.g. en, ru, pt-BR)"
        )
    problems += text_problems(story)
    problems += url_problems(story)
    if story.syndication not in SYNDICATION_POLICIES:
        problems.append(
            f"syndication {story.syndication!r} is not one of {', '.join(SYNDICATION_POLICIES)}"
        )
    if story.status not in STATUSES:
        problems.append(f"status {story.status!r} is not one of {', '.join(STATUSES)}")
    if story.status == "scheduled" and story.embargo_at is None:
        problems.append("status 'scheduled' needs embargo_at (when the story may be published)")
    if len(story.body_html) > MAX_BODY_LENGTH:
        problems.append(f"body is {len(story.body_html)} characters (at most {MAX_BODY_LENGTH})")
    problems += [
        f"{name} {moment.isoformat()!r} has no time zone (ISO 8601 with zone expected)"
        for name in ("embargo_at", "published_at", "updated_at")
        if not is_aware(moment := getattr(story, name))
    ]
    problems += [
        f"{name} {moment.isoformat()!r} is out of range (years {TIME_YEARS[0]} to {TIME_YEARS[1]})"
        for name in ("embargo_at", "published_at", "updated_at")
        if (moment := getattr(story, name)) is not None
        and is_aware(moment)
        and not is_in_range(moment)
    ]
    problems += [
        f"authors[{i}].name is empty" for i, a in enumerate(story.authors) if not a.name.strip()
    ]
    problems += [
        f"sources[{i}].name is empty" for i, s in enumerate(story.sources) if not s.name.strip()
    ]
    problems += [
        f"{key} has {len(getattr(story, key))} items (at most {most})"
        for key, most in MAX_PARTS.items()
        if len(getattr(story, key)) > most
    ]
    if story.publisher is not None and not story.publisher.name.strip():
        problems.append("publisher has no name")
    if problems:
        raise InvalidStory(problems, story=story.slug or story.title or None)
    return story.replace(
        embargo_at=to_utc(story.embargo_at),
        published_at=to_utc(story.published_at),
        updated_at=to_utc(story.updated_at),
    )


def text_fields(story: Story):
    """(field path, text) for every plain-text field of a story, as errors name them."""
    for key in ("title", "dek", "summary", "section"):
        yield key, getattr(story, key)
    for i, tag in enumerate(story.tags):
        yield f"tags[{i}]", tag
    parts = {
        **{f"authors[{i}]": a for i, a in enumerate(story.authors)},
        **{f"media[{i}]": m for i, m in enumerate(story.media)},
        **{f"sources[{i}]": s for i, s in enumerate(story.sources)},
        "publisher": story.publisher,
        "rights": story.rights,
    }
    for where, part in parts.items():
        if part is None:
            continue
        for name, value in vars(part).items():
            if isinstance(value, str) and name != "slug":
                yield f"{where}.{name}", value


def url_problems(story: Story) -> list[str]:
    """Links end up in pages and feeds: only absolute http(s) URLs (no javascript:, no data:)."""
    return [
        f"{where} {value!r} is not an absolute http(s) URL"
        for where, value in text_fields(story)
        if where.endswith(("url", "license_url")) and not is_web_url(value)
    ]


def is_web_url(value: str) -> bool:
    """Whether a value is an absolute http(s) URL that pages and feeds can carry as it is."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    printable = value.isprintable() and not any(char.isspace() for char in value)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and printable


def text_problems(story: Story) -> list[str]:
    """Control characters and overlong text, each named by its field."""
    problems = []
    for where, text in text_fields(story):
        if found := CONTROL_CHARACTERS.search(text):
            problems.append(
                f"{where} contains the control character U+{ord(found.group()):04X} "
                "(plain text only: no control characters)"
            )
        most = MAX_TITLE_LENGTH if where == "title" else MAX_TEXT_LENGTH
        if len(text) > most:
            problems.append(f"{where} is {len(text)} characters long (at most {most})")
    return problems


def to_utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None
