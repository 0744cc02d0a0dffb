"""JSON Feed 1.1 bytes from a FeedDocument. feedgen has no JSON Feed, so this builds a dict.

Attribution that JSON Feed has no field for (credits, rights, the originating publisher) goes
in a `_masthead` extension object, as the spec allows for names starting with an underscore.
"""

from __future__ import annotations

import json
from typing import Any

from service import urls
from service.feeds.atom_rss import FeedLinks
from service.feeds.document import Entry, FeedDocument
from service.feeds.stopping import between_stories
from service.settings import Settings

VERSION_URL = "https://jsonfeed.org/version/1.1"
EXTENSION_ABOUT = "https://pypi.org/project/masthead/#json-feed-extension"


def build_json(document: FeedDocument, links: FeedLinks, settings: Settings) -> bytes:
    site = settings.site
    feed: dict[str, Any] = {
        "version": VERSION_URL,
        "title": document.title,
        "home_page_url": document.page_url,
        "feed_url": links.self_url,
        "description": document.subtitle,
        "icon": urls.icon_url(site),
        "favicon": urls.icon_url(site),
        "language": document.language,
        "authors": [{"name": site.title, "url": urls.home_url(site)}],
    }
    # JSON Feed pagination: next_url leads to older items, the previous month's archive.
    if older := links.archive_urls.get("prev-archive"):
        feed["next_url"] = older
    if links.hub_url:
        feed["hubs"] = [{"type": "WebSub", "url": links.hub_url}]
    feed["_masthead"] = {
        "about": EXTENSION_ABOUT,
        "rights": site.rights,
        "is_archive": document.is_archive,
        "updated": document.updated_at.isoformat(),
    }
    feed["items"] = [_item(entry) for entry in between_stories(document.entries)]
    return json.dumps(feed, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def _item(entry: Entry) -> dict[str, Any]:
    item: dict[str, Any] = {"id": entry.id, "url": entry.url, "title": entry.title}
    if entry.content_html:
        item["content_html"] = entry.content_html
    else:
        item["content_text"] = entry.summary or entry.title
    if entry.summary:
        item["summary"] = entry.summary
    if entry.image and entry.image.url:
        item["image"] = entry.image.url
    item["date_published"] = entry.published_at.isoformat()
    item["date_modified"] = entry.updated_at.isoformat()
    if entry.authors:
        item["authors"] = [_author(name, url) for name, url in entry.authors]
    tags = [label for _term, label, _scheme in entry.categories]
    if tags:
        item["tags"] = tags
    item["language"] = entry.language
    item["_masthead"] = _attribution(entry)
    return item


def _author(name: str, url: str | None) -> dict[str, str]:
    return {"name": name, "url": url} if url else {"name": name}


def _attribution(entry: Entry) -> dict[str, Any]:
    extension: dict[str, Any] = {
        "about": EXTENSION_ABOUT,
        "rights": {
            "holder": entry.rights_holder or None,  # None: not stated
            "statement": entry.rights_statement,
            "license_url": entry.license_url,
        },
    }
    if entry.image:
        image = entry.image
        extension["credits"] = [
            {
                "url": image.url,
                "caption": image.caption,
                "credit": image.credit,
                "copyright": image.copyright,
            }
        ]
    if entry.links:
        extension["links"] = [{"rel": rel, "url": url} for rel, url in entry.links]
    if entry.publisher_name:
        extension["publisher"] = {"name": entry.publisher_name, "url": entry.publisher_url}
        if entry.original_url:
            extension["publisher"]["original_url"] = entry.original_url
    return extension
