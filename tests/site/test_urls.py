"""The URL builder: every absolute URL is [site] base_url joined to a site path in one place."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from lxml import etree

from archive import FeedScope, open_archive, story_from_dict
from service import create_app, urls
from service.feeds import renditions
from service.settings import SiteSettings
from tests.support.paths import ROOT

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SERVICE = ROOT / "service"


@pytest.mark.parametrize("base_url", ["https://news.example", "https://news.example/"])
def test_a_trailing_slash_on_the_base_url_changes_no_url(base_url):
    site = SiteSettings(base_url=base_url)
    assert urls.site_url(site) == "https://news.example/"
    assert urls.site_url(site, "/sitemap.xml") == "https://news.example/sitemap.xml"
    assert urls.icon_url(site) == "https://news.example/static/icon.png"
    assert (
        urls.name_url(site, "author", "helen-marsh") == "https://news.example/authors/helen-marsh/"
    )
    assert urls.names_url(site, "tag") == "https://news.example/tags/"
    scope = FeedScope.of("tags", "transport")
    assert urls.feed_url(site, scope, "rss") == (
        "https://news.example/feeds/tags/transport/latest.rss"
    )
    assert urls.feed_home_url(site, FeedScope.for_month(2014, 2)) == "https://news.example/2014/02/"
    # The site's own address is named as it is written.
    assert urls.home_url(site) == base_url


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("/pics/a.jpg", "https://news.example/pics/a.jpg"),
        ("pics/a.jpg", "https://news.example/pics/a.jpg"),
        ("https://images.example/a.jpg", "https://images.example/a.jpg"),
        ("//images.example/a.jpg", "https://images.example/a.jpg"),
    ],
)
def test_a_link_in_content_is_resolved_against_the_home_page(reference, expected):
    assert urls.resolve(SiteSettings(base_url="https://news.example"), reference) == expected


def test_a_permalink_is_the_base_url_and_the_story_path():
    story = story_from_dict({"title": "Bridge", "body": "<p>x</p>"}).replace(
        path="/2014/02/24/bridge/"
    )
    site = SiteSettings(base_url="https://news.example/")
    assert urls.story_url(site, story) == "https://news.example/2014/02/24/bridge/"


def test_no_module_joins_the_base_url_by_hand():
    # base_url + path, or a base_url stripped of its slash to be joined, belongs in urls.py.
    hand_join = re.compile(r"base_url\.rstrip\(|base_url\s*[+~]|\{[^}]*base_url[^}]*\}/")
    assert (SERVICE / "urls.py").exists()  # the walk below reaches the code
    found = [
        f"{path.relative_to(SERVICE)}:{number}"
        for path in sorted(SERVICE.rglob("*"))
        if path.suffix in (".py", ".html", ".xml") and path.name != "urls.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if hand_join.search(line)
    ]
    assert found == []


def test_a_base_url_with_its_slash_gives_the_same_links_everywhere(make_settings, tmp_path):
    settings = make_settings(site={"base_url": "https://news.example/"})
    app = create_app(settings)
    archive = open_archive(settings.archive.path)
    try:
        saved = archive.save(
            story_from_dict(
                {
                    "title": "Bridge",
                    "body": '<p><a href="/2014/01/01/earlier/">Earlier</a></p>',
                    "tags": ["Transport"],
                    "published_at": "2026-11-20T09:00:00+00:00",
                }
            ),
            now=NOW,
        )
        renditions.rebuild_pending(archive, settings, now=NOW, everything=True)
    finally:
        archive.close()
    client = app.test_client()
    answers = {
        path: client.get(path, headers={"Accept": "*/*"}).get_data(as_text=True)
        for path in (
            saved.path,
            "/robots.txt",
            "/sitemap.xml",
            "/sitemaps/1.xml",
            "/feeds/latest.atom",
            "/feeds/latest.json",
            "/feeds.opml",
            f"{saved.path}timemap/",
        )
    }
    for path, text in answers.items():
        assert "https://news.example//" not in text, path
    page = answers[saved.path]
    assert f'<link rel="canonical" href="https://news.example{saved.path}">' in page
    feed = etree.fromstring(answers["/feeds/latest.atom"].encode())
    atom = "{http://www.w3.org/2005/Atom}"
    assert feed.find(f"{atom}entry/{atom}link").get("href") == f"https://news.example{saved.path}"
    assert 'href="https://news.example/2014/01/01/earlier/"' in feed.findtext(
        f"{atom}entry/{atom}content"
    )
