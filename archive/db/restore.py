"""Restoring exported stories (`masthead export` lines) into an archive, keeping what identifies
them: id, entry id, slug, permalink, times, withdrawn state and, when exported, revision history.

The only write that sets those; every story still passes the one gate (models.validate), and a
restore never overwrites a stored story: the same story again is "unchanged", another is refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeGuard

import sqlite_utils

from archive.db import public, queries, renditions, store
from archive.db.queries import to_text
from archive.db.transaction import write_transaction
from archive.errors import InvalidStory, SlugConflict, StoryNotFound
from archive.story import html, names
from archive.story.clock import Clock
from archive.story.fields import CHANGE_KINDS, MAX_CHANGE_NOTE_LENGTH
from archive.story.models import (
    CONTROL_CHARACTERS,
    SavedStory,
    Story,
    as_saved,
    validate,
    with_language,
)
from archive.story.shape import parse_time, story_from_dict, story_to_dict

# The archive's own fields an exported story carries besides the writable ones; `url` is
# derived from the path and the site's base URL, so it is read and dropped.
RESTORED_FIELDS = (
    "id",
    "entry_id",
    "path",
    "revision",
    "withdrawn_at",
    "withdrawn_reason",
    "published_offset",
    "idempotency_keys",
)
# The offset a publication time was written with: "+04:00".
OFFSET = re.compile(r"[+-](?:0[0-9]|1[0-9]|2[0-3]):[0-5][0-9]")
DERIVED_FIELDS = ("url", "body_text")
# A permalink as the archive makes them: /YYYY/MM/DD/slug/.
PERMALINK = re.compile(r"/[0-9]{4}/[0-9]{2}/[0-9]{2}/(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)/")
# Longest entry id accepted (a tag: URI is well under this).
MAX_ENTRY_ID = 500
REVISION_ACTIONS = ("create", "update", "withdraw", "publish")
# An API Idempotency-Key (as the API accepts them) and the SHA-256 of its first request's body.
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")
REQUEST_DIGEST = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Restorable:
    """An exported story read and through the gate, with its revisions: all a restore checks
    before it needs the archive (made by `restorable`, ahead of the write when that is worth
    it: an import reads a batch of stories before it takes the write lock)."""

    story: SavedStory
    history: list[dict] | None
    idempotency_keys: list[dict]


def restorable(shape: Any, *, clock: Clock, language: str = "en") -> Restorable:
    """The exported story `shape` describes, checked; one without a language is in
    `language`. Raises InvalidStory listing every problem."""
    story, history = story_from_export(shape)
    keys = idempotency_keys_of(shape, story)
    story = with_language(story, language)
    # The offset is the one exported (none for a story published by the archive's clock),
    # not the one of the time as the export wrote it.
    story = validate(store._with_clean_body(story)).replace(published_offset=story.published_offset)
    return Restorable(_with_identity(story, clock), history, keys)


def restore_story(
    db: sqlite_utils.Database, shape: Any, *, clock: Clock, now: datetime, language: str = "en"
) -> tuple[str, SavedStory]:
    """Write an exported story as it was: ("created", story), or ("unchanged", stored story)
    when this archive holds the same story already. `shape` is the exported line, or what
    `restorable` made of it.

    Raises InvalidStory naming every bad field, when the story's id is taken by another story,
    or SlugConflict when its permalink or entry id belongs to another story. A story without a
    language is in `language`.
    """
    ready = (
        shape
        if isinstance(shape, Restorable)
        else restorable(shape, clock=clock, language=language)
    )
    story, history, keys = ready.story, ready.history, ready.idempotency_keys
    try:
        existing = queries.get_story(db, story.id)
    except StoryNotFound:
        existing = None
    if existing is not None:
        if _same(existing, story):
            return "unchanged", existing
        raise InvalidStory(
            [
                f"id {story.id} belongs to a story already in this archive (revision "
                f"{existing.revision}, {existing.slug!r}) that differs from this one: a restore "
                "never overwrites a stored story"
            ],
            story=story.slug,
        )
    with write_transaction(db):
        _check_identity(db, story)
        story = store._write(db, story, clock, is_new=True)
        _write_history(db, story, history, now=now)
        _write_idempotency_keys(db, story, keys)
        renditions.record_changes(db, public.scopes_of(db, clock, story), now)
    return "created", queries.get_story(db, story.id)


def story_from_export(shape: Any) -> tuple[Story, list[dict] | None]:
    """The story an exported line describes, and its revisions when the line has them.

    Raises InvalidStory listing every problem.
    """
    if not isinstance(shape, dict):
        return story_from_dict(shape), None  # raises, naming what it is instead
    history = shape.get("revisions")
    writable = {
        k: v for k, v in shape.items() if k not in (*RESTORED_FIELDS, *DERIVED_FIELDS, "revisions")
    }
    problems = []
    try:
        story = story_from_dict(writable)
    except InvalidStory as error:
        problems += error.problems
        story = Story(title="", slug="")
    values, more = _restored_values(shape)
    problems += more
    if history is not None and not isinstance(history, list):
        problems.append("revisions must be a list of revisions")
    if problems:
        raise InvalidStory(problems, story=_name_of(shape))
    story = story.replace(**values)
    return story, (_revisions(history, story) if history is not None else None)


def idempotency_keys_of(shape: Any, story: Story) -> list[dict]:
    """The API idempotency keys an export (`--all`) carries for the story, checked: a CMS that
    retries a POST after a restore is answered with this story, not given a second one.

    Raises InvalidStory naming every bad key.
    """
    keys = shape.get("idempotency_keys", []) if isinstance(shape, dict) else []
    if not isinstance(keys, list):
        raise InvalidStory(["idempotency_keys must be a list"], story=story.slug)
    found, problems = [], []
    for index, entry in enumerate(keys):
        where = f"idempotency_keys[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{where} must be an object (key, digest, created_at)")
            continue
        key, digest = entry.get("key"), entry.get("digest")
        if not (isinstance(key, str) and IDEMPOTENCY_KEY.fullmatch(key)):
            problems.append(f"{where}.key must be 1 to 255 printable ASCII characters")
        if not (isinstance(digest, str) and REQUEST_DIGEST.fullmatch(digest)):
            problems.append(f"{where}.digest must be a SHA-256 digest in hex")
        try:
            created_at = parse_time(entry.get("created_at"), f"{where}.created_at")
        except ValueError as error:
            problems.append(str(error))
            continue
        found.append({"key": key, "digest": digest, "created_at": created_at})
    if problems:
        raise InvalidStory(problems, story=story.slug)
    return found


def _write_idempotency_keys(db: sqlite_utils.Database, story: Story, keys: list[dict]) -> None:
    """Inside the write transaction: each key names this story again; a key that names
    another story in this archive is refused (the transaction rolls back)."""
    for entry in keys:
        first = queries.idempotent_request(db, entry["key"])
        if first is None:
            db.execute(
                "INSERT INTO api_idempotency (key, digest, story_id, created_at) "
                "VALUES (?, ?, ?, ?)",
                [entry["key"], entry["digest"], story.id, to_text(entry["created_at"])],
            )
        elif first["story_id"] != story.id:
            raise InvalidStory(
                [
                    f"idempotency key {entry['key']!r} already names story {first['story_id']} "
                    "in this archive"
                ],
                story=story.slug,
            )


def _restored_values(shape: dict) -> tuple[dict, list[str]]:
    values: dict[str, Any] = {}
    problems = []
    story_id = shape.get("id")
    if not _is_count(story_id):
        problems.append(f"id must be a positive whole number (the story's id), not {story_id!r}")
    values["id"] = story_id
    revision = shape.get("revision", 1)
    if not _is_count(revision):
        problems.append(f"revision must be a positive whole number, not {revision!r}")
    values["revision"] = revision
    for key in ("entry_id", "path"):
        value = shape.get(key)
        if value is not None and not _is_token(value):
            problems.append(f"{key} must be text without spaces or control characters")
        values[key] = value
    if values["path"] is not None and not PERMALINK.fullmatch(values["path"] or ""):
        problems.append(f"path {values['path']!r} is not a permalink (/YYYY/MM/DD/slug/)")
    if shape.get("withdrawn_at") is not None:
        try:
            values["withdrawn_at"] = parse_time(shape["withdrawn_at"], "withdrawn_at")
        except ValueError as error:
            problems.append(str(error))
    offset = shape.get("published_offset")
    if offset is not None and not (isinstance(offset, str) and OFFSET.fullmatch(offset)):
        problems.append(f"published_offset {offset!r} is not a UTC offset such as +04:00")
    else:
        values["published_offset"] = offset
    reason = shape.get("withdrawn_reason", "")
    if not isinstance(reason, str):
        problems.append("withdrawn_reason must be a string")
    values["withdrawn_reason"] = reason if isinstance(reason, str) else ""
    return values, problems


def _is_count(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**62


def _is_token(value: Any) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_ENTRY_ID
        and value.isprintable()
        and not any(char.isspace() for char in value)
    )


def _with_identity(unsaved: Story, clock: Clock) -> SavedStory:
    """The story with what its publication gave it: an entry id and a permalink, as exported,
    minted here only when an export left them out; a published story's slug is its
    permalink's (one out of publication keeps the permalink it last had in public, whatever
    slug its draft has: archive.story.visibility)."""
    story = as_saved(unsaved)  # its id is the exported one, checked by story_from_export
    problems = []
    is_live = story.status == "published"
    permalink = PERMALINK.fullmatch(story.path) if is_live and story.path else None
    if permalink and permalink["slug"] != story.slug:
        problems.append(f"path {story.path!r} does not end in the story's slug {story.slug!r}")
    if story.status == "withdrawn" and story.withdrawn_at is None:
        problems.append("a withdrawn story needs withdrawn_at (when it was withdrawn)")
    if story.status != "withdrawn" and story.withdrawn_at is not None:
        problems.append(f"withdrawn_at is set but the status is {story.status!r}")
    if problems:
        raise InvalidStory(problems, story=story.slug or story.title)
    was_published = story.entry_id is not None or story.status == "published"
    published_at = story.published_at
    if was_published and published_at is None:
        raise InvalidStory(["a published story needs published_at"], story=story.slug)
    if not story.slug:
        story = story.replace(slug=names.slugify(story.title))
    if was_published and published_at is not None:
        story = story.replace(
            was_published=True,
            entry_id=story.entry_id or clock.entry_id(story.id, published_at),
            path=story.path or clock.path(story),
        )
    # A published story's class: with its permalink and publication time (saved_story).
    return as_saved(story.replace(updated_at=story.updated_at or story.published_at))


def _check_identity(db: sqlite_utils.Database, story: Story) -> None:
    """Inside the write transaction: no other story has this permalink or entry id."""
    if story.path and (other := store._path_owner(db, story.path, story.id)) is not None:
        raise SlugConflict(
            f"story {story.slug!r}: permalink {story.path} already belongs to story {other}"
        )
    if story.entry_id:
        row = db.execute("SELECT id FROM stories WHERE entry_id = ?", [story.entry_id])
        if (other := row.fetchone()) is not None:
            raise SlugConflict(
                f"story {story.slug!r}: entry id {story.entry_id} already belongs to story "
                f"{other[0]}"
            )


def _same(stored: Story, story: Story) -> bool:
    def shape(s: Story) -> dict:
        found = story_to_dict(s)
        found.pop("body_text")
        return found

    return shape(stored) == shape(story)


def _revisions(history: list, story: Story) -> list[dict]:
    """The exported revisions, checked: numbered once each, up to the story's own revision."""
    found, problems, seen = [], [], set()
    for index, revision in enumerate(history):
        where = f"revisions[{index}]"
        if not isinstance(revision, dict):
            problems.append(f"{where} must be an object")
            continue
        number, action = revision.get("revision"), revision.get("action")
        if not _is_count(number) or number > story.revision or number in seen:
            problems.append(
                f"{where}.revision {number!r} is not a new number from 1 to {story.revision}"
            )
        if action not in REVISION_ACTIONS:
            problems.append(f"{where}.action {action!r} is not one of {REVISION_ACTIONS}")
        try:
            saved_at = parse_time(revision.get("saved_at"), f"{where}.saved_at")
        except ValueError as error:
            problems.append(str(error))
            continue
        snapshot = revision.get("snapshot")
        if not isinstance(snapshot, dict):
            problems.append(f"{where}.snapshot must be an object (the story as saved)")
            continue
        snapshot = _with_clean_body(snapshot)
        text = json.dumps(snapshot, ensure_ascii=False, sort_keys=True)
        if found_control := CONTROL_CHARACTERS.search(text):
            problems.append(
                f"{where}.snapshot contains the control character U+{ord(found_control[0]):04X}"
            )
        kind, note = revision.get("change_kind"), revision.get("change_note") or ""
        if kind is not None and kind not in CHANGE_KINDS:
            problems.append(f"{where}.change_kind {kind!r} is not one of {CHANGE_KINDS}")
        if not isinstance(note, str) or len(note) > MAX_CHANGE_NOTE_LENGTH:
            problems.append(f"{where}.change_note must be text of at most {MAX_CHANGE_NOTE_LENGTH}")
        elif found_control := CONTROL_CHARACTERS.search(note):
            problems.append(
                f"{where}.change_note contains the control character U+{ord(found_control[0]):04X}"
            )
        seen.add(number)
        found.append(
            {
                "revision": number,
                "action": action,
                "saved_at": saved_at,
                "text": text,
                "change_kind": kind,
                "change_note": note,
                "is_import": int(bool(revision.get("is_import"))),
            }
        )
    if problems:
        raise InvalidStory(problems, story=story.slug)
    return sorted(found, key=lambda revision: revision["revision"])


def _with_clean_body(snapshot: dict) -> dict:
    """A revision's snapshot with its body cleaned as a save cleans it: revision pages trust
    the stored body. An exported body that is clean already (any this archive exported) and
    its plain text stay as they are."""
    body = snapshot.get("body")
    if not isinstance(body, str) or (clean := html.sanitise(body)) == body:
        return snapshot
    text = {"body_text": html.to_text(clean)} if "body_text" in snapshot else {}
    return {**snapshot, "body": clean, **text}


def _write_history(
    db: sqlite_utils.Database, story: Story, history: list[dict] | None, *, now: datetime
) -> None:
    """The story's revisions as exported, or (exported without them) one for its current state;
    old permalinks in the history answer 301 again."""
    if history is None:
        action = "withdraw" if story.is_withdrawn else "create" if story.revision == 1 else "update"
        saved_at = story.withdrawn_at or story.updated_at or now
        store._record_revision(db, story, action, saved_at)
        return
    for revision in history:
        db.table("revisions").insert(
            {
                "story_id": story.id,
                "revision": revision["revision"],
                "action": revision["action"],
                "saved_at": to_text(revision["saved_at"]),
                "snapshot": revision["text"],
                "change_kind": revision["change_kind"],
                "change_note": revision["change_note"],
                "is_import": revision["is_import"],
            }
        )
        old_path = json.loads(revision["text"]).get("path")
        if _is_old_permalink(db, old_path, story):
            db.execute(
                "INSERT OR IGNORE INTO redirects (path, story_id) VALUES (?, ?)",
                [old_path, story.id],
            )


def _is_old_permalink(db: sqlite_utils.Database, path: Any, story: Story) -> bool:
    """Whether a path in a story's history is an old permalink of it that no story now has."""
    return (
        isinstance(path, str)
        and path != story.path
        and PERMALINK.fullmatch(path) is not None
        and store._path_owner(db, path, story.id) is None
    )


def _name_of(shape: dict) -> str | None:
    for key in ("slug", "title"):
        if isinstance(shape.get(key), str) and shape[key]:
            return shape[key]
    return None


__all__ = ["restore_story", "story_from_export"]
