"""How pages are rendered: Jinja filters and context every template gets, feed discovery links,
and `render_page`, which hands the HTML to http.send_page for validators and caching.

Views call render_page; nothing here touches the archive.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import Flask, Response, render_template
from markupsafe import Markup, escape

from archive import LATEST, FeedScope, Story, rights_holder
from archive.story.models import as_written, direction_of
from service import urls
from service.archive_access import settings, site_clock
from service.feeds import renditions
from service.site.assets import asset_url
from service.wsgi import http

# What readers are shown for each feed format.
FORMAT_NAMES = {"atom": "Atom", "rss": "RSS", "json": "JSON Feed"}


def feed_links(scope: FeedScope, title: str) -> list[dict[str, str]]:
    """The discovery links of one feed family, e.g. feed_links(FeedScope.of("tags", "x"), "x")."""
    return [
        {
            "href": urls.feed_url(settings().site, scope, fmt),
            "type": feed_format.content_type.partition(";")[0],
            "title": f"{title} ({FORMAT_NAMES[fmt]})",
            "name": FORMAT_NAMES[fmt],
        }
        for fmt, feed_format in renditions.FORMATS.items()
    ]


def render_page(
    template: str,
    *,
    last_modified: datetime | None = None,
    content_type: str = "text/html; charset=utf-8",
    **context,
) -> Response:
    """A page with a strong ETag, Cache-Control from [http] page_max_age, and 304 on a match."""
    return send_text(render_template(template, **context), content_type, last_modified)


def send_text(text: str, content_type: str, last_modified: datetime | None = None) -> Response:
    """Any text the site serves (HTML, XML, OPML, robots.txt), cached like a page."""
    return http.send_page(
        text,
        max_age=settings().http.page_max_age,
        last_modified=last_modified,
        content_type=content_type,
    )


def local_time(moment: datetime) -> str:
    """A time as readers of the site see it: in the site's zone."""
    local = site_clock().local(moment)
    return f"{local.day} {local:%B %Y, %H:%M %Z}"


def local_day_long(moment: datetime) -> str:
    """A day as readers of the site see it: 30 November 2026."""
    local = site_clock().local(moment)
    return f"{local.day} {local:%B %Y}"


def time_as_written(moment: datetime, offset: str | None) -> str:
    """A time in the UTC offset it was written with ("24 February 2014, 20:00 +04:00"), or in
    the site's zone when none was kept."""
    if not offset:
        return local_time(moment)
    local = as_written(moment, offset)
    return f"{local.day} {local:%B %Y, %H:%M} {offset}"


# The opening tag of a body's first paragraph, where a dateline goes.
FIRST_PARAGRAPH = re.compile(r"\A\s*<p(?:\s[^>]*)?>")


def with_dateline(body: str, dateline: str) -> str:
    """A body with its dateline printed as newspapers do: "SOCHI — " opening the first
    paragraph (or a paragraph of its own when the body opens otherwise). The body is the
    archive's sanitised HTML, which the template marks safe; the dateline is escaped here."""
    if not dateline:
        return body
    mark = f'<span class="dateline">{escape(dateline)} — </span>'
    if found := FIRST_PARAGRAPH.match(body):
        return body[: found.end()] + mark + body[found.end() :]
    return f'<p class="dateline">{mark}</p>{body}'


def local_day(moment: datetime) -> str:
    """The local date of a time as a path, 2014/02/24, for links to day archives."""
    return site_clock().local_date(moment).replace("-", "/")


def _zip(first, second) -> list[tuple]:
    """Pairs of two sequences, padded with "" (a tag and its slug): zip for templates."""
    second = list(second)
    return [(item, second[i] if i < len(second) else "") for i, item in enumerate(first)]


def holder_of(story: Story) -> str:
    """Who holds a story's rights, as every surface names them ("" when not stated)."""
    return rights_holder(story, own_holder=settings().site.rights_holder)


def chrome(story: Story) -> Markup:
    """The lang and dir of the site's own words (labels, notes) inside a story in another
    language: ' lang="en" dir="ltr"' in an Arabic story, so that "Permalink:" reads as English
    does; nothing in a story of the site's language."""
    language = settings().site.language
    if story.language.lower() == language.lower():
        return Markup("")
    return Markup(' lang="{}" dir="{}"').format(language, direction_of(language))


def own(story: Story) -> Markup:
    """The lang and dir of the story's own words inside the site's (a quoted person's name, its
    rights line): nothing in a story of the site's language."""
    if story.language.lower() == settings().site.language.lower():
        return Markup("")
    return Markup(' lang="{}" dir="{}"').format(story.language, direction_of(story.language))


def site_url(path: str) -> str:
    """The absolute URL of a site path, for templates: canonical links, permalinks, sitemaps."""
    return urls.site_url(settings().site, path)


def site_context() -> dict:
    site = settings().site
    return {"site": site, "site_feeds": feed_links(LATEST, site.title)}


def init_app(app: Flask) -> None:
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.add_template_filter(local_time, "localdate")
    app.add_template_filter(local_day, "localday")
    app.add_template_filter(local_day_long, "localday_long")
    app.add_template_filter(time_as_written, "as_written")
    app.add_template_filter(with_dateline, "with_dateline")
    app.add_template_filter(_zip, "zip")
    app.add_template_filter(direction_of, "direction")
    app.add_template_filter(holder_of, "rights_holder")
    app.add_template_filter(chrome, "chrome")
    app.add_template_filter(own, "own")
    app.add_template_global(asset_url, "asset_url")
    app.add_template_global(site_url, "site_url")
    app.context_processor(site_context)
