"""How pages are rendered: Jinja filters and context every template gets, feed discovery links,
and `render_page`, which hands the HTML to http.send_page for validators and caching.

Views call render_page; nothing here touches the archive.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, Response, render_template

from archive import slugify
from service import http
from service.archive_access import settings

# Feed formats offered everywhere: (file extension, media type, name shown to readers).
FEED_FORMATS = (
    ("atom", "application/atom+xml", "Atom"),
    ("rss", "application/rss+xml", "RSS"),
    ("json", "application/feed+json", "JSON Feed"),
)


def feed_links(prefix: str, title: str) -> list[dict[str, str]]:
    """The discovery links of one feed family, e.g. feed_links("/feeds/tags/x", "Tag x")."""
    base = settings().site.base_url.rstrip("/")
    return [
        {
            "href": f"{base}{prefix}/latest.{ext}",
            "type": kind,
            "title": f"{title} ({name})",
            "name": name,
        }
        for ext, kind, name in FEED_FORMATS
    ]


def render_page(template: str, *, last_modified: datetime | None = None, **context) -> Response:
    """A page with a strong ETag, Cache-Control from [http] page_max_age, and 304 on a match."""
    html = render_template(template, **context)
    return http.send_page(html, max_age=settings().http.page_max_age, last_modified=last_modified)


def local_time(moment: datetime) -> str:
    """A time as readers of the site see it: in the site's zone."""
    local = moment.astimezone(ZoneInfo(settings().site.timezone))
    return f"{local.day} {local:%B %Y, %H:%M %Z}"


def local_day(moment: datetime) -> str:
    """The local date of a time as a path, 2014/02/24, for links to day archives."""
    return moment.astimezone(ZoneInfo(settings().site.timezone)).strftime("%Y/%m/%d")


def site_context() -> dict:
    site = settings().site
    return {"site": site, "site_feeds": feed_links("/feeds", site.title)}


def init_app(app: Flask) -> None:
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.add_template_filter(local_time, "localdate")
    app.add_template_filter(local_day, "localday")
    app.add_template_filter(slugify, "slugify")
    app.context_processor(site_context)
