"""A story's revision history for readers: each stored snapshot as a Story, and what changed
from the revision before, field by field, as readable line diffs with the changed words
marked (difflib); and the corrections and updates printed with a story and in the
corrections feed.

Reads only; the snapshots themselves are written by store.py.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any

import sqlite_utils

from archive.db import names as name_store
from archive.db import queries
from archive.db.queries import from_text
from archive.errors import StoryNotFound
from archive.story.models import Story, as_written
from archive.story.shape import story_from_dict
from archive.story.visibility import LIVE, PUBLIC_REVISION, SYNDICATED, is_public_revision

# Unchanged lines shown around each change in a diff.
CONTEXT_LINES = 1
# A word and the spaces after it: the unit a changed line is compared in.
WORD = re.compile(r"\S+\s*|\s+")
# Longest line, in words, compared word by word: a longer one (a body of one huge paragraph)
# is shown whole, removed and added, so that a diff never takes long.
MAX_WORD_DIFF = 3_000
# Kinds of change printed with the story (and re-announced in feeds).
NOTED_KINDS = ("correction", "update")


@dataclass(frozen=True)
class DiffLine:
    """One line of a diff: mark "-", "+" or " ", and its text as parts (is_changed, text):
    a line replaced by a similar one marks only the words that changed."""

    mark: str
    parts: tuple[tuple[bool, str], ...]

    @property
    def text(self) -> str:
        return "".join(text for _, text in self.parts)


@dataclass(frozen=True)
class Change:
    """One changed field: its label and its diff lines; `sentence` says it in words instead
    when the field is an address or a time ("The address changed from ... to ...")."""

    label: str
    lines: tuple[DiffLine, ...]
    sentence: str = ""


@dataclass(frozen=True)
class Note:
    """A correction or update as printed: its kind, note and when the archive received it;
    for the corrections feed, also the published revision it corrected (`predecessor`) and
    what changed from it (`changes`)."""

    story_id: int
    revision: int
    kind: str
    note: str
    saved_at: datetime
    predecessor: int | None = None
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class Revision:
    """One stored revision of a story: its number, the write that made it (`action`: create,
    update, withdraw, publish), when, the story as it read then (`snapshot`, the JSON shape),
    and what the write said of itself (archive.story.models.ChangeNote)."""

    story_id: int
    number: int
    action: str
    saved_at: datetime
    snapshot: dict[str, Any]
    change_kind: str | None = None
    change_note: str = ""
    is_import: bool = False
    # The snapshot of the revision kept before this one (None for the first), for `changes`.
    previous: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    # (kind, name) -> the slug that name has now, for links from an old revision.
    slug_of: Callable[[str, str], str | None] | None = field(
        default=None, compare=False, repr=False
    )

    @cached_property
    def changes(self) -> tuple[Change, ...]:
        """What changed from the revision kept before, field by field (built on first use)."""
        if self.previous is None:
            return ()
        return tuple(changes_between(self.previous, self.snapshot))

    @cached_property
    def story(self) -> Story:
        """The story as it read then (built on first use: a list of revisions needs none)."""
        return snapshot_story(self.snapshot, self.slug_of or _no_slug)

    def exported(self) -> dict[str, Any]:
        """The revision as `masthead export` writes it: its stored row, the time in ISO 8601."""
        return {
            "story_id": self.story_id,
            "revision": self.number,
            "action": self.action,
            "saved_at": self.saved_at.isoformat(),
            "snapshot": self.snapshot,
            "change_kind": self.change_kind,
            "change_note": self.change_note,
            "is_import": int(self.is_import),
        }


def story_history(
    db: sqlite_utils.Database, story_id: int, *, published_only: bool = False
) -> list[Revision]:
    """Every revision of a story, oldest first, each with its changes from the one before.

    `published_only` keeps the revisions saved while the story was published (for readers:
    drafts and scheduled versions were never public); changes are then from the previous
    published revision.
    """
    return [_revision(db, row, before) for row, before in _kept(db, story_id, published_only)]


def revision_of(
    db: sqlite_utils.Database, story_id: int, number: int, *, published_only: bool = False
) -> Revision:
    """One revision of a story. Raises StoryNotFound when the story has no such revision."""
    for row, before in _kept(db, story_id, published_only):
        if row["revision"] == number:
            return _revision(db, row, before)
    raise StoryNotFound(f"story {story_id} has no revision {number}")


def _kept(db: sqlite_utils.Database, story_id: int, published_only: bool):
    """(revision row, the snapshot kept before it or None) for each revision kept, oldest first."""
    before = None
    for row in queries.revisions(db, story_id):
        if published_only and not is_public_revision(row["snapshot"]):
            continue
        yield row, before
        before = row["snapshot"]


def _revision(
    db: sqlite_utils.Database, row: dict[str, Any], before: dict[str, Any] | None
) -> Revision:
    def slug_of(kind: str, name: str) -> str | None:
        return name_store.slug_of(db, kind, name)

    return Revision(
        story_id=row["story_id"],
        number=row["revision"],
        action=row["action"],
        saved_at=row["saved_at"],
        snapshot=row["snapshot"],
        change_kind=row.get("change_kind"),
        change_note=row.get("change_note") or "",
        is_import=bool(row.get("is_import")),
        previous=before,
        slug_of=slug_of,
    )


def notes_of(db: sqlite_utils.Database, story_id: int) -> list[Note]:
    """The corrections and updates of a story that readers are shown, oldest first: those
    with a note, saved while the story was published."""
    return [
        _note(row)
        for row in queries.revisions(db, story_id)
        if row.get("change_kind") in NOTED_KINDS
        and row.get("change_note")
        and is_public_revision(row["snapshot"])
    ]


def corrections(
    db: sqlite_utils.Database, *, limit: int, offset: int = 0
) -> list[tuple[Note, Story]]:
    """The newest corrections to live, syndicated stories, newest first, each with the story
    as it reads now (the corrections feed and page); `offset` skips that many."""
    rows = db.query(
        f"""SELECT revisions.* FROM revisions JOIN stories ON stories.id = revisions.story_id
            WHERE revisions.change_kind = 'correction' AND revisions.change_note != ''
            AND {LIVE} AND {SYNDICATED} AND {PUBLIC_REVISION}
            ORDER BY revisions.saved_at DESC, revisions.story_id DESC,
            revisions.revision DESC LIMIT ? OFFSET ?""",
        [limit, offset],
    )
    found: list[tuple[Note, Story]] = []
    for row in rows:
        note = _note({**row, "saved_at": from_text(row["saved_at"])})
        predecessor, changes = _corrected(db, note.story_id, note.revision)
        note = replace(note, predecessor=predecessor, changes=changes)
        found.append((note, queries.get_story(db, note.story_id)))
    return found


def _corrected(
    db: sqlite_utils.Database, story_id: int, number: int
) -> tuple[int | None, tuple[Change, ...]]:
    """The published revision before revision `number` (the one it corrected), and what
    changed from it to `number`, as readers see them on the revision pages."""
    for row, before in _kept(db, story_id, published_only=True):
        if row["revision"] == number:
            if before is None:
                return None, ()
            return before["revision"], tuple(changes_between(before, row["snapshot"]))
    return None, ()


def _note(row: dict[str, Any]) -> Note:
    return Note(
        row["story_id"], row["revision"], row["change_kind"], row["change_note"], row["saved_at"]
    )


def _no_slug(kind: str, name: str) -> str | None:
    return None


def snapshot_story(snapshot: dict[str, Any], slug_of: Callable[[str, str], str | None]) -> Story:
    """A revision snapshot as the Story it was, its names' slugs as `slug_of` gives them now."""
    story = story_from_dict(snapshot, allow_read_only=True)
    return story.replace(
        section_slug=slug_of("section", story.section) or "" if story.section else "",
        tag_slugs=tuple(slug_of("tag", tag) or "" for tag in story.tags),
        authors=tuple(
            a.__class__(a.name, slug_of("author", a.name) or "", a.url, a.kind)
            for a in story.authors
        ),
        id=snapshot["id"],
        entry_id=snapshot["entry_id"],
        path=snapshot["path"],
        revision=snapshot["revision"],
        body_text=snapshot.get("body_text") or "",
        withdrawn_at=from_text(snapshot.get("withdrawn_at")),
        withdrawn_reason=snapshot.get("withdrawn_reason") or "",
        published_offset=snapshot.get("published_offset"),
    )


def _readable(snapshot: dict[str, Any]) -> dict[str, list[str]]:
    """A snapshot as labelled lines of text, in reading order."""

    def lines(*values) -> list[str]:
        return [str(v) for v in values if v]

    rights = snapshot.get("rights") or {}
    publisher = snapshot.get("publisher") or {}
    return {
        "Title": lines(snapshot["title"]),
        "Dek": lines(snapshot["dek"]),
        "Summary": lines(snapshot["summary"]),
        "Bylines": [a["name"] for a in snapshot["authors"]],
        "Body": (snapshot.get("body_text") or "").split("\n\n"),
        "Section": lines(snapshot["section"]),
        "Tags": list(snapshot["tags"]),
        "Images": [
            " · ".join(lines(m.get("caption"), m.get("credit"), m.get("copyright"), m.get("url")))
            for m in snapshot["media"]
        ],
        "Voices": [", ".join(lines(s["name"], s.get("role"))) for s in snapshot["sources"]],
        "Publisher": lines(publisher.get("name"), publisher.get("url")),
        "Original URL": lines(
            snapshot.get("original_url"),
            "named as canonical" if snapshot.get("canonical_is_original") else "",
        ),
        "Rights": lines(rights.get("holder"), rights.get("statement"), rights.get("license_url")),
        "Status": lines(snapshot["status"], snapshot.get("withdrawn_reason")),
        "Dateline": lines(snapshot.get("dateline")),
        "Embargo": lines(snapshot["embargo_at"]),
    }


# Fields told as a sentence rather than a diff: (label, snapshot key, how it reads).
SENTENCES = (
    ("Address", "path", "The address changed from {old} to {new}."),
    ("First published", "published_at", "The publication date changed from {old} to {new}."),
)


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """The fields that differ between two snapshots, each with its diff (or its sentence)."""
    old, new = _readable(before), _readable(after)
    changes = []
    for label, new_lines in new.items():
        old_lines = [line for line in old[label] if line]
        new_lines = [line for line in new_lines if line]
        if old_lines != new_lines:
            changes.append(Change(label, tuple(_diff(old_lines, new_lines))))
    for label, key, sentence in SENTENCES:
        was, now = before.get(key), after.get(key)
        if was and now and was != now:
            if key == "published_at":
                was, now = _when(was, before), _when(now, after)
            changes.append(Change(label, (), sentence.format(old=was, new=now)))
    return changes


def _when(text: str, snapshot: dict[str, Any]) -> str:
    """A stored time as the story gave it: "24 February 2014, 20:00 +04:00" (UTC without an
    offset)."""
    offset = snapshot.get("published_offset") or "+00:00"
    moment = as_written(from_text(text), offset)
    return f"{moment.day} {moment:%B %Y, %H:%M} {offset}"


def _diff(old: list[str], new: list[str]) -> list[DiffLine]:
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    lines: list[DiffLine] = []
    for group in matcher.get_grouped_opcodes(CONTEXT_LINES):
        if lines:
            lines.append(DiffLine(" ", ((False, "…"),)))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine(" ", ((False, line),)) for line in old[i1:i2]]
            elif tag == "replace" and i2 - i1 == j2 - j1:
                pairs = [_word_diff(a, b) for a, b in zip(old[i1:i2], new[j1:j2], strict=True)]
                lines += [removed for removed, _ in pairs] + [added for _, added in pairs]
            else:
                lines += [DiffLine("-", ((True, line),)) for line in old[i1:i2]]
                lines += [DiffLine("+", ((True, line),)) for line in new[j1:j2]]
    return lines


def _word_diff(old: str, new: str) -> tuple[DiffLine, DiffLine]:
    """A line and its replacement, with only the words that differ marked in each."""
    a, b = WORD.findall(old), WORD.findall(new)
    if max(len(a), len(b)) > MAX_WORD_DIFF:
        return DiffLine("-", ((True, old),)), DiffLine("+", ((True, new),))
    matcher = difflib.SequenceMatcher(a=[w.strip() for w in a], b=[w.strip() for w in b])
    removed: list[tuple[bool, str]] = []
    added: list[tuple[bool, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        changed = tag != "equal"
        removed += _marked(changed, "".join(a[i1:i2]))
        added += _marked(changed, "".join(b[j1:j2]))
    return DiffLine("-", tuple(removed)), DiffLine("+", tuple(added))


def _marked(changed: bool, text: str) -> list[tuple[bool, str]]:
    """Text as diff parts; of changed words, the spaces after the last are left unmarked."""
    if not text:
        return []
    words = text.rstrip()
    if not changed or words == text:
        return [(changed, text)]
    return [(True, words), (False, text[len(words) :])] if words else [(False, text)]
