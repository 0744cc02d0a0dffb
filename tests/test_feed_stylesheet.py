"""A feed opened in a browser reads as a page, and the feeds stay clean for validators.

Atom and RSS carry an `xml-stylesheet` instruction to the site's XSLT: libxslt (through lxml)
and a real Chromium both turn each feed into a page with its title, how to subscribe and its
entries, under the site's Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Iterator

import feedparser
import pytest
from lxml import etree, html
from playwright.sync_api import sync_playwright

from archive import open_archive
from service.renditions.atom_rss import CC_NS, TOMBSTONES_NS
from tests.conftest import NOW, ROOT, LiveServer, settings_mapping
from tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.test_feeds import body, build, make_story

ATOM = "{http://www.w3.org/2005/Atom}"

STYLESHEET = ROOT / "service" / "static" / "feed.xsl"


@pytest.fixture
def feeds(archive, settings) -> dict[str, bytes]:
    archive.save(make_story(slug="older", published_at="2026-11-19T09:00:00Z"), now=NOW)
    archive.save(make_story(title="Tram line opens", slug="tram"), now=NOW)
    withdrawn = archive.save(make_story(title="Ferry cancelled", slug="ferry"), now=NOW)
    archive.withdraw(withdrawn.id, reason="Published in error.", now=NOW)
    build(archive, settings)
    return {fmt: body(archive, f"latest.{fmt}") for fmt in ("atom", "rss")}


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_feeds_point_browsers_at_the_stylesheet_and_stay_valid(feeds, fmt):
    tree = etree.fromstring(feeds[fmt]).getroottree()
    instructions = list(tree.getroot().itersiblings(preceding=True))
    assert [(pi.target, pi.get("href"), pi.get("type")) for pi in instructions] == [
        ("xml-stylesheet", "/static/feed.xsl", "text/xsl")
    ]
    parsed = feedparser.parse(feeds[fmt])
    assert parsed.bozo == 0
    assert [entry.title for entry in parsed.entries] == [
        "Tram line opens",
        "Harbour bridge reopens",
    ]


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_the_stylesheet_shows_title_subscription_and_every_entry(feeds, fmt):
    transform = etree.XSLT(etree.parse(str(STYLESHEET)))
    page = html.fromstring(str(transform(etree.fromstring(feeds[fmt]).getroottree())))
    parsed = feedparser.parse(feeds[fmt])
    assert page.findtext(".//h1") == parsed.feed.title
    assert page.get("lang") == "en"
    address = page.get_element_by_id("feed-address")
    assert address.get("value") == f"https://news.example/feeds/latest.{fmt}"
    entry_links = [a.get("href") for a in page.cssselect("article.story-item h3 a")]
    assert entry_links == [entry.link for entry in parsed.entries]
    assert {a.get("href") for a in page.iter("a")} >= {"/feeds/", "/feeds.opml"}
    # No inline style or script: the site's Content-Security-Policy allows neither.
    assert not page.xpath("//script | //style | //*[@style]")


def test_validator_warnings_are_gone(feeds):
    atom = etree.fromstring(feeds["atom"])
    rss = etree.fromstring(feeds["rss"])
    # Every Atom element in the default namespace: no generated ns0: prefix anywhere.
    assert b"ns0:" not in feeds["atom"]
    licence = atom.find(f"{ATOM}entry/{ATOM}link[@rel='license']")
    assert licence is not None
    assert licence.prefix is None
    # Each format declares only what it can carry, under the prefixes validators expect.
    assert TOMBSTONES_NS in atom.nsmap.values()
    assert TOMBSTONES_NS not in rss.nsmap.values()
    assert rss.nsmap.get("creativeCommons") == CC_NS
    assert "cc" not in rss.nsmap
    assert CC_NS not in atom.nsmap.values()
    licences = rss.findall(f"channel/item/{{{CC_NS}}}license")
    assert licences
    assert all(e.text.startswith("https://") for e in licences)
    # RFC 4287 4.2.11: an entry's source keeps the source feed's id and updated.
    for source in atom.iter(f"{ATOM}source"):
        assert source.findtext(f"{ATOM}id") == "https://agence.example/"
        assert source.findtext(f"{ATOM}updated")
    # A tombstone's link is an Atom link.
    tombstone = atom.find(f"{{{TOMBSTONES_NS}}}deleted-entry")
    assert tombstone.find(f"{ATOM}link").get("href").endswith("/ferry/")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    tmp_path = tmp_path_factory.mktemp("stylesheet")
    mapping = settings_mapping(tmp_path)
    with open_archive(mapping["archive"]["path"], domain="news.example") as archive:
        archive.save(make_story(slug="older", published_at="2026-11-19T09:00:00Z"), now=NOW)
    with LiveServer(tmp_path, mapping) as live:
        yield live


BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
)


@pytest.mark.parametrize(
    ("accept", "shown"),
    [
        (BROWSER_ACCEPT, True),
        ("text/html", True),
        (None, False),
        ("*/*", False),
        ("application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.8", False),
        ("text/html;q=0.5, */*", False),
    ],
)
@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_browsers_get_the_feed_as_xml_and_readers_as_a_feed(client, feeds, fmt, accept, shown):
    headers = {"Accept": accept} if accept else {}
    response = client.get(f"/feeds/latest.{fmt}", headers=headers)
    assert response.status_code == 200
    assert response.data == feeds[fmt]
    assert response.mimetype == ("application/xml" if shown else f"application/{fmt}+xml")
    assert set(response.vary) == {"Accept", "Accept-Encoding"}
    # Another representation, another strong validator, and each revalidates on its own.
    plain = client.get(f"/feeds/latest.{fmt}")
    assert (response.get_etag() != plain.get_etag()) is shown
    again = client.get(
        f"/feeds/latest.{fmt}", headers={**headers, "If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304
    assert again.headers["ETag"] == response.headers["ETag"]


def test_the_json_feed_is_never_shown_as_xml(client, feeds):
    response = client.get("/feeds/latest.json", headers={"Accept": BROWSER_ACCEPT})
    assert response.mimetype == "application/feed+json"
    assert set(response.vary) == {"Accept-Encoding"}


@pytest.mark.browser
@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_chromium_shows_a_feed_as_a_page_under_the_sites_policy(server, fmt):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            failed = []
            page.on(
                "response",
                lambda r: (
                    failed.append(r.url)
                    if r.status >= 400 and not r.url.endswith("/favicon.ico")
                    else None
                ),
            )
            response = page.goto(f"{server.url}/feeds/latest.{fmt}")
            assert "default-src 'self'" in response.headers["content-security-policy"]
            assert page.locator("h1").inner_text() == "Masthead Demo Gazette"
            assert page.locator("article.story-item h3 a").inner_text() == "Harbour bridge reopens"
            address = page.locator("#feed-address").input_value()
            assert address == f"https://news.example/feeds/latest.{fmt}"
            # The site's own stylesheet applied (it bounds the page's width) under the policy.
            assert page.evaluate("getComputedStyle(document.body).maxWidth") != "none"
            assert failed == []
            page.screenshot(path=str(ARTIFACTS / f"feed-{fmt}.png"), full_page=True)
        finally:
            browser.close()
