"""Finding one's way: the section, tag and author indexes, the years on the home page, the
header that links them, one section whatever its spelling, and a feed directory that offers
only feeds whose page exists.
"""

from __future__ import annotations

import json

import pytest
import sqlite_utils

from archive import open_archive
from archive.db.schema import migrations
from service.feeds.scheduler import rebuild_all
from tests.support.pages import html_of, texts
from tests.support.stories import NOW, make_story


def listed(client, url: str) -> list[tuple[str, str]]:
    """(link text with its count, href) of each name an index lists."""
    tree = html_of(client.get(url))
    return [
        (" ".join(item.text_content().split()), item.cssselect("a")[0].get("href"))
        for item in tree.cssselect("main .names li")
    ]


def test_indexes_link_every_name_live_stories_carry_with_their_counts(archive, client):
    archive.save(make_story(slug="one", section="City", tags=["transport", "Parks"]), now=NOW)
    archive.save(make_story(slug="two", section="Sport", tags=["transport"]), now=NOW)
    archive.save(
        make_story(slug="three", section="Sport", authors=["Ravi Patel", "Zoë Adams"]), now=NOW
    )
    assert listed(client, "/sections/") == [
        ("City (1)", "/sections/city/"),
        ("Sport (2)", "/sections/sport/"),
    ]
    assert listed(client, "/tags/") == [
        ("Parks (1)", "/tags/parks/"),
        ("transport (3)", "/tags/transport/"),
    ]
    assert listed(client, "/authors/") == [
        ("Helen Marsh (2)", "/authors/helen-marsh/"),
        ("Ravi Patel (3)", "/authors/ravi-patel/"),
        ("Zoë Adams (1)", "/authors/zoe-adams/"),
    ]
    for url in ("/sections/", "/tags/", "/authors/"):
        for _text, href in listed(client, url):
            assert client.get(href).status_code == 200, href


def test_names_only_drafts_or_withdrawn_stories_carry_are_not_listed(archive, client):
    archive.save(make_story(slug="live"), now=NOW)
    archive.save(
        make_story(slug="draft", section="Secret", tags=["plans"], authors=["Ann Hidden"]).replace(
            status="draft"
        ),
        now=NOW,
    )
    gone = archive.save(
        make_story(slug="gone", section="Legal", tags=["lawsuit"], authors=["Ann Gone"]), now=NOW
    )
    archive.withdraw(gone.id, reason="Legal advice.", now=NOW)
    assert [text for text, _ in listed(client, "/sections/")] == ["City (1)"]
    assert [text for text, _ in listed(client, "/tags/")] == ["transport (1)"]
    assert [text for text, _ in listed(client, "/authors/")] == [
        "Helen Marsh (1)",
        "Ravi Patel (1)",
    ]


def test_an_empty_archive_has_empty_indexes(client):
    for url in ("/sections/", "/tags/", "/authors/"):
        response = client.get(url)
        assert response.status_code == 200
        assert texts(html_of(response), "main p")[-1] == "None yet."


def test_the_header_links_the_indexes_and_the_home_page_lists_years(archive, client):
    archive.save(make_story(slug="old", published_at="2014-02-24T10:00:00+00:00"), now=NOW)
    archive.save(make_story(slug="older", published_at="2013-05-01T10:00:00+00:00"), now=NOW)
    archive.save(make_story(slug="also", published_at="2014-03-01T10:00:00+00:00"), now=NOW)
    for url in ("/", "/sections/", "/2014/02/24/old/"):
        nav = html_of(client.get(url)).cssselect("header nav a")
        hrefs = [a.get("href") for a in nav]
        assert {"/sections/", "/tags/", "/authors/", "/feeds/", "/search"} <= set(hrefs), url
        assert "/#years-heading" in hrefs
    home = html_of(client.get("/"))
    [years] = home.cssselect("#years-heading")
    assert years.text == "Browse by year"
    assert texts(home, ".years li") == ["2014 (2)", "2013 (1)"]
    assert [a.get("href") for a in home.cssselect(".years a")] == ["/2014/", "/2013/"]


# One section whatever its spelling


def test_a_section_spelled_two_ways_is_one_section_named_as_first_published(archive, client):
    archive.save(
        make_story(slug="a", section="Sport", tags=["Football"], published_at="2014-02-01T10:00Z"),
        now=NOW,
    )
    archive.save(
        make_story(slug="b", section="sport", tags=["football"], published_at="2014-02-02T10:00Z"),
        now=NOW,
    )
    later = archive.save(
        make_story(slug="c", section="SPORT", tags=["FOOTBALL"], published_at="2014-02-03T10:00Z"),
        now=NOW,
    )
    assert later.section_slug == "sport"
    assert later.tag_slugs == ("football",)
    assert listed(client, "/sections/") == [("Sport (3)", "/sections/sport/")]
    assert listed(client, "/tags/") == [("Football (3)", "/tags/football/")]
    page = html_of(client.get("/sections/sport/"))
    assert texts(page, "h1") == ["Sport"]
    assert len(page.cssselect(".story-item")) == 3
    settings = client.application.config["MASTHEAD"]
    rebuild_all(settings, now=NOW)
    feeds = [scope.key for scope in archive.feed_scopes() if scope.kind == "sections"]
    assert feeds == ["sections/sport"]
    directory = html_of(client.get("/feeds/"))
    titles = texts(directory, "ul.feeds li > a:first-child")
    assert [title for title in titles if title.lower().endswith("sport")] == ["Sport"]


def test_an_old_archive_with_both_spellings_keeps_one_section_after_migrating(tmp_path):
    """Before names had keys, both spellings were slugged "sport": they stay one section."""
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    migrations.apply(db, stop_before="m005_identity_and_visibility")
    for story_id, section in ((1, "Sport"), (2, "sport")):
        published = f"2014-02-0{story_id}T10:00:00+00:00"
        db["stories"].insert(
            {
                "id": story_id,
                "slug": f"s{story_id}",
                "title": f"Story {story_id}",
                "status": "published",
                "path": f"/2014/02/0{story_id}/s{story_id}/",
                "section": section,
                "section_slug": "sport",
                "published_at": published,
                "updated_at": published,
                "local_date": published[:10],
                "revision": 1,
            }
        )
        snapshot = {"status": "published", "title": f"Story {story_id}", "section": section}
        db["revisions"].insert(
            {
                "story_id": story_id,
                "revision": 1,
                "action": "create",
                "saved_at": published,
                "snapshot": json.dumps(snapshot),
            }
        )
    db.conn.commit()
    db.close()
    with open_archive(path) as archive:
        assert [archive.get(n).section_slug for n in (1, 2)] == ["sport", "sport"]
        assert [(e.slug, e.name, e.count) for e in archive.names.index("sections")] == [
            ("sport", "Sport", 2)
        ]
        third = archive.save(make_story(slug="s3", section="SPORT"), now=NOW)
        assert third.section_slug == "sport"


# The feed directory


@pytest.fixture
def built(archive, client):
    """A live story, and a section, tag and author whose only story was withdrawn, feeds built."""
    archive.save(make_story(slug="live"), now=NOW)
    gone = archive.save(
        make_story(slug="gone", section="Legal", tags=["lawsuit"], authors=["Ann Gone"]), now=NOW
    )
    rebuild_all(client.application.config["MASTHEAD"], now=NOW)
    archive.withdraw(gone.id, reason="Legal advice.", now=NOW)
    rebuild_all(client.application.config["MASTHEAD"], now=NOW)
    return archive


def test_feed_directory_offers_no_feed_whose_page_is_gone(built, client):
    stored = {scope.key for scope in built.feed_scopes()}
    assert {"sections/legal", "tags/lawsuit", "authors/ann-gone"} <= stored
    directory = html_of(client.get("/feeds/"))
    pages = [a.get("href") for a in directory.cssselect("ul.feeds li > a:first-child")]
    assert "https://news.example/sections/legal/" not in pages
    assert "https://news.example/tags/lawsuit/" not in pages
    assert "https://news.example/authors/ann-gone/" not in pages
    assert "https://news.example/sections/city/" in pages
    for page in pages:
        assert client.get(page.removeprefix("https://news.example")).status_code == 200, page
    opml = client.get("/feeds.opml").get_data(as_text=True)
    assert "sections/legal" not in opml
    assert "sections/city" in opml
    # The feed itself still answers, carrying the withdrawal to readers that follow it.
    assert client.get("/feeds/sections/legal/latest.atom").status_code == 200
