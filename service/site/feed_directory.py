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
from service.archive_access import get_archive, settings
from service.feeds.document import absolute, clean, scope_title
from service.feeds.renditions import FORMATS, feed_url
from service.settings import Settings
from service.site.feed_page import READERS
from service.site.negotiation import varying_on_accept, wants_page
from service.site.templating import render_page, send_text

bp = Blueprint("feed_directory", __name__)

# The OPML list's media type: readers importing it ask for this, `*/*` or nothing.
OPML_TYPE = "text/x-opml"

# Subscription feeds by scope kind; archive months are listed on their own.
GROUPS = {
    "latest": "Site",
    "corrections": "Site",
    "withdrawals": "Site",
    "sections": "Sections",
    "tags": "Tags",
    "authors": "Authors",
}


@dataclass(frozen=True)
class Listing:
    scope: FeedScope
    title: str
    page_url: str
    urls: dict[str, str]  # format -> absolute feed URL


def directory(archive: Archive, config: Settings) -> tuple[dict[str, list[Listing]], list]:
    """Subscription feeds grouped as in GROUPS, and the monthly archives newest first."""
    base = config.site.base_url.rstrip("/")
    stored = {FeedScope.parse(info.scope) for info in archive.renditions()}
    offered = _scopes_with_pages(archive, stored)
    scopes = sorted((s for s in stored if s in offered), key=lambda s: (not s.is_latest, s.key))
    groups: dict[str, list[Listing]] = {name: [] for name in GROUPS.values()}
    months = []
    for scope in scopes:
        listing = Listing(
            scope=scope,
            title=clean(scope_title(archive, config, scope)),
            page_url=f"{base}{scope.page_path}",
            urls={fmt: feed_url(config, scope, fmt) for fmt in FORMATS},
        )
        if scope.is_month:
            months.append(listing)
        else:
            groups[GROUPS[scope.kind]].append(listing)
    return {name: found for name, found in groups.items() if found}, months[::-1]


def _scopes_with_pages(archive: Archive, scopes: set[FeedScope]) -> set[FeedScope]:
    """The scopes whose page lists live stories: the site, each name a live story carries and
    each month that has one (the reads the pages themselves answer 404 from)."""
    months = {scope.year: archive.month_counts(scope.year) for scope in scopes if scope.is_month}
    return {
        scope
        for scope in scopes
        if scope.is_latest
        or scope.is_corrections
        or scope.is_withdrawals
        or (scope.is_month and scope.month in months[scope.year])
        or (scope.slug and archive.has_live_stories(scope.kind, scope.slug))
    }


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
                address=absolute(config, url_for("feed_directory.feeds_opml")),
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
