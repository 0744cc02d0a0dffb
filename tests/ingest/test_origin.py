"""The origin of syndicated copy: the originating publisher and original URL, read by the
importer, kept by the archive and the API, shown on pages, in JSON-LD and in feeds."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import lxml.etree
import lxml.html
import pytest

from archive import open_archive, story_from_dict
from archive.errors import InvalidStory
from archive.ingest.extract import extract
from archive.ingest.formats import read_file, stories_from
from archive.ingest.origin import parse_origin, unless_own
from service.feeds import renditions
from tests.support.paths import CORPUS, FIXTURES

CEREMONY = CORPUS / "closing-ceremony.txt"
needs_corpus = pytest.mark.skipif(
    not CEREMONY.exists(), reason="../shared/corpus is not beside this checkout"
)
PUBLISHED = "2014-02-24T20:00:00+04:00"
PERMALINK = "/2014/02/24/behind-the-scenes-at-the-closing-ceremony/"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ORIGINAL = "https://rg.ru/2014/02/24/ceremony.html"


def page_of(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return lxml.html.fromstring(response.get_data(as_text=True))


def json_ld(page) -> dict:
    [script] = page.cssselect("script[type='application/ld+json']")
    return json.loads(script.text)


def canonical(page) -> str:
    [link] = page.cssselect("link[rel='canonical']")
    return link.get("href")


def syndicated(**fields):
    shape = {
        "title": "Harbour bridge reopens",
        "slug": "harbour-bridge-reopens",
        "body": "<p>The first bus crossed at dawn.</p>",
        "publisher": {"name": "Agence Demo", "url": "https://agence.example/"},
        "status": "published",
        "published_at": "2014-02-24T16:00:00+00:00",
    }
    return story_from_dict({**shape, **fields})


# The corpus article, imported as a user imports it


@needs_corpus
def test_imported_corpus_article_names_its_origin_and_photo_credit(runner, client, settings):
    result = runner.invoke(args=["import", str(CEREMONY), "--published", PUBLISHED])
    assert result.exit_code == 0, result.output
    with open_archive(settings.archive_path) as archive:
        [story] = archive.latest()
    assert story.publisher.name == "Rossiyskaya Gazeta"
    assert story.original_url is None
    assert story.canonical_is_original is False

    page = page_of(client, PERMALINK)
    [origin] = page.cssselect("p.publisher")
    assert " ".join(origin.text_content().split()) == "Originally published by Rossiyskaya Gazeta."
    assert origin.cssselect("a") == []  # no URL known: nothing to link
    assert (
        "Alexander Vilf / RIA Novosti" in page.cssselect(".credits .photo-credit")[0].text_content()
    )
    # Without an original URL, and without the flag, the page is its own canonical.
    assert canonical(page) == "https://news.example" + PERMALINK

    article = json_ld(page)
    assert article["publisher"]["@type"] == "Organization"
    assert article["publisher"]["name"] == settings.site.title
    assert article["publisher"]["url"] == settings.site.base_url
    assert article["publisher"]["logo"]["url"] == "https://news.example/static/icon.png"
    assert article["sourceOrganization"] == {"@type": "Organization", "name": "Rossiyskaya Gazeta"}
    assert "isBasedOn" not in article
    # The photo is not reproduced: no url-less ImageObject, its credit in the article's own.
    assert "image" not in article
    assert article["creditText"] == "Rossiyskaya Gazeta; Photo: Alexander Vilf / RIA Novosti"
    # No byline: the originating organisation is the author.
    assert article["author"] == [{"@type": "Organization", "name": "Rossiyskaya Gazeta"}]
    assert article["copyrightHolder"]["name"] == "Rossiyskaya Gazeta"


@needs_corpus
def test_the_origin_stays_dc_publisher_and_source_in_feeds(archive, settings):
    [story] = read_file(CEREMONY, defaults={"published_at": PUBLISHED})
    archive.save(story.replace(original_url=ORIGINAL), now=NOW)
    renditions.rebuild_pending(archive, settings, now=NOW, everything=True)
    rss = lxml.etree.fromstring(archive.rendition("latest.rss").body)
    dc = "{http://purl.org/dc/elements/1.1/}publisher"
    assert [e.text for e in rss.iter(dc)] == ["Rossiyskaya Gazeta"]
    atom = lxml.etree.fromstring(archive.rendition("latest.atom").body)
    links = atom.iter("{http://www.w3.org/2005/Atom}link")
    assert [link.get("href") for link in links if link.get("rel") == "via"] == [ORIGINAL]
    feed = json.loads(archive.rendition("latest.json").body)
    publisher = feed["items"][0]["_masthead"]["publisher"]
    assert publisher == {"name": "Rossiyskaya Gazeta", "url": None, "original_url": ORIGINAL}


def test_the_sites_own_rights_line_names_no_origin(runner, settings, tmp_path):
    article = tmp_path / "own.txt"
    article.write_text(
        "Harbour bridge reopens\n\nThe first bus crossed at dawn, an hour early.\n\n"
        "The council said the repairs cost less than planned.\n\n"
        f"All rights reserved by {settings.site.rights_holder}.\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["import", str(article), "--published", PUBLISHED])
    assert result.exit_code == 0, result.output
    with open_archive(settings.archive_path) as archive:
        [story] = archive.latest()
    assert story.rights.holder == settings.site.rights_holder
    assert story.publisher is None


def test_an_explicit_publisher_option_wins_over_the_rights_holder(runner, settings):
    result = runner.invoke(
        args=[
            "import", str(FIXTURES / "council-vote.txt"), "--published", PUBLISHED,
            "--publisher", "Northern News",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with open_archive(settings.archive_path) as archive:
        [story] = archive.latest()
    assert story.publisher.name == "Northern News"


# Origin lines in the text


@pytest.mark.parametrize(
    ("line", "name", "url"),
    [
        ("Originally published by The Conversation.", "The Conversation", None),
        (
            "This article was originally published in The Guardian at "
            "https://www.theguardian.com/world/2014/feb/24/sochi.",
            "The Guardian",
            "https://www.theguardian.com/world/2014/feb/24/sochi",
        ),
        ("Впервые опубликовано в «Российской газете»: https://rg.ru/a.html", "Российской газете", "https://rg.ru/a.html"),
        ("Erstmals erschienen bei der Deutschen Welle.", None, None),  # lower case: prose
        ("Erstmals erschienen in Die Zeit.", "Die Zeit", None),
        ("Publié initialement par Le Monde (https://www.lemonde.fr/x).", "Le Monde", "https://www.lemonde.fr/x"),
        ("Publicado originalmente en El País.", "El País", None),
        ("原文刊载于人民日报", "人民日报", None),
    ],
)  # fmt: skip
def test_origin_lines_name_the_publisher_and_url_in_many_languages(line, name, url):
    found = parse_origin(line)
    if name is None:
        assert found is None
        return
    assert found["name"] == name
    assert found.get("url") == url


def test_a_source_line_is_an_origin_only_after_the_body():
    text = (
        "Title\n\nSource: Reuters\n\nThe first paragraph of the story tells what happened.\n\n"
        "The second paragraph tells what it means for the town and its people.\n\n"
        "Source: Agence France-Presse\n\n© 2014 AFP. All rights reserved.\n"
    )
    found = extract(text)
    assert found.origin == {"name": "Agence France-Presse"}
    # A photo credit in the same form is still a credit, wherever it stands.
    assert parse_origin("Source: Alexander Vilf / RIA Novosti", after_body=True) is None


def test_an_origin_line_wins_over_the_rights_holder_and_keeps_its_url():
    text = (
        "Title\n\nThe first paragraph of the story tells what happened.\n\n"
        "The second paragraph tells what it means.\n\n"
        "Originally published by Rossiyskaya Gazeta at https://rg.ru/2014/02/24/ceremony.html\n\n"
        "© 2014 RIA Novosti. All rights reserved.\n"
    )
    [story] = stories_from(text, "text")
    assert story.publisher.name == "Rossiyskaya Gazeta"
    assert story.original_url == ORIGINAL
    assert "Originally published" not in story.body_html


def test_a_saved_page_keeps_its_canonical_url(tmp_path):
    page = (FIXTURES / "saved-page.html").read_text(encoding="utf-8")
    with_link = page.replace(
        "<head>", '<head>\n<link rel="canonical" href="https://courier.example/tram">', 1
    )
    with_og = page.replace(
        "<head>", '<head>\n<meta property="og:url" content="https://courier.example/og">', 1
    )
    [story] = stories_from(with_link, "html")
    assert story.original_url == "https://courier.example/tram"
    assert story.publisher.name == "The Valley Courier"
    [story] = stories_from(with_og, "html")
    assert story.original_url == "https://courier.example/og"
    [story] = read_file(FIXTURES / "saved-page.html")
    assert story.original_url is None


def test_the_sites_own_host_and_name_are_no_origin():
    own = syndicated(original_url="https://news.example/2014/02/24/x/")
    assert unless_own(own, ["Gazette"], "https://news.example").original_url is None
    ours = syndicated(publisher={"name": " masthead  demo gazette"}, original_url=ORIGINAL)
    cleared = unless_own(ours, ["Masthead Demo Gazette"], "https://news.example")
    assert (cleared.publisher, cleared.original_url) == (None, None)
    theirs = syndicated(original_url=ORIGINAL)
    assert unless_own(theirs, ["Masthead Demo Gazette"], "https://news.example") == theirs


# Pages: the attribution and the canonical link


def test_canonical_names_the_original_only_when_the_story_says_so(archive, client):
    archive.save(syndicated(original_url=ORIGINAL), now=NOW)
    archive.save(
        syndicated(slug="flagged", original_url=ORIGINAL, canonical_is_original=True), now=NOW
    )
    archive.save(syndicated(slug="flag-alone", canonical_is_original=True), now=NOW)
    own = page_of(client, "/2014/02/24/harbour-bridge-reopens/")
    assert canonical(own) == "https://news.example/2014/02/24/harbour-bridge-reopens/"
    flagged = page_of(client, "/2014/02/24/flagged/")
    assert canonical(flagged) == ORIGINAL
    [og_url] = flagged.cssselect("meta[property='og:url']")
    assert og_url.get("content") == ORIGINAL
    # The flag without a URL has nothing to point at: the permalink stays canonical.
    alone = page_of(client, "/2014/02/24/flag-alone/")
    assert canonical(alone) == "https://news.example/2014/02/24/flag-alone/"


def test_the_origin_links_to_the_original_article_and_json_ld_is_based_on_it(archive, client):
    archive.save(syndicated(original_url=ORIGINAL), now=NOW)
    page = page_of(client, "/2014/02/24/harbour-bridge-reopens/")
    [link] = page.cssselect("p.publisher a")
    assert (link.text, link.get("href")) == ("Agence Demo", ORIGINAL)
    article = json_ld(page)
    assert article["isBasedOn"] == ORIGINAL
    assert article["sourceOrganization"]["name"] == "Agence Demo"
    assert article["publisher"]["name"] != "Agence Demo"


def test_without_an_original_url_the_origin_links_to_its_home_page(archive, client):
    archive.save(syndicated(), now=NOW)
    page = page_of(client, "/2014/02/24/harbour-bridge-reopens/")
    [link] = page.cssselect("p.publisher a")
    assert link.get("href") == "https://agence.example/"


def test_a_story_of_our_own_names_no_origin(archive, client):
    archive.save(syndicated(publisher=None), now=NOW)
    page = page_of(client, "/2014/02/24/harbour-bridge-reopens/")
    assert page.cssselect("p.publisher") == []
    assert "sourceOrganization" not in json_ld(page)


# The model and the API


def test_original_url_takes_only_web_urls_and_the_flag_only_booleans(archive):
    for bad in ("javascript:alert(1)", "ftp://rg.ru/", "/relative"):
        with pytest.raises(InvalidStory) as refused:
            archive.save(syndicated(original_url=bad), now=NOW)
        assert [p.field for p in refused.value.found] == ["original_url"]
    with pytest.raises(InvalidStory) as refused:
        story_from_dict({"title": "x", "canonical_is_original": "yes"})
    assert [p.field for p in refused.value.found] == ["canonical_is_original"]


def test_api_round_trip_of_the_origin_fields(client, api_tokens):
    write = api_tokens["write"]
    body = {
        "title": "Harbour bridge reopens",
        "body": "<p>The first bus crossed at dawn.</p>",
        "publisher": {"name": "Agence Demo", "url": "https://agence.example/"},
        "original_url": ORIGINAL,
        "canonical_is_original": True,
        "status": "published",
        "published_at": "2014-02-24T16:00:00+00:00",
    }
    created = client.post("/api/stories", json=body, headers=write)
    assert created.status_code == 201, created.get_json()
    story = created.get_json()
    assert story["original_url"] == ORIGINAL
    assert story["canonical_is_original"] is True
    read = client.get(f"/api/stories/{story['id']}", headers=write).get_json()
    assert (read["original_url"], read["canonical_is_original"]) == (ORIGINAL, True)
    patched = client.patch(
        f"/api/stories/{story['id']}",
        json={"canonical_is_original": False, "original_url": None},
        headers={**write, "If-Match": f'"story-{story["id"]}-1"'},
    )
    assert patched.status_code == 200, patched.get_json()
    assert (patched.get_json()["original_url"], patched.get_json()["canonical_is_original"]) == (
        None,
        False,
    )
    # A client that never heard of the fields gets the defaults.
    plain = client.post("/api/stories", json={**body, "slug": "plain"} | {
        "original_url": None, "canonical_is_original": False
    }, headers=write)  # fmt: skip
    assert plain.status_code == 201
    older = {k: v for k, v in body.items() if k not in ("original_url", "canonical_is_original")}
    made = client.post("/api/stories", json={**older, "slug": "older"}, headers=write).get_json()
    assert (made["original_url"], made["canonical_is_original"]) == (None, False)
    refused = client.post(
        "/api/stories", json={**body, "slug": "bad", "original_url": "javascript:x"}, headers=write
    )
    assert refused.status_code == 422
    assert {e["field"] for e in refused.get_json()["errors"]} == {"original_url"}


def test_revision_history_shows_a_change_of_origin(archive, client):
    first = archive.save(syndicated(), now=NOW)
    archive.save(
        first.replace(original_url=ORIGINAL, canonical_is_original=True),
        now=NOW,
        expected_revision=1,
    )
    history = client.get(first.path + "revisions/").get_data(as_text=True)
    assert "Original URL" in history
    assert ORIGINAL in history
    assert "named as canonical" in history
