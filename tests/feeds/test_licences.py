"""Licences as licences: a Creative Commons (or public domain) rights line keeps its licence URL,
licensor and attribution, and every surface (page, JSON-LD, Atom, RSS, JSON Feed) names the
licensor; where no holder is stated, every surface says so and never names the site."""

from __future__ import annotations

import json

import feedparser
import pytest

from archive import rights_holder, story_from_dict
from archive.ingest import formats as ingest
from archive.story.rights import asks_attribution, creative_commons_url, license_name, parse_rights
from tests.support.feeds import body, build, json_feed
from tests.support.pages import html_of, texts
from tests.support.stories import NOW

CODES = ["by", "by-sa", "by-nd", "by-nc", "by-nc-sa", "by-nc-nd"]
LONG = {
    "by": "Attribution",
    "by-sa": "Attribution-ShareAlike",
    "by-nd": "Attribution-NoDerivatives",
    "by-nc": "Attribution-NonCommercial",
    "by-nc-sa": "Attribution-NonCommercial-ShareAlike",
    "by-nc-nd": "Attribution-NonCommercial-NoDerivatives",
}
VERSIONS = ["1.0", "2.0", "2.5", "3.0", "4.0"]
CC = "https://creativecommons.org"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("code", CODES)
def test_every_creative_commons_licence_and_version_is_read(code, version):
    url = f"{CC}/licenses/{code}/{version}/"
    for line in (
        f"Licensed under CC {code.upper()} {version}.",
        f"This work is licensed under a Creative Commons {LONG[code]} {version} License.",
        f"Text: {url}",
    ):
        found = parse_rights(line)
        assert found["license_url"] == url, line
        assert license_name(url) == f"CC {code.upper()} {version}"
    assert asks_attribution(url)


@pytest.mark.parametrize(
    ("line", "url", "name"),
    [
        ("Released under CC0.", f"{CC}/publicdomain/zero/1.0/", "CC0 1.0"),
        ("Creative Commons Zero 1.0 Universal", f"{CC}/publicdomain/zero/1.0/", "CC0 1.0"),
        ("Public domain.", f"{CC}/publicdomain/mark/1.0/", "Public Domain Mark 1.0"),
        (
            "This work is in the public domain.",
            f"{CC}/publicdomain/mark/1.0/",
            "Public Domain Mark 1.0",
        ),
        (f"See {CC}/licenses/by-sa/3.0/de/", f"{CC}/licenses/by-sa/3.0/de/", "CC BY-SA 3.0 DE"),
    ],
)
def test_public_domain_dedications_and_ported_licences(line, url, name):
    assert creative_commons_url(line) == url
    assert license_name(url) == name
    assert asks_attribution(url) == name.startswith("CC BY")


@pytest.mark.parametrize(
    ("line", "licensor"),
    [
        ("Licensed under CC BY 4.0 by The Open Desk.", "The Open Desk"),
        ("© 2024 Ann Lee. Licensed under CC BY-SA 4.0.", "Ann Lee"),
        (
            "This work by Global Voices is licensed under a Creative Commons Attribution 3.0 "
            "Unported License.",
            "Global Voices",
        ),
        (
            "This article is republished from The Conversation under a Creative Commons "
            "Attribution-NoDerivatives 4.0 license.",
            "The Conversation",
        ),
        ("This article is licensed under a Creative Commons Attribution 4.0 License.", ""),
    ],
)
def test_the_licensor_is_read_from_the_line(line, licensor):
    assert parse_rights(line)["holder"] == licensor


def test_the_body_that_mentions_the_public_domain_is_not_a_licence():
    assert parse_rights("The data is in the public domain, she said.") is None


CC_ARTICLE = """Night ferries return to the northern islands

By Helen Marsh

After four years without them, islanders can again cross to the mainland after dark.

The night service was cut in 2020, when the operator lost two of its crews.

Originally published by The Open Desk.

This article is licensed under a Creative Commons Attribution 4.0 International License.
"""


def saved_cc_story(archive, **fields):
    [story] = ingest.stories_from(
        CC_ARTICLE, "text", defaults={"published_at": "2024-05-01T08:00:00Z"}
    )
    return archive.save(story.replace(**fields), now=NOW)


def test_a_licence_without_licensor_takes_the_originating_publisher_and_asks_attribution(archive):
    story = saved_cc_story(archive)
    assert story.rights.holder == "The Open Desk"
    assert story.rights.license_url == f"{CC}/licenses/by/4.0/"
    assert story.rights.attribution == (
        "“Night ferries return to the northern islands” by The Open Desk, licensed under "
        f"CC BY 4.0 ({CC}/licenses/by/4.0/)"
    )


def test_a_licence_without_publisher_takes_the_byline_as_licensor(archive):
    story = saved_cc_story(archive, publisher=None)
    assert story.rights.holder == "Helen Marsh"


def test_a_cc_by_story_names_its_licensor_on_every_surface_never_the_site(
    archive, client, settings
):
    story = saved_cc_story(archive)
    site = settings.site.rights_holder
    page = html_of(client.get(story.path))
    [license] = texts(page, ".rights .license")
    assert license == "Licensed under CC BY 4.0 by The Open Desk."
    [link] = page.cssselect(".rights a[rel=license]")
    assert link.get("href") == f"{CC}/licenses/by/4.0/"
    assert texts(page, ".rights-holder") == ["Rights holder: The Open Desk"]
    assert "“Night ferries return" in texts(page, ".attribution-text")[0]
    assert site not in page.cssselect(".rights")[0].text_content()

    article = json.loads(page.cssselect('script[type="application/ld+json"]')[0].text)
    assert article["license"] == f"{CC}/licenses/by/4.0/"
    assert article["copyrightHolder"] == {"@type": "Organization", "name": "The Open Desk"}
    assert article["author"] == [
        {
            "@type": "Person",
            "name": "Helen Marsh",
            "url": "https://news.example/authors/helen-marsh/",
        }
    ]

    build(archive, settings)
    atom = feedparser.parse(body(archive, "latest.atom"))
    [entry] = atom.entries
    assert [link.href for link in entry.links if link.rel == "license"] == [
        f"{CC}/licenses/by/4.0/"
    ]
    assert site not in entry.rights
    rss = feedparser.parse(body(archive, "latest.rss"))
    assert rss.bozo == 0
    assert rss.entries[0].license == f"{CC}/licenses/by/4.0/"
    item = json_feed(archive, "latest.json")["items"][0]
    assert item["_masthead"]["rights"]["holder"] == "The Open Desk"
    assert item["_masthead"]["rights"]["license_url"] == f"{CC}/licenses/by/4.0/"


def syndicated_without_rights(**fields):
    shape = {
        "title": "Wire copy without a rights line",
        "body": "<p>The ferry sailed.</p>",
        "authors": [{"name": "Reuters", "kind": "organization"}],
        "published_at": "2024-05-01T08:00:00Z",
        **fields,
    }
    return story_from_dict(shape)


@pytest.mark.parametrize("withdrawn", [False, True])
def test_a_holder_not_stated_is_said_so_on_every_surface(archive, client, settings, withdrawn):
    story = archive.save(syndicated_without_rights(), now=NOW)
    site = settings.site.rights_holder
    assert rights_holder(story, own_holder=site) == ""
    if withdrawn:
        archive.withdraw(story.id, reason="Legal advice.", now=NOW)
    page = html_of(client.get(story.path))
    assert texts(page, ".rights-holder") == ["Rights holder: not stated"]
    assert site not in page.cssselect(".rights")[0].text_content()
    if withdrawn:
        return
    article = json.loads(page.cssselect('script[type="application/ld+json"]')[0].text)
    assert "copyrightHolder" not in article
    assert article["copyrightNotice"] == "Rights holder not stated."
    assert article["author"] == [
        {"@type": "Organization", "name": "Reuters", "url": "https://news.example/authors/reuters/"}
    ]
    build(archive, settings)
    for fmt in ("atom", "rss"):
        entry = feedparser.parse(body(archive, f"latest.{fmt}")).entries[0]
        assert entry.get("rights", entry.get("dc_rights")) == "Rights holder not stated."
    assert json_feed(archive, "latest.json")["items"][0]["_masthead"]["rights"]["holder"] is None


def test_the_sites_own_story_without_rights_is_the_sites(archive, client, settings):
    story = archive.save(syndicated_without_rights(authors=[{"name": "Helen Marsh"}]), now=NOW)
    page = html_of(client.get(story.path))
    assert texts(page, ".rights-holder") == [f"Rights holder: {settings.site.rights_holder}"]


@pytest.mark.parametrize(
    ("fields", "author"),
    [
        (
            {},
            {
                "@type": "Organization",
                "name": "Masthead Demo Gazette",
                "url": "https://news.example",
            },
        ),
        (
            {"publisher": {"name": "Agence Demo", "url": "https://agence.example/"}},
            {"@type": "Organization", "name": "Agence Demo", "url": "https://agence.example/"},
        ),
    ],
)
def test_json_ld_always_names_an_author(archive, client, fields, author):
    story = archive.save(syndicated_without_rights(authors=[], **fields), now=NOW)
    page = html_of(client.get(story.path))
    article = json.loads(page.cssselect('script[type="application/ld+json"]')[0].text)
    assert article["author"] == [author]
