"""Who a story is by and whose it is: the licensor and attribution of licensed copy, and the
rights holder every surface names.

One rule for every way in (the gate fills a licence's licensor and attribution) and every way
out (pages, feeds and JSON-LD ask `rights_holder`): the site is named holder only of its own
copy, never of syndicated copy whose holder is not stated.
"""

from __future__ import annotations

from archive.story.models import Rights, Story
from archive.story.rights import asks_attribution


def with_licence(story: Story) -> Story:
    """A licensed story with its licensor (from the rights line, else the originating
    publisher, else the byline) and the attribution its licence asks reusers to give."""
    rights = story.rights
    if rights is None or not rights.license_url:
        return story
    holder = rights.holder.strip() or licensor_of(story)
    attribution = rights.attribution.strip()
    if not attribution and holder and asks_attribution(rights.license_url):
        attribution = attribution_text(story, holder, rights)
    return story.replace(
        rights=Rights(rights.holder or holder, rights.statement, rights.license_url, attribution)
    )


def licensor_of(story: Story) -> str:
    """The licensor a licence line leaves unnamed: the originating publisher, else the byline."""
    if story.publisher:
        return story.publisher.name
    return " and ".join(author.name for author in story.authors)


def attribution_text(story: Story, licensor: str, rights: Rights) -> str:
    """Title, author, source and licence, as Creative Commons asks reusers to credit a work:
    “Title” by Licensor (source URL), licensed under CC BY 4.0 (licence URL)."""
    source = f" ({story.original_url})" if story.original_url else ""
    return (
        f"“{story.title}” by {licensor}{source}, licensed under {rights.license_name} "
        f"({rights.license_url})"
    )


def rights_holder(story: Story, *, own_holder: str) -> str:
    """Who holds the story's rights: the holder (or licensor) its rights name; the site
    (`own_holder`) for its own copy; "" (not stated) for syndicated or licensed copy that names
    none. Withdrawn or not, the same answer."""
    if story.rights and story.rights.holder.strip():
        return story.rights.holder.strip()
    if is_syndicated(story) or (story.rights and story.rights.license_url):
        return ""
    return own_holder


def is_syndicated(story: Story) -> bool:
    """Copy first published elsewhere: an originating publisher, an original URL or an agency
    byline says so."""
    return bool(
        story.publisher
        or story.original_url
        or any(not author.is_person for author in story.authors)
    )
