"""The archive's exceptions: small named classes that callers catch by what they mean."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple


class ArchiveError(Exception):
    """Anything the archive refuses or cannot find."""


class FieldProblem(NamedTuple):
    """One thing wrong with a story: the field as errors name it ("authors[0].url"), its
    RFC 6901 JSON Pointer ("/authors/0/url"; "" is the whole story) and the message."""

    field: str
    pointer: str
    message: str

    @classmethod
    def at(cls, path: Sequence[str | int], message: str) -> FieldProblem:
        """The problem at a path of keys and list indexes: ("authors", 0, "url")."""
        # Keys joined with dots, indexes in brackets; a key may itself hold a dot (".").
        field = "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" if n else str(p) for n, p in enumerate(path)
        )
        pointer = "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)
        return cls(field, pointer, message)


class InvalidStory(ArchiveError):
    """A story failed validation; `found` lists every problem (FieldProblem), `problems` their
    messages. A problem given as plain text is about the whole story."""

    def __init__(self, problems: Iterable[FieldProblem | str], *, story: str | None = None):
        self.found = [
            p if isinstance(p, FieldProblem) else FieldProblem("", "", p) for p in problems
        ]
        self.problems = [p.message for p in self.found]
        self.story = story
        prefix = f"story {story!r}: " if story else ""
        super().__init__(prefix + "; ".join(self.problems))


class ArchiveBusy(ArchiveError):
    """Another writer held the archive's write lock for longer than the busy timeout; nothing
    was changed, and the same write can be tried again. `waited` is that timeout, in seconds."""

    def __init__(self, waited: float):
        self.waited = waited
        super().__init__(
            f"the archive is busy: another writer held its write lock for more than {waited:g} s; "
            "nothing was changed, try again"
        )


class NotFound(ArchiveError):
    """No such thing in the archive: the subclasses say which (a story, a name, a rendition)."""


class StoryNotFound(NotFound):
    """No story answers to that id or permalink."""


class StoryWithdrawn(ArchiveError):
    """The story was withdrawn; `story` carries its tombstone."""

    # The tombstone is an archive.story.models.Story, which this module, below the model,
    # does not import.
    def __init__(self, story: Any):
        self.story = story
        super().__init__(f"story {story.id} was withdrawn: {story.withdrawn_reason}")


class StoryMoved(ArchiveError):
    """An old permalink of a story whose slug or date changed; `path` is where it lives now."""

    def __init__(self, path: str):
        self.path = path
        super().__init__(f"story moved to {path}")


class SlugConflict(ArchiveError):
    """Another story already has this permalink."""


class NameNotFound(NotFound):
    """No section, tag or author answers to that slug."""


class RevisionConflict(ArchiveError):
    """The story changed since the caller read it: `expected` is what they saw, `actual` is now."""

    def __init__(self, story_id: int, *, expected: int, actual: int):
        self.story_id = story_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"story {story_id} is at revision {actual}, not {expected}: it changed meanwhile"
        )


class DuplicateRequest(ArchiveError):
    """An idempotency key was already used; `story_id` is the story it created."""

    def __init__(self, key: str, *, story_id: int, digest: str):
        self.key = key
        self.story_id = story_id
        self.digest = digest
        super().__init__(f"idempotency key {key!r} already created story {story_id}")
