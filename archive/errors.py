"""The archive's exceptions: small named classes that callers catch by what they mean."""

from __future__ import annotations


class ArchiveError(Exception):
    """Anything the archive refuses or cannot find."""


class InvalidStory(ArchiveError):
    """A story failed validation; `problems` lists every field that is wrong."""

    def __init__(self, problems: list[str], *, story: str | None = None):
        self.problems = list(problems)
        self.story = story
        prefix = f"story {story!r}: " if story else ""
        super().__init__(prefix + "; ".join(self.problems))


class StoryNotFound(ArchiveError):
    """No story answers to that id or permalink."""


class StoryWithdrawn(ArchiveError):
    """The story was withdrawn; `story` carries its tombstone."""

    def __init__(self, story):
        self.story = story
        super().__init__(f"story {story.id} was withdrawn: {story.withdrawn_reason}")


class StoryMoved(ArchiveError):
    """An old permalink of a story whose slug or date changed; `path` is where it lives now."""

    def __init__(self, path: str):
        self.path = path
        super().__init__(f"story moved to {path}")


class SlugConflict(ArchiveError):
    """Another story already has this permalink."""


class NameNotFound(ArchiveError):
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
