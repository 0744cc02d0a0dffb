"""The one visibility rule: what the public may see of a story, decided here and nowhere else.

A story is public once it has been published. While it is published it is live (in lists,
feeds, search and sitemaps). A story that was published and is now not (withdrawn, or sent back
to draft or to the schedule) is a tombstone of its last published revision: 410 at the
permalink it last had in public, RFC 6721 deleted-entry in feeds, a tombstone in the public
export and the anonymous API, made of what was published (title, byline, tags, dates) and never
of what was written since, nor of any text. A story that was never published (a draft, an
embargoed story, or either of them withdrawn) is on no public surface at all.

Why a tombstone rather than the last published text for a story back in draft: a newsroom takes
a story out of publication to stop publishing it (a legal problem, a wrong fact); serving the
old text on would defeat that. The tombstone tells those who copied it (aggregators, archives)
to drop their copy, and when the story is published again it comes back under the same entry id
(a newer update than the tombstone's `when`), with a 301 from its old permalink if it moved.

Every read path asks these functions or uses these SQL conditions; `tombstone` makes the public
face of a story that is no longer live, from its last published revision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from archive.story.models import SavedStory, Story, as_saved

# SQL conditions on `stories`, qualified so that joins can use them.
LIVE = "stories.status = 'published'"
PUBLIC = "stories.was_published = 1"
# The statuses spelled out (not `!= 'published'`), so the (was_published, status) index seeks
# the few tombstones rather than reading past every live story.
TOMBSTONE = f"{PUBLIC} AND stories.status IN ('draft', 'scheduled', 'withdrawn')"
SYNDICATED = "stories.syndication != 'none'"
# On `revisions`: saved while the story was published (is_public_revision, in SQL).
PUBLIC_REVISION = "json_extract(revisions.snapshot, '$.status') = 'published'"
# The status a tombstone shows, whatever the story's own (draft, scheduled or withdrawn).
TOMBSTONE_STATUS = "withdrawn"
# What a tombstone says of a story taken out of publication without a withdrawal reason.
UNPUBLISHED_REASON = "No longer published."


def is_public(story: Story) -> bool:
    """Whether anyone may see the story (live, or as a tombstone): it was ever published."""
    return story.was_published or story.status == "published"


def is_live(story: Story) -> bool:
    """Whether the story is in lists, feeds, search and sitemaps now."""
    return story.status == "published"


def is_tombstone(story: Story) -> bool:
    """Whether the story answers the public as gone (410) rather than not at all (404): it was
    published and is not now (withdrawn, or back in draft or scheduled)."""
    return is_public(story) and not is_live(story)


def is_public_revision(snapshot: dict[str, Any]) -> bool:
    """Whether a revision snapshot was ever public: saved while the story was published."""
    return snapshot.get("status") == "published"


def tombstone(story: SavedStory, published: Story, left_at: datetime | None) -> SavedStory:
    """The public face of a story that is no longer live: what its last published revision
    (`published`) said of it, no text, marked withdrawn when it left (`left_at`: when it was
    withdrawn or first saved out of publication).

    Raises ValueError for a story that is live or was never public (it has no tombstone).
    """
    if not is_tombstone(story):
        raise ValueError(f"story {story.id} is {story.status}: it has no tombstone")
    withdrawn = story.status == "withdrawn"
    when = (story.withdrawn_at if withdrawn else None) or left_at or story.updated_at
    face = published.replace(
        id=story.id,
        revision=story.revision,
        status=TOMBSTONE_STATUS,
        was_published=True,
        withdrawn_at=when,
        withdrawn_reason=(story.withdrawn_reason if withdrawn else "") or UNPUBLISHED_REASON,
        updated_at=max(filter(None, (when, published.updated_at)), default=None),
        body_html="",
        body_text="",
        dek="",
        summary="",
        media=(),
        sources=(),
        embargo_at=None,
        origin=None,
    )
    return as_saved(face)
