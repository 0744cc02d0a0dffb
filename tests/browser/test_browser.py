"""The archive pages in a real browser: Debian's Chromium driven by Playwright against the real
server. Readers reach stories through the date archive and through search, see credits and
rights, and a story that tried to inject a script runs none. Screenshots go to tests/artifacts/.
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

STORY_TITLE = "Harbour bridge reopens"
INJECTION_BODY = (
    "<p>Before the script.</p>"
    "<script>window.__injected = true; alert('script ran')</script>"
    '<img src="/nothing.png" alt="x" onerror="window.__injected = true">'
    '<a href="javascript:window.__injected = true">a link</a>'
    '<p onclick="window.__injected = true">After the script.</p>'
)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    """The real service over an archive with a full story and one that tries to inject."""
    tmp_path = tmp_path_factory.mktemp("browser")
    mapping = settings_mapping(tmp_path)
    path = mapping["archive"]["path"]
    with open_archive(path, domain="news.example", timezone="Europe/London") as archive:
        archive.save(full_story(), now=NOW)
        archive.save(
            full_story(
                title='Tricky "</script><script>window.__injected = true</script>" story',
                slug="tricky-story",
                body=INJECTION_BODY,
                published_at="2014-02-25T09:00:00+00:00",
            ),
            now=NOW,
        )
    with LiveServer(tmp_path, mapping) as live:
        yield live


def assert_on_screen(page: Page, selector: str, text: str) -> None:
    element = page.locator(selector).first
    element.scroll_into_view_if_needed()
    assert element.is_visible(), selector
    box = element.bounding_box()
    assert box is not None, selector
    assert min(box["width"], box["height"]) > 0, selector
    assert text in element.inner_text()


def test_reader_reaches_a_story_through_the_date_archive_without_javascript(browser, server):
    page, events = open_page(browser, server, java_script_enabled=False)
    page.goto(server.url + "/")
    screenshot(page, "home")
    page.locator(".story-item", has_text=STORY_TITLE).locator("a.date").click()
    assert page.url.endswith("/2014/02/24/")
    page.locator(".breadcrumbs a", has_text="2014").click()
    assert page.locator("h1").inner_text() == "2014"
    page.get_by_role("link", name="February", exact=True).click()
    assert page.locator("h1").inner_text() == "February 2014"
    page.get_by_role("link", name="24 February", exact=True).click()
    page.get_by_role("link", name=STORY_TITLE).click()
    assert page.url == server.url + "/2014/02/24/harbour-bridge-reopens/"
    assert page.locator("h1").inner_text() == STORY_TITLE
    assert_on_screen(page, "figcaption .credit", "Lena Ortiz / Masthead")
    assert_on_screen(page, ".rights-statement", "© 2014 Gazette. Some rights reserved.")
    assert_on_screen(page, ".rights a[rel=license]", "CC BY 4.0")
    screenshot(page, "story")
    assert events == []
    page.context.close()


def test_reader_finds_a_story_through_search(browser, server):
    page, events = open_page(browser, server)
    page.goto(server.url + "/")
    page.get_by_label("Search the archive").fill("harbour bridge")
    page.get_by_label("Search the archive").press("Enter")
    page.wait_for_url("**/search?q=harbour+bridge")
    assert page.locator(".hit mark").first.is_visible()
    screenshot(page, "search")
    page.locator(".hit h2 a", has_text=STORY_TITLE).click()
    assert page.locator("h1").inner_text() == STORY_TITLE
    assert_on_screen(page, ".voices", "Mara Quinn, chief engineer")
    assert events == []
    page.context.close()


def test_story_that_tried_to_inject_a_script_runs_none(browser, server):
    page, events = open_page(browser, server)
    page.goto(server.url + "/2014/02/25/tricky-story/")
    assert "Before the script." in page.locator(".body").inner_text()
    page.locator(".body p", has_text="After the script.").click()
    page.locator(".body a", has_text="a link").click()
    assert page.evaluate("typeof window.__injected") == "undefined"
    assert page.locator("script:not([type='application/ld+json'])").count() == 0
    assert page.locator("h1").inner_text().startswith('Tricky "</script>')
    assert events == []
    page.context.close()


def test_story_page_fits_a_phone_and_shows_keyboard_focus(browser, server):
    page, events = open_page(browser, server, viewport={"width": 360, "height": 740})
    page.goto(server.url + "/2014/02/24/harbour-bridge-reopens/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "[document.activeElement.className, getComputedStyle(document.activeElement).outlineStyle]"
    )
    assert focused == ["skip", "solid"]
    assert page.locator(".skip").is_visible()
    screenshot(page, "story-phone")
    assert events == []
    page.context.close()
