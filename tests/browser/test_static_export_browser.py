"""The site exported by `masthead export-site`, served as plain files by `python -m http.server`
on 127.0.0.1 (no rewrite, no redirect of its own), in headless Chromium: a section pages through
by path, and the pages' own search form finds stories in every language the site holds.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from archive import open_archive
from service import create_app
from service.export.static_site import export_site
from service.settings import HttpSettings, settings_from_mapping
from tests.support.archives import settings_mapping
from tests.support.browser import open_page, screenshot
from tests.support.live import free_port, wait_until_answering
from tests.support.stories import NOW, SYNDICATED, make_story

pytestmark = pytest.mark.browser

SPORT = 45  # three pages of a section


class StaticServer:
    """`python -m http.server` over one folder, on 127.0.0.1 and a free port."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.folder = folder

    def __enter__(self) -> StaticServer:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(self.port), "--bind", "127.0.0.1"],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = self.url + "/robots.txt"
        wait_until_answering(url, self.process, seconds=20, name="http.server")
        return self

    def __exit__(self, *_exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Iterator[StaticServer]:
    tmp_path = tmp_path_factory.mktemp("static")
    mapping = settings_mapping(
        tmp_path, http={"rate_limit_per_minute": HttpSettings.rate_limit_per_minute}
    )
    settings = settings_from_mapping(mapping)
    with open_archive(settings.archive_path, domain="news.example") as archive:
        first = make_story(SYNDICATED).published_at
        for n in range(SPORT):
            archive.save(
                make_story(
                    SYNDICATED,
                    title=f"Match report {n}",
                    slug=f"match-{n}",
                    section="Sport",
                    published_at=(first - timedelta(hours=5 * n)).isoformat(),
                ),
                now=NOW,
            )
        archive.save(
            make_story(
                SYNDICATED,
                title="Lighthouse keeper retires",
                slug="lighthouse",
                body="<p>The keeper of the Zanzibar lighthouse retired after forty years.</p>",
            ),
            now=NOW,
        )
        archive.save(
            make_story(
                SYNDICATED,
                title="Мост через Неву открыт",
                slug="most",
                language="ru",
                body="<p>Разводной мост снова открыт для пешеходов.</p>",
            ),
            now=NOW,
        )
        export_site(create_app(settings), archive, tmp_path / "site", now=NOW)
    with StaticServer(tmp_path / "site") as server:
        yield server


def test_a_section_pages_through_by_path_on_a_plain_static_server(browser, exported):
    page, events = open_page(browser, exported)
    page.goto(exported.url + "/sections/sport/")
    seen = []
    for number in (1, 2, 3):
        titles = page.locator(".story-item h2, .story-item h3").all_inner_texts()
        assert titles, number
        seen += titles
        if number > 1:
            assert page.url == f"{exported.url}/sections/sport/page/{number}/"
        if number < 3:
            page.locator(".pagination a[rel=next]").click()
            page.wait_for_load_state()
    assert page.locator(".pagination a[rel=next]").count() == 0
    assert sorted(seen) == sorted(f"Match report {n}" for n in range(SPORT))
    page.locator(".pagination a[rel=prev]").click()
    page.wait_for_load_state()
    assert page.url == f"{exported.url}/sections/sport/page/2/"
    assert events == []


@pytest.mark.parametrize(
    ("words", "found"),
    [("Zanzibar", "/lighthouse/"), ("пешеходов", "/most/"), ("Match report 7", "/match-7/")],
)
def test_the_search_form_finds_stories_without_a_server(browser, exported, words, found):
    page, events = open_page(browser, exported)
    page.goto(exported.url + "/")
    page.fill("#site-search-q", words)
    page.locator("form.site-search").evaluate("form => form.submit()")
    page.wait_for_selector("#static-search-results li a", timeout=20000)
    links = page.locator("#static-search-results li a").evaluate_all(
        "links => links.map(link => link.getAttribute('href'))"
    )
    assert any(link.endswith(found) for link in links), links
    assert "match" in page.locator("#static-search-status").inner_text()
    screenshot(page, f"static-search-{found.strip('/')}")
    page.locator("#static-search-results li a").first.click()
    page.wait_for_load_state()
    assert page.locator("article.story").count() == 1
    assert events == []
