"""The one visibility rule: what the public may see of a story, decided here and nowhere else.

A story is public once it has been published: it is then live (in lists, feeds, search and
sitemaps) while published, and a tombstone (410, RFC 6721 deleted-entry) once withdrawn. A story
that was never published (a draft, an embargoed story, or either of them withdrawn) is on no
public surface at all. Every read path asks these functions or uses these SQL conditions.
"""

from __future__ import annotations

from typing import Any

from archive.models import Story

# SQL conditions on `stories`, qualified so that joins can use them.
LIVE = "stories.status = 'published'"
PUBLIC = "stories.was_published = 1"
TOMBSTONE = f"stories.status = 'withdrawn' AND {PUBLIC}"
SYNDICATED = "stories.syndication != 'none'"
# On `revisions`: saved while the story was published (is_public_revision, in SQL).
PUBLIC_REVISION = "json_extract(revisions.snapshot, '$.status') = 'published'"


def is_public(story: Story) -> bool:
    """Whether anyone may see the story (live, or as a tombstone): it was ever published."""
    return story.was_published or story.status == "published"


def is_live(story: Story) -> bool:
    """Whether the story is in lists, feeds, search and sitemaps now."""
    return story.status == "published"


def is_tombstone(story: Story) -> bool:
    """Whether the story answers the public as withdrawn (410) rather than not at all (404)."""
    return story.status == "withdrawn" and is_public(story)


def is_public_revision(snapshot: dict[str, Any]) -> bool:
    """Whether a revision snapshot was ever public: saved while the story was published."""
    return snapshot.get("status") == "published"
