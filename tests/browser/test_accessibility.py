"""axe-core, run inside Debian's Chromium, finds no accessibility violation on any page kind of
the real server: lists, indexes, story, revisions, search, feeds, a tombstone, an error page and
a feed shown through the site's stylesheet."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 375])
def test_axe_finds_no_violation_on_any_page_kind(site, browser, width):
    server, pages = site
    axe = Axe()
    found = {}
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        for kind, path in pages.items():
            page.goto(server.url + path)
            results = axe.run(page)
            violations = results.response["violations"]
            if violations:
                found[kind] = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
    finally:
        context.close()
    assert found == {}
