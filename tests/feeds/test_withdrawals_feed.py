"""The withdrawals feed lists every story that was published and is not now, with when and why
it went, for good; every feed declares only the namespaces it uses (strict validators warn of
one declared in vain)."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import feedparser
import jsonschema
import pytest
from lxml import etree

from service.feeds import renditions
from tests.support.feeds import ATOM, build, needs_schemas
from tests.support.paths import SCHEMAS
from tests.support.stories import NOW, SYNDICATED, make_story

TOMBSTONES_NS = "http://purl.org/atompub/tombstones/1.0"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
MEDIA_NS = "http://search.yahoo.com/mrss/"
CC_NS = "http://backend.userland.com/creativeCommonsRssModule"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"


@pytest.fixture
def gone(archive, settings):
    """Three stories: one withdrawn, one sent back to draft (both later), one live."""
    withdrawn = archive.save(
        make_story(
            SYNDICATED, title="Quarry plan", slug="quarry", published_at="2026-10-02T09:00:00Z"
        ),
        now=NOW - timedelta(days=60),
    )
    unpublished = archive.save(
        make_story(
            SYNDICATED, title="Ферма на берегу", slug="ferma", language="ru", tags=["Ферма"]
        ),
        now=NOW - timedelta(days=3),
    )
    live = archive.save(make_story(SYNDICATED, title="Tram line opens", slug="tram"), now=NOW)
    archive.withdraw(withdrawn.id, reason="Legal request <b>", now=NOW + timedelta(hours=1))
    archive.save(
        unpublished.replace(status="draft", title="Secret rework"), now=NOW + timedelta(hours=2)
    )
    build(archive, settings, now=NOW + timedelta(hours=3))
    return withdrawn, unpublished, live


def test_withdrawals_feed_lists_every_withdrawal_with_reason_and_date(archive, gone):
    withdrawn, unpublished, _live = gone
    for fmt in ("atom", "rss"):
        feed = feedparser.parse(archive.rendition(f"withdrawals.{fmt}").body)
        assert feed.bozo == 0
        assert feed.feed.title == "Masthead Demo Gazette: Withdrawals"
        assert [entry.title for entry in feed.entries] == [
            "Withdrawn: Ферма на берегу",
            "Withdrawn: Quarry plan",
        ]
        newest, oldest = feed.entries
        assert oldest.link == f"https://news.example{withdrawn.path}"
        assert oldest.summary.startswith("Legal request")
        assert oldest.published_parsed[:5] == (NOW + timedelta(hours=1)).timetuple()[:5]
        assert newest.link == f"https://news.example{unpublished.path}"
        assert oldest.id.startswith(f"{withdrawn.entry_id}/withdrawals/")
        assert "Secret" not in archive.rendition(f"withdrawals.{fmt}").body.decode()
    tree = etree.fromstring(archive.rendition("withdrawals.atom").body)
    # The reason is text: its "<b>" is those characters, never markup.
    summaries = [entry.findtext(f"{ATOM}summary") for entry in tree.iter(f"{ATOM}entry")]
    assert summaries == ["No longer published.", "Legal request <b>"]
    items = json.loads(archive.rendition("withdrawals.json").body)["items"]
    assert [item["url"] for item in items] == [
        f"https://news.example{unpublished.path}",
        f"https://news.example{withdrawn.path}",
    ]


def test_withdrawal_entry_stays_while_the_story_is_out_and_leaves_when_it_returns(
    archive, settings, gone
):
    withdrawn, unpublished, _live = gone
    first = feedparser.parse(archive.rendition("withdrawals.atom").body).entries[0].id
    draft = archive.get(unpublished.id)
    # More work on the draft: the withdrawal is the same one (same entry id).
    archive.save(draft.replace(title="Secret rework again"), now=NOW + timedelta(days=1))
    build(archive, settings, now=NOW + timedelta(days=1))
    assert feedparser.parse(archive.rendition("withdrawals.atom").body).entries[0].id == first
    # Published again, it leaves the withdrawals feed; a withdrawal is kept past 30 days.
    archive.save(
        archive.get(unpublished.id).replace(status="published"), now=NOW + timedelta(days=40)
    )
    build(archive, settings, now=NOW + timedelta(days=40))
    entries = feedparser.parse(archive.rendition("withdrawals.atom").body).entries
    assert [entry.link for entry in entries] == [f"https://news.example{withdrawn.path}"]


@needs_schemas
def test_withdrawals_feeds_validate(archive, gone):
    schema = etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng")))
    tree = etree.fromstring(archive.rendition("withdrawals.atom").body)
    assert schema.validate(tree), schema.error_log
    assert tree.find(f"{ATOM}entry/{ATOM}content").get("type") == "html"
    feed_schema = json.loads((SCHEMAS / "jsonfeed-1.1.schema.json").read_text())
    feed = json.loads(archive.rendition("withdrawals.json").body)
    jsonschema.validate(feed, feed_schema, format_checker=jsonschema.FormatChecker())


def test_withdrawals_feed_is_offered_with_the_site_feeds(archive, client, gone):
    page = client.get("/feeds/").get_data(as_text=True)
    assert "/feeds/withdrawals.atom" in page
    assert b"/feeds/withdrawals.atom" in client.get("/feeds.opml").data
    assert client.get("/feeds/withdrawals.rss").status_code == 200


def used_namespaces(tree) -> set[str]:
    """The namespaces of the elements and attributes a document holds."""
    found = set()
    for element in tree.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            found.add(element.tag[1:].split("}")[0])
        found |= {name[1:].split("}")[0] for name in element.attrib if name.startswith("{")}
    return found


def declared_namespaces(body: bytes) -> set[str]:
    """Every namespace a document declares, on any element."""
    declared = set()
    for _event, (_prefix, uri) in etree.iterparse(io.BytesIO(body), events=("start-ns",)):
        declared.add(uri)
    return declared


def test_every_feed_declares_only_the_namespaces_it_uses(archive, gone):
    keys = [info.key for info in archive.renditions() if not info.key.endswith(".json")]
    assert {"latest.atom", "archive/2026/10.atom", "withdrawals.rss"} <= set(keys)
    for key in keys:
        body = archive.rendition(key).body
        unused = declared_namespaces(body) - used_namespaces(etree.fromstring(body))
        # feedgen declares RSS's content module on every channel; validators know it.
        unused.discard(CONTENT_NS)
        assert not unused, f"{key} declares {unused} and uses none of it"
    # Where they are used, they are declared: the tombstones, the archive mark, the licence.
    october = archive.rendition("archive/2026/10.atom").body
    assert {TOMBSTONES_NS, HISTORY_NS} <= declared_namespaces(october)
    assert TOMBSTONES_NS not in declared_namespaces(archive.rendition("withdrawals.atom").body)
    assert CC_NS in declared_namespaces(archive.rendition("latest.rss").body)
    assert MEDIA_NS in declared_namespaces(archive.rendition("latest.atom").body)


def test_a_closed_month_keeps_its_bytes_when_nothing_of_it_changes(archive, settings, gone):
    october = archive.rendition("archive/2026/10.atom")
    build(archive, settings, now=NOW + timedelta(days=2))
    renditions.rebuild(archive, settings, now=NOW + timedelta(days=2))
    kept = archive.rendition("archive/2026/10.atom")
    assert (kept.etag, kept.built_at) == (october.etag, october.built_at)
