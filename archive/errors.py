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
