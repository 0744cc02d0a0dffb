"""Each public story as an IPTC ninjs 3.1 item (`.../slug/ninjs.json`), and the latest stories as
a list of items (`/ninjs/latest.json`), for news agencies' customers.

An item carries the story's identity (`uri`: its entry id, never changed), revision (`version`,
`versionCreated`), bylines (`by`, `people`), copyright and usage terms, the originating publisher
(`infoSources`), pictures with their credits (`associations`), and as much of the text as the
story's syndication policy allows. Builds values from a Story; reads nothing of its own.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint

from archive import Story
from archive.ingest.syndicated import absolute_links
from archive.story.models import as_written
from service import urls
from service.archive_access import get_archive, settings
from service.settings import Settings
from service.site.linked_data import first_published
from service.site.revisions import STORY, public_story
from service.site.templating import send_text

bp = Blueprint("ninjs_out", __name__)

NINJS = "application/json"
# Stories in the list of latest items.
LATEST_ITEMS = 50


@bp.get(f"{STORY}ninjs.json")
def show_story_ninjs(year: int, month: int, day: int, slug: str):
    story = public_story(year, month, day, slug, below="ninjs.json")
    return _send(ninjs_item(story, settings()), story.updated_at)


@bp.get("/ninjs/latest.json")
def list_latest_ninjs():
    stories = get_archive().latest(limit=LATEST_ITEMS)
    items = [ninjs_item(story, settings()) for story in stories]
    return _send(items, max((s.updated_at for s in stories), default=None))


def _send(value: Any, last_modified):
    text = json.dumps(value, ensure_ascii=False, indent=2) + "\n"
    return send_text(text, f"{NINJS}; charset=utf-8", last_modified)


def ninjs_item(story: Story, config: Settings) -> dict[str, Any]:
    """A public story as a ninjs 3.1 item (valid against IPTC's schema)."""
    site = config.site
    permalink = urls.story_url(site, story)
    published = first_published(story)
    item: dict[str, Any] = {
        "uri": story.entry_id or permalink,
        "type": "text",
        "version": str(story.revision),
        "firstCreated": as_written(published, story.published_offset).isoformat(),
        "versionCreated": (story.updated_at or published).isoformat(),
        "pubStatus": "usable",
        "language": story.language,
        "headlines": [{"role": "main", "contentType": "text/plain", "value": story.title}],
    }
    if story.dek:
        item["headlines"].append({"role": "sub", "contentType": "text/plain", "value": story.dek})
    if story.summary:
        item["descriptions"] = [
            {"role": "summary", "contentType": "text/plain", "value": story.summary}
        ]
    if story.syndication == "full" and story.body_html:
        item["bodies"] = [
            {
                "role": "main",
                "contentType": "text/html",
                "value": absolute_links(story.body_html, permalink),
            },
            {"role": "text", "contentType": "text/plain", "value": story.body_text},
        ]
    if story.authors:
        item["by"] = ", ".join(author.name for author in story.authors)
        item["people"] = [_person(author) for author in story.authors]
    item.update(_rights(story, config))
    item["infoSources"] = _origin(story, config)
    if pictures := [_picture(number, m) for number, m in enumerate(story.media, 1) if m.url]:
        item["associations"] = pictures
    if story.tags:
        item["subjects"] = [{"name": tag, "rel": "about"} for tag in story.tags]
    if story.section:
        item["genres"] = [{"name": story.section}]
    if story.dateline:
        item["located"] = story.dateline
    item["renditions"] = [{"name": "html", "href": permalink, "contentType": "text/html"}]
    item["altIds"] = [{"role": "permalink", "value": permalink}]
    return item


def _person(author) -> dict[str, str]:
    person = {"name": author.name, "rel": "author"}
    if author.url:
        person["uri"] = author.url
    return person


def _rights(story: Story, config: Settings) -> dict[str, Any]:
    """Copyright of the story: its own notice, else the site's (for the site's own stories)."""
    rights = story.rights
    holder = (rights.holder if rights else "") or (
        "" if story.publisher else config.site.rights_holder
    )
    notice = (rights.statement if rights else "") or (f"© {holder}" if holder else "")
    found: dict[str, Any] = {}
    if holder:
        found["copyrightHolder"] = holder
    if notice:
        found["copyrightNotice"] = notice
    found["usageTerms"] = {
        "full": "The full text may be republished under the rights above.",
        "summary": "Only the headline and summary may be republished; link to the story.",
        "none": "Headline and link only; the text may not be republished.",
    }[story.syndication]
    if rights and rights.license_url:
        found["rightsInfo"] = {"linkedRights": rights.license_url}
    return found


def _origin(story: Story, config: Settings) -> list[dict[str, str]]:
    """Who first published the story (the originating publisher), then this site."""
    sources = []
    if story.publisher:
        origin = {"name": story.publisher.name, "role": "originator"}
        if uri := story.original_url or story.publisher.url:
            origin["uri"] = uri
        sources.append(origin)
    sources.append(
        {
            "name": config.site.title,
            "role": "distributor" if story.publisher else "originator",
            "uri": urls.home_url(config.site),
        }
    )
    return sources


def _picture(number: int, media) -> dict[str, Any]:
    rendition: dict[str, Any] = {"name": "main", "href": media.url}
    if media.mime_type:
        rendition["contentType"] = media.mime_type
    if media.width and media.height:
        rendition["width"], rendition["height"] = media.width, media.height
    picture: dict[str, Any] = {
        "name": f"picture{number}",
        "uri": media.url,
        "type": "picture",
        "renditions": [rendition],
    }
    if media.caption:
        picture["descriptions"] = [
            {"role": "caption", "contentType": "text/plain", "value": media.caption}
        ]
    if media.credit:
        picture["by"] = media.credit
    if media.copyright:
        picture["copyrightNotice"] = media.copyright
    if media.holder:
        picture["copyrightHolder"] = media.holder
    return picture
