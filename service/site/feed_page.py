"""A feed opened in a browser: an HTML page at the feed's own address, rendered by the site.

`FeedServer` (service/wsgi/feed_server.py) passes a request for /feeds/<key> on to Flask when its
Accept
prefers text/html to the feed's type; readers get the stored feed bytes. The page says what a
feed is, shows the address to copy, names a few readers, lists the entries (each with its
language and direction) and links the feed's other formats. Entries are read from the stored
JSON Feed of the same scope, so the page shows what every format of the feed holds.
"""

from __future__ import annotations

import json
from datetime import datetime

from flask import Blueprint, abort, render_template

from archive import FeedScope, InvalidScope, RenditionNotFound
from archive.story.models import direction_of
from service import urls
from service.archive_access import get_archive, settings
from service.feeds.kinds import kind_of
from service.feeds.renditions import FORMATS
from service.site.templating import FORMAT_NAMES
from service.wsgi import http
from service.wsgi.answers import Answer, cache_control

bp = Blueprint("feed_page", __name__)

# Readers named on the page, for people who have none yet.
READERS = ("NetNewsWire", "Thunderbird", "Feedly", "Inoreader", "NewsBlur")
# Entries the page lists at most: a month's archive feed may hold thousands.
SHOWN_ENTRIES = 100


def entries_of(feed: dict) -> list[dict]:
    """The entries of a parsed JSON Feed as the page shows them."""
    language = feed.get("language") or settings().site.language
    shown = []
    for item in feed.get("items", [])[:SHOWN_ENTRIES]:
        lang = item.get("language") or language
        shown.append(
            {
                "title": item.get("title") or item.get("url", ""),
                "url": item.get("url", ""),
                "summary": item.get("summary", ""),
                "published_at": datetime.fromisoformat(item["date_published"]),
                "authors": [author.get("name", "") for author in item.get("authors", [])],
                "lang": lang,
                "dir": direction_of(lang),
            }
        )
    return shown


@bp.get("/feeds/<path:key>")
def show_feed(key: str):
    try:
        scope, fmt = FeedScope.from_feed_key(key)
    except InvalidScope:
        abort(404)
    if fmt not in FORMATS:
        abort(404)
    archive = get_archive()
    try:
        rendition = archive.rendition(key)
        stored = rendition if fmt == "json" else archive.rendition(scope.feed_key("json"))
    except RenditionNotFound:
        abort(404)
    feed = json.loads(stored.body)
    config = settings()
    text = render_template(
        "feed_page.html",
        title=feed.get("title", config.site.title),
        feed=feed,
        entries_heading=kind_of(scope).entries_heading,
        format_name=FORMAT_NAMES[fmt],
        address=urls.feed_url(config.site, scope, fmt),
        others=[
            (FORMAT_NAMES[f], urls.feed_url(config.site, scope, f)) for f in FORMATS if f != fmt
        ],
        entries=entries_of(feed),
        total=len(feed.get("items", [])),
        readers=READERS,
    )
    body = text.encode("utf-8")
    answer = Answer(
        body,
        content_type="text/html; charset=utf-8",
        etag=http.strong_etag(body),
        last_modified=rendition.last_modified,
        headers=[("Cache-Control", cache_control("page", config.http.page_max_age))],
        # The same address answers readers with the feed: caches keep both apart.
        vary=("Accept",),
    )
    return http.respond(answer)
