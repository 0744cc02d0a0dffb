"""JSON Schemas of a story for the OpenAPI description, generated from archive/story/fields.py.

What a client may send (StoryInput, StoryPatch, Withdrawal) carries the table's limits,
characters, patterns and URL rule; what the API answers (Story) carries its types.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archive.story.fields import (
    CHANGE_FIELDS,
    FORBIDDEN_IN_TEXT,
    SLUG_PATTERN,
    STORY_FIELDS,
    TIME_YEARS,
    TIME_YEARS_PATTERN,
    TOGETHER,
    Field,
)

# Statuses a client may write; withdrawal is DELETE, so its reason is always recorded.
WRITABLE_STATUSES = ("draft", "scheduled", "published")
# What every plain-text field refuses, said once for the description.
PLAIN_TEXT = "plain text: no control characters other than tab, newline and return"
URL_RULE = "an absolute http:// or https:// URL (no other scheme)"


def nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


def whole(regex: str) -> str:
    """A JSON Schema pattern that `regex` must match whole. JSON Schema patterns are ECMA-262,
    where `$` is the very end; Python validators and generators read them with `re.search`,
    where `$` also matches before a final newline, so `(?!\\n)` rules that out for both."""
    return f"^(?:{regex})$(?!\\n)"


TEXT = {"type": "string"}
TIME_IN = {
    "type": ["string", "null"],
    "format": "date-time",
    "pattern": TIME_YEARS_PATTERN,
    "description": "ISO 8601 with a time zone, e.g. 2014-02-24T20:00:00+04:00; years "
    f"{TIME_YEARS[0]} to {TIME_YEARS[1]}",
}
TIME_OUT = nullable("string", format="date-time")


def object_of(properties: dict[str, Any], required: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def input_schema(spec: Field) -> dict[str, Any]:
    """The JSON Schema of what a client may send for a field of archive.story.fields."""
    schema = INPUT_KINDS[spec.kind](spec)
    if spec.description and "description" not in schema:
        schema["description"] = spec.description
    if spec.nullable and spec.kind == "choice":
        return {**schema, "enum": [*schema["enum"], None]}
    if spec.nullable and spec.kind == "object":
        return {"oneOf": [{"type": "null"}, schema]}
    if spec.nullable and isinstance(schema["type"], str):
        schema["type"] = [schema["type"], "null"]
    return schema


def _text_in(spec: Field) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "maxLength": spec.max_length}
    if spec.required:
        schema["minLength"] = 1
    if spec.pattern is not None:
        schema["pattern"] = whole(spec.pattern.pattern)
    elif spec.required:  # something other than spaces, and no control character anywhere
        schema["pattern"] = (
            f"^[^{FORBIDDEN_IN_TEXT}]*[^\\s{FORBIDDEN_IN_TEXT}][^{FORBIDDEN_IN_TEXT}]*$"
        )
    else:
        schema["pattern"] = f"^[^{FORBIDDEN_IN_TEXT}]*$"
    rule = PLAIN_TEXT if spec.pattern is None else ""
    schema["description"] = "; ".join(filter(None, [spec.description, rule]))
    return schema


def _url_in(spec: Field) -> dict[str, Any]:
    return {
        "type": "string",
        "format": "uri",
        "maxLength": spec.max_length,
        "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^\\s]+$",
        "description": "; ".join(filter(None, [spec.description, URL_RULE])),
    }


def _list_in(spec: Field) -> dict[str, Any]:
    return {"type": "array", "items": input_schema(item_of(spec)), "maxItems": spec.max_items}


def item_of(spec: Field) -> Field:
    """What a list field holds. Raises ValueError for a list field that says nothing of it."""
    if spec.item is None:
        raise ValueError(f"a {spec.kind} field without an item: {spec!r}")
    return spec.item


def _object_in(spec: Field) -> dict[str, Any]:
    properties = {key: input_schema(part) for key, part in spec.parts.items()}
    return object_of(properties, [key for key, part in spec.parts.items() if part.required])


def _integer_in(spec: Field) -> dict[str, Any]:
    return {"type": "integer", "minimum": spec.minimum, "maximum": spec.maximum}


def given_together(names: tuple[str, ...]) -> dict[str, Any]:
    """archive.story.models.validate's rule for parts that come together
    (archive.story.fields.TOGETHER):
    each one given (not null) needs every other, as a JSON Schema over the part's object."""
    return {
        "allOf": [
            {
                "if": {"properties": {name: {"not": {"type": "null"}}}, "required": [name]},
                "then": {
                    "properties": {other: {"not": {"type": "null"}} for other in others},
                    "required": others,
                },
            }
            for name in names
            if (others := [other for other in names if other != name])
        ]
    }


INPUT_KINDS = {
    "text": _text_in,
    "url": _url_in,
    "html": lambda spec: {"type": "string", "maxLength": spec.max_length},
    "choice": lambda spec: {"enum": list(spec.choices)},
    "time": lambda spec: dict(TIME_IN),
    "flag": lambda spec: {"type": "boolean"},
    "integer": _integer_in,
    "list": _list_in,
    "object": _object_in,
}


def output_schema(spec: Field) -> dict[str, Any]:
    """The JSON Schema of a field as the API answers it: the same types, without the limits
    (a story stored before a limit was tightened is answered as it is)."""
    if spec.kind == "list":
        return {"type": "array", "items": output_schema(item_of(spec))}
    if spec.kind == "object":
        properties = {key: output_schema(part) for key, part in spec.parts.items()}
        schema = object_of(properties, [k for k, part in spec.parts.items() if part.required])
        return {"oneOf": [{"type": "null"}, schema]} if spec.nullable else schema
    if spec.kind == "choice":
        return {"enum": list(spec.choices)}
    if spec.kind == "time":
        return dict(TIME_OUT)
    if spec.kind == "url":
        return nullable("string")
    if spec.kind == "flag":
        return {"type": "boolean"}
    if spec.kind == "integer":
        return nullable("integer") if spec.nullable else {"type": "integer"}
    return nullable("string") if spec.nullable else dict(TEXT)


def writable_schemas() -> dict[str, Any]:
    """StoryInput's properties, from archive.story.fields with the API's own rules over it."""
    properties = {name: input_schema(spec) for name, spec in STORY_FIELDS.items()}
    # The API takes a byline as a bare name too, and writes no withdrawal (DELETE does that).
    author = properties["authors"]["items"]
    name = input_schema(item_of(STORY_FIELDS["authors"]).parts["name"])
    properties["authors"]["items"] = {"oneOf": [name, author]}
    properties["status"] = {"enum": list(WRITABLE_STATUSES)}
    for key, names in TOGETHER.items():
        properties[key]["items"].update(
            description=f"{' and '.join(names)} come together: both or neither",
            **given_together(names),
        )
    # What a write says of itself, beside the story's fields (stored with its revision).
    properties.update({name: input_schema(spec) for name, spec in CHANGE_FIELDS.items()})
    return properties


WRITABLE = writable_schemas()
# archive.story.models.validate's one rule across fields: a scheduled story says when it goes live.
SCHEDULED_NEEDS_EMBARGO = {
    "if": {"properties": {"status": {"const": "scheduled"}}, "required": ["status"]},
    "then": {"properties": {"embargo_at": {"type": "string"}}, "required": ["embargo_at"]},
}
# The same rule for a PATCH: a scheduled story's embargo_at, when sent, is not null.
SCHEDULED_KEEPS_EMBARGO = {
    "if": {"properties": {"status": {"const": "scheduled"}}, "required": ["status", "embargo_at"]},
    "then": {"properties": {"embargo_at": {"type": "string"}}},
}
SLUG = whole(SLUG_PATTERN.pattern)
STORY_OUT = {name: output_schema(spec) for name, spec in STORY_FIELDS.items()}
# What the archive keeps of how the story gave its times: the publication time's UTC offset.
STORY_OUT["published_offset"] = {
    **nullable("string", pattern="^[+-][0-9]{2}:[0-9]{2}$"),
    "description": "the UTC offset published_at was written with, e.g. +04:00",
}
CHANGE_OUT = {
    "change_kind": {"enum": [*CHANGE_FIELDS["change_kind"].choices, None]},
    "change_note": TEXT,
    "imported": {"type": "boolean", "description": "written by masthead import"},
}
