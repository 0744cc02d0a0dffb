"""A story's revision history for readers: each stored snapshot as a Story, and what changed
from the revision before, field by field, as readable line diffs (difflib).

Reads only; the snapshots themselves are written by store.py.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import sqlite_utils

from archive import html, names, queries
from archive.errors import StoryNotFound
from archive.models import Story
from archive.queries import from_text
from archive.shape import story_from_dict
from archive.visibility import is_public_revision

# Unchanged lines shown around each change in a diff.
CONTEXT_LINES = 1


@dataclass(frozen=True)
class Change:
    """One changed field: its label and diff lines as (mark, text), mark "-", "+" or " "."""

    label: str
    lines: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Revision:
    number: int
    action: str
    saved_at: datetime
    snapshot: dict[str, Any]
    changes: tuple[Change, ...]
    # (kind, name) -> the slug that name has now, for links from an old revision.
    slug_of: Callable[[str, str], str | None] = field(compare=False, repr=False, default=None)

    @cached_property
    def story(self) -> Story:
        """The story as it read then (built on first use: a list of revisions needs none)."""
        return _story(self.snapshot, self.slug_of)


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
    snapshot = row["snapshot"]
    changes = () if before is None else tuple(changes_between(before, snapshot))

    def slug_of(kind: str, name: str) -> str | None:
        return names.slug_of(db, kind, name)

    return Revision(row["revision"], row["action"], row["saved_at"], snapshot, changes, slug_of)


def _story(snapshot: dict[str, Any], slug_of: Callable[[str, str], str | None]) -> Story:
    story = story_from_dict(snapshot, allow_read_only=True)
    return story.replace(
        section_slug=slug_of("section", story.section) or "" if story.section else "",
        tag_slugs=tuple(slug_of("tag", tag) or "" for tag in story.tags),
        authors=tuple(
            a.__class__(a.name, slug_of("author", a.name) or "", a.url) for a in story.authors
        ),
        id=snapshot["id"],
        entry_id=snapshot["entry_id"],
        path=snapshot["path"],
        revision=snapshot["revision"],
        body_html=html.sanitise(story.body_html),
        body_text=snapshot.get("body_text") or "",
        withdrawn_at=from_text(snapshot.get("withdrawn_at")),
        withdrawn_reason=snapshot.get("withdrawn_reason") or "",
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
        "First published": lines(snapshot["published_at"]),
        "Embargo": lines(snapshot["embargo_at"]),
    }


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """The fields that differ between two snapshots, each with its line diff."""
    old, new = _readable(before), _readable(after)
    changes = []
    for label, new_lines in new.items():
        old_lines = [line for line in old[label] if line]
        new_lines = [line for line in new_lines if line]
        if old_lines != new_lines:
            changes.append(Change(label, tuple(_diff(old_lines, new_lines))))
    return changes


def _diff(old: list[str], new: list[str]) -> list[tuple[str, str]]:
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    lines: list[tuple[str, str]] = []
    for group in matcher.get_grouped_opcodes(CONTEXT_LINES):
        if lines:
            lines.append((" ", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [(" ", line) for line in old[i1:i2]]
                continue
            lines += [("-", line) for line in old[i1:i2]]
            lines += [("+", line) for line in new[j1:j2]]
    return lines
