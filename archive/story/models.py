"""The story model: frozen dataclasses, built from plain dicts and validated in one place.

Validation lists every problem it finds; it never touches the database.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import urlsplit

from archive.errors import FieldProblem, InvalidStory
from archive.story.fields import (  # noqa: F401 (the rules other modules read from the model)
    CHANGE_FIELDS,
    CONTROL_CHARACTERS,
    LANGUAGE_PATTERN,
    MAX_ATTRIBUTES,
    MAX_BODY_DEPTH,
    MAX_ENTITIES,
    MAX_PARTS,
    SLUG_PATTERN,
    STATUSES,
    STORY_FIELDS,
    TIME_YEARS,
    TOGETHER,
    URL_SCHEMES,
    Field,
)
from archive.story.rights import image_holder, license_name

# Story attributes whose name differs from the field's in the JSON shape (archive.story.fields).
ATTRIBUTES = {"body": "body_html"}


@dataclass(frozen=True)
class Author:
    name: str
    slug: str = ""
    url: str | None = None
    kind: str = "person"  # or "organization" (archive.story.fields.AUTHOR_KINDS)

    @property
    def is_person(self) -> bool:
        return self.kind == "person"


@dataclass(frozen=True)
class Media:
    url: str | None = None
    caption: str = ""
    credit: str = ""
    copyright: str = ""
    alt: str = ""
    mime_type: str | None = None
    # Its size in pixels, both or neither: pages reserve its space before it loads.
    width: int | None = None
    height: int | None = None

    @property
    def holder(self) -> str:
        """Who holds the picture's rights, from its copyright notice or its credit's agency."""
        return image_holder(self.credit, self.copyright)


@dataclass(frozen=True)
class Source:
    """A person quoted in the story, with their role as the text gives it."""

    name: str
    role: str = ""


@dataclass(frozen=True)
class Publisher:
    """The originating publisher: who first published the story, never this site."""

    name: str
    url: str | None = None


@dataclass(frozen=True)
class Rights:
    """A story's rights. Under a licence (license_url), the holder is its licensor, and
    `attribution` the credit the licence asks reusers to give."""

    holder: str = ""
    statement: str = ""
    license_url: str | None = None
    attribution: str = ""

    @property
    def license_name(self) -> str:
        """The licence's short name ("CC BY-SA 4.0", "CC0 1.0"), or "" for none."""
        return license_name(self.license_url) if self.license_url else ""


@dataclass(frozen=True)
class Story:
    title: str
    slug: str
    body_html: str = ""
    body_text: str = ""
    dek: str = ""
    summary: str = ""
    language: str = ""  # "" until stated: the archive gives the site's language (with_language)
    section: str = ""
    tags: tuple[str, ...] = ()
    authors: tuple[Author, ...] = ()
    media: tuple[Media, ...] = ()
    sources: tuple[Source, ...] = ()
    publisher: Publisher | None = None
    # Origin of syndicated copy: where the originating publisher published it, and whether
    # pages name that URL as canonical.
    original_url: str | None = None
    canonical_is_original: bool = False
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
    # Times as the story knew them: where it was filed, and the UTC offset its publication
    # time was written with ("+04:00"; None: the site's zone).
    dateline: str = ""
    published_offset: str | None = None

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    @property
    def is_withdrawn(self) -> bool:
        return self.status == "withdrawn"

    @property
    def was_edited(self) -> bool:
        return bool(self.updated_at and self.published_at and self.updated_at > self.published_at)

    @property
    def published_as_written(self) -> datetime | None:
        """The publication time in the UTC offset it was written with (UTC when none was)."""
        return as_written(self.published_at, self.published_offset) if self.published_at else None

    @property
    def canonical_elsewhere(self) -> str | None:
        """The original URL when pages name it as canonical (syndicated copy whose editor chose
        so), else None: pages name their own permalink."""
        return self.original_url if self.canonical_is_original and self.original_url else None

    @property
    def lead_image(self) -> Media | None:
        return self.media[0] if self.media else None

    @property
    def unshown_media(self) -> tuple[Media, ...]:
        """Pictures the story names (caption, credit or copyright) but does not carry (no URL):
        pages list them as not reproduced, with their credits."""
        return tuple(m for m in self.media if not m.url and (m.caption or m.credit or m.copyright))

    def replace(self, **changes: Any) -> Self:
        return dataclasses.replace(self, **changes)

    # Equal field by field whatever the class: a story read back (SavedStory) equals the same
    # story built from its JSON shape (a revision's snapshot, an export).
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Story):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in STORY_ATTRIBUTES)


# Every field of a story, in order (for equality across the classes below).
STORY_ATTRIBUTES = tuple(f.name for f in dataclasses.fields(Story))


@dataclass(frozen=True, kw_only=True, eq=False)
class SavedStory(Story):
    """A story as the archive stores it: it has its id (and a revision from 1)."""

    # field(): no default (a bare annotation would inherit Story's None).
    id: int = dataclasses.field()


@dataclass(frozen=True, kw_only=True, eq=False)
class PublishedStory(SavedStory):
    """A saved story that has been published: its permalink and publication time are set
    (once set, the archive keeps them, even when the story leaves publication)."""

    path: str = dataclasses.field()
    published_at: datetime = dataclasses.field()


def as_saved(story: Story) -> SavedStory:
    """The same story as the class its values fit (saved_story). Raises ValueError when it has
    no id (only the archive gives one)."""
    if story.id is None:
        raise ValueError(f"story {story.slug!r} has no id: it was never saved")
    return saved_story(**{name: getattr(story, name) for name in STORY_ATTRIBUTES})


def saved_story(**values: Any) -> SavedStory:
    """The class a stored story's values fit: PublishedStory once it has a permalink and a
    publication time, else SavedStory (a draft, or scheduled)."""
    if values.get("path") and values.get("published_at"):
        return PublishedStory(**values)
    return SavedStory(**values)


@dataclass(frozen=True)
class ChangeNote:
    """What one write says of itself: its kind (archive.story.fields.CHANGE_KINDS or None), a note
    for readers, and whether it came from an import. Stored with the revision it makes."""

    kind: str | None = None
    note: str = ""
    is_import: bool = False


def change_problems(change: ChangeNote) -> list[FieldProblem]:
    """What is wrong with a change note, by archive.story.fields.CHANGE_FIELDS."""
    return [
        problem
        for name, spec in CHANGE_FIELDS.items()
        for problem in field_problems(spec, getattr(change, name.removeprefix("change_")), (name,))
    ]


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


def direction_of(language: str) -> str:
    """The writing direction of a language tag: "rtl" (ar, he, fa, ur, ...) or "ltr".

    A script subtag decides when there is one: ku-Arab is rtl, az-Latn is ltr.
    """
    subtags = language.lower().split("-")
    scripts = [tag for tag in subtags[1:] if len(tag) == 4 and tag.isalpha()]
    if scripts:
        return "rtl" if scripts[0] in RTL_SCRIPTS else "ltr"
    return "rtl" if subtags[0] in RTL_LANGUAGES else "ltr"


def with_language(story: Story, default: str) -> Story:
    """The story in `default` (the site's language, `[site] language`) when it states none:
    one rule for every way in (a file, the API, a script)."""
    return story if story.language.strip() else story.replace(language=default)


def is_aware(moment: datetime | None) -> bool:
    return moment is None or (
        moment.tzinfo is not None and moment.tzinfo.utcoffset(moment) is not None
    )


def is_in_range(moment: datetime) -> bool:
    """Whether a time's year, as written, is within TIME_YEARS."""
    return TIME_YEARS[0] <= moment.year <= TIME_YEARS[1]


def validate(story: Story) -> Story:
    """Check every field against archive.story.fields; return the story with times in UTC.

    Raises InvalidStory listing every problem, each naming its field. Runs before any HTML
    parser sees the body, so a body too long or too deep is refused cheaply.
    """
    problems = [
        problem
        for name, spec in STORY_FIELDS.items()
        for problem in field_problems(spec, getattr(story, ATTRIBUTES.get(name, name)), (name,))
    ]
    if story.status == "scheduled" and story.embargo_at is None:
        problems.append(
            FieldProblem.at(
                ("status",), "status 'scheduled' needs embargo_at (when it may be published)"
            )
        )
    problems += _together_problems(story)
    if problems:
        raise InvalidStory(problems, story=story.slug or story.title or None)
    return story.replace(
        published_offset=offset_of(story.published_at) or story.published_offset,
        embargo_at=to_utc(story.embargo_at),
        published_at=to_utc(story.published_at),
        updated_at=to_utc(story.updated_at),
    )


def _together_problems(story: Story) -> list[FieldProblem]:
    """The parts archive.story.fields.TOGETHER says come together: one given without the other."""
    problems = []
    for key, names in TOGETHER.items():
        found = getattr(story, key)
        for index, part in enumerate(found if isinstance(found, (list, tuple)) else ()):
            given = [name for name in names if getattr(part, name, None) is not None]
            for missing in (name for name in names if given and name not in given):
                path = (key, index, missing)
                where = FieldProblem.at(path, "").field
                rule = f"{' and '.join(names)} come together"
                problems.append(FieldProblem.at(path, f"{where} is missing ({rule})"))
    return problems


def field_problems(spec: Field, value: Any, path: tuple[str | int, ...]) -> list[FieldProblem]:
    """What is wrong with one value by its field's rules (nothing: an empty list)."""
    if value is None:
        if spec.nullable:
            return []
        return [FieldProblem.at(path, f"{FieldProblem.at(path, '').field} is missing")]
    check = CHECKS[spec.kind]
    problems = []
    # The field's name is spelled out only for a value that has problems: most have none.
    if check(spec, value, ""):
        name = FieldProblem.at(path, "").field
        problems = [FieldProblem.at(path, message) for message in check(spec, value, name)]
    if spec.kind in ("list", "object"):
        problems += _nested_problems(spec, value, path)
    return problems


def _text_problems(spec: Field, value: Any, name: str) -> list[str]:
    if not isinstance(value, str):
        return [f"{name} must be a string, not {type(value).__name__}"]
    if spec.required and not value.strip():
        return [f"{name} is empty (it is required)"]
    problems = []
    if found := CONTROL_CHARACTERS.search(value):
        problems.append(
            f"{name} contains the control character U+{ord(found.group()):04X} "
            "(plain text only: no control characters)"
        )
    if spec.max_length is not None and len(value) > spec.max_length:
        problems.append(f"{name} is {len(value)} characters long (at most {spec.max_length})")
    elif spec.pattern is not None and value and not spec.pattern.fullmatch(value):
        problems.append(f"{name} {value!r} is not a {name} ({spec.description})")
    return problems


def _url_problems(spec: Field, value: Any, name: str) -> list[str]:
    if not isinstance(value, str):
        return [f"{name} must be a string, not {type(value).__name__}"]
    if spec.max_length is not None and len(value) > spec.max_length:
        return [f"{name} is {len(value)} characters long (at most {spec.max_length})"]
    if not is_web_url(value):
        return [f"{name} {value!r} is not an absolute http(s) URL"]
    return []


def _html_problems(spec: Field, value: Any, name: str) -> list[str]:
    if not isinstance(value, str):
        return [f"{name} must be a string, not {type(value).__name__}"]
    if spec.max_length is not None and len(value) > spec.max_length:
        return [f"{name} is {len(value)} characters long (at most {spec.max_length})"]
    max_depth = spec.max_depth if spec.max_depth is not None else MAX_BODY_DEPTH
    if (depth := nesting_depth(value, stop_past=max_depth)) > max_depth:
        return [f"{name} nests elements more than {max_depth} deep ({depth} or more)"]
    return [f"{name} {problem}" for problem in markup_problems(value)]


def markup_problems(html: str, *, max_entities: int = MAX_ENTITIES) -> list[str]:
    """What in raw HTML would make a parser work for minutes (see MAX_ATTRIBUTES and
    MAX_ENTITIES), found in one pass over the text before any parser reads it."""
    problems = []
    if (entities := html.count("&")) > max_entities:
        problems.append(
            f"has {entities:,} entity references (& characters); at most {max_entities:,}"
        )
    if (attributes := most_attributes(html, stop_past=MAX_ATTRIBUTES)) > MAX_ATTRIBUTES:
        problems.append(
            f"has an element with more than {MAX_ATTRIBUTES:,} attributes ({attributes:,} or "
            f"more); at most {MAX_ATTRIBUTES:,}"
        )
    return problems


def _choice_problems(spec: Field, value: Any, name: str) -> list[str]:
    if value not in spec.choices:
        return [f"{name} {value!r} is not one of {', '.join(spec.choices)}"]
    return []


def _time_problems(spec: Field, value: Any, name: str) -> list[str]:
    if not isinstance(value, datetime):
        return [f"{name} must be a date and time, not {type(value).__name__}"]
    if not is_aware(value):
        return [f"{name} {value.isoformat()!r} has no time zone (ISO 8601 with zone expected)"]
    if not is_in_range(value):
        return [
            f"{name} {value.isoformat()!r} is out of range (years {TIME_YEARS[0]} to "
            f"{TIME_YEARS[1]})"
        ]
    return []


def _flag_problems(spec: Field, value: Any, name: str) -> list[str]:
    if not isinstance(value, bool):
        return [f"{name} must be true or false, not {type(value).__name__}"]
    return []


def _integer_problems(spec: Field, value: Any, name: str) -> list[str]:
    # A bool is an int to Python, but true is no number of pixels.
    if isinstance(value, bool) or not isinstance(value, int):
        return [f"{name} must be a whole number, not {type(value).__name__}"]
    if (spec.minimum is not None and value < spec.minimum) or (
        spec.maximum is not None and value > spec.maximum
    ):
        return [f"{name} {value} is out of range ({spec.minimum} to {spec.maximum})"]
    return []


def _list_problems(spec: Field, value: Any, name: str) -> list[str]:
    if not isinstance(value, (list, tuple)):
        return [f"{name} must be a list, not {type(value).__name__}"]
    if spec.max_items is not None and len(value) > spec.max_items:
        return [f"{name} has {len(value)} items (at most {spec.max_items})"]
    return []


def _object_problems(spec: Field, value: Any, name: str) -> list[str]:
    if not dataclasses.is_dataclass(value):
        return [f"{name} must be an object, not {type(value).__name__}"]
    return []


def _nested_problems(spec: Field, value: Any, path: tuple) -> list[FieldProblem]:
    if spec.kind == "list" and spec.item is not None:
        if not isinstance(value, (list, tuple)) or len(value) > (spec.max_items or len(value)):
            return []
        return [
            p for i, item in enumerate(value) for p in field_problems(spec.item, item, (*path, i))
        ]
    if not dataclasses.is_dataclass(value):
        return []
    return [
        problem
        for key, part in spec.parts.items()
        for problem in field_problems(part, getattr(value, key), (*path, key))
    ]


CHECKS = {
    "text": _text_problems,
    "url": _url_problems,
    "html": _html_problems,
    "choice": _choice_problems,
    "time": _time_problems,
    "flag": _flag_problems,
    "integer": _integer_problems,
    "list": _list_problems,
    "object": _object_problems,
}
# Elements that never hold others, and those whose end tag may be left out (a parser closes
# them itself: <p>one<p>two): neither adds to the nesting depth.
VOID_ELEMENTS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot",
    "option", "optgroup", "rt", "rp", "colgroup", "caption",
}  # fmt: skip
TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)")


def nesting_depth(body: str, *, stop_past: int | None = None) -> int:
    """How deep the body's elements nest, read from its tags in one pass without parsing.

    A start tag opens an element even when written <div/> (HTML has no self-closing divs). An
    end tag closes the innermost open element of its name and those inside it, as parsers do;
    an end tag of no open element is ignored. Stops counting past `stop_past`.
    """
    open_tags: list[str] = []
    deepest = 0
    for match in TAG.finditer(body):
        closing, name = match.group(1), match.group(2).lower()
        if name in VOID_ELEMENTS:
            continue
        if not closing:
            open_tags.append(name)
            deepest = max(deepest, len(open_tags))
            if stop_past is not None and deepest > stop_past:
                break
        elif name in open_tags:
            del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name) :]
    return deepest


# One attribute of a start tag, after its name: a name, and a value unquoted, in double or in
# single quotes. The alternatives start with different characters, so nothing backtracks.
ATTRIBUTE = re.compile(r"""[\s/]*[^\s"'>/=][^\s"'>/=]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]*))?""")


def most_attributes(html: str, *, stop_past: int | None = None) -> int:
    """The most attributes any start tag of the text carries, read without parsing; stops
    counting past `stop_past`."""
    most, position = 0, 0
    for tag in TAG.finditer(html):
        if tag.group(1) or tag.start() < position:
            continue  # an end tag, or text inside the last start tag's attribute values
        count, position = 0, tag.end()
        while attribute := ATTRIBUTE.match(html, position):
            count += 1
            position = attribute.end()
            if stop_past is not None and count > stop_past:
                return count
        most = max(most, count)
    return most


def is_web_url(value: str) -> bool:
    """Whether a value is an absolute http(s) URL that pages and feeds can carry as it is."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    printable = value.isprintable() and not any(char.isspace() for char in value)
    return parts.scheme in URL_SCHEMES and bool(parts.hostname) and printable


def to_utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


def as_written(moment: datetime, offset: str | None) -> datetime:
    """A stored (UTC) time in the offset it was written with ("+04:00"); as it is without one."""
    if not offset:
        return moment
    return moment.astimezone(datetime.fromisoformat(f"2000-01-01T00:00{offset}").tzinfo)


def offset_of(moment: datetime | None) -> str | None:
    """The UTC offset a time was written with, as ISO 8601 writes it: "+04:00", "-05:30"."""
    offset = moment.utcoffset() if moment is not None else None
    if offset is None:
        return None
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
