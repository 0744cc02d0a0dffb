"""Masthead behind Debian's nginx, as `masthead proxy-config nginx` writes it, and the site
exported by `masthead export-site` served by nginx as plain files.

Each nginx runs on 127.0.0.1 with its own prefix in the test's temp dir and is stopped by the test.
Whether a request reached Masthead is read from Masthead's own access log.
"""

from __future__ import annotations

import gzip
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

from archive import open_archive
from service import create_app
from service.commands.proxy_config import nginx_config
from service.export.static_site import MANIFEST, export_site, nginx_static_location
from service.settings import settings_from_mapping
from service.wsgi import accesslog
from tests.support.api import WRITE_TOKEN
from tests.support.archives import settings_mapping
from tests.support.feeds import build
from tests.support.live import LiveServer
from tests.support.nginx import Nginx
from tests.support.stories import NOW, SYNDICATED, make_story

# Seconds a page may be kept by the proxy in these tests: short, so expiry can be waited for.
PAGE_MAX_AGE = 2


def get(url: str, headers: dict | None = None, data: bytes | None = None, method: str = "GET"):
    """(status, headers, body) of a request; error statuses are answers too."""
    request = urllib.request.Request(url, headers=headers or {}, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get_no_redirect(url: str):
    """(status, headers, body) of a request whose redirects are not followed."""
    try:
        with urllib.request.build_opener(NoRedirect).open(url, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def reached(server: LiveServer, path: str) -> int:
    """How many requests for `path` Masthead's access log shows (written at least once a second)."""
    time.sleep(accesslog.FLUSH_SECONDS + 0.3)
    return sum(f'"GET {path} ' in line for line in server.log.read_text().splitlines())


@pytest.fixture
def proxied(tmp_path, monkeypatch) -> Iterator[tuple[LiveServer, Nginx]]:
    monkeypatch.setenv("MASTHEAD_API_WRITE_TOKENS", WRITE_TOKEN)
    mapping = settings_mapping(tmp_path, http={"page_max_age": PAGE_MAX_AGE})
    with open_archive(mapping["archive"]["path"], domain="news.example") as archive:
        archive.save(
            make_story(SYNDICATED, slug="older", published_at="2026-11-19T09:00:00Z"), now=NOW
        )
    with LiveServer(tmp_path, mapping) as server:
        settings = settings_from_mapping(
            {**mapping, "server": {"host": "127.0.0.1", "port": server.port}}
        )
        config = nginx_config(settings, cache_dir=tmp_path / "cache")
        with Nginx(tmp_path, config) as proxy:
            yield server, proxy


def test_a_poll_is_answered_from_the_cache_until_max_age_then_revalidated(proxied):
    server, proxy = proxied
    statuses = [get(proxy.url + "/")[1]["X-Cache-Status"] for _ in range(5)]
    assert statuses == ["MISS", "HIT", "HIT", "HIT", "HIT"]
    assert reached(server, "/") == 1
    time.sleep(PAGE_MAX_AGE + 0.5)
    status, headers, _ = get(proxy.url + "/")
    # Past max-age the proxy asks again with the page's validators (in the background, answering
    # the copy meanwhile); Masthead answers 304 and the copy is fresh again.
    assert status == 200
    assert headers["X-Cache-Status"] in ("STALE", "REVALIDATED")
    assert reached(server, "/") == 2
    assert '"GET / HTTP/1.1" 304' in server.log.read_text()
    assert get(proxy.url + "/")[1]["X-Cache-Status"] == "HIT"


def test_feeds_are_cached_per_encoding_and_a_304_passes_through(proxied):
    server, proxy = proxied
    url = proxy.url + "/feeds/latest.atom"
    _, first, body = get(url)
    _, again, same = get(url)
    assert again["X-Cache-Status"] == "HIT"
    assert same == body
    assert reached(server, "/feeds/latest.atom") == 1
    # Vary: Accept-Encoding is honoured: the gzip answer is its own copy, never sent to others.
    _, packed, packed_body = get(url, {"Accept-Encoding": "gzip"})
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed_body) == body
    assert get(url)[1].get("Content-Encoding") is None
    status, headers, empty = get(url, {"If-None-Match": first["ETag"]})
    assert (status, empty, headers["ETag"]) == (304, b"", first["ETag"])


def test_the_api_is_never_cached_and_writes_show_within_max_age(proxied):
    server, proxy = proxied
    for _ in range(3):
        status, headers, _ = get(proxy.url + "/api/stories")
        assert status == 200
        assert "X-Cache-Status" not in headers
    assert reached(server, "/api/stories") == 3
    assert b"Tram line opens" not in get(proxy.url + "/")[2]
    story = {"title": "Tram line opens", "status": "published", "body": "<p>At last.</p>"}
    status, _, _ = get(
        proxy.url + "/api/stories",
        {"Authorization": f"Bearer {WRITE_TOKEN}", "Content-Type": "application/json"},
        json.dumps(story).encode(),
        "POST",
    )
    assert status == 201
    deadline = time.monotonic() + PAGE_MAX_AGE + 2
    while b"Tram line opens" not in get(proxy.url + "/")[2]:
        assert time.monotonic() < deadline, "the write never showed through the proxy"
        time.sleep(0.2)


def test_a_dead_upstream_is_answered_from_stale_copies(proxied):
    server, proxy = proxied
    _, _, page = get(proxy.url + "/")
    _, _, feed = get(proxy.url + "/feeds/latest.rss")
    server.stop()
    time.sleep(PAGE_MAX_AGE + 0.5)
    # Every answer is the last good copy; once past its max-age (a loaded machine may have
    # stored it late), the proxy says it answered stale.
    deadline = time.monotonic() + 10
    while True:
        status, headers, stale = get(proxy.url + "/")
        assert (status, stale) == (200, page)
        if headers["X-Cache-Status"] == "STALE":
            break
        assert time.monotonic() < deadline, headers["X-Cache-Status"]
        time.sleep(0.5)
    assert get(proxy.url + "/feeds/latest.rss")[2] == feed
    # Nothing was kept of the API: it says the upstream is gone.
    assert get(proxy.url + "/api/stories")[0] == 502


def site_path(name: str) -> str:
    """The site path an exported file answers: `2014/index.html` -> `/2014/`."""
    folder, _, file = name.rpartition("/")
    folder = f"/{folder}/" if folder else "/"
    return folder if file == "index.html" else f"{folder}{file}"


def test_the_exported_site_served_by_nginx_answers_what_masthead_answers(tmp_path, settings):
    with open_archive(settings.archive_path, domain="news.example") as archive:
        for day in range(1, 24):
            archive.save(
                make_story(
                    SYNDICATED,
                    title=f"Story {day}",
                    slug=f"story-{day}",
                    published_at=f"2026-10-{day:02}T09:00Z",
                ),
                now=NOW,
            )
        gone = archive.save(make_story(SYNDICATED, title="Ferry", slug="ferry"), now=NOW)
        build(archive, settings)
        app = create_app(settings)
        export = export_site(app, archive, tmp_path / "site", now=NOW)
    client = app.test_client()
    # The search page and its index are the export's own: the live site answers /search itself.
    own = ("search/", "pagefind/")
    names = [name for name in export.files if not name.endswith(".gz") and not name.startswith(own)]
    assert "2026/10/index.html" in names
    assert "2026/10/page/2/index.html" in names  # page 2 of a month of 23 stories
    assert "feeds/archive/2026/10.atom" in names
    assert "sitemaps/1.xml" in names
    with Nginx(
        tmp_path, f"server {{ listen 80;\n{nginx_static_location(tmp_path / 'site')}}}"
    ) as web:
        for name in names:
            path = site_path(name)
            status, headers, body = get(web.url + path)
            with client.get(path) as served:
                assert (path, status, body) == (path, 200, served.data)
                assert headers["Content-Type"].split(";")[0] == served.mimetype, path
                # The security headers Masthead sends, sent by nginx too.
                for name in ("X-Content-Type-Options", "Referrer-Policy"):
                    assert headers[name] == served.headers[name], (path, name)
                if served.mimetype == "text/html":
                    for name in ("Content-Security-Policy", "X-Frame-Options"):
                        assert headers[name] == served.headers[name], (path, name)
            if f"{name}.gz" in export.files:
                status, headers, packed = get(web.url + path, {"Accept-Encoding": "gzip"})
                assert headers["Content-Encoding"] == "gzip", path
                assert gzip.decompress(packed) == body
        # The query form of a list page moves to its path, as Masthead answers it.
        for asked, moved in (
            ("/2026/10/?page=2", "/2026/10/page/2/"),
            ("/2026/10/?page=1", "/2026/10/"),
        ):
            status, headers, _ = get_no_redirect(web.url + asked)
            assert (status, urllib.parse.urlsplit(headers["Location"]).path) == (301, moved)
        status, headers, page = get(web.url + "/search?q=story")
        assert status == 200
        assert b"static-search.js" in page
        assert "'wasm-unsafe-eval'" in headers["Content-Security-Policy"]
    # Run again after one change: only what changed is written, and what is gone is removed.
    with open_archive(settings.archive_path, domain="news.example") as archive:
        archive.withdraw(gone.id, reason="Published in error.", now=NOW)
        build(archive, settings)
        again = export_site(app, archive, tmp_path / "site", now=NOW)
    assert "2026/11/20/ferry/index.html" in again.removed
    assert not (tmp_path / "site/2026/11/20/ferry/index.html").exists()
    assert "feeds/latest.atom" in again.written
    assert "2026/10/01/story-1/index.html" in again.unchanged
    assert "2026/10/01/story-1/index.html" not in again.written
    assert json.loads((tmp_path / "site" / MANIFEST).read_text()) == again.files
