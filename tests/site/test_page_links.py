"""Every link of every kind of page leads somewhere: a crawl of the demo archive (plus an edited
story and a withdrawn one) through the test client finds no internal link answering 404 or 500.
"""

from __future__ import annotations

from collections import deque
from urllib.parse import urldefrag, urlsplit

import lxml.html
import pytest

from archive import Clock, open_archive
from service import create_app, demo
from service.feeds.scheduler import rebuild_all
from tests.support.stories import NOW, make_story

BASE = "https://news.example"
# Pages of every kind the crawl starts from (it finds the stories, revisions and feeds itself).
START = [
    "/",
    "/sections/",
    "/tags/",
    "/authors/",
    "/feeds/",
    "/search?q=bridge",
    "/search?q=bridge&section=City",
    "/2014/02/24/gone/",
]
# A crawl that found more than this many pages is following a loop of its own making.
MAX_PAGES = 600


@pytest.fixture
def demo_client(settings):
    """The demo stories, an edited story with revisions, a withdrawn one, feeds built."""
    with open_archive(
        settings.archive_path, domain=settings.site.domain, timezone=settings.site.timezone
    ) as archive:
        demo.seed(archive, now=NOW)
        edited = archive.save(make_story(slug="edited", title="Edited story"), now=NOW)
        archive.save(edited.replace(dek="Now with a dek."), now=NOW)
        gone = archive.save(make_story(slug="gone", title="Gone story", section="Gone"), now=NOW)
        archive.withdraw(gone.id, reason="Legal advice.", now=NOW)
    rebuild_all(settings, now=NOW)
    app = create_app(settings)
    app.extensions["masthead.clock"] = Clock(
        domain=settings.site.domain, timezone=settings.site.timezone, now=lambda: NOW
    )
    return app.test_client()


def internal(href: str) -> str | None:
    """The path (and query) of a link to this site, or None for another site's."""
    href = urldefrag(href)[0]
    if href.startswith(BASE):
        href = href[len(BASE) :] or "/"
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not href.startswith("/"):
        return None
    return href


def crawl(client) -> dict[str, tuple[int, str]]:
    """Every internal URL reachable from START: url -> (status, the page that linked to it)."""
    seen: dict[str, tuple[int, str]] = {}
    queue = deque((url, "start") for url in START)
    while queue and len(seen) < MAX_PAGES:
        url, source = queue.popleft()
        if url in seen:
            continue
        with client.get(url) as response:
            seen[url] = (response.status_code, source)
            text = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        if not text:
            continue
        tree = lxml.html.fromstring(text)
        for element in tree.cssselect("a[href], link[href]"):
            found = internal(element.get("href"))
            if found and found not in seen:
                queue.append((found, url))
    return seen


def test_no_link_on_any_page_leads_to_a_missing_page(demo_client):
    seen = crawl(demo_client)
    broken = {url: found for url, found in seen.items() if found[0] in (404, 500)}
    assert broken == {}
    assert len(seen) < MAX_PAGES
    kinds = {
        "story": "/2026/11/23/harbour-bridge-reopens/",
        "revision list": "/2014/02/24/edited/revisions/",
        "revision": "/2014/02/24/edited/revisions/1/",
        "section": "/sections/city/",
        "tag": "/tags/transport/",
        "author": "/authors/helen-marsh/",
        "year": "/2026/",
        "month": "/2026/11/",
        "day": "/2026/11/23/",
        "tombstone": "/2014/02/24/gone/",
        "feed": "/feeds/latest.atom",
    }
    for kind, url in kinds.items():
        assert url in seen, f"the crawl never reached a {kind} page ({url})"
    assert seen["/2014/02/24/gone/"][0] == 410
