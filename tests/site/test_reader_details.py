"""Details a reader notices: /favicon.ico, one search box on /search, a dark scheme that keeps
every page free of axe violations (contrast included), CJK credits without synthetic italics."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from lxml import html

from archive import open_archive
from tests.support.archives import settings_mapping
from tests.support.browser import open_page, screenshot
from tests.support.live import LiveServer
from tests.support.paths import ROOT
from tests.support.stories import NOW, SYNDICATED, make_story


def test_favicon_is_the_sites_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data == (ROOT / "service" / "static" / "icon.png").read_bytes()
    again = client.get("/favicon.ico", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_search_page_has_one_search_box(client):
    for query in ("", "?q=harbour"):
        page = html.fromstring(client.get(f"/search{query}").data)
        assert len(page.cssselect("input[type=search]")) == 1
        assert len(page.cssselect("input[name=q]")) == 1
    # Every other page keeps the header's box.
    home = html.fromstring(client.get("/").data)
    assert len(home.cssselect("header form[role=search] input[name=q]")) == 1


@pytest.mark.browser
def test_dark_scheme_pages_have_no_axe_violation(site, browser):
    server, pages = site
    axe = Axe()
    found = {}
    for width in (375, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme="dark")
        try:
            page = context.new_page()
            page.goto(server.url + "/")
            # The dark scheme is in use: dark paper, light ink.
            assert page.evaluate("getComputedStyle(document.body).backgroundColor") == (
                "rgb(18, 20, 22)"
            )
            assert page.evaluate("getComputedStyle(document.documentElement).colorScheme") == (
                "light dark"
            )
            for kind, path in pages.items():
                page.goto(server.url + path)
                violations = axe.run(page).response["violations"]
                if violations:
                    found[(kind, width)] = [(v["id"], v["nodes"][0]["target"]) for v in violations]
            page.goto(server.url + pages["revisions"])
            screenshot(page, f"revisions-dark-{width}")
        finally:
            context.close()
    assert found == {}


@pytest.fixture(scope="module")
def cjk_story(tmp_path_factory) -> Iterator[tuple[LiveServer, str]]:
    tmp_path = tmp_path_factory.mktemp("cjk")
    mapping = settings_mapping(tmp_path)
    media = [{"credit": "撮影：山田太郎", "copyright": "© 2026 朝日"}]  # a credit, no picture
    with open_archive(mapping["archive"]["path"], domain="news.example") as archive:
        story = archive.save(
            make_story(SYNDICATED, title="港の橋が再開", slug="hashi", language="ja", media=media),
            now=NOW,
        )
    with LiveServer(tmp_path, mapping) as live:
        yield live, story.path


@pytest.mark.browser
def test_cjk_credits_are_not_slanted(browser, cjk_story):
    server, path = cjk_story
    page, events = open_page(browser, server)
    try:
        page.goto(server.url + path)
        # The credit's own words carry the story's language inside the site's line.
        credit = ".photo-credit [lang=ja]"
        assert "山田太郎" in page.inner_text(credit)
        assert page.eval_on_selector(credit, "e => getComputedStyle(e).fontStyle") == "normal"
        assert events == []
    finally:
        page.context.close()
