"""The story's JSON shape, shared by `masthead import`, the write API and revision snapshots.

Converts plain dicts to Story and back; reports every bad field at once, never partially.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from archive.errors import FieldProblem, InvalidStory
from archive.story.fields import CHANGE_FIELDS, STORY_FIELDS, Field
from archive.story.models import Author, ChangeNote, Media, Publisher, Rights, Source, Story

# Fields a client may send; the rest of the shape is set by the archive.
WRITABLE_FIELDS = (
    "slug",
    "title",
    "dek",
    "summary",
    "body",
    "language",
    "section",
    "tags",
    "authors",
    "media",
    "sources",
    "publisher",
    "original_url",
    "canonical_is_original",
    "rights",
    "syndication",
    "status",
    "embargo_at",
    "published_at",
    "updated_at",
    "dateline",
)
READ_ONLY_FIELDS = (
    "id",
    "entry_id",
    "path",
    "url",
    "revision",
    "body_text",
    "withdrawn_at",
    "withdrawn_reason",
    "published_offset",
)
TIME_FIELDS = tuple(k for k, f in STORY_FIELDS.items() if f.kind == "time")
TEXT_FIELDS = tuple(k for k, f in STORY_FIELDS.items() if f.kind in ("text", "html"))
CHOICE_FIELDS = tuple(k for k, f in STORY_FIELDS.items() if f.kind == "choice")
# Origin of syndicated copy: a top-level URL (null clears it) and a flag.
URL_FIELDS = tuple(k for k, f in STORY_FIELDS.items() if f.kind == "url")
FLAG_FIELDS = tuple(k for k, f in STORY_FIELDS.items() if f.kind == "flag")
PART_CLASSES = {
    "media": Media,
    "sources": Source,
    "publisher": Publisher,
    "rights": Rights,
    "authors": Author,
}
PART_FIELDS = {
    key: (cls, tuple((STORY_FIELDS[key].item or STORY_FIELDS[key]).parts))
    for key, cls in PART_CLASSES.items()
}
PART_SPECS = {key: (STORY_FIELDS[key].item or STORY_FIELDS[key]).parts for key in PART_CLASSES}
# Fields a part cannot be made without: who is quoted, who published, who wrote.
REQUIRED_PART_FIELDS = {
    key: tuple(
        k for k, f in (STORY_FIELDS[key].item or STORY_FIELDS[key]).parts.items() if f.required
    )
    for key in PART_CLASSES
}


def parse_time(value: Any, name: str) -> datetime:
    """An aware datetime from ISO 8601 text; ValueError names the field and the value."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                f"{name} {value!r} is not a date and time (ISO 8601 with zone, "
                "e.g. 2014-02-24T20:00:00+04:00)"
            ) from None
    else:
        raise ValueError(f"{name} must be an ISO 8601 string, not {type(value).__name__}")
    if moment.tzinfo is None:
        raise ValueError(
            f"{name} {value!r} has no time zone (ISO 8601 with zone expected, e.g. +00:00 or Z)"
        )
    return moment


def story_from_dict(
    data: Any, *, base: Story | None = None, allow_read_only: bool = False
) -> Story:
    """Build a Story from the JSON shape, over `base` when given (a PATCH).

    Raises InvalidStory listing every unknown field and wrong type (FieldProblem each); the
    values themselves are checked by archive.story.models.validate when the story is saved.
    """
    if not isinstance(data, dict):
        raise InvalidStory(
            [FieldProblem.at((), f"a story must be a JSON object, not {_kind(data)}")]
        )
    problems: list[FieldProblem] = []
    allowed = set(WRITABLE_FIELDS) | (set(READ_ONLY_FIELDS) if allow_read_only else set())
    for key in data:
        if key in READ_ONLY_FIELDS and not allow_read_only:
            problems.append(
                FieldProblem.at((key,), f"{key} is set by the archive and cannot be written")
            )
        elif key not in allowed:
            problems.append(
                FieldProblem.at(
                    (key,), f"{key} is not a story field (known: {', '.join(WRITABLE_FIELDS)})"
                )
            )
    values: dict[str, Any] = {}
    for key in (*TEXT_FIELDS, *CHOICE_FIELDS):
        if key in data:
            if isinstance(data[key], str):
                values["body_html" if key == "body" else key] = data[key]
            else:
                problems.append(
                    FieldProblem.at((key,), f"{key} must be a string, not {_kind(data[key])}")
                )
    for key in TIME_FIELDS:
        if key in data and data[key] is not None:
            try:
                values[key] = parse_time(data[key], key)
            except ValueError as error:
                problems.append(FieldProblem.at((key,), str(error)))
        elif key in data:
            values[key] = None
    for key in URL_FIELDS:
        if key in data:
            if data[key] is None or isinstance(data[key], str):
                values[key] = data[key]
            else:
                problems.append(
                    FieldProblem.at((key,), f"{key} must be a string, not {_kind(data[key])}")
                )
    for key in FLAG_FIELDS:
        if key in data:
            if isinstance(data[key], bool):
                values[key] = data[key]
            else:
                problems.append(
                    FieldProblem.at((key,), f"{key} must be true or false, not {_kind(data[key])}")
                )
    if "tags" in data:
        tags = data["tags"]
        if isinstance(tags, list) and all(isinstance(t, str) and t.strip() for t in tags):
            values["tags"] = tuple(dict.fromkeys(t.strip() for t in tags))
        else:
            problems.append(FieldProblem.at(("tags",), "tags must be a list of non-empty strings"))
    for key, (cls, fields) in PART_FIELDS.items():
        if key in data:
            values[key] = _parts(key, data[key], cls, fields, problems)
    if allow_read_only and isinstance(data.get("published_offset"), str):
        values["published_offset"] = data["published_offset"]
    if problems:
        raise InvalidStory(problems, story=_name_of(data))
    if base is not None:
        return base.replace(**values)
    # Without a slug the archive derives one from the title when it saves the story.
    values.setdefault("title", "")
    values.setdefault("slug", "")
    return Story(**values)


def _parts(key, value, cls, fields, problems):
    single = key in ("publisher", "rights")
    if single and value is None:
        return None
    items = [value] if single else value
    if not isinstance(items, list):
        problems.append(FieldProblem.at((key,), f"{key} must be a list of objects"))
        return ()
    parts = []
    for index, item in enumerate(items):
        path = (key,) if single else (key, index)
        where = key if single else f"{key}[{index}]"
        if key == "authors" and isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict):
            problems.append(
                FieldProblem.at(path, f"{where} must be an object with {', '.join(fields)}")
            )
            continue
        found = [
            FieldProblem.at((*path, k), f"{where}.{k} is not a field (known: {', '.join(fields)})")
            for k in item
            if k not in fields
        ]
        found += [
            FieldProblem.at((*path, k), f"{where}.{k} must be {expected}")
            for k in fields
            if k in item
            and item[k] is not None
            and (expected := _wrong_type(PART_SPECS[key][k], item[k]))
        ]
        found += [
            FieldProblem.at((*path, k), f"{where}.{k} is missing (a string is expected)")
            for k in REQUIRED_PART_FIELDS.get(key, ())
            if item.get(k) is None
        ]
        problems += found
        if not found:
            given = {k: item[k] for k in fields if item.get(k) is not None}
            parts.append(cls(**{k: _value(PART_SPECS[key][k], v) for k, v in given.items()}))
    return parts[0] if single and parts else tuple(parts)


def _wrong_type(spec: Field, value: Any) -> str | None:
    """What a part's field expects when `value` is of another type (None: the type is right)."""
    if spec.kind == "integer":
        return None if _whole(value) is not None else f"a whole number, not {_kind(value)}"
    return None if isinstance(value, str) else "a string"


def _value(spec: Field, value: Any) -> Any:
    return _whole(value) if spec.kind == "integer" else value


def _whole(value: Any) -> int | None:
    """A JSON number without a fraction as an int (JSON and JSON Schema read 640.0 as 640);
    None for anything else. JSON true is a bool, which Python counts as an int: no number."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _name_of(data: dict) -> str | None:
    for key in ("slug", "title"):
        if isinstance(data.get(key), str) and data[key]:
            return data[key]
    return None


def story_to_dict(story: Story, *, base_url: str = "") -> dict[str, Any]:
    """The JSON shape of a story: writable fields plus what the archive set."""

    def part(value):
        # Parts are flat (text, numbers, None): their fields as they are, no deep copy.
        if value is None:
            return None
        return {k: v for k, v in vars(value).items() if k != "slug" or v}

    def when(moment):
        return moment.isoformat() if moment else None

    return {
        "id": story.id,
        "entry_id": story.entry_id,
        "path": story.path,
        "url": base_url.rstrip("/") + story.path if story.path and base_url else None,
        "revision": story.revision,
        "slug": story.slug,
        "title": story.title,
        "dek": story.dek,
        "summary": story.summary,
        "body": story.body_html,
        "body_text": story.body_text,
        "language": story.language,
        "section": story.section,
        "tags": list(story.tags),
        # A person's byline is name and URL; an organisation's says so
        # (archive.story.fields.AUTHOR).
        "authors": [
            {"name": a.name, "url": a.url} | ({} if a.is_person else {"kind": a.kind})
            for a in story.authors
        ],
        "media": [part(m) for m in story.media],
        "sources": [part(s) for s in story.sources],
        "publisher": part(story.publisher),
        "original_url": story.original_url,
        "canonical_is_original": story.canonical_is_original,
        "rights": part(story.rights),
        "syndication": story.syndication,
        "status": story.status,
        "embargo_at": when(story.embargo_at),
        "published_at": when(story.published_at),
        "updated_at": when(story.updated_at),
        "withdrawn_at": when(story.withdrawn_at),
        "withdrawn_reason": story.withdrawn_reason,
        # Times as the story knew them.
        "dateline": story.dateline,
        "published_offset": story.published_offset,
    }


def change_from_dict(data: Any) -> tuple[Any, ChangeNote | None]:
    """Split a write's change note (archive.story.fields.CHANGE_FIELDS) from the story's fields.

    Returns the fields without it and the ChangeNote (None when neither was sent). Raises
    InvalidStory when either has the wrong type; the values are checked when the story is saved.
    """
    if not isinstance(data, dict) or not any(key in data for key in CHANGE_FIELDS):
        return data, None
    fields = {k: v for k, v in data.items() if k not in CHANGE_FIELDS}
    kind, note = data.get("change_kind"), data.get("change_note")
    problems = []
    if kind is not None and not isinstance(kind, str):
        problems.append(FieldProblem.at(("change_kind",), "change_kind must be a string or null"))
    if note is not None and not isinstance(note, str):
        problems.append(FieldProblem.at(("change_note",), "change_note must be a string"))
    if problems:
        raise InvalidStory(problems, story=_name_of(data))
    return fields, ChangeNote(kind=kind, note=note or "")
