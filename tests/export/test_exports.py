"""Exports of a 160-story archive with the request limit at its default: `export-site` writes
every answer the live site gives, byte for byte, feeds included where none were built; a
failing answer makes the command name it and keep the export before; `export --warc` holds no
refusal. What readers get is read through the app from many addresses, as readers come.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
from collections import deque
from datetime import timedelta
from itertools import count
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html
import pytest
from warcio.archiveiterator import ArchiveIterator

from archive import open_archive
from service import create_app
from service.export.static_site import MANIFEST
from service.settings import HttpSettings, settings_from_mapping
from service.wsgi import ratelimit
from tests.support.archives import settings_mapping
from tests.support.commands import MastheadRunner
from tests.support.stories import NOW, SYNDICATED, make_story

BASE = "https://news.example"
STORIES = 160
# Titles in the scripts an archive holds; each story's slug is given, so every one has a page.
TITLES = ["Harbour bridge reopens", "Мост открыт снова", "افتتاح الجسر من جديد", "大桥重新开放"]
LANGUAGES = ["en", "ru", "ar", "zh"]
SECTIONS = ["City", "Sport", "Arts", "World"]
# Where the live site's pages begin, as a reader (or a crawler) finds them.
ROOTS = ["/", "/feeds/", "/feeds.opml", "/sitemap.xml", "/robots.txt"]


def default_limit_mapping(tmp_path: Path) -> dict:
    """The test settings with the request limit back at its default (conftest turns it off)."""
    return settings_mapping(
        tmp_path,
        http={"rate_limit_per_minute": HttpSettings.rate_limit_per_minute},
        site={"timezone": "America/New_York"},
    )


def add_stories(archive, number: int) -> None:
    """`number` stories over half a year, in four scripts, sections and tags, saved directly."""
    first = make_story(SYNDICATED).published_at
    for n in range(number):
        archive.save(
            make_story(
                SYNDICATED,
                title=f"{TITLES[n % 4]} {n}",
                slug=f"story-{n}",
                language=LANGUAGES[n % 4],
                section=SECTIONS[n % 4],
                tags=[f"tag-{n % 6}"],
                authors=[{"name": ["Helen Marsh", "Ravi Patel", "Анна Петрова"][n % 3]}],
                published_at=(first - timedelta(hours=29 * n)).isoformat(),
            ),
            now=NOW,
        )


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A 160-story archive whose feeds were never built, with the default request limit."""
    tmp_path = tmp_path_factory.mktemp("big")
    mapping = default_limit_mapping(tmp_path)
    settings = settings_from_mapping(mapping)
    with open_archive(settings.archive_path, domain="news.example") as archive:
        add_stories(archive, STORIES)
        assert archive.renditions() == []
    return tmp_path, settings


class Readers:
    """The app as readers meet it: each request from another address, so the request limit,
    which is on, counts each reader alone."""

    def __init__(self, app):
        self.client = app.test_client()
        self.addresses = (f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}" for n in count(1))

    def get(self, path: str, **headers):
        environ = {"REMOTE_ADDR": next(self.addresses)}
        return self.client.get(path, headers=headers, environ_base=environ)


def site_links(body: bytes, mimetype: str) -> list[str]:
    """The site's own paths a page, feed, sitemap or OPML links to."""
    if mimetype == "text/html":
        found = lxml.html.fromstring(body).xpath("//a/@href|//link/@href|//img/@src")
    elif "xml" in mimetype or "opml" in mimetype:
        tree = lxml.etree.fromstring(body)
        found = tree.xpath(
            "//*[local-name()='loc']/text()|//*[local-name()='link']/@href|//@xmlUrl|//@htmlUrl"
        )
    elif mimetype == "text/plain":
        found = [line.split(":", 1)[1] for line in body.decode().splitlines() if ":" in line]
    else:
        return []
    paths = []
    for link in (str(f).strip() for f in found):
        link = link.removeprefix(BASE).split("#")[0]
        if link.startswith("/") and not link.startswith(("//", "/search", "/api/", "/health")):
            paths.append(link)
    return paths


def live_pages(readers: Readers, *, start=()) -> dict[str, bytes]:
    """Every page of the site that answers 200, by path, with its bytes."""
    pages: dict[str, bytes] = {}
    queue = deque([*ROOTS, *start])
    seen = set(queue)
    while queue:
        path = queue.popleft()
        with readers.get(path, **{"Accept-Encoding": "identity"}) as response:
            assert response.status_code != 429, path
            if response.status_code != 200:
                continue
            pages[path] = response.get_data()
            links = site_links(pages[path], response.mimetype)
        for link in links:
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return pages


def site_path(name: str) -> str:
    folder, _, file = name.rpartition("/")
    folder = f"/{folder}/" if folder else "/"
    return folder if file == "index.html" else f"{folder}{file}"


def test_export_site_writes_every_page_the_live_site_answers(big):
    tmp_path, settings = big
    app = create_app(settings)
    target = tmp_path / "public"
    result = MastheadRunner(app).invoke(args=["export-site", str(target)])
    assert result.exit_code == 0, result.output
    written = json.loads((target / MANIFEST).read_text())
    # The export's own search: a page and a Pagefind index holding every language of the site.
    own = {name for name in written if name.startswith(("search/", "pagefind/"))}
    assert "search/index.html" in own
    entry = json.loads((target / "pagefind/pagefind-entry.json").read_text())
    assert {
        lang: index["page_count"] for lang, index in entry["languages"].items()
    } == dict.fromkeys(LANGUAGES, STORIES // 4)
    files = {name for name in written if not name.endswith(".gz")} - own
    # Feeds were built for the export, as a live site builds them: the live site has them too.
    readers = Readers(create_app(settings))
    with readers.get("/feeds/latest.atom") as feed:
        assert feed.status_code == 200
    stored = [f"/feeds/{info.key}" for info in _renditions(settings)]
    assert len(stored) > 3 * (len(SECTIONS) + 6 + 3)
    pages = live_pages(readers, start=stored)
    static = {path for path in pages if path.startswith("/static/")}
    exported = {site_path(name) for name in files}
    # The same URL set (the export also holds every static file, linked or not) ...
    assert exported - {p for p in exported if p.startswith("/static/")} == set(pages) - static
    assert static <= exported
    assert len(pages) > STORIES * 8  # each story: its page, revisions, citations ...
    # ... and the same bytes, each with a gzip copy that says the same.
    for path, body in pages.items():
        name = next(n for n in files if site_path(n) == path) if path.endswith("/") else path[1:]
        assert (target / name).read_bytes() == body, path
        if f"{name}.gz" in written:
            assert gzip.decompress((target / f"{name}.gz").read_bytes()) == body, path
    parsed = feedparser.parse((target / "feeds/latest.atom").read_bytes())
    assert not parsed.bozo
    assert len(parsed.entries) > 10
    for page in range(2, STORIES // 20 + 1):
        assert f"page/{page}/index.html" in files
    assert f"page/{STORIES // 20 + 1}/index.html" not in files


def _renditions(settings):
    with open_archive(settings.archive_path, domain="news.example") as archive:
        return archive.renditions()


def test_warc_export_holds_every_answer_and_no_refusal(big):
    tmp_path, settings = big
    app = create_app(settings)
    path = tmp_path / "site.warc.gz"
    result = MastheadRunner(app).invoke(args=["export", "--warc", str(path)])
    assert result.exit_code == 0, result.output
    assert "429" not in result.output
    statuses: dict[int, int] = {}
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type in ("response", "revisit"):
                status = int(record.http_headers.get_statuscode())
                statuses[status] = statuses.get(status, 0) + 1
    assert 429 not in statuses
    assert not [status for status in statuses if status >= 500]
    assert statuses[200] > STORIES * 8


def test_a_failing_answer_fails_the_export_naming_it_and_keeps_the_last_one(tmp_path):
    settings = settings_from_mapping(default_limit_mapping(tmp_path))
    with open_archive(settings.archive_path, domain="news.example") as archive:
        add_stories(archive, 3)
    app = create_app(settings)
    runner = MastheadRunner(app)
    target = tmp_path / "public"
    assert runner.invoke(args=["export-site", str(target)]).exit_code == 0
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    # A stored feed of no scope the service knows: the feed directory fails to render (500).
    with sqlite3.connect(settings.archive_path) as db:
        db.execute("UPDATE renditions SET scope = 'no such scope' WHERE key = 'latest.rss'")
    result = runner.invoke(args=["export-site", str(target)])
    assert result.exit_code == 1
    assert f"{BASE}/feeds/: 500" in result.output
    assert {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".public")] == []
    warc = tmp_path / "site.warc.gz"
    result = runner.invoke(args=["export", "--warc", str(warc)])
    assert result.exit_code == 1
    assert f"{BASE}/feeds/: 500" in result.output
    assert not warc.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".warc")] == []


# --- writing only inside DIR ------------------------------------------------------------------


@pytest.fixture
def small(tmp_path):
    """A three-story archive, the app over it, and a CLI runner."""
    settings = settings_from_mapping(default_limit_mapping(tmp_path))
    with open_archive(settings.archive_path, domain="news.example") as archive:
        add_stories(archive, 3)
    app = create_app(settings)
    return MastheadRunner(app)


def outside_files(tmp_path: Path) -> dict[Path, bytes]:
    """A folder beside the export holding a file nobody may touch."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_bytes(b"keep me")
    (outside / "index.html").write_bytes(b"not an export")
    return {p: p.read_bytes() for p in outside.iterdir()}


def test_manifest_entries_outside_dir_are_never_removed(small, tmp_path):
    kept = outside_files(tmp_path)
    target = tmp_path / "public"
    assert small.invoke(args=["export-site", str(target)]).exit_code == 0
    manifest = target / MANIFEST
    listed = json.loads(manifest.read_text())
    precious = tmp_path / "outside" / "precious.txt"
    listed += [str(precious), "/" + str(precious), "../outside/precious.txt", "a/../../x"]
    manifest.write_text(json.dumps(listed))
    result = small.invoke(args=["export-site", str(target)])
    assert result.exit_code == 0, result.output
    assert {p: p.read_bytes() for p in kept} == kept
    assert "removed" in result.output


def test_links_inside_dir_are_never_followed_written_through_or_deleted_through(small, tmp_path):
    kept = outside_files(tmp_path)
    outside = tmp_path / "outside"
    target = tmp_path / "public"
    assert small.invoke(args=["export-site", str(target)]).exit_code == 0
    # Folders and files of the export replaced by links to a folder and a file outside it.
    shutil.rmtree(target / "2026")
    (target / "2026").symlink_to(outside, target_is_directory=True)
    (target / "index.html").unlink()
    (target / "index.html").symlink_to(outside / "index.html")
    (target / "feeds.opml").unlink()
    (target / "feeds.opml").symlink_to(outside / "precious.txt")
    result = small.invoke(args=["export-site", str(target)])
    assert result.exit_code == 0, result.output
    assert sorted(outside.iterdir()) == sorted(kept)
    assert {p: p.read_bytes() for p in kept} == kept
    # The export itself is whole again, in real folders and files.
    assert not (target / "2026").is_symlink()
    assert (target / "2026" / "index.html").is_file()
    assert not (target / "index.html").is_symlink()
    assert b"<!doctype html>" in (target / "index.html").read_bytes()


def test_a_folder_holding_something_else_is_refused_unless_forced(small, tmp_path):
    target = tmp_path / "photos"
    target.mkdir()
    (target / "holiday.jpg").write_bytes(b"\xff\xd8 a photo")
    result = small.invoke(args=["export-site", str(target)])
    assert result.exit_code == 1
    assert "not empty and holds no earlier export" in result.output
    assert sorted(p.name for p in target.iterdir()) == ["holiday.jpg"]
    result = small.invoke(args=["export-site", "--force", str(target)])
    assert result.exit_code == 0, result.output
    assert (target / "holiday.jpg").read_bytes() == b"\xff\xd8 a photo"
    assert (target / "index.html").is_file()
    # Files an export did not write stay through later exports (a CNAME, say).
    (target / "CNAME").write_text("news.example\n")
    (target / "2026" / "notes.txt").write_text("mine")
    assert small.invoke(args=["export-site", str(target)]).exit_code == 0
    assert (target / "CNAME").read_text() == "news.example\n"
    assert (target / "2026" / "notes.txt").read_text() == "mine"
    assert (target / "holiday.jpg").is_file()


def test_unchanged_files_keep_their_times_and_an_empty_folder_is_taken(small, tmp_path):
    target = tmp_path / "public"
    target.mkdir()
    assert small.invoke(args=["export-site", str(target)]).exit_code == 0
    story = next(target.glob("2026/*/*/story-0/index.html"))
    before = story.stat()
    result = small.invoke(args=["export-site", str(target)])
    assert result.exit_code == 0, result.output
    assert "0 removed" in result.output
    assert story.stat().st_mtime_ns == before.st_mtime_ns
    assert story.stat().st_ino == before.st_ino


# --- the request limit: passed by the exports alone ---------------------------------------------


def test_only_the_in_process_caller_passes_the_request_limit(tmp_path):
    settings = settings_from_mapping(settings_mapping(tmp_path, http={"rate_limit_per_minute": 2}))
    with open_archive(settings.archive_path, domain="news.example") as archive:
        add_stories(archive, 1)
    app = create_app(settings)
    client = app.test_client()
    internal = {ratelimit.INTERNAL: ratelimit.INTERNAL_CALLER}
    # What a server can put under that key from a request is a string: it counts as any reader.
    forged = {ratelimit.INTERNAL: "masthead.ratelimit.internal"}
    header = {"Masthead-Ratelimit-Internal": "1", "X-Masthead-Internal": "1"}
    asked = [
        client.get(path, environ_overrides=forged, headers=header).status_code
        for path in ("/", "/feeds/latest.atom", "/sitemap.xml")
    ]
    assert asked[-1] == 429
    for path in ("/", "/feeds/", "/sitemap.xml", "/robots.txt") * 3:
        assert client.get(path, environ_overrides=internal).status_code != 429, path
    assert client.get("/robots.txt").status_code == 429  # readers are still counted


def test_an_archive_without_stories_exports_a_site_with_its_search_page(tmp_path):
    settings = settings_from_mapping(default_limit_mapping(tmp_path))
    runner = MastheadRunner(create_app(settings))
    assert runner.invoke(args=["init"]).exit_code == 0
    result = runner.invoke(args=["export-site", str(tmp_path / "public")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "public/index.html").is_file()
    assert b"static-search.js" in (tmp_path / "public/search/index.html").read_bytes()
    assert not (tmp_path / "public/pagefind").exists()


def test_an_old_permalink_is_a_page_leading_to_the_new_one(tmp_path):
    settings = settings_from_mapping(default_limit_mapping(tmp_path))
    with open_archive(settings.archive_path, domain="news.example") as archive:
        story = archive.save(make_story(SYNDICATED, slug="bridge"), now=NOW)
        story = archive.save(story.replace(slug="bridge-reopens"), now=NOW + timedelta(1))
    runner = MastheadRunner(create_app(settings))
    assert runner.invoke(args=["export-site", str(tmp_path / "public")]).exit_code == 0
    old = tmp_path / "public" / story.path.replace("bridge-reopens", "bridge").lstrip("/")
    page = lxml.html.fromstring((old / "index.html").read_bytes())
    new_url = BASE + story.path
    assert page.xpath("//link[@rel='canonical']/@href") == [new_url]
    assert page.xpath("//meta[@http-equiv='refresh']/@content") == [f"0; url={new_url}"]
