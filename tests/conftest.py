"""Fixtures: real settings, a real SQLite archive in a temp dir, the app, the CLI, a live server,
API tokens and a browser. What they are built from lives in tests/support/."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from playwright.sync_api import Browser, sync_playwright

from archive import Archive, open_archive
from service import create_app, demo
from service.settings import Settings, settings_from_mapping
from tests.support.api import READ_TOKEN, WRITE_TOKEN
from tests.support.archives import settings_mapping
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.commands import BRIDGE_MD, FERRY_JSON, MastheadRunner
from tests.support.live import LiveServer
from tests.support.paths import CORPUS
from tests.support.stories import NOW, full_story

# Property tests draw the same examples on every run, so a run of the suite is repeatable;
# HYPOTHESIS_PROFILE=explore draws new ones (what it finds becomes an @example).
hypothesis_settings.register_profile("repeatable", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture
def make_settings(tmp_path) -> callable:
    """Settings for this test's temp dir, with any section values replaced."""

    def make(**sections: dict) -> Settings:
        return settings_from_mapping(settings_mapping(tmp_path, **sections))

    return make


@pytest.fixture
def settings(make_settings) -> Settings:
    return make_settings()


@pytest.fixture
def archive(settings) -> Iterator[Archive]:
    """A migrated archive in a real SQLite file, opened as the service opens it."""
    opened = open_archive(
        settings.archive_path, domain=settings.site.domain, timezone=settings.site.timezone
    )
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def app(settings):
    return create_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return MastheadRunner(app)


@pytest.fixture
def live_server(tmp_path, settings) -> Iterator[LiveServer]:
    """The real service (Granian, 2 workers) on 127.0.0.1, over the same archive as `archive`."""
    with LiveServer(tmp_path, settings_mapping(tmp_path)) as server:
        yield server


@pytest.fixture
def api_tokens(monkeypatch) -> dict[str, dict[str, str]]:
    """A read-write and a read-only API token in the environment; headers that send each."""
    monkeypatch.setenv("MASTHEAD_API_WRITE_TOKENS", f"other-writer-token-0000, {WRITE_TOKEN}")
    monkeypatch.setenv("MASTHEAD_API_READ_TOKENS", READ_TOKEN)
    return {
        "write": {"Authorization": f"Bearer {WRITE_TOKEN}"},
        "read": {"Authorization": f"Bearer {READ_TOKEN}"},
    }


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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def articles(tmp_path) -> Path:
    """A small folder of stories, one in each of three formats."""
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "closing-ceremony.txt").write_bytes((CORPUS / "closing-ceremony.txt").read_bytes())
    (folder / "bridge.md").write_text(BRIDGE_MD, encoding="utf-8")
    (folder / "ferry.json").write_text(json.dumps(FERRY_JSON), encoding="utf-8")
    return folder
