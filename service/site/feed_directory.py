"""The directory of feeds: /feeds/ for people, /feeds.opml for feed readers (a page listing
the same feeds when a browser opens it).

Lists what the archive has stored whose page exists too: a feed whose section, tag, author or
month has no live story left (all withdrawn) keeps serving its tombstones, but is not offered.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, url_for
from lxml import etree

from archive import Archive, FeedScope
from service import urls
from service.archive_access import get_archive, settings
from service.feeds.document import clean
from service.feeds.kinds import KINDS, build_order, kind_of
from service.feeds.renditions import FORMATS
from service.settings import Settings
from service.site.feed_page import READERS
from service.site.negotiation import varying_on_accept, wants_page
from service.site.templating import render_page, send_text

bp = Blueprint("feed_directory", __name__)

# The OPML list's media type: readers importing it ask for this, `*/*` or nothing.
OPML_TYPE = "text/x-opml"


@dataclass(frozen=True)
class Listing:
    scope: FeedScope
    title: str  # the feed's own title (the site's name, then what it follows)
    name: str  # what it follows, as a line under its heading says it
    page_url: str
    urls: dict[str, str]  # format -> absolute feed URL


def directory(archive: Archive, config: Settings) -> tuple[dict[str, list[Listing]], list]:
    """Subscription feeds grouped under their kinds' headings (in KINDS order), and the
    monthly archives newest first: the feeds stored whose kind offers them."""
    stored = {FeedScope.parse(info.scope) for info in archive.renditions()}
    offered = (s for s in stored if kind_of(s).is_offered(archive, s))
    groups: dict[str, list[Listing]] = {kind.group: [] for kind in KINDS.values() if kind.group}
    months: list[Listing] = []
    for scope in sorted(offered, key=build_order):
        kind = kind_of(scope)
        listing = Listing(
            scope=scope,
            title=clean(kind.title(archive, config, scope)),
            name=clean(kind.name(archive, config, scope)),
            page_url=urls.feed_home_url(config.site, scope),
            urls={fmt: urls.feed_url(config.site, scope, fmt) for fmt in FORMATS},
        )
        (groups[kind.group] if kind.group else months).append(listing)
    return {name: found for name, found in groups.items() if found}, months[::-1]


@bp.get("/feeds/")
def list_feeds():
    groups, months = directory(get_archive(), settings())
    return render_page("feeds.html", title="Feeds", groups=groups, months=months)


@bp.get("/feeds.opml")
def feeds_opml():
    """The OPML list for feed readers; a browser opening it gets a page listing the same feeds
    at the same address (service/site/negotiation.py)."""
    config = settings()
    groups, _months = directory(get_archive(), config)
    if wants_page(OPML_TYPE):
        return varying_on_accept(
            render_page(
                "feeds_opml.html",
                title=f"{config.site.title} feeds",
                groups=groups,
                address=urls.site_url(config.site, url_for("feed_directory.feeds_opml")),
                readers=READERS,
            )
        )
    text = opml(groups, config).decode("utf-8")
    return varying_on_accept(send_text(text, f"{OPML_TYPE}; charset=utf-8"))


def opml(groups: dict[str, list[Listing]], config: Settings) -> bytes:
    """OPML 2.0: one outline per subscription feed (its Atom URL), grouped by kind."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = f"{config.site.title} feeds"
    etree.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = etree.SubElement(root, "body")
    for name, listings in groups.items():
        group = etree.SubElement(body, "outline", text=name, title=name)
        for listing in listings:
            etree.SubElement(
                group,
                "outline",
                type="rss",
                text=listing.title,
                title=listing.title,
                xmlUrl=listing.urls["atom"],
                htmlUrl=listing.page_url,
            )
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")
