"""Pages in a real browser (Debian's Chromium through Playwright, against the real server): on a
phone the first search result is on the first screen, and a printed story carries its credits,
rights and permalink without the site's navigation, forms or buttons.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from archive import open_archive
from tests.support.archives import settings_mapping
from tests.support.browser import open_page, screenshot
from tests.support.live import LiveServer
from tests.support.stories import NOW, full_story

pytestmark = pytest.mark.browser

STORY = "/2014/02/24/harbour-bridge-reopens/"
# The phone of the smallest common screen: an iPhone SE (CSS pixels).
PHONE = {"width": 375, "height": 667}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    """The real service over an archive with a full story, a link in its body."""
    tmp_path = tmp_path_factory.mktemp("page-browser")
    mapping = settings_mapping(tmp_path)
    body = (
        "<p>The first bus crossed at dawn.</p>"
        '<p>See <a href="https://city.example/bridge">the city\'s notice</a>.</p>'
    )
    with open_archive(mapping["archive"]["path"], domain="news.example") as archive:
        archive.save(full_story(body=body), now=NOW)
    with LiveServer(tmp_path, mapping) as live:
        yield live


def is_shown(page: Page, selector: str) -> bool:
    return page.locator(selector).first.is_visible()


def test_on_a_phone_the_first_search_result_is_on_the_first_screen(browser, server):
    page, events = open_page(browser, server, viewport=PHONE)
    page.goto(server.url + "/search?q=bridge")
    first = page.locator(".hit").first
    box = first.bounding_box()
    assert box is not None
    assert box["y"] + min(box["height"], 60) <= PHONE["height"], box
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "search-phone")
    # The filters are folded, and open with a tap.
    assert not page.get_by_label("in section").is_visible()
    page.locator("details.filters summary").click()
    assert page.get_by_label("in section").is_visible()
    assert events == []
    page.context.close()


def test_a_printed_story_has_credits_rights_and_permalink_but_no_navigation(browser, server):
    page, events = open_page(browser, server)
    page.goto(server.url + STORY)
    assert is_shown(page, "header nav")
    assert is_shown(page, ".site-search button")
    page.emulate_media(media="print")
    for hidden in ("header nav", ".site-search", "button", ".site-footer", ".history", ".skip"):
        assert not is_shown(page, hidden), hidden
    for shown in ("h1", "figcaption .credit", ".rights-statement", ".publisher", ".permalink"):
        assert is_shown(page, shown), shown
    assert "https://news.example" + STORY in page.locator(".permalink").inner_text()
    # The citation prints as its list: no form box, no downloads, the permalink once.
    assert is_shown(page, ".cite dl")
    for hidden in (".cite-text", ".cite-copy", ".cite-downloads", ".cite-permalink"):
        assert not is_shown(page, hidden), hidden
    assert page.locator("body").inner_text().count("https://news.example" + STORY) == 1
    after = page.evaluate("getComputedStyle(document.querySelector('.body a'), '::after').content")
    assert "https://city.example/bridge" in after
    screenshot(page, "story-print")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    assert events == []
    page.context.close()
