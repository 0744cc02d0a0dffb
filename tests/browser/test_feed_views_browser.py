"""Every feed kind, /feeds.opml and a TimeMap, opened in Debian's Chromium, read as pages.

Each feed kind (the site's latest, a section, a tag, an author, a month's archive, corrections,
withdrawals) in Atom, RSS and JSON Feed, the OPML list and a story's TimeMap: at 375 and
1280 px, in the light and the dark scheme, Chromium gets an HTML page with no console warning
or error, no sideways scroll and no axe violation. Screenshots are saved in the test's temp
folder as feed-<kind>-<format>-<width>-<scheme>.png and their names printed. Over the same
server, feed readers (feedparser, a feed type, `*/*`, no Accept) get the stored bytes.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from axe_playwright_python.sync_playwright import Axe
from feedparser.http import ACCEPT_HEADER as FEEDPARSER_ACCEPT
from playwright.sync_api import ConsoleMessage, Error, Page, sync_playwright

from archive import open_archive
from tests.support.archives import settings_mapping
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.feeds import fill
from tests.support.live import LiveServer

# One feed of each kind, by the key its formats share (fill's stories are in November 2026).
KINDS = {
    "latest": "latest",
    "section": "sections/city/latest",
    "tag": "tags/transport/latest",
    "author": "authors/helen-marsh/latest",
    "month": "archive/2026/11",
    "corrections": "corrections",
    "withdrawals": "withdrawals",
}
FEED_TYPES = {
    "atom": "application/atom+xml",
    "rss": "application/rss+xml",
    "json": "application/feed+json",
}
WIDTHS = (375, 1280)
SCHEMES = ("light", "dark")
# The page's paper in each scheme (service/static/style.css), proving the scheme is in use.
PAPER = {"light": "rgb(255, 253, 248)", "dark": "rgb(18, 20, 22)"}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict]:
    """The real server, which builds every feed as it starts; its archive and a TimeMap's path."""
    tmp_path = tmp_path_factory.mktemp("feed-views")
    mapping = settings_mapping(tmp_path)
    path = mapping["archive"]["path"]
    with open_archive(path, domain="news.example") as archive:
        fill(archive)
    with LiveServer(tmp_path, mapping) as live:
        _type, latest = fetch(f"{live.url}/feeds/latest.json", None)
        [tram] = [i["url"] for i in json.loads(latest)["items"] if i["url"].endswith("/tram/")]
        timemap = tram.removeprefix("https://news.example") + "timemap/"
        yield {"server": live, "archive_path": path, "timemap": timemap}


def stored(site: dict, key: str) -> bytes:
    """The feed bytes the archive holds under `key` (built by the server with the real clock)."""
    with open_archive(site["archive_path"], domain="news.example") as archive:
        return archive.rendition(key).body


def fetch(url: str, accept: str | None) -> tuple[str, bytes]:
    request = urllib.request.Request(url)
    if accept:
        request.add_header("Accept", accept)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["Content-Type"], response.read()


@pytest.mark.parametrize("fmt", FEED_TYPES)
@pytest.mark.parametrize("kind", KINDS)
def test_feed_readers_get_the_stored_bytes_of_every_feed_kind(site, kind, fmt):
    key = f"{KINDS[kind]}.{fmt}"
    url = f"{site['server'].url}/feeds/{key}"
    for accept in (FEED_TYPES[fmt], FEEDPARSER_ACCEPT, "*/*", None):
        content_type, body = fetch(url, accept)
        assert content_type.startswith(FEED_TYPES[fmt]), accept
        assert body == stored(site, key), accept
    if fmt == "json":
        assert "items" in json.loads(body)
        return
    over_http = feedparser.parse(url)
    assert over_http.bozo == 0, over_http.get("bozo_exception")
    assert over_http.status == 200
    from_archive = feedparser.parse(stored(site, key))
    assert [e.id for e in over_http.entries] == [e.id for e in from_archive.entries]
    assert over_http.entries


@pytest.mark.browser
def test_chromium_shows_every_feed_kind_the_opml_and_a_timemap_as_pages(site, tmp_path):
    server = site["server"]
    targets = {
        f"feed-{kind}-{fmt}": f"/feeds/{key}.{fmt}"
        for kind, key in KINDS.items()
        for fmt in FEED_TYPES
    }
    targets["feed-directory-opml"] = "/feeds.opml"
    targets["story-timemap-link-format"] = site["timemap"]
    axe = Axe()
    problems: dict[str, list] = {}
    saved: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for width in WIDTHS:
                for scheme in SCHEMES:
                    context = browser.new_context(
                        viewport={"width": width, "height": 800}, color_scheme=scheme
                    )
                    try:
                        page = context.new_page()
                        for name, path in targets.items():
                            shot = tmp_path / f"{name}-{width}-{scheme}.png"
                            found = problems_of(page, server.url + path, scheme, axe, shot)
                            if found:
                                problems[shot.stem] = found
                            saved.append(shot)
                    finally:
                        context.close()
        finally:
            browser.close()
    for path in saved:
        print(path.name)
    assert len(saved) == len(targets) * len(WIDTHS) * len(SCHEMES)
    assert all(path.stat().st_size > 0 for path in saved)
    assert problems == {}


def problems_of(page: Page, url: str, scheme: str, axe: Axe, shot: Path) -> list:
    """What is wrong with the page at `url` as Chromium shows it; a full-page screenshot."""
    console: list[str] = []

    def heard(message: ConsoleMessage) -> None:
        if message.type in ("warning", "error"):
            console.append(f"{message.type}: {message.text}")

    def failed(error: Error) -> None:
        console.append(f"page error: {error}")

    page.on("console", heard)
    page.on("pageerror", failed)
    try:
        response = page.goto(url)
        found: list = []
        content_type = response.headers.get("content-type", "")
        if response.status != 200 or not content_type.startswith("text/html"):
            found.append(f"answered {response.status} {content_type}")
        if not page.locator("main h1").is_visible():
            found.append("no heading shown")
        paper = page.evaluate("getComputedStyle(document.body).backgroundColor")
        if paper != PAPER[scheme]:
            found.append(f"paper {paper} in the {scheme} scheme")
        overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            found.append(f"{overflow} px of sideways scroll")
        violations = axe.run(page).response["violations"]
        found += [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
        page.screenshot(path=str(shot), full_page=True)
        return found + console
    finally:
        page.remove_listener("console", heard)
        page.remove_listener("pageerror", failed)
