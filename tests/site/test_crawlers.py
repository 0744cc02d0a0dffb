"""For crawlers: the sitemap index and its sitemaps (split past their size), and robots.txt."""

from __future__ import annotations

import urllib.robotparser

import lxml.etree

from service.site import crawlers
from tests.support.stories import NOW, add_days, make_story

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def test_sitemap_index_points_at_sitemaps_of_absolute_permalinks(archive, client):
    add_days(archive, 3)
    withdrawn = archive.save(make_story(), now=NOW)
    archive.withdraw(withdrawn.id, reason="Error", now=NOW)
    response = client.get("/sitemap.xml")
    assert response.mimetype == "application/xml"
    index = lxml.etree.fromstring(response.data)
    assert index.xpath("//s:sitemap/s:loc/text()", namespaces=SITEMAP_NS) == [
        "https://news.example/sitemaps/1.xml"
    ]
    # lastmod is the newest update among the sitemap's stories (not the withdrawn one).
    assert index.xpath("//s:lastmod/text()", namespaces=SITEMAP_NS) == ["2014-02-03T09:00:00+00:00"]
    urls = lxml.etree.fromstring(client.get("/sitemaps/1.xml").data)
    assert urls.xpath("//s:loc/text()", namespaces=SITEMAP_NS) == [
        f"https://news.example/2014/02/0{n}/story-{n - 1}/" for n in (1, 2, 3)
    ]
    assert len(urls.xpath("//s:lastmod", namespaces=SITEMAP_NS)) == 3


def test_sitemap_index_splits_when_a_sitemap_would_be_too_long(archive, client, monkeypatch):
    monkeypatch.setattr(crawlers, "SITEMAP_SIZE", 2)
    add_days(archive, 5)
    index = lxml.etree.fromstring(client.get("/sitemap.xml").data)
    locs = index.xpath("//s:loc/text()", namespaces=SITEMAP_NS)
    assert locs == [f"https://news.example/sitemaps/{n}.xml" for n in (1, 2, 3)]
    last = lxml.etree.fromstring(client.get("/sitemaps/3.xml").data)
    assert last.xpath("//s:loc/text()", namespaces=SITEMAP_NS) == [
        "https://news.example/2014/02/05/story-4/"
    ]
    assert client.get("/sitemaps/4.xml").status_code == 404
    assert client.get("/sitemaps/0.xml").status_code == 404


def test_robots_txt_points_at_the_sitemap_with_the_absolute_base_url(client):
    response = client.get("/robots.txt")
    assert response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert "Sitemap: https://news.example/sitemap.xml" in lines
    assert "Disallow: /search" in lines


def test_robots_txt_opens_revisions_and_timemaps_to_archival_crawlers(client):
    rules = urllib.robotparser.RobotFileParser()
    rules.parse(client.get("/robots.txt").get_data(as_text=True).splitlines())
    story = "https://news.example/2014/02/24/harbour-bridge-reopens/"
    for url in (story, story + "revisions/", story + "revisions/3/", story + "timemap/"):
        assert rules.can_fetch("ia_archiver", url), url
    for url in ("https://news.example/search?q=bridge", "https://news.example/api/stories"):
        assert not rules.can_fetch("ia_archiver", url), url
