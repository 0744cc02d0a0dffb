"""Archive pages: the story page with its attribution and metadata, every page's landmarks,
feeds and headers, browsing by date, section, tag and author, and pagination.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.support.pages import STORY, html_of, texts
from tests.support.stories import NOW, add_days, full_story, make_story

# The story page


def test_story_page_shows_attribution_and_rights_with_the_rights_last(archive, client):
    archive.save(full_story(), now=NOW)
    tree = html_of(client.get(STORY))
    assert texts(tree, "h1") == ["Harbour bridge reopens"]
    assert texts(tree, ".story .dek") == ["Commuters crossed at dawn."]
    authors = tree.cssselect(".byline a[rel=author]")
    assert [(a.text, a.get("href")) for a in authors] == [
        ("Helen Marsh", "/authors/helen-marsh/"),
        ("Ravi Patel", "/authors/ravi-patel/"),
    ]
    [published] = tree.cssselect(".byline time.published")
    # In the offset it was published with (the story was written at 20:00 in Sochi, +04:00).
    assert published.get("datetime") == "2014-02-24T20:00:00+04:00"
    assert tree.cssselect(".byline time.updated") == []
    [image] = tree.cssselect("figure.lead-image img")
    # The figcaption says what it shows: the alt is empty rather than the caption read twice.
    assert image.get("alt") == ""
    assert texts(tree, "figcaption .caption") == ["The bridge at dawn."]
    assert texts(tree, "figcaption .credit") == ["Photo: Lena Ortiz / Masthead"]
    assert texts(tree, "figcaption .copyright") == ["© 2014 Masthead"]
    assert texts(tree, ".body p") == ["The first bus crossed at dawn."]
    assert texts(tree, ".voices li") == ["Mara Quinn, chief engineer"]
    [publisher] = tree.cssselect(".publisher a")
    assert (publisher.text, publisher.get("href")) == ("Agence Demo", "https://agence.example/")
    assert texts(tree, ".rights-statement") == ["© 2014 Gazette. Some rights reserved."]
    assert texts(tree, ".rights-holder") == ["Rights holder: Gazette"]
    [license_link] = tree.cssselect(".rights a[rel=license]")
    assert license_link.get("href") == "https://creativecommons.org/licenses/by/4.0/"
    # The rights notice closes the story: nothing of the story follows it.
    article = tree.cssselect("article.story")[0]
    blocks = [e for e in article.iter() if e.get("class") in ("body", "voices", "rights")]
    assert [e.get("class") for e in blocks] == ["body", "voices", "rights"]


def test_edited_story_shows_when_it_was_updated(archive, client):
    saved = archive.save(full_story(), now=NOW)
    archive.save(saved.replace(dek="Corrected dek."), now=NOW + timedelta(days=2))
    tree = html_of(client.get(STORY))
    [updated] = tree.cssselect(".byline time.updated")
    assert updated.get("datetime") == (NOW + timedelta(days=2)).isoformat()
    assert "updated" in texts(tree, ".byline")[0]


def test_story_page_has_canonical_link_and_open_graph(archive, client):
    archive.save(full_story(), now=NOW)
    tree = html_of(client.get(STORY))
    [canonical] = tree.cssselect("link[rel=canonical]")
    assert canonical.get("href") == "https://news.example" + STORY
    og = {m.get("property"): m.get("content") for m in tree.cssselect("meta[property]")}
    assert og["og:type"] == "article"
    assert og["og:url"] == "https://news.example" + STORY
    assert og["og:title"] == "Harbour bridge reopens"
    assert og["og:image"] == "https://images.example/bridge.jpg"
    assert "og:image:width" not in og  # no dimensions known, none claimed
    assert og["article:published_time"] == "2014-02-24T16:00:00+00:00"


def test_open_graph_gives_an_images_known_dimensions(archive, client):
    archive.save(
        make_story(
            media=[{"url": "https://images.example/bridge.jpg", "width": 1600, "height": 900}]
        ),
        now=NOW,
    )
    tree = html_of(client.get(STORY))
    og = [
        (m.get("property"), m.get("content")) for m in tree.cssselect("meta[property^='og:image']")
    ]
    assert og[:3] == [
        ("og:image", "https://images.example/bridge.jpg"),
        ("og:image:width", "1600"),
        ("og:image:height", "900"),
    ]


def test_story_json_ld_is_a_news_article_with_credits_and_rights(archive, client):
    archive.save(full_story(), now=NOW)
    tree = html_of(client.get(STORY))
    [script] = tree.cssselect('script[type="application/ld+json"]')
    data = json.loads(script.text)
    assert data["@type"] == "NewsArticle"
    assert [a["name"] for a in data["author"]] == ["Helen Marsh", "Ravi Patel"]
    assert data["datePublished"] == "2014-02-24T20:00:00+04:00"  # as it was written
    assert data["dateModified"] == "2014-02-24T16:00:00+00:00"
    assert data["publisher"]["name"] == "Masthead Demo Gazette"
    assert data["sourceOrganization"] == {
        "@type": "Organization",
        "name": "Agence Demo",
        "url": "https://agence.example/",
    }
    assert data["copyrightHolder"]["name"] == "Gazette"
    assert data["copyrightNotice"] == "© 2014 Gazette. Some rights reserved."
    assert data["creditText"] == "Helen Marsh, Ravi Patel / Agence Demo"
    assert data["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert data["image"]["@type"] == "ImageObject"
    assert data["image"]["creditText"] == "Lena Ortiz / Masthead"
    assert data["image"]["contentUrl"] == "https://images.example/bridge.jpg"


def test_json_ld_cannot_break_out_of_its_script_block(archive, client):
    title = 'Bridge </script><script>alert("x")</script> & <!-- more'
    archive.save(full_story(title=title, slug="harbour-bridge-reopens"), now=NOW)
    page = client.get(STORY).get_data(as_text=True)
    block = page.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert not {"<", ">", "&"} & set(block)
    assert json.loads(block)["headline"] == title
    assert page.count("<script") == 1


def test_story_without_rights_carries_the_site_notice(archive, client):
    archive.save(make_story(rights=None), now=NOW)
    tree = html_of(client.get(STORY))
    assert texts(tree, ".rights-statement") == [
        "© Masthead Demo Gazette. Stories carry their own rights notices."
    ]
    data = json.loads(tree.cssselect('script[type="application/ld+json"]')[0].text)
    assert data["copyrightHolder"]["name"] == "Masthead Demo Gazette"


def test_non_padded_or_impossible_dates_are_not_found(archive, client):
    archive.save(make_story(), now=NOW)
    assert client.get("/2014/2/24/harbour-bridge-reopens/").status_code == 404
    assert client.get("/2014/02/30/").status_code == 404
    assert client.get("/2014/13/").status_code == 404
    assert client.get("/0000/").status_code == 404


# Every page


def page_urls(archive) -> list[str]:
    archive.save(full_story(), now=NOW)
    return [
        "/",
        "/2014/",
        "/2014/02/",
        "/2014/02/24/",
        STORY,
        STORY + "revisions/",
        STORY + "revisions/1/",
        "/sections/city/",
        "/tags/transport/",
        "/authors/helen-marsh/",
        "/sections/",
        "/tags/",
        "/authors/",
        "/search?q=bridge",
        "/search",
    ]


def test_every_page_has_one_h1_landmarks_and_feed_discovery(archive, client):
    for url in page_urls(archive):
        response = client.get(url)
        assert response.status_code == 200, url
        tree = html_of(response)
        assert len(tree.cssselect("h1")) == 1, url
        for landmark in ("header", "nav", "main", "footer", "form[role=search]"):
            assert tree.cssselect(landmark), f"{url} has no {landmark}"
        feeds = {link.get("href") for link in tree.cssselect("link[rel=alternate]")}
        assert {
            "https://news.example/feeds/latest.atom",
            "https://news.example/feeds/latest.rss",
            "https://news.example/feeds/latest.json",
        } <= feeds, url
        images = tree.cssselect("img")
        # Every image has an alt, empty when its figcaption already says what it shows.
        assert all(img.get("alt") is not None for img in images), url
        assert not tree.cssselect("script[src], link[href^='http'][rel=stylesheet]"), url


def test_every_page_carries_validators_cache_control_and_security_headers(
    archive, client, settings
):
    for url in page_urls(archive):
        response = client.get(url)
        assert response.headers["Cache-Control"] == f"public, max-age={settings.http.page_max_age}"
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]
        again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304, url
        assert again.data == b""


def test_page_etag_changes_when_the_page_changes(archive, client):
    saved = archive.save(full_story(), now=NOW)
    before = client.get(STORY).headers["ETag"]
    archive.save(saved.replace(dek="New dek."), now=NOW + timedelta(days=1))
    response = client.get(STORY, headers={"If-None-Match": before})
    assert response.status_code == 200
    assert response.headers["ETag"] != before


def test_head_answers_without_a_body(archive, client):
    archive.save(full_story(), now=NOW)
    response = client.head(STORY)
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["ETag"] == client.get(STORY).headers["ETag"]


@pytest.mark.parametrize(
    ("kind", "slug", "feed_path"),
    [
        ("sections", "city", "/feeds/sections/city/latest"),
        ("tags", "transport", "/feeds/tags/transport/latest"),
        ("authors", "ravi-patel", "/feeds/authors/ravi-patel/latest"),
    ],
)
def test_section_tag_and_author_pages_list_stories_and_link_their_feeds(
    archive, client, kind, slug, feed_path
):
    archive.save(full_story(), now=NOW)
    archive.save(
        make_story(
            title="Other",
            slug="other",
            section="Sport",
            tags=["football"],
            authors=["Jonas Berg"],
        ),
        now=NOW,
    )
    tree = html_of(client.get(f"/{kind}/{slug}/"))
    assert texts(tree, ".story-item h2") == ["Harbour bridge reopens"]
    alternate = {link.get("href") for link in tree.cssselect("link[rel=alternate]")}
    visible = {a.get("href") for a in tree.cssselect(".feeds a")}
    for ext in ("atom", "rss", "json"):
        assert f"https://news.example{feed_path}.{ext}" in alternate
        assert f"https://news.example{feed_path}.{ext}" in visible


@pytest.mark.parametrize("url", ["/sections/nowhere/", "/tags/nothing/", "/authors/nobody/"])
def test_unknown_section_tag_or_author_is_not_found(archive, client, url):
    archive.save(full_story(), now=NOW)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url", ["/sections/mergers/", "/tags/acme-takeover/", "/authors/nadia-quist/"]
)
def test_a_section_tag_or_author_only_unpublished_stories_carry_is_not_found(archive, client, url):
    """Its name would tell of an embargoed story before its time (or of a draft)."""
    unpublished = {"section": "Mergers", "tags": ["Acme takeover"], "authors": ["Nadia Quist"]}
    embargo = (NOW + timedelta(days=1)).isoformat()
    archive.save(
        full_story(slug="embargoed", status="scheduled", embargo_at=embargo, **unpublished),
        now=NOW,
    )
    archive.save(full_story(slug="draft", status="draft", **unpublished), now=NOW)
    response = client.get(url)
    assert response.status_code == 404
    assert "Acme" not in response.get_data(as_text=True)
    assert "Quist" not in response.get_data(as_text=True)
    archive.save(full_story(slug="announced", **unpublished), now=NOW)
    assert client.get(url).status_code == 200


# Browsing by date


def test_year_page_counts_stories_per_month_and_links_neighbouring_years(archive, client):
    add_days(archive, 3, start="2013-12-30T12:00:00+00:00")  # 30, 31 Dec 2013, 1 Jan 2014
    add_days(archive, 2, start="2014-03-05T12:00:00+00:00")
    add_days(archive, 1, start="2016-07-01T12:00:00+00:00")
    tree = html_of(client.get("/2014/"))
    assert texts(tree, ".counts li") == ["January (1)", "March (2)"]
    assert [a.get("href") for a in tree.cssselect(".counts a")] == ["/2014/01/", "/2014/03/"]
    assert [a.get("href") for a in tree.cssselect(".around a")] == ["/2013/", "/2016/"]
    assert client.get("/2015/").status_code == 404


def test_month_page_counts_days_lists_stories_and_links_neighbouring_months(archive, client):
    add_days(archive, 3, start="2014-01-31T20:00:00+00:00", step_hours=12)
    tree = html_of(client.get("/2014/02/"))
    assert texts(tree, ".days li") == ["1 February (2)"]
    assert texts(tree, ".story-item h2") == ["Story number 2", "Story number 1"]
    assert [a.get("href") for a in tree.cssselect(".around a")] == ["/2014/01/"]
    assert texts(tree, ".around a") == ["← January 2014"]


def test_day_page_lists_the_day_in_the_site_time_zone(archive, client):
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
    archive.save(make_story(published_at="2014-06-30T23:30:00+00:00"), now=NOW)
    archive.save(make_story(title="Before", published_at="2014-06-29T10:00:00+00:00"), now=NOW)
    tree = html_of(client.get("/2014/07/01/"))
    assert texts(tree, ".story-item h2") == ["Harbour bridge reopens"]
    assert texts(tree, "h1") == ["1 July 2014"]
    assert [a.get("href") for a in tree.cssselect(".around a")] == ["/2014/06/29/"]
    assert [a.get("href") for a in tree.cssselect(".breadcrumbs a")] == ["/2014/", "/2014/07/"]


# Pagination


def test_lists_are_paginated_with_stable_urls(archive, client):
    add_days(archive, 25)
    first = html_of(client.get("/"))
    assert len(first.cssselect(".story-item")) == 20
    [older] = first.cssselect(".pagination a[rel=next]")
    assert older.get("href") == "/page/2/"
    second = html_of(client.get("/page/2/"))
    assert texts(second, ".story-item h2") == [f"Story number {n}" for n in range(4, -1, -1)]
    assert second.cssselect(".pagination a[rel=prev]")[0].get("href") == "/"
    assert client.get("/page/3/").status_code == 404
    month = html_of(client.get("/2014/02/page/2/"))
    assert len(month.cssselect(".story-item")) == 5
    assert month.cssselect(".pagination a[rel=prev]")[0].get("href") == "/2014/02/"


@pytest.mark.parametrize(
    ("asked", "moved_to"),
    [
        ("/?page=2", "/page/2/"),
        ("/?page=1", "/"),
        ("/page/1/", "/"),
        ("/2014/02/?page=2", "/2014/02/page/2/"),
        ("/2014/02/page/1/", "/2014/02/"),
        ("/sections/city/?page=2", "/sections/city/page/2/"),
        ("/tags/transport/?page=2", "/tags/transport/page/2/"),
        ("/authors/helen-marsh/?page=2", "/authors/helen-marsh/page/2/"),
    ],
)
def test_the_query_form_of_a_list_page_moves_to_its_path(archive, client, asked, moved_to):
    add_days(archive, 25)
    response = client.get(asked)
    assert (response.status_code, response.headers["Location"]) == (301, moved_to)
    assert client.get(moved_to).status_code == 200


@pytest.mark.parametrize("page", ["0", "abc", "99999999999999", "١"])
def test_a_path_page_that_is_no_page_number_answers_404(archive, client, page):
    add_days(archive, 1)
    assert client.get(f"/page/{page}/").status_code == 404


@pytest.mark.parametrize("page", ["0", "-1", "abc", "2.5", "99999999999999", "", "١"])
def test_a_bad_page_number_is_a_clear_400(archive, client, page):
    add_days(archive, 1)
    response = client.get(f"/?page={page}")
    assert response.status_code == 400
    assert "is not a page number" in response.get_data(as_text=True)


def test_home_and_story_lead_into_the_date_archive(archive, client):
    archive.save(full_story(), now=NOW)
    home = html_of(client.get("/"))
    assert [a.get("href") for a in home.cssselect(".years a")] == ["/2014/"]
    story = html_of(client.get(STORY))
    assert [a.get("href") for a in story.cssselect(".byline a.date")] == ["/2014/02/24/"]


@pytest.mark.parametrize(
    ("url", "status", "detail"),
    [
        ("/1999/", 404, "there are no stories from 1999"),
        ("/2014/02/30/", 404, "2014-02-30 is not a date"),
        ("/nowhere", 404, "There is no page at this address."),
        ("/?page=x", 400, "page 'x' is not a page number (1, 2, 3 ...)"),
    ],
)
def test_error_pages_say_why_with_one_h1_and_security_headers(archive, client, url, status, detail):
    archive.save(full_story(), now=NOW)
    response = client.get(url)
    assert response.status_code == status
    tree = html_of(response)
    assert len(tree.cssselect("h1")) == 1
    assert detail in texts(tree, "main p")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_site_title_is_the_headers_link_not_a_paragraph(archive, client):
    archive.save(full_story(), now=NOW)
    for path in ("/", STORY):
        tree = html_of(client.get(path))
        [title] = tree.cssselect("header.masthead .site-title")
        assert title.tag == "a"
        assert title.get("href") == "/"
        site_name = html_of(client.get(STORY)).cssselect("meta[property='og:site_name']")[0]
        assert title.text_content() == site_name.get("content")
        assert not tree.cssselect("header.masthead p.site-title")
