"""Atom 1.0 and RSS 2.0 bytes from a FeedDocument, built with feedgen and two extensions of ours.

feedgen traps handled here: it stamps `updated`/`lastBuildDate` with the current time unless told
(we pass the newest story update); `add_entry` prepends (we append, newest first); 1.0.0 drops
`rel`, `type` and `length` from Atom entry links (issue #135), so the licence link is written by
our extension; RSS `<link>` is the last feed link added, so the alternate link goes last.
feedgen builds Atom entries with unqualified names under the feed's default namespace, so our
entry elements are unqualified too (a qualified one would be written with an `ns0:` prefix).
RSS readers read `<title>` and `<description>` as HTML: plain text goes in escaped (as_rss_text).
"""

from __future__ import annotations

import html
from collections.abc import Callable

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from service import urls
from service.feeds.document import Entry, FeedDocument
from service.feeds.stopping import between_stories
from service.settings import Settings, SiteSettings

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_NS = "http://search.yahoo.com/mrss/"
TOMBSTONES_NS = "http://purl.org/atompub/tombstones/1.0"  # RFC 6721
HISTORY_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005
# Userland's module, under the prefix feed validators associate with it (`cc` is the RDF one).
CC_NS = "http://backend.userland.com/creativeCommonsRssModule"
GENERATOR = ("Masthead", "0.1.0", "https://pypi.org/project/masthead/")


class FeedLinks:
    """Absolute URLs of the feed and its neighbours, per format (built by renditions)."""

    def __init__(self, self_url: str, hub_url: str, archive_urls: dict[str, str]):
        self.self_url = self_url
        self.hub_url = hub_url
        self.archive_urls = archive_urls  # rel -> URL in the same format


class MastheadFeedExtension(BaseExtension):
    """Feed-level elements feedgen lacks: RFC 6721 tombstones, RFC 5005 history, WebSub in RSS."""

    def __init__(self):
        self.document: FeedDocument | None = None
        self.links: FeedLinks | None = None
        self.format = "atom"

    def extend_ns(self):
        # Only what the format can carry (tombstones are Atom's, the licence module is RSS's),
        # and only what this document uses: strict validators warn of a namespace declared
        # in vain.
        document = self.document
        used = {}
        if any(entry.image for entry in document.entries):
            used["media"] = MEDIA_NS
        if self.format == "atom" and document.deleted:
            used["at"] = TOMBSTONES_NS
        if document.is_archive:
            used["fh"] = HISTORY_NS
        if self.format == "rss" and any(entry.license_url for entry in document.entries):
            used["creativeCommons"] = CC_NS
        return used

    def extend_atom(self, feed):
        if self.document.is_archive:
            xml_elem(f"{{{HISTORY_NS}}}archive", feed)
        for deleted in self.document.deleted:
            tombstone = xml_elem(
                f"{{{TOMBSTONES_NS}}}deleted-entry",
                feed,
                ref=deleted.id,
                when=deleted.withdrawn_at.isoformat(),
            )
            xml_elem("link", tombstone, href=deleted.url)
            if deleted.reason:
                xml_elem(f"{{{TOMBSTONES_NS}}}comment", tombstone).text = deleted.reason
        return feed

    def extend_rss(self, feed):
        channel = feed[0]
        if self.document.is_archive:
            xml_elem(f"{{{HISTORY_NS}}}archive", channel)
        # RSS has no link relations of its own: Atom links carry the hub and the archive walk.
        rels = dict(self.links.archive_urls)
        if self.links.hub_url:
            rels["hub"] = self.links.hub_url
        for rel, url in rels.items():
            xml_elem(f"{{{ATOM_NS}}}link", channel, rel=rel, href=url)
        return feed


class MastheadEntryExtension(BaseEntryExtension):
    """Entry elements feedgen lacks: the licence link (RFC 4946) and Media RSS with credits."""

    def __init__(self):
        self.entry: Entry | None = None

    def extend_atom(self, element):
        # RFC 4287 2: xml:lang says which language the entry's text is in.
        element.set("{http://www.w3.org/XML/1998/namespace}lang", self.entry.language)
        if self.entry.license_url:
            xml_elem("link", element, rel="license", type="text/html", href=self.entry.license_url)
        if self.entry.original_url:
            # RFC 4287 4.2.7.2: "via", where the entry's information came from.
            xml_elem("link", element, rel="via", href=self.entry.original_url)
        for rel, url in self.entry.links:
            xml_elem("link", element, rel=rel, href=url)
        source = element.find("source")
        if source is not None:
            # RFC 4287 4.2.11: a source keeps its feed's id and updated; the publisher's site is
            # the id, and it was last seen when the story was.
            xml_elem("id", source).text = self.entry.publisher_url
            xml_elem("updated", source).text = self.entry.published_at.isoformat()
        self._media(element)
        return element

    def extend_rss(self, element):
        # RSS 2.0 has only pubDate; atom:updated tells readers that understand it of edits.
        xml_elem(f"{{{ATOM_NS}}}updated", element).text = self.entry.updated_at.isoformat()
        if self.entry.license_url:
            xml_elem(f"{{{CC_NS}}}license", element).text = self.entry.license_url
        for rel, url in self.entry.links:
            xml_elem(f"{{{ATOM_NS}}}link", element, rel=rel, href=url)
        self._media(element)
        return element

    def _media(self, element):
        """Media RSS: the lead image, its caption, credit and copyright."""
        image = self.entry.image
        if image is None or not image.url:
            return  # media:content needs a URL: a picture not carried has no Media RSS
        holder = xml_elem(f"{{{MEDIA_NS}}}content", element, url=image.url, medium="image")
        if image.mime_type:
            holder.set("type", image.mime_type)
        if image.width and image.height:
            # Media RSS 2.1: media:content's width and height, in pixels.
            holder.set("width", str(image.width))
            holder.set("height", str(image.height))
        if image.caption:
            xml_elem(f"{{{MEDIA_NS}}}description", holder, type="plain").text = image.caption
        if image.credit:
            xml_elem(f"{{{MEDIA_NS}}}credit", holder).text = image.credit
        if image.copyright:
            xml_elem(f"{{{MEDIA_NS}}}copyright", holder).text = image.copyright


def build_atom(document: FeedDocument, links: FeedLinks, settings: Settings) -> bytes:
    feed = _feed(document, links, settings.site, fmt="atom")
    for entry in between_stories(document.entries):
        item = _entry(feed, entry, text=str)
        if entry.content_html:
            item.content(entry.content_html, type="html")
        for name, url in entry.authors:
            item.author({"name": name, "uri": url})
        item.rights(entry.rights_statement)
        if entry.publisher_name:
            item.dc.dc_publisher(entry.publisher_name)
            if entry.publisher_url:
                item.source(url=entry.publisher_url, title=entry.publisher_name)
    return feed.atom_str(pretty=True)


def build_rss(document: FeedDocument, links: FeedLinks, settings: Settings) -> bytes:
    feed = _feed(document, links, settings.site, fmt="rss")
    # Readers may cache the channel this many minutes: the scheduler's rebuild interval.
    feed.ttl(settings.feeds.rebuild_minutes)
    for entry in between_stories(document.entries):
        item = _entry(feed, entry, text=as_rss_text)
        if entry.content_html:
            item.content(entry.content_html)
        # RSS <author> must be an email address; bylines go in dc:creator instead.
        for name, _url in entry.authors:
            item.dc.dc_creator(name)
        item.dc.dc_language(entry.language)
        item.dc.dc_rights(entry.rights_statement)
        if entry.publisher_name:
            item.dc.dc_publisher(entry.publisher_name)
            if entry.publisher_url:
                item.source(url=entry.publisher_url, title=entry.publisher_name)
    return feed.rss_str(pretty=True)


def as_rss_text(text: str) -> str:
    """Plain text for an RSS element that readers take as HTML (RSS 2.0 <description> "may
    contain entity-encoded HTML"; readers treat <title> alike): escaped once more, so that
    `<img onerror=...>` in a summary shows as those characters, not as an image."""
    return html.escape(text, quote=False)


def _feed(document: FeedDocument, links: FeedLinks, site: SiteSettings, *, fmt: str):
    text = as_rss_text if fmt == "rss" else str
    feed = FeedGenerator()
    # Dublin Core: RSS bylines, language and rights of every item, and any entry's publisher;
    # declared only where used, as every namespace is (MastheadFeedExtension.extend_ns).
    if (fmt == "rss" and document.entries) or any(e.publisher_name for e in document.entries):
        feed.load_extension("dc")
    feed.register_extension("masthead", MastheadFeedExtension, MastheadEntryExtension)
    feed.masthead.document = document
    feed.masthead.links = links
    feed.masthead.format = fmt
    feed.id(links.self_url)
    feed.title(text(document.title))
    feed.subtitle(text(document.subtitle or document.title))
    # Atom needs an author for entries without a byline: the site itself.
    feed.author({"name": site.title})
    feed.generator(*GENERATOR)
    feed.rights(site.rights)
    feed.language(document.language)
    icon = urls.icon_url(site)
    feed.icon(icon)
    feed.image(url=icon, title=text(document.title), link=document.page_url)  # also the Atom logo
    # Stable bytes: the feed is as new as its newest entry, never "now".
    feed.updated(document.updated_at)
    feed.lastBuildDate(document.updated_at)
    feed.link(href=links.self_url, rel="self")
    if fmt == "atom":
        if links.hub_url:
            feed.link(href=links.hub_url, rel="hub")
        for rel, url in links.archive_urls.items():
            feed.link(href=url, rel=rel)
    # RSS takes the last link added as the channel <link>: the alternate page goes last.
    feed.link(href=document.page_url, rel="alternate", type="text/html")
    return feed


def _entry(feed: FeedGenerator, entry: Entry, *, text: Callable[[str], str]):
    """An entry; `text` readies plain text for the format (Atom's type="text" needs nothing)."""
    item = feed.add_entry(order="append")
    item.masthead.entry = entry
    item.id(entry.id)  # also RSS guid isPermaLink="false"
    item.title(text(entry.title))
    item.link(href=entry.url, rel="alternate")
    if entry.summary:
        item.summary(text(entry.summary))
    elif not entry.content_html:
        item.summary(text(entry.title))
    if entry.categories:
        # One call: feedgen rebuilds its RSS list of every category on each call (quadratic).
        item.category(
            [{"term": t, "label": label, "scheme": s} for t, label, s in entry.categories]
        )
    item.published(entry.published_at)
    item.updated(entry.updated_at)
    return item
