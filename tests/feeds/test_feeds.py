"""Feeds checked by real consumers: feedparser, lxml with the Atom schema, a JSON Feed schema."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta, timezone

import jsonschema
import pytest
from lxml import etree

from archive import InvalidStory
from archive.ingest import formats as ingest
from service.feeds import renditions
from tests.support.feeds import (
    ATOM,
    TOMBSTONES,
    atom_tree,
    body,
    build,
    json_feed,
    links_of,
    needs_schemas,
    parsed,
)
from tests.support.paths import CORPUS, SCHEMAS
from tests.support.stories import NOW, SYNDICATED, make_story

MEDIA = "{http://search.yahoo.com/mrss/}"
CEREMONY = CORPUS / "closing-ceremony.txt"
needs_corpus = pytest.mark.skipif(
    not CEREMONY.exists(), reason="../shared/corpus is not beside this checkout"
)
FORMATS = ["atom", "rss", "json"]


@pytest.fixture
def two_stories(archive, settings):
    older = archive.save(
        make_story(SYNDICATED, slug="older", published_at="2026-11-19T09:00:00Z"), now=NOW
    )
    newer = archive.save(make_story(SYNDICATED, title="Tram line opens", slug="tram"), now=NOW)
    build(archive, settings)
    return older, newer


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_xml_feeds_parse_in_feedparser_with_every_field(archive, settings, two_stories, fmt):
    older, newer = two_stories
    feed = parsed(archive, f"latest.{fmt}")
    assert feed.feed.title == "Masthead Demo Gazette"
    assert [e.id for e in feed.entries] == [newer.entry_id, older.entry_id]  # newest first
    entry = feed.entries[0]
    assert entry.link == "https://news.example/2026/11/20/tram/"
    assert entry.title == "Tram line opens"
    assert entry.summary == "The bridge reopened after two years."
    assert [a.name for a in entry.authors] == ["Helen Marsh", "Ravi Patel"]
    assert {t.term for t in entry.tags} >= {"transport"}
    assert entry.published_parsed[:5] == (2026, 11, 20, 9, 0)
    assert entry.updated_parsed is not None
    assert "Lena Ortiz / Masthead" in [c["content"] for c in entry.media_credit]
    assert entry.media_content[0]["url"] == "https://images.example/bridge.jpg"
    # Relative links in bodies are made absolute against the site's base URL.
    assert 'href="https://news.example/2014/01/01/earlier/"' in entry.content[0].value


def test_rss_guid_is_the_tag_uri_not_a_permalink(archive, settings, two_stories):
    channel = etree.fromstring(body(archive, "latest.rss")).find("channel")
    guid = channel.find("item/guid")
    assert guid.text == two_stories[1].entry_id
    assert guid.get("isPermaLink") == "false"
    assert channel.findtext("ttl") == str(settings.feeds.rebuild_minutes)
    dc = "{http://purl.org/dc/elements/1.1/}"
    assert [c.text for c in channel.find("item").iter(f"{dc}creator")] == [
        "Helen Marsh",
        "Ravi Patel",
    ]
    assert channel.find("item").findtext(f"{dc}rights") == "This work is licensed under CC BY 4.0."
    assert channel.find("item").findtext(f"{dc}publisher") == "Agence Demo"
    # RSS takes the channel <link> from the last link added: it must be the site, not self.
    assert channel.findtext("link") == "https://news.example/"


@needs_schemas
@pytest.mark.parametrize(
    "key", ["latest.atom", "sections/city/latest.atom", "archive/2026/11.atom"]
)
def test_atom_feeds_validate_against_the_atom_schema(archive, settings, two_stories, key):
    archive.withdraw(two_stories[0].id, reason="Legal request", now=NOW)
    build(archive, settings)
    schema = etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng")))
    tree = atom_tree(archive, key)
    assert schema.validate(tree), schema.error_log
    # The schema accepts zone-less dates; RFC 4287 3.3 does not.
    for element in tree.iter(f"{ATOM}updated", f"{ATOM}published"):
        assert element.text.endswith("+00:00"), element.text


def test_atom_entry_links_keep_their_relations(archive, settings, two_stories):
    # feedgen 1.0.0 drops rel from entry links (its issue #135): one alternate, one licence.
    entry = atom_tree(archive, "latest.atom").find(f"{ATOM}entry")
    links = [
        (link.get("rel", "alternate"), link.get("href")) for link in entry.findall(f"{ATOM}link")
    ]
    assert links == [
        ("alternate", "https://news.example/2026/11/20/tram/"),
        ("license", "https://creativecommons.org/licenses/by/4.0/"),
    ]
    assert entry.findtext(f"{ATOM}rights") == "This work is licensed under CC BY 4.0."
    assert entry.find(f"{ATOM}source/{ATOM}title").text == "Agence Demo"


@needs_schemas
@pytest.mark.parametrize(
    "key", ["latest.json", "tags/transport/latest.json", "archive/2026/11.json"]
)
def test_json_feeds_validate_against_the_json_feed_schema(archive, settings, two_stories, key):
    schema = json.loads((SCHEMAS / "jsonfeed-1.1.schema.json").read_text())
    feed = json_feed(archive, key)
    jsonschema.validate(feed, schema, format_checker=jsonschema.FormatChecker())
    item = feed["items"][0]
    assert item["id"] == two_stories[1].entry_id
    assert [a["name"] for a in item["authors"]] == ["Helen Marsh", "Ravi Patel"]
    assert item["image"] == "https://images.example/bridge.jpg"
    assert item["_masthead"]["credits"][0]["credit"] == "Lena Ortiz / Masthead"
    assert item["_masthead"]["rights"]["license_url"].startswith("https://creativecommons.org/")


@needs_schemas
def test_json_feed_schema_check_catches_a_zoneless_date():
    # Guards the test above: format checking must really be on.
    schema = json.loads((SCHEMAS / "jsonfeed-1.1.schema.json").read_text())
    bad = {"version": "https://jsonfeed.org/version/1.1", "title": "x", "items": []}
    bad["items"].append({"id": "1", "content_text": "x", "date_published": "2026-11-20T09:00:00"})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema, format_checker=jsonschema.FormatChecker())


@needs_corpus
def test_corpus_credit_caption_and_rights_reach_every_format(archive, settings):
    (story,) = ingest.read_file(
        CEREMONY, defaults={"published_at": "2014-02-24T20:00:00+04:00", "section": "sport"}
    )
    archive.save(story, now=NOW)
    build(archive, settings)
    credit, caption = "Alexander Vilf / RIA Novosti", "The closing ceremony of the XXII Olympic"
    rights = "All rights reserved by Rossiyskaya Gazeta."
    for fmt in ("atom", "rss"):
        entry = parsed(archive, f"sections/sport/latest.{fmt}").entries[0]
        # Media RSS describes a picture the feed carries: the seed's photo has no URL.
        assert "media_credit" not in entry
        assert list(etree.fromstring(body(archive, f"latest.{fmt}")).iter(f"{MEDIA}credit")) == []
        assert entry.get("rights", entry.get("dc_rights")) == rights
        assert "cookie" not in entry.content[0].value.lower()
    item = json_feed(archive, "sections/sport/latest.json")["items"][0]
    assert item["_masthead"]["credits"][0]["credit"] == credit
    assert item["_masthead"]["credits"][0]["caption"].startswith(caption)
    assert item["_masthead"]["rights"] == {
        "holder": "Rossiyskaya Gazeta",
        "statement": rights,
        "license_url": None,
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_edited_story_keeps_its_id_when_slug_and_title_change(archive, settings, fmt):
    saved = archive.save(make_story(SYNDICATED), now=NOW)
    build(archive, settings)
    archive.save(saved.replace(slug="bridge-open", title="Bridge open"), now=NOW + timedelta(1))
    build(archive, settings, now=NOW + timedelta(1))
    if fmt == "json":
        (item,) = json_feed(archive, "latest.json")["items"]
        assert (item["id"], item["title"]) == (saved.entry_id, "Bridge open")
        assert item["url"].endswith("/bridge-open/")
    else:
        (entry,) = parsed(archive, f"latest.{fmt}").entries
        assert (entry.id, entry.title) == (saved.entry_id, "Bridge open")
        assert entry.link.endswith("/bridge-open/")


def test_unchanged_rebuild_keeps_bytes_etag_and_build_time(archive, settings, two_stories):
    before = {info.key: info for info in archive.renditions()}
    later = NOW + timedelta(hours=3)
    assert renditions.rebuild(archive, settings, now=later).changed == []
    # Forget what every feed was built from: all are built again, to the very same bytes.
    archive.db.execute("UPDATE renditions SET inputs = ''")
    assert renditions.rebuild(archive, settings, now=later).changed == []
    after = {info.key: info for info in archive.renditions()}
    assert after == before
    # The build time is not in the bytes (it would change them on every rebuild).
    assert later.isoformat(timespec="minutes")[:16] not in body(archive, "latest.atom").decode()


def test_changed_story_changes_the_etag(archive, settings, two_stories):
    etag = archive.rendition("latest.atom").etag
    archive.save(two_stories[1].replace(title="Tram line opens early"), now=NOW)
    assert "latest.atom" in build(archive, settings)
    assert archive.rendition("latest.atom").etag != etag


def test_a_write_rebuilds_only_the_feeds_its_story_belongs_to(archive, settings, two_stories):
    other = archive.save(
        make_story(
            SYNDICATED, slug="concert", section="Culture", tags=["music"], authors=["Priya Nair"]
        ),
        now=NOW,
    )
    changed = renditions.rebuild_pending(archive, settings, now=NOW)
    scopes = {key.rsplit(".", 1)[0].removesuffix("/latest") for key in changed}
    assert scopes == {
        "latest",
        "sections/culture",
        "tags/music",
        "authors/priya-nair",
        "archive/2026/11",
    }
    assert other.entry_id in body(archive, "authors/priya-nair/latest.atom").decode()
    assert other.entry_id not in body(archive, "sections/city/latest.atom").decode()


def test_moving_a_story_to_another_section_rebuilds_the_old_one_too(archive, settings):
    saved = archive.save(make_story(SYNDICATED), now=NOW)
    build(archive, settings)
    archive.save(saved.replace(section="Transport"), now=NOW)
    build(archive, settings)
    assert saved.entry_id not in body(archive, "sections/city/latest.atom").decode()
    assert saved.entry_id in body(archive, "sections/transport/latest.atom").decode()


@pytest.mark.parametrize("fmt", FORMATS)
def test_policy_none_never_appears_and_summary_has_no_body(archive, settings, fmt):
    archive.save(
        make_story(SYNDICATED, slug="secret", title="Not for syndication", syndication="none"),
        now=NOW,
    )
    archive.save(
        make_story(SYNDICATED, slug="teaser", title="Summary only", syndication="summary"), now=NOW
    )
    build(archive, settings)
    text = body(archive, f"latest.{fmt}").decode()
    assert "Not for syndication" not in text
    assert "The first bus crossed" not in text
    if fmt == "json":
        (item,) = json_feed(archive, "latest.json")["items"]
        assert item["title"] == "Summary only"
        assert "content_html" not in item
    else:
        (entry,) = parsed(archive, f"latest.{fmt}").entries
        assert entry.title == "Summary only"
        # Only the image caption (feedparser's reading of media:description), no body.
        assert [c.value for c in entry.get("content", [])] == ["The bridge at dawn."]


def test_embargoed_story_appears_exactly_when_its_time_comes(archive, settings):
    embargo = NOW + timedelta(hours=2)
    story = archive.save(
        make_story(
            SYNDICATED, status="scheduled", embargo_at=embargo.isoformat(), published_at=None
        ),
        now=NOW,
    )
    build(archive, settings, now=NOW)
    assert parsed(archive, "latest.atom").entries == []
    build(archive, settings, now=embargo - timedelta(seconds=1))
    assert parsed(archive, "latest.atom").entries == []
    build(archive, settings, now=embargo)
    (entry,) = parsed(archive, "latest.atom").entries
    assert entry.id == archive.get(story.id).entry_id
    assert entry.published_parsed[:6] == embargo.timetuple()[:6]


def test_withdrawn_story_leaves_feeds_and_leaves_an_atom_tombstone(archive, settings, two_stories):
    older, newer = two_stories
    withdrawn_at = NOW + timedelta(days=1)
    archive.withdraw(older.id, reason="Legal request", now=withdrawn_at)
    build(archive, settings, now=withdrawn_at)
    for fmt in FORMATS:
        assert older.entry_id not in _entry_ids(archive, f"latest.{fmt}")
        assert newer.entry_id in _entry_ids(archive, f"latest.{fmt}")
    (tombstone,) = atom_tree(archive, "sections/city/latest.atom").iter(
        f"{TOMBSTONES}deleted-entry"
    )
    assert tombstone.get("ref") == older.entry_id
    assert tombstone.get("when") == withdrawn_at.isoformat()
    assert tombstone.findtext(f"{TOMBSTONES}comment") == "Legal request"
    # RFC 6721 tombstones stay 30 days, then the rebuild drops them.
    renditions.rebuild(archive, settings, now=withdrawn_at + timedelta(days=31))
    assert list(atom_tree(archive, "latest.atom").iter(f"{TOMBSTONES}deleted-entry")) == []


def _entry_ids(archive, key):
    if key.endswith(".json"):
        return [item["id"] for item in json_feed(archive, key)["items"]]
    return [entry.id for entry in parsed(archive, key).entries]


def test_forbidden_characters_and_scripts_never_reach_a_feed(archive, settings):
    with pytest.raises(InvalidStory, match=r"title contains the control character U\+0007"):
        archive.save(make_story(SYNDICATED, title="Bell\x07 rings\x0b twice"), now=NOW)
    saved = archive.save(
        make_story(
            SYNDICATED,
            title="Bell rings twice",
            body='<p onclick="steal()">Hi<script>alert(1)</script>'
            '<a href="javascript:alert(2)">x</a> <img src="/pics/a.jpg"></p>',
        ),
        now=NOW,
    )
    # An archive written before the gate refused them may still hold such characters.
    with archive.db.conn:
        archive.db.execute(
            "UPDATE stories SET title = ? WHERE id = ?", ["Bell\x07 rings\x0b twice", saved.id]
        )
    build(archive, settings)
    for fmt in ("atom", "rss"):
        entry = parsed(archive, f"latest.{fmt}").entries[0]
        assert entry.title == "Bell rings twice"
        html = entry.content[0].value
        assert "script" not in html
        assert "onclick" not in html
        assert "javascript:" not in html
        assert 'src="https://news.example/pics/a.jpg"' in html
    assert json_feed(archive, "latest.json")["items"][0]["title"] == "Bell rings twice"


def test_feed_level_metadata(archive, settings, two_stories):
    feed = atom_tree(archive, "latest.atom")
    links = links_of(feed)
    assert links["self"] == "https://news.example/feeds/latest.atom"
    assert links["alternate"] == "https://news.example/"
    # RFC 5005 4: both stories are of the month in progress, which is no archive document yet.
    assert "prev-archive" not in links
    assert feed.findtext(f"{ATOM}updated") == two_stories[1].updated_at.isoformat()
    assert feed.findtext(f"{ATOM}generator") == "Masthead"
    assert feed.findtext(f"{ATOM}rights") == settings.site.rights
    assert feed.findtext(f"{ATOM}icon") == "https://news.example/static/icon.png"
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"


def test_feed_request_answers_stored_bytes_with_validators(archive, settings, client, two_stories):
    stored = archive.rendition("latest.atom")
    response = client.get("/feeds/latest.atom")
    assert response.status_code == 200
    assert response.content_type == "application/atom+xml; charset=utf-8"
    assert response.data == stored.body
    assert response.headers["ETag"] == f'"{stored.etag}"'
    assert response.headers["Cache-Control"] == "public, max-age=600"
    again = client.get("/feeds/latest.atom", headers={"If-None-Match": response.headers["ETag"]})
    assert (again.status_code, again.data) == (304, b"")
    zipped = client.get("/feeds/latest.atom", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == stored.body


def test_unknown_feed_is_a_short_404(client):
    response = client.get("/feeds/sections/nowhere/latest.atom")
    assert response.status_code == 404
    assert response.content_type.startswith("text/plain")
    assert "/feeds/" in response.get_data(as_text=True)


def test_a_worker_serves_a_rebuilt_feed_at_once(archive, settings, client, two_stories):
    before = client.get("/feeds/latest.json")
    archive.save(make_story(SYNDICATED, slug="ferry", title="Ferry returns"), now=NOW)
    build(archive, settings)
    after = client.get("/feeds/latest.json")
    assert after.headers["ETag"] != before.headers["ETag"]
    assert "Ferry returns" in after.get_data(as_text=True)


def test_tombstone_window_holds_whatever_zone_now_is_given_in(archive, settings, two_stories):
    withdrawn_at = NOW + timedelta(days=1)
    archive.withdraw(two_stories[0].id, reason="Legal request", now=withdrawn_at)
    # An hour before the 30-day window closes, told in a zone whose clock reads a day ahead.
    later = (withdrawn_at + timedelta(days=29, hours=23)).astimezone(timezone(timedelta(hours=14)))
    renditions.rebuild(archive, settings, now=later)
    tombstones = atom_tree(archive, "latest.atom").iter(f"{TOMBSTONES}deleted-entry")
    assert [t.get("ref") for t in tombstones] == [two_stories[0].entry_id]
