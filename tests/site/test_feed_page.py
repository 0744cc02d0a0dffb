"""A feed opened in a browser reads as a page the site renders; readers get the feed's bytes.

No XSLT: a request whose Accept prefers text/html to the feed's type gets an HTML page at the
feed's own address (what a feed is, the address, a few readers, the entries with their language
and direction, the other formats), under every page's headers; readers (a feed type, `*/*`, no
Accept) get the stored rendition byte for byte.
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from lxml import etree, html
from playwright.sync_api import sync_playwright

from archive import open_archive
from service.feeds.atom_rss import CC_NS, TOMBSTONES_NS
from service.settings import Settings, settings_from_mapping
from service.site import feed_page
from service.wsgi.http import CONTENT_SECURITY_POLICY
from tests.support.archives import settings_mapping
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, screenshot
from tests.support.feeds import ARABIC_TITLE, BROWSER_ACCEPT, body, build, fill
from tests.support.live import LiveServer
from tests.support.stories import NOW

ATOM = "{http://www.w3.org/2005/Atom}"
FORMATS = ("atom", "rss", "json")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """An archive holding `fill`'s stories with every feed built, made once for the module."""
    settings = settings_from_mapping(settings_mapping(tmp_path_factory.mktemp("built")))
    with open_archive(
        settings.archive_path, domain=settings.site.domain, timezone=settings.site.timezone
    ) as archive:
        fill(archive)
        build(archive, settings, now=NOW + timedelta(hours=2))
    return settings.archive_path


@pytest.fixture
def settings(make_settings, built, tmp_path) -> Settings:
    """Each test's own copy of the built archive (building it is most of a test's time)."""
    shutil.copyfile(built, tmp_path / "archive.db")
    return make_settings()


@pytest.fixture
def feeds(archive) -> dict[str, bytes]:
    return {fmt: body(archive, f"latest.{fmt}") for fmt in FORMATS}


def test_feeds_carry_no_stylesheet_instruction_and_stay_valid(feeds):
    for fmt in ("atom", "rss"):
        tree = etree.fromstring(feeds[fmt]).getroottree()
        assert list(tree.getroot().itersiblings(preceding=True)) == []
        parsed = feedparser.parse(feeds[fmt])
        assert parsed.bozo == 0
        assert parsed.entries[0].title == "Tram line opens to riders"


def test_validator_warnings_are_gone(feeds):
    atom = etree.fromstring(feeds["atom"])
    rss = etree.fromstring(feeds["rss"])
    assert b"ns0:" not in feeds["atom"]
    licence = atom.find(f"{ATOM}entry/{ATOM}link[@rel='license']")
    assert licence is not None
    assert licence.prefix is None
    assert TOMBSTONES_NS in atom.nsmap.values()
    assert TOMBSTONES_NS not in rss.nsmap.values()
    assert rss.nsmap.get("creativeCommons") == CC_NS
    assert "cc" not in rss.nsmap
    assert CC_NS not in atom.nsmap.values()
    for source in atom.iter(f"{ATOM}source"):
        assert source.findtext(f"{ATOM}id") == "https://agence.example/"
        assert source.findtext(f"{ATOM}updated")
    tombstone = atom.find(f"{{{TOMBSTONES_NS}}}deleted-entry")
    assert tombstone.find(f"{ATOM}link").get("href").endswith("/ferry/")


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "*/*",
        "application/atom+xml",
        "application/atom+xml, application/rss+xml, application/feed+json, */*;q=0.8",
        "text/html;q=0.5, */*",
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_readers_get_the_stored_bytes(client, feeds, fmt, accept):
    headers = {"Accept": accept} if accept else {}
    response = client.get(f"/feeds/latest.{fmt}", headers=headers)
    assert response.status_code == 200
    assert response.data == feeds[fmt]
    assert (
        response.mimetype
        == {
            "atom": "application/atom+xml",
            "rss": "application/rss+xml",
            "json": "application/feed+json",
        }[fmt]
    )
    assert set(response.vary) == {"Accept", "Accept-Encoding"}
    if fmt == "json":
        assert json.loads(response.data)["items"]
    else:
        assert feedparser.parse(response.data).entries


@pytest.mark.parametrize("accept", [BROWSER_ACCEPT, "text/html"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_browsers_get_the_feeds_page_at_the_same_address(client, feeds, fmt, accept):
    response = client.get(f"/feeds/latest.{fmt}", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert set(response.vary) == {"Accept", "Accept-Encoding"}
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    feed_etag = client.get(f"/feeds/latest.{fmt}").headers["ETag"]
    assert response.headers["ETag"] != feed_etag
    again = client.get(
        f"/feeds/latest.{fmt}",
        headers={"Accept": accept, "If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304

    page = html.fromstring(response.data)
    assert page.findtext(".//h1") == "Masthead Demo Gazette"
    assert page.get_element_by_id("feed-address").get("value") == (
        f"https://news.example/feeds/latest.{fmt}"
    )
    assert "feed reader" in page.text_content()
    items = json.loads(feeds["json"])["items"]
    entries = page.cssselect("ol.feed-entries > li")
    titles = [li.cssselect("h3 a")[0].text_content() for li in entries]
    assert titles == [i["title"] for i in items]
    assert [li.cssselect("h3 a")[0].get("href") for li in entries] == [i["url"] for i in items]
    headings = [li.cssselect("h3")[0] for li in entries]
    marks = dict(zip(titles, [(h.get("lang"), h.get("dir")) for h in headings], strict=True))
    assert marks[ARABIC_TITLE] == ("ar", "rtl")
    assert marks["Harbour bridge reopens"] == ("en", "ltr")
    for li in entries:
        assert li.cssselect("time")[0].get("datetime")
    links = {a.get("href") for a in page.iter("a")}
    others = {f"https://news.example/feeds/latest.{other}" for other in FORMATS if other != fmt}
    assert links >= others | {"/feeds/", "/feeds.opml"}
    assert not page.xpath("//script | //style | //*[@style]")


def test_a_long_feed_lists_its_newest_entries_and_says_where_the_rest_are(
    client, feeds, monkeypatch
):
    monkeypatch.setattr(feed_page, "SHOWN_ENTRIES", 2)
    total = len(json.loads(feeds["json"])["items"])
    assert total > 2
    page = html.fromstring(client.get("/feeds/latest.rss", headers={"Accept": "text/html"}).data)
    assert len(page.cssselect("ol.feed-entries > li")) == 2
    [note] = [p for p in page.iter("p") if p.text_content().startswith("The feed holds")]
    assert f"holds {total} entries" in note.text_content()
    assert note.cssselect("a")[0].get("href") == "https://news.example/"


def test_the_corrections_feed_page_is_titled_as_such(client, feeds):
    response = client.get("/feeds/corrections.atom", headers={"Accept": BROWSER_ACCEPT})
    page = html.fromstring(response.data)
    assert page.findtext(".//h1") == "Masthead Demo Gazette: Corrections"
    assert page.get_element_by_id("feed-entries").text_content() == "Corrections"
    assert len(page.cssselect("ol.feed-entries > li")) == 1


@pytest.mark.parametrize("path", ["/feeds/nothing.atom", "/feeds/tags/none/latest.rss"])
def test_a_missing_feed_is_404_for_browsers_too(client, feeds, path):
    assert client.get(path, headers={"Accept": BROWSER_ACCEPT}).status_code == 404
    assert client.get(path).status_code == 404


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    tmp_path = tmp_path_factory.mktemp("feed-page")
    mapping = settings_mapping(tmp_path)
    with open_archive(mapping["archive"]["path"], domain="news.example") as archive:
        fill(archive)
    with LiveServer(tmp_path, mapping) as live:
        live.archive_path = mapping["archive"]["path"]
        yield live


@pytest.mark.parametrize("accept", ["application/atom+xml", None])
def test_a_reader_over_http_gets_the_stored_atom_bytes(server, accept):
    request = urllib.request.Request(f"{server.url}/feeds/latest.atom")
    if accept:
        request.add_header("Accept", accept)
    with urllib.request.urlopen(request, timeout=10) as response:
        got = response.read()
        assert response.headers["Content-Type"].startswith("application/atom+xml")
    with open_archive(server.archive_path, domain="news.example") as archive:
        assert got == archive.rendition("latest.atom").body
    assert feedparser.parse(got).entries


@pytest.mark.browser
def test_chromium_opens_every_feed_as_a_page_without_warnings(server):
    """Atom, RSS and JSON Feed, site and corrections, at 375 and 320 px: the page, no console
    warning, no sideways scroll."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800})
            console = []
            page.on("console", lambda m: console.append((m.type, m.text)))
            failed = []
            page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
            for key in ("latest.atom", "latest.rss", "latest.json", "corrections.atom"):
                response = page.goto(f"{server.url}/feeds/{key}")
                assert response.headers["content-type"].startswith("text/html")
                assert "default-src 'self'" in response.headers["content-security-policy"]
                assert page.locator("h1").inner_text().startswith("Masthead Demo Gazette")
                assert page.locator("#feed-address").input_value() == (
                    f"https://news.example/feeds/{key}"
                )
                assert page.locator("ol.feed-entries > li").count() >= 1
                name = key.replace("/", "-").replace(".", "-")
                for width in (375, 320):
                    page.set_viewport_size({"width": width, "height": 800})
                    scroll = page.evaluate(
                        "document.documentElement.scrollWidth"
                        " - document.documentElement.clientWidth"
                    )
                    assert scroll <= 0, f"{key}: {scroll} px of sideways scroll at {width} px"
                    # The address field fits the column, whatever its length.
                    field = page.locator("#feed-address").bounding_box()
                    assert field["x"] >= 0
                    assert field["x"] + field["width"] <= width
                    screenshot(page, f"feed-page-{name}-{width}")
                page.set_viewport_size({"width": 375, "height": 800})
            assert console == []
            assert failed == []
        finally:
            browser.close()


def test_a_time_reads_the_same_in_lists_and_on_the_feed_page(client, feeds):
    """One way to tell time: lists and the feed page print the site-zone time with one
    formatter, each in a <time datetime> naming the same moment."""

    def times_of(path, accept="text/html"):
        page = html.fromstring(client.get(path, headers={"Accept": accept}).data)
        return {
            item.cssselect("h2 a, h3 a")[0].text_content(): (t.text_content(), t.get("datetime"))
            for item in page.cssselect(".story-item")
            for t in item.cssselect(".meta time")
        }

    home = times_of("/")
    feed_page = times_of("/feeds/latest.atom")
    shared = {title for title in home if title in feed_page}
    assert "Tram line opens to riders" in shared
    for title in shared:
        (home_text, home_moment), (feed_text, feed_moment) = home[title], feed_page[title]
        assert home_text == feed_text
        assert datetime.fromisoformat(home_moment) == datetime.fromisoformat(feed_moment)
        assert re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}, \d\d:\d\d \S+", feed_text)
