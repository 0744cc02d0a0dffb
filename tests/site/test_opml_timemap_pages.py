"""/feeds.opml and a story's TimeMap opened in a browser read as pages at their own address.

A browser's Accept prefers text/html to the document's type: it gets an HTML page under every
page's headers. Feed readers and Memento clients (the document's type, `*/*`, no Accept, or
text/html ranked lower) get the OPML and link-format bytes the site has always sent. Both
answers vary on Accept, and the page cache in front of Flask keeps them apart.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from lxml import etree, html

from service.site import memento
from service.site.feed_directory import directory, opml
from service.wsgi.http import CONTENT_SECURITY_POLICY
from tests.support.feeds import BROWSER_ACCEPT, build, fill
from tests.support.links import by_rel, parse_links
from tests.support.stories import NOW

BASE = "https://news.example"
OPML_TYPE = "text/x-opml; charset=utf-8"
READER_ACCEPTS = [
    None,
    "*/*",
    "text/html;q=0.5, */*",
    "application/xml, text/xml;q=0.9, */*;q=0.8",
]


@pytest.fixture
def site(archive, settings) -> dict[str, str]:
    """A built site with a corrected story; its TimeMap's path and its published revisions."""
    fill(archive)
    build(archive, settings, now=NOW + timedelta(hours=2))
    items = json.loads(archive.rendition("latest.json").body)["items"]
    [tram] = [item["url"] for item in items if item["url"].endswith("/tram/")]
    path = tram.removeprefix(BASE)
    return {"path": path, "timemap": f"{path}timemap/"}


def expected_opml(archive, settings) -> bytes:
    groups, _months = directory(archive, settings)
    return opml(groups, settings)


def expected_timemap(archive, settings, path: str) -> bytes:
    story = archive.at(path)
    times = archive.public_revision_times(story.id)
    mementos = memento.mementos_of(path, times, settings.site.base_url)
    return memento.timemap(path, mementos, settings.site.base_url).encode()


@pytest.mark.parametrize("accept", [*READER_ACCEPTS, "text/x-opml", "text/x-opml, */*;q=0.1"])
def test_feed_readers_get_the_opml_bytes(client, archive, settings, site, accept):
    response = client.get("/feeds.opml", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == OPML_TYPE
    assert response.data == expected_opml(archive, settings)
    assert response.headers["Vary"] == "Accept, Accept-Encoding"
    outlines = etree.fromstring(response.data).iter("outline")
    assert f"{BASE}/feeds/latest.atom" in {o.get("xmlUrl") for o in outlines}


@pytest.mark.parametrize("accept", [*READER_ACCEPTS, "application/link-format"])
def test_memento_clients_get_the_timemap_bytes(client, archive, settings, site, accept):
    response = client.get(site["timemap"], headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/link-format"
    assert response.data == expected_timemap(archive, settings, site["path"])
    assert response.headers["Vary"] == "Accept"
    assert len(by_rel(parse_links(response.get_data(as_text=True)))["memento"]) == 2


@pytest.mark.parametrize("accept", [BROWSER_ACCEPT, "text/html"])
@pytest.mark.parametrize("document", ["opml", "timemap"])
def test_a_browser_gets_a_page_under_every_pages_headers(client, site, document, accept):
    path = "/feeds.opml" if document == "opml" else site["timemap"]
    response = client.get(path, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Vary"] == "Accept, Accept-Encoding"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Cache-Control"] == client.get("/").headers["Cache-Control"]
    assert response.headers["ETag"] != client.get(path).headers["ETag"]
    again = client.get(path, headers={"Accept": accept, "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["Vary"] == "Accept, Accept-Encoding"
    head = client.head(path, headers={"Accept": accept})
    assert head.headers["Content-Type"] == "text/html; charset=utf-8"
    assert head.data == b""
    page = html.fromstring(response.data)
    assert page.xpath("//meta[@name='robots']/@content") == ["noindex"]
    assert not page.xpath("//script | //style | //*[@style]")


def test_the_opml_page_lists_every_feed_the_opml_holds(client, site):
    raw = etree.fromstring(client.get("/feeds.opml").data)
    page = html.fromstring(client.get("/feeds.opml", headers={"Accept": BROWSER_ACCEPT}).data)
    outlines = [o for o in raw.iter("outline") if o.get("xmlUrl")]
    items = page.cssselect("ul.opml-outlines > li")
    assert [li.cssselect("a.feed-url")[0].get("href") for li in items] == [
        o.get("xmlUrl") for o in outlines
    ]
    assert [li.cssselect("a")[0].text_content() for li in items] == [
        o.get("title") for o in outlines
    ]
    assert [li.cssselect("a")[0].get("href") for li in items] == [
        o.get("htmlUrl") for o in outlines
    ]
    groups = [o.get("title") for o in raw.find("body")]
    assert [h.text_content() for h in page.cssselect("main section > h2")][1:] == groups
    assert page.get_element_by_id("feed-address").get("value") == f"{BASE}/feeds.opml"
    assert "/feeds/" in {a.get("href") for a in page.iter("a")}


def test_the_timemap_page_lists_every_memento_the_timemap_holds(client, site):
    raw = parse_links(client.get(site["timemap"]).get_data(as_text=True))
    page = html.fromstring(client.get(site["timemap"], headers={"Accept": BROWSER_ACCEPT}).data)
    mementos = by_rel(raw)["memento"]
    items = page.cssselect("ol.mementos > li")
    assert [BASE + li.cssselect("a")[0].get("href") for li in items] == [m["url"] for m in mementos]
    for li, link in zip(items, mementos, strict=True):
        moment = li.cssselect("time")[0].get("datetime")
        assert memento.http_date(memento.datetime.fromisoformat(moment)) == link["datetime"]
    assert page.get_element_by_id("timemap-address").get("value") == BASE + site["timemap"]
    assert page.cssselect("a.permalink-url")[0].get("href") == BASE + site["path"]
    assert page.findtext(".//h1").startswith("Past versions of")
    # Each listed revision is a page that exists.
    for li in items:
        assert client.get(li.cssselect("a")[0].get("href")).status_code == 200


@pytest.mark.parametrize("document", ["opml", "timemap"])
def test_the_page_cache_keeps_the_page_and_the_document_apart(client, site, document):
    path = "/feeds.opml" if document == "opml" else site["timemap"]
    raw_type = OPML_TYPE if document == "opml" else "application/link-format"
    page_type = "text/html; charset=utf-8"
    # The page first, then the document, and the other way round: neither is kept for the other.
    for accept, content_type in [(BROWSER_ACCEPT, page_type), (None, raw_type)] * 2 + [
        (BROWSER_ACCEPT, page_type)
    ]:
        response = client.get(path, headers={"Accept": accept} if accept else {})
        assert response.headers["Content-Type"] == content_type, accept


@pytest.mark.parametrize("accept", ["*/*", BROWSER_ACCEPT])
@pytest.mark.parametrize("document", ["opml", "timemap"])
def test_a_client_sending_accept_revalidates_with_304(client, site, document, accept):
    """An answer chosen by the request's Accept is not kept for everyone, yet its ETag still
    answers 304: a reader polling with `Accept: */*` costs no body, as before."""
    path = "/feeds.opml" if document == "opml" else site["timemap"]
    first = client.get(path, headers={"Accept": accept})
    again = client.get(path, headers={"Accept": accept, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["Vary"] == first.headers["Vary"]
