"""axe-core, run inside Debian's Chromium, finds no accessibility violation on any page kind of
the real server: lists, indexes, story, revisions, search, feeds, a tombstone, an error page and
a feed shown through the site's stylesheet."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe

from archive import open_archive
from service import demo
from tests.conftest import NOW, LiveServer, settings_mapping
from tests.test_browser import browser  # noqa: F401 (a fixture)
from tests.test_pages import full_story

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    tmp_path = tmp_path_factory.mktemp("axe")
    mapping = settings_mapping(tmp_path)
    with open_archive(mapping["archive"]["path"], domain="news.example") as archive:
        demo.seed(archive, now=NOW)
        story = archive.save(full_story(), now=NOW)
        edited = archive.save(story.replace(title=story.title + ", at last"), now=NOW)
        gone = archive.save(full_story(title="Ferry cancelled", slug="ferry"), now=NOW)
        archive.withdraw(gone.id, reason="Published in error.", now=NOW)
        section = edited.section_slug
        tag, author = edited.tag_slugs[0], edited.authors[0].slug
    year, month, day = edited.path.strip("/").split("/")[:3]
    pages = {
        "home": "/",
        "year": f"/{year}/",
        "month": f"/{year}/{month}/",
        "day": f"/{year}/{month}/{day}/",
        "story": edited.path,
        "revisions": f"{edited.path}revisions/",
        "revision": f"{edited.path}revisions/1/",
        "section": f"/sections/{section}/",
        "tag": f"/tags/{tag}/",
        "author": f"/authors/{author}/",
        "sections": "/sections/",
        "tags": "/tags/",
        "authors": "/authors/",
        "search": "/search?q=harbour",
        "search form": "/search",
        "search, nothing found": "/search?q=zzzzqqq",
        "feeds": "/feeds/",
        "tombstone": gone.path,
        "not found": "/2001/01/01/nothing/",
        "feed preview": "/feeds/latest.atom",
        "feed preview, JSON Feed": "/feeds/latest.json",
    }
    with LiveServer(tmp_path, mapping) as server:
        yield server, pages


@pytest.mark.parametrize("width", [1280, 375])
def test_axe_finds_no_violation_on_any_page_kind(site, browser, width):  # noqa: F811
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
