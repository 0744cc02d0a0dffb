"""Story pages as newspapers print them: credit lines, images and their alt text, the age of an
old story, languages in lists, the site icon, a tombstone's rights, folded search filters, and
the structured data (JSON-LD, Open Graph, Twitter card) that describes a story.
"""

from __future__ import annotations

import json

import pytest

from archive import Clock
from archive.ingest.formats import read_file
from service import create_app
from service.site.linked_data import og_locale
from tests.support.pages import STORY, html_of, texts
from tests.support.paths import CORPUS, ROOT
from tests.support.stories import NOW, full_story, make_story

SEED = CORPUS / "closing-ceremony.txt"


@pytest.fixture
def app(settings):
    """The app with its site clock pinned at NOW (24 November 2026)."""
    made = create_app(settings)
    made.extensions["masthead.clock"] = Clock(
        domain=settings.site.domain, timezone=settings.site.timezone, now=lambda: NOW
    )
    return made


def story_page(archive, client, story):
    saved = archive.save(story, now=NOW)
    response = client.get(saved.path)
    assert response.status_code == 200
    return html_of(response)


# Credits and images


def test_a_photo_not_reproduced_keeps_its_caption_and_credit_in_the_credits(archive, client):
    [seed] = read_file(SEED)
    assert seed.lead_image.url is None  # the seed names a photo the text does not carry
    page = story_page(archive, client, seed)
    assert texts(page, ".credits .photo-credit") == [
        "Photo (not reproduced): The closing ceremony of the XXII Olympic Winter Games in Sochi."
        " — Alexander Vilf / RIA Novosti"
    ]
    assert page.cssselect("figure, figcaption, img") == []
    assert page.cssselect("header .credit, header + .credit") == []  # no bare credit up top


def test_a_credit_that_names_itself_is_not_labelled_twice(archive, client):
    media = [{"caption": "Councillors vote.", "credit": "Photo: Sam Lee / Masthead"}]
    page = story_page(archive, client, make_story(media=media))
    assert texts(page, ".photo-credit") == [
        "Photo (not reproduced): Councillors vote. — Sam Lee / Masthead"
    ]


def test_a_picture_has_its_caption_once_and_a_photo_credit(archive, client):
    page = story_page(archive, client, full_story())
    [image] = page.cssselect("figure.lead-image img")
    assert image.get("alt") == ""  # alt="" kept: the figcaption says it, once
    assert texts(page, "figcaption .caption") == ["The bridge at dawn."]
    assert texts(page, "figcaption .credit") == ["Photo: Lena Ortiz / Masthead"]


@pytest.mark.parametrize(
    ("alt", "caption", "expected_alt", "has_caption"),
    [
        ("", "", "", False),  # decorative: alt="" kept, and no empty figcaption
        ("A red bus on the bridge", "Dawn.", "A red bus on the bridge", True),
        ("Dawn.", "Dawn.", "", True),
    ],
)
def test_alt_text_is_kept_and_never_repeats_the_caption(
    archive, client, alt, caption, expected_alt, has_caption
):
    media = [{"url": "https://images.example/b.jpg", "alt": alt, "caption": caption}]
    page = story_page(archive, client, make_story(media=media))
    [image] = page.cssselect("figure img")
    assert image.get("alt") == expected_alt
    assert bool(page.cssselect("figcaption")) is has_caption


# The age of a story


@pytest.mark.parametrize(
    ("published_at", "notice"),
    [
        ("2014-02-24T20:00:00+04:00", "This story is from February 2014."),
        ("2025-11-23T12:00:00+00:00", "This story is from November 2025."),
        ("2025-11-25T12:00:00+00:00", None),
        ("2026-11-20T12:00:00+00:00", None),
    ],
)
def test_a_story_older_than_a_year_says_when_it_is_from(archive, client, published_at, notice):
    page = story_page(archive, client, make_story(published_at=published_at))
    assert texts(page, ".story header .dated") == ([notice] if notice else [])
    if notice:
        header = page.cssselect(".story header")[0]
        assert header.index(header.cssselect(".dated")[0]) < header.index(header.find("h1"))


# Languages in lists


def test_a_story_in_another_language_carries_its_lang_in_lists(archive, client):
    archive.save(
        make_story(
            slug="moskva", title="Москва встречает весну", dek="Тепло пришло.", language="ru"
        ),
        now=NOW,
    )
    for url in ("/", "/search?q=Москва", "/sections/city/"):
        page = html_of(client.get(url))
        [title] = page.cssselect(".story-item h2, .hit h2")
        assert title.get("lang") == "ru", url
        # The line about the story is in the site's language, not the story's.
        meta = page.cssselect(".story-item .meta, .hit .meta")[0]
        assert all(e.get("lang") is None for e in meta.iterancestors("li", "article")), url
    assert html_of(client.get("/")).cssselect(".story-item .dek")[0].get("lang") == "ru"


# Icon, tombstone, search filters


def test_every_page_links_the_site_icon_and_it_is_served(archive, client):
    archive.save(full_story(), now=NOW)
    hrefs = set()
    for url in ("/", STORY, "/sections/", "/search"):
        [icon] = html_of(client.get(url)).cssselect("link[rel=icon]")
        hrefs.add(icon.get("href"))
    [href] = hrefs
    assert href.startswith("/assets/icon.")
    assert href.endswith(".png")
    with client.get(href) as response:
        assert response.status_code == 200
        assert response.mimetype == "image/png"
        assert response.data == (ROOT / "service" / "static" / "icon.png").read_bytes()


def test_a_tombstone_names_its_rights_holder_not_the_site_notice(archive, client, settings):
    bare = archive.save(make_story(slug="bare", rights=None), now=NOW)
    held = archive.save(full_story(slug="held"), now=NOW)
    for story in (bare, held):
        archive.withdraw(story.id, reason="Legal advice.", now=NOW)
    bare_page = html_of(client.get(bare.path))
    assert texts(bare_page, ".rights-statement") == [f"© {settings.site.rights_holder}"]
    assert settings.site.rights not in texts(bare_page, ".tombstone")[0]
    held_page = html_of(client.get(held.path))
    assert texts(held_page, ".rights-statement") == ["© 2014 Gazette. Some rights reserved."]


@pytest.mark.parametrize(
    ("query", "is_open"),
    [
        ("", True),
        ("?q=bridge", False),
        ("?q=bridge&section=City", True),
        ("?q=bridge&from=2014-01-01", True),
    ],
)
def test_search_filters_fold_away_once_there_are_results(archive, client, query, is_open):
    archive.save(full_story(), now=NOW)
    page = html_of(client.get("/search" + query))
    [filters] = page.cssselect("form.search-form details.filters")
    assert (filters.get("open") is not None) is is_open
    assert filters.cssselect("summary")
    assert {i.get("name") for i in filters.cssselect("input")} == {
        "section",
        "author",
        "from",
        "to",
    }


# Structured data


def json_ld(page) -> dict:
    [script] = page.cssselect("script[type='application/ld+json']")
    return json.loads(script.text)


def meta(page, attribute: str, key: str) -> list[str]:
    return [m.get("content") for m in page.cssselect(f"meta[{attribute}='{key}']")]


def test_json_ld_names_the_story_by_its_entry_id_and_the_site_by_its_logo(archive, client):
    saved = archive.save(make_story(publisher=None), now=NOW)
    article = json_ld(html_of(client.get(saved.path)))
    assert article["identifier"] == saved.entry_id
    assert article["identifier"].startswith("tag:news.example,2014-02-24:")
    publisher = article["publisher"]
    assert publisher["logo"] == {
        "@type": "ImageObject",
        "url": "https://news.example/static/icon.png",
        "width": 64,
        "height": 64,
    }
    with client.get("/static/icon.png") as icon:
        assert icon.data[:8] == b"\x89PNG\r\n\x1a\n"
        # PNG IHDR: width and height as the logo says.
        assert int.from_bytes(icon.data[16:20]) == int.from_bytes(icon.data[20:24]) == 64


def test_an_originating_publisher_is_the_source_not_the_publisher_of_the_page(archive, client):
    article = json_ld(story_page(archive, client, full_story()))
    assert article["publisher"]["logo"]["url"] == "https://news.example/static/icon.png"
    assert article["sourceOrganization"] == {
        "@type": "Organization",
        "name": "Agence Demo",
        "url": "https://agence.example/",
    }


def test_twitter_card_is_large_only_with_a_picture(archive, client):
    with_picture = story_page(archive, client, full_story())
    without = story_page(archive, client, make_story(slug="plain"))
    assert meta(with_picture, "name", "twitter:card") == ["summary_large_image"]
    assert meta(without, "name", "twitter:card") == ["summary"]


@pytest.mark.parametrize(
    ("language", "locale"),
    [("en-GB", "en_GB"), ("ru", "ru"), ("en", "en"), ("zh-Hant-TW", "zh_TW"), ("es-419", "es_419")],
)
def test_open_graph_locale_is_language_underscore_territory(language, locale):
    assert og_locale(language) == locale


def test_story_page_gives_its_open_graph_locale(archive, client):
    page = story_page(archive, client, make_story(language="en-GB"))
    assert meta(page, "property", "og:locale") == ["en_GB"]
    assert json_ld(page)["inLanguage"] == "en-GB"


def test_the_story_page_prints_its_permalink(archive, client):
    page = story_page(archive, client, full_story())
    [link] = page.cssselect(".story .permalink a")
    assert link.get("href") == link.text == "https://news.example" + STORY
