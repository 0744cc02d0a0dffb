"""Corrections and updates as first-class records: each write's kind and note, stored with its
revision, printed on the story's page, re-announced in feeds (or not, for a minor edit), and
gathered in the site-wide corrections feed; revision pages that mark the words that changed.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import feedparser
import jsonschema
import lxml.html
import pytest
from lxml import etree

from archive import ChangeNote, InvalidStory
from archive.story.fields import MAX_CHANGE_NOTE_LENGTH
from service.feeds import renditions
from tests.support.api import assert_problem, create, story_json
from tests.support.pages import STORY, html_of, texts
from tests.support.paths import SCHEMAS
from tests.support.stories import NOW, make_story

ATOM = "{http://www.w3.org/2005/Atom}"
# A correction in Cyrillic, with a pound sign: notes are plain text in any script.
RUSSIAN_NOTE = "В предыдущей версии статьи неверно указана цена билета: £4.80, а не £4.50."
needs_schemas = pytest.mark.skipif(
    not (SCHEMAS / "atom.rng").exists(), reason="../shared/schemas is not beside this checkout"
)


def build(archive, settings, now):
    return renditions.rebuild_pending(archive, settings, now=now, everything=True)


def feed_body(archive, key) -> bytes:
    return archive.rendition(key).body


def entry_times(archive, story) -> dict[str, str]:
    """The story's entry's updated time in each format of the site feed."""
    atom = etree.fromstring(feed_body(archive, "latest.atom"))
    rss = etree.fromstring(feed_body(archive, "latest.rss"))
    items = json.loads(feed_body(archive, "latest.json"))["items"]
    [entry] = [e for e in atom.iter(f"{ATOM}entry") if e.findtext(f"{ATOM}id") == story.entry_id]
    [item] = [i for i in rss.iter("item") if i.findtext("guid") == story.entry_id]
    [feed_item] = [i for i in items if i["id"] == story.entry_id]
    return {
        "atom": entry.findtext(f"{ATOM}updated"),
        "rss": item.findtext(f"{ATOM}updated"),
        "json": feed_item["date_modified"],
    }


# Through the API: a correction on the page, in the corrections feed and in the revisions


def test_a_correction_through_the_api_reaches_the_page_the_feed_and_the_revisions(
    client, api_tokens, archive, settings
):
    created = create(client, api_tokens, body="<p>Tickets cost £4.50 each.</p>").get_json()
    response = client.patch(
        f"/api/stories/{created['id']}",
        json={
            "body": "<p>Tickets cost £4.80 each.</p>",
            "change_kind": "correction",
            "change_note": RUSSIAN_NOTE,
        },
        headers={**api_tokens["write"], "If-Match": f'"story-{created["id"]}-1"'},
    )
    assert response.status_code == 200, response.get_json()
    story = response.get_json()
    assert story["revision"] == 2

    page = html_of(client.get(story["path"]))
    [note] = texts(page, ".corrections .change-note.correction")
    assert note.startswith("Correction, ")
    assert note.endswith(f": {RUSSIAN_NOTE}")
    saved_at = page.cssselect(".corrections time")[0].get("datetime")

    revisions = client.get(f"/api/stories/{created['id']}/revisions").get_json()["revisions"]
    assert [(r["change_kind"], r["change_note"]) for r in revisions] == [
        (None, ""),
        ("correction", RUSSIAN_NOTE),
    ]
    assert revisions[1]["saved_at"] == saved_at
    listing = html_of(client.get(story["path"] + "revisions/"))
    newest = listing.cssselect("li.revision")[0]
    assert texts(newest, ".change-note") == [RUSSIAN_NOTE]
    assert texts(newest, ".change-kind") == ["Correction"]
    # Only the changed word is marked.
    assert texts(newest, ".removed del") == ["£4.50"]
    assert texts(newest, ".added ins") == ["£4.80"]

    build(archive, settings, NOW + timedelta(days=400))
    feed = feedparser.parse(feed_body(archive, "corrections.atom"))
    assert feed.bozo == 0, feed.get("bozo_exception")
    [entry] = feed.entries
    assert entry.summary == RUSSIAN_NOTE
    assert entry.title == "Correction: Harbour bridge reopens"
    # The corrected revision's page; RFC 5829: the revision it corrected, and the story now.
    permalink = f"https://news.example{story['path']}"
    assert entry.link == f"{permalink}revisions/2/"
    versions = {link.rel: link.href for link in entry.links if link.rel.endswith("-version")}
    assert versions == {
        "predecessor-version": f"{permalink}revisions/1/",
        "latest-version": permalink,
    }
    content = lxml.html.fragment_fromstring(entry.content[0].value, create_parent="div")
    assert [e.text for e in content.cssselect(".removed del")] == ["£4.50"]
    assert [e.text for e in content.cssselect(".added ins")] == ["£4.80"]
    assert entry.id == f"{story['entry_id']}/corrections/2"
    rss = feedparser.parse(feed_body(archive, "corrections.rss"))
    assert rss.bozo == 0
    assert [e.description for e in rss.entries] == [RUSSIAN_NOTE]
    items = json.loads(feed_body(archive, "corrections.json"))["items"]
    assert [i["summary"] for i in items] == [RUSSIAN_NOTE]


def test_change_fields_are_checked_like_every_other_field(client, api_tokens):
    created = create(client, api_tokens).get_json()
    headers = {**api_tokens["write"], "If-Match": f'"story-{created["id"]}-1"'}
    url = f"/api/stories/{created['id']}"
    too_long = "x" * (MAX_CHANGE_NOTE_LENGTH + 1)
    answer = client.patch(
        url, json={"dek": "New", "change_kind": "erratum", "change_note": too_long}, headers=headers
    )
    problem = assert_problem(answer, 422, "change_kind", "change_note")
    assert "erratum" in problem["detail"]
    assert "at most 1000" in problem["detail"]
    answer = client.patch(url, json={"dek": "New", "change_note": "bad\x07bell"}, headers=headers)
    assert "U+0007" in assert_problem(answer, 422, "change_note")["detail"]
    answer = client.patch(url, json={"dek": "New", "change_note": 7}, headers=headers)
    assert_problem(answer, 422, "change_note")
    # Nothing was written.
    assert client.get(url).get_json()["revision"] == 1


def test_an_edit_without_a_kind_is_an_update_and_a_new_story_has_none(client, api_tokens):
    created = create(client, api_tokens).get_json()
    client.patch(
        f"/api/stories/{created['id']}",
        json={"dek": "Three boats now sail until 2am."},
        headers={**api_tokens["write"], "If-Match": f'"story-{created["id"]}-1"'},
    )
    revisions = client.get(f"/api/stories/{created['id']}/revisions").get_json()["revisions"]
    assert [r["change_kind"] for r in revisions] == [None, "update"]
    sent = story_json(slug="other", change_kind="correction", change_note="First version.")
    other = client.post("/api/stories", json=sent, headers=api_tokens["write"]).get_json()
    [first] = client.get(f"/api/stories/{other['id']}/revisions").get_json()["revisions"]
    assert (first["change_kind"], first["change_note"]) == (None, "First version.")


def test_updated_at_never_goes_back_through_the_api(client, api_tokens):
    created = create(client, api_tokens, updated_at="2026-11-25T10:00:00+00:00").get_json()
    answer = client.patch(
        f"/api/stories/{created['id']}",
        json={"dek": "Late", "updated_at": "2026-11-24T10:00:00+00:00"},
        headers={**api_tokens["write"], "If-Match": f'"story-{created["id"]}-1"'},
    )
    problem = assert_problem(answer, 422, "updated_at")
    assert "earlier than the stored '2026-11-25T10:00:00+00:00'" in problem["detail"]
    assert client.get(f"/api/stories/{created['id']}").get_json()["revision"] == 1


# From a script


def test_a_minor_edit_keeps_the_entry_updated_time_and_an_update_moves_it(archive, settings):
    saved = archive.save(make_story(), now=NOW)
    build(archive, settings, NOW)
    first = entry_times(archive, saved)
    later = NOW + timedelta(hours=3)
    typo = archive.save(
        saved.replace(body_html="<p>The first bus crossed at dawn!</p>"),
        now=later,
        change=ChangeNote("minor"),
    )
    assert typo.revision == 2
    assert typo.updated_at == saved.updated_at
    build(archive, settings, later)
    assert entry_times(archive, typo) == first
    assert b"dawn!" in feed_body(archive, "latest.atom")  # the text is fixed all the same

    news = later + timedelta(hours=1)
    updated = archive.save(
        typo.replace(dek="The council adds a night bus."),
        now=news,
        change=ChangeNote("update", "Adds the council's night bus."),
    )
    build(archive, settings, news)
    assert entry_times(archive, updated) == dict.fromkeys(["atom", "rss", "json"], news.isoformat())
    # An update re-announces, but is no correction.
    assert feedparser.parse(feed_body(archive, "corrections.atom")).entries == []


def test_script_notes_are_printed_in_order_with_their_dates(archive, client):
    saved = archive.save(make_story(), now=NOW)
    corrected = archive.save(
        saved.replace(title="Harbour bridge reopens to buses"),
        now=NOW + timedelta(days=7),
        change=ChangeNote("correction", "An earlier version misstated who may cross."),
    )
    updated = archive.save(
        corrected.replace(dek="Cyclists may cross from March."),
        now=NOW + timedelta(days=8),
        change=ChangeNote("update", "This story was updated with the cycling date."),
    )
    archive.save(
        updated.replace(dek="Cyclists may cross from March"),
        now=NOW + timedelta(days=9),
        change=ChangeNote("minor", "Full stop."),
    )
    page = html_of(client.get(STORY))
    assert texts(page, ".corrections .change-note") == [
        "Correction, 1 December 2026: An earlier version misstated who may cross.",
        "Update, 2 December 2026: This story was updated with the cycling date.",
    ]


def test_a_bad_note_from_a_script_is_refused_naming_it_and_nothing_changes(archive):
    saved = archive.save(make_story(), now=NOW)
    with pytest.raises(InvalidStory) as refused:
        archive.save(
            saved.replace(dek="New", title=""),
            now=NOW + timedelta(hours=1),
            change=ChangeNote("typo", "x" * 1001),
        )
    fields = {problem.field for problem in refused.value.found}
    assert {"title", "change_kind", "change_note"} <= fields
    assert archive.get(saved.id).revision == 1


def test_updated_at_never_goes_back_from_a_script(archive):
    saved = archive.save(make_story(updated_at="2026-11-24T12:00:00+00:00"), now=NOW)
    with pytest.raises(InvalidStory, match="updated_at '2026-11-23T12:00:00\\+00:00' is earlier"):
        archive.save(
            saved.replace(dek="Back", updated_at=NOW - timedelta(days=1)), now=NOW, change=None
        )
    # Left out, it is the write's time, never earlier than the stored one.
    edited = archive.save(saved.replace(dek="On", updated_at=None), now=NOW - timedelta(days=2))
    assert edited.updated_at == saved.updated_at


# The corrections feed


@needs_schemas
def test_the_corrections_feed_validates_and_lists_newest_first(archive, settings):
    first = archive.save(make_story(), now=NOW)
    second = archive.save(make_story(title="Tram line opens", slug="tram"), now=NOW)
    archive.save(
        first.replace(dek="Fixed"),
        now=NOW + timedelta(hours=1),
        change=ChangeNote("correction", "The bridge is 2 km long, not 3 km."),
    )
    archive.save(
        second.replace(dek="Fixed"),
        now=NOW + timedelta(hours=2),
        change=ChangeNote("correction", "路线图已更正。"),
    )
    build(archive, settings, NOW + timedelta(hours=3))
    tree = etree.fromstring(feed_body(archive, "corrections.atom"))
    schema = etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng")))
    assert schema.validate(tree), schema.error_log
    summaries = [e.findtext(f"{ATOM}summary") for e in tree.iter(f"{ATOM}entry")]
    assert summaries == ["路线图已更正。", "The bridge is 2 km long, not 3 km."]
    json_schema = json.loads((SCHEMAS / "jsonfeed-1.1.schema.json").read_text())
    feed = json.loads(feed_body(archive, "corrections.json"))
    jsonschema.validate(feed, json_schema, format_checker=jsonschema.FormatChecker())
    assert feed["title"].endswith(": Corrections")
    # A withdrawn story's corrections leave with it.
    archive.withdraw(second.id, reason="Legal request", now=NOW + timedelta(hours=4))
    build(archive, settings, NOW + timedelta(hours=5))
    feed = json.loads(feed_body(archive, "corrections.json"))
    assert [i["summary"] for i in feed["items"]] == ["The bridge is 2 km long, not 3 km."]


def test_a_correction_queues_the_corrections_feed_and_a_typo_does_not(archive, settings):
    saved = archive.save(make_story(), now=NOW)
    build(archive, settings, NOW)
    archive.save(saved.replace(dek="x"), now=NOW, change=ChangeNote("minor"))
    assert renditions.FeedScope.parse("corrections") not in archive.pending_feed_changes()[1]
    build(archive, settings, NOW)
    archive.save(
        archive.get(saved.id).replace(dek="y"), now=NOW, change=ChangeNote("correction", "Y.")
    )
    assert renditions.FeedScope.parse("corrections") in archive.pending_feed_changes()[1]
    build(archive, settings, NOW)
    # A corrected story's new title reaches its corrections too.
    archive.save(archive.get(saved.id).replace(title="Renamed"), now=NOW)
    assert renditions.FeedScope.parse("corrections") in archive.pending_feed_changes()[1]


def test_the_corrections_feed_is_offered_in_the_directory_and_opml(archive, settings, client):
    archive.save(make_story(), now=NOW)
    build(archive, settings, NOW)
    listing = client.get("/feeds/").get_data(as_text=True)
    assert "https://news.example/feeds/corrections.atom" in listing
    opml = etree.fromstring(client.get("/feeds.opml").data)
    urls = [o.get("xmlUrl") for o in opml.iter("outline") if o.get("xmlUrl")]
    assert urls[:2] == [
        "https://news.example/feeds/latest.atom",
        "https://news.example/feeds/corrections.atom",
    ]
    assert client.get("/feeds/corrections.rss").status_code == 200


# Revision pages


def test_revision_pages_tell_address_and_date_changes_and_an_import(archive, client):
    saved = archive.save(make_story(), now=NOW)
    archive.save(
        saved.replace(slug="bridge-reopens", published_at=saved.published_at - timedelta(hours=1)),
        now=NOW + timedelta(hours=1),
        change=ChangeNote("minor", is_import=True),
    )
    page = html_of(client.get("/2014/02/24/bridge-reopens/revisions/"))
    newest = page.cssselect("li.revision")[0]
    assert "No visible changes." not in texts(newest, "p")
    sentences = texts(newest, ".change-sentence")
    assert sentences[0] == (
        "The address changed from /2014/02/24/harbour-bridge-reopens/ to "
        "/2014/02/24/bridge-reopens/."
    )
    assert sentences[1] == (
        "The publication date changed from 24 February 2014, 20:00 +04:00 to "
        "24 February 2014, 15:00 +00:00."
    )
    # One time per revision: the action and its time, never a second clock for the same moment.
    [meta] = texts(newest, ".meta")
    assert meta.startswith("Imported ")
    assert meta.endswith("Minor edit")
    assert len(newest.cssselect(".meta time")) == 1
    oldest = page.cssselect("li.revision")[1]
    [meta] = texts(oldest, ".meta")
    assert meta.startswith("Created ")
    assert len(oldest.cssselect("time")) == 1
    assert not page.cssselect(".received")
    one = html_of(client.get("/2014/02/24/bridge-reopens/revisions/2/"))
    assert "imported" in texts(one, ".notice")[0]


def test_word_diffs_keep_html_escaping(archive, client):
    saved = archive.save(make_story(body="<p>Use &lt;b&gt; for bold, says A&amp;B.</p>"), now=NOW)
    archive.save(
        saved.replace(body_html="<p>Use &lt;strong&gt; for bold, says A&amp;B.</p>"),
        now=NOW + timedelta(hours=1),
    )
    response = client.get(STORY + "revisions/")
    raw = response.get_data(as_text=True)
    assert "<b>" not in raw
    assert "<strong>" not in raw
    page = html_of(response)
    newest = page.cssselect("li.revision")[0]
    assert texts(newest, ".removed del") == ["<b>"]
    assert texts(newest, ".added ins") == ["<strong>"]
    assert texts(newest, ".added") == ["+ Added: Use inserted: <strong> for bold, says A&B."]


def test_a_huge_paragraph_rewritten_is_diffed_quickly(archive, client):
    # One paragraph of 100,000 words, rewritten: compared word by word it took 16.6 s here.
    before = " ".join(f"w{(i * 7919) % 20011}" for i in range(100_000))
    after = " ".join(f"w{(i * 104729) % 20011}" for i in range(100_000))
    saved = archive.save(make_story(body=f"<p>{before}</p>"), now=NOW)
    archive.save(saved.replace(body_html=f"<p>{after}</p>"), now=NOW + timedelta(hours=1))
    started = time.monotonic()
    response = client.get(STORY + "revisions/")
    assert response.status_code == 200
    assert time.monotonic() - started < 5
    newest = html_of(response).cssselect("li.revision")[0]
    assert len(newest.cssselect(".removed del")) == 1  # the paragraph, whole


def test_a_correction_after_a_draft_links_the_published_revision_it_corrected(archive, settings):
    story = archive.save(make_story(body="<p>The bridge is 3 km long.</p>"), now=NOW)
    draft = archive.save(
        story.replace(status="draft", title="Секрет"), now=NOW + timedelta(hours=1)
    )
    archive.save(
        draft.replace(
            status="published", title=story.title, body_html="<p>The bridge is 2 km long.</p>"
        ),
        now=NOW + timedelta(hours=2),
        change=ChangeNote("correction", "The bridge is 2 km long, not 3 km."),
    )
    build(archive, settings, NOW + timedelta(hours=3))
    tree = etree.fromstring(feed_body(archive, "corrections.atom"))
    [entry] = tree.iter(f"{ATOM}entry")
    # RFC 4287 4.2.7.2: a link without rel is the alternate.
    links = {
        link.get("rel", "alternate"): link.get("href") for link in entry.findall(f"{ATOM}link")
    }
    permalink = f"https://news.example{story.path}"
    # Revision 2 was a draft, never public: revision 1 is the one corrected.
    assert links["predecessor-version"] == f"{permalink}revisions/1/"
    assert links["latest-version"] == permalink
    assert links["alternate"] == f"{permalink}revisions/3/"
    content = entry.findtext(f"{ATOM}content")
    assert "<del>3</del>" in content
    assert "<ins>2</ins>" in content
    assert "Секрет" not in content
    rss = etree.fromstring(feed_body(archive, "corrections.rss"))
    rss_links = [link.get("rel") for link in rss.iter(f"{ATOM}link") if link.get("rel")]
    assert {"predecessor-version", "latest-version"} <= set(rss_links)
    item = json.loads(feed_body(archive, "corrections.json"))["items"][0]
    assert {"rel": "predecessor-version", "url": f"{permalink}revisions/1/"} in item["_masthead"][
        "links"
    ]
