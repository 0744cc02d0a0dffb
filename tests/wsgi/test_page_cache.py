"""Pages answered like feeds: kept once rendered, answered from memory until a write, sent
compressed, with the same validators and headers as a rendered page; assets under hashed names."""

from __future__ import annotations

import gzip
import hashlib
import sqlite3

import pytest
from lxml import html

from service.wsgi import page_cache
from tests.support.paths import ROOT
from tests.support.stories import NOW, full_story

STATIC = ROOT / "service" / "static"


@pytest.fixture
def story(archive):
    return archive.save(full_story(), now=NOW)


def title_of(response) -> str:
    return html.fromstring(response.data).findtext(".//h1")


def change_behind_the_archives_back(settings, story_id: int, title: str) -> None:
    """A write that records no revision: a kept page cannot know of it (no story write does
    this; it shows which answers come from memory)."""
    with sqlite3.connect(settings.archive_path) as db:
        db.execute("UPDATE stories SET title = ? WHERE id = ?", [title, story_id])


def test_a_page_is_answered_from_memory_until_a_write(archive, client, settings, story):
    first = client.get(story.path)
    assert title_of(first) == story.title
    change_behind_the_archives_back(settings, story.id, "Not from memory")
    kept = client.get(story.path)
    assert kept.data == first.data
    assert kept.headers["ETag"] == first.headers["ETag"]
    # A write through the archive makes every kept page stale: the next request renders.
    archive.save(full_story(title="Another story", slug="another"), now=NOW)
    assert title_of(client.get(story.path)) == "Not from memory"


def test_kept_pages_revalidate_and_are_sent_compressed(client, story):
    plain = client.get(story.path)
    packed = client.get(story.path, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert packed.headers["ETag"] != plain.headers["ETag"]
    # The permalink varies on Accept-Datetime too (Memento); both variants say so.
    assert set(packed.vary) == set(plain.vary) == {"Accept-Encoding", "accept-datetime"}
    for answer, headers in ((plain, {}), (packed, {"Accept-Encoding": "gzip"})):
        again = client.get(story.path, headers={**headers, "If-None-Match": answer.headers["ETag"]})
        assert (again.status_code, again.data) == (304, b"")
        assert again.headers["ETag"] == answer.headers["ETag"]
        assert again.headers["Cache-Control"] == answer.headers["Cache-Control"]
    head = client.head(story.path)
    assert head.data == b""
    assert head.headers["Content-Length"] == str(len(plain.data))
    # A kept answer carries every header the rendered page had.
    for name in ("Content-Security-Policy", "X-Frame-Options", "Cache-Control", "Last-Modified"):
        assert packed.headers[name] == plain.headers[name], name


@pytest.mark.parametrize(
    "path",
    [
        "/search?q=bridge",  # depends on the query
        "/?utm_source=x",  # a query that is not a page number
        "/2099/01/01/nothing/",  # a 404 is never kept
    ],
)
def test_what_is_never_kept(client, settings, story, path):
    first = client.get(path)
    change_behind_the_archives_back(settings, story.id, "Seen at once")
    again = client.get(path)
    assert again.status_code == first.status_code
    if first.status_code == 200:
        assert again.data != first.data


def test_each_page_of_a_list_is_kept_on_its_own(archive, client):
    for day in range(1, 23):
        archive.save(
            full_story(slug=f"day-{day}", published_at=f"2026-10-{day:02}T09:00:00+00:00"),
            now=NOW,
        )
    first, second = client.get("/2026/10/"), client.get("/2026/10/page/2/")
    assert first.status_code == second.status_code == 200
    assert first.data != second.data
    assert client.get("/2026/10/page/2/").data == second.data


def test_a_kept_page_is_counted_by_the_rate_limit_once(make_settings, tmp_path):
    from service import create_app

    app = create_app(make_settings(http={"rate_limit_per_minute": 3}))
    client = app.test_client()
    statuses = [client.get("/").status_code for _ in range(4)]
    # The first request renders (through Flask, which must not count it again), two are kept.
    assert statuses == [200, 200, 200, 429]


def test_a_page_that_varies_on_another_header_is_kept_per_value_of_it():
    """A header a page varies on (besides Accept-Encoding) picks the kept answer, as a shared
    cache keys on Vary: the path alone when the request does not send it."""
    captured = page_cache.Captured()
    captured.start_response(
        "200 OK", [("Cache-Control", "public, max-age=60"), ("Vary", "Accept-Datetime")]
    )
    kept = page_cache.PageServer.keep(captured, b"page", 1)
    assert kept.varies == ["HTTP_ACCEPT_DATETIME"]
    assert ("Vary", "Accept-Datetime") in kept.answer.plain.ok_headers
    asked = {"HTTP_ACCEPT_DATETIME": "Mon, 24 Feb 2014 16:00:00 GMT"}
    other = {"HTTP_ACCEPT_DATETIME": "Tue, 25 Feb 2014 16:00:00 GMT"}
    keys = {page_cache.variant_key("/x?", kept.varies, e) for e in ({}, asked, other)}
    assert len(keys) == 3
    assert page_cache.variant_key("/x?", kept.varies, {"HTTP_ACCEPT": "*/*"}) == "/x?"


def test_a_page_chosen_by_accept_is_kept_per_accept_and_apart(archive, client, settings):
    """A story's TimeMap is a page for a browser and link-format for a Memento client: each
    Accept value gets its own kept answer (a title changed behind the archive's back shows
    which come from memory); a new value is rendered; past MAX_VARIANTS none is kept."""
    story = archive.save(full_story(), now=NOW)
    path = f"{story.path}timemap/"
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    reader = {"Accept": "*/*"}
    page, document = client.get(path, headers=browser), client.get(path, headers=reader)
    assert page.mimetype == "text/html"
    assert document.mimetype == "application/link-format"
    change_behind_the_archives_back(settings, story.id, "Renamed behind its back")
    assert client.get(path, headers=browser).data == page.data  # kept
    assert client.get(path, headers=reader).data == document.data  # kept, apart
    fresh = client.get(path, headers={"Accept": "text/html"})
    assert "Renamed behind its back" in fresh.get_data(as_text=True)
    for number in range(page_cache.MAX_VARIANTS):
        client.get(path, headers={"Accept": f"text/html, text/x-made-up-{number}"})
    made_up = {"Accept": "text/html, text/x-one-too-many"}
    change_behind_the_archives_back(settings, story.id, "Renamed again")
    client.get(path, headers=made_up)
    change_behind_the_archives_back(settings, story.id, "Renamed once more")
    assert "Renamed once more" in client.get(path, headers=made_up).get_data(as_text=True)
    assert client.get(path, headers=browser).data == page.data


def test_a_kept_permalink_still_answers_a_memento_request(client, story):
    kept = client.get(story.path)
    assert client.get(story.path).data == kept.data  # answered from memory
    asked = client.get(story.path, headers={"Accept-Datetime": "Wed, 26 Feb 2014 12:00:00 GMT"})
    assert asked.status_code == 302
    assert asked.headers["Location"].endswith(f"{story.path}revisions/1/")
    assert client.get(story.path).data == kept.data


def test_assets_have_hashed_names_kept_for_a_year(client, story):
    page = html.fromstring(client.get(story.path).data)
    [stylesheet] = page.cssselect("link[rel=stylesheet]")
    href = stylesheet.get("href")
    css = (STATIC / "style.css").read_bytes()
    assert href == f"/assets/style.{hashlib.sha256(css).hexdigest()[:12]}.css"
    answer = client.get(href, headers={"Accept-Encoding": "gzip"})
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert answer.mimetype == "text/css"
    assert gzip.decompress(answer.data) == css
    assert client.get("/assets/style.000000000000.css").status_code == 404


def test_what_a_page_varies_on_is_kept_only_while_the_page_is(archive, client):
    """The record of which headers each kept path varies on goes with the pages when the cache
    starts again from empty: it never grows with every path ever asked."""
    pages = client.application.extensions["masthead.page_cache"]
    stories = [archive.save(full_story(slug=f"story-{n}"), now=NOW) for n in range(3)]
    for story in stories:
        client.get(story.path)
        client.get(f"{story.path}timemap/", headers={"Accept": "*/*"})
    assert set(pages.varies) == {key.partition("\n")[0] for key in pages.kept}
    assert len(pages.kept) == 6
    one = pages.kept[f"{stories[0].path}?"]
    pages.limit = one.answer.size  # room for one page: the next one kept empties the cache
    pages.store("/another/?", "/another/?", one)
    assert list(pages.kept) == ["/another/?"]
    assert pages.varies == {"/another/?": one.varies}
    assert pages.variants == {}
