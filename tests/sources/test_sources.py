"""Sources: partner feeds (Atom, RSS, JSON Feed) and ninjs items served from 127.0.0.1 become
stories with their origin, rights and bylines; changes are revisions, tombstones withdrawals,
and the second poll is conditional."""

from __future__ import annotations

import json
from datetime import timedelta

import feedparser
import pytest

from archive.db import sources as store
from service.sources import poller
from tests.support.source_server import Page, SourceServer
from tests.support.stories import NOW

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"
      xmlns:at="http://purl.org/atompub/tombstones/1.0" xml:lang="ru">
  <title>Партнёрская газета</title>
  <id>urn:uuid:partner</id>
  <link href="https://partner.example/"/>
  <rights>© 2026 Partner Gazette. All rights reserved.</rights>
  <updated>2026-11-24T10:00:00-05:00</updated>
  {entries}
</feed>"""
ATOM_ENTRY = """<entry>
    <title>{title}</title>
    <id>tag:partner.example,2026:{key}</id>
    <link href="https://partner.example/{key}"/>
    <author><name>Анна Петрова</name></author>
    <author><name>John Smith</name></author>
    <published>2026-11-24T09:00:00-05:00</published>
    <updated>{updated}</updated>
    <content type="html">&lt;p&gt;{text} &lt;a href="/more/{key}"&gt;more&lt;/a&gt;&lt;/p&gt;
    </content>
    <media:content url="https://partner.example/{key}.jpg" type="image/jpeg"/>
    <media:credit role="photographer">Alexander Vilf / RIA Novosti</media:credit>
  </entry>"""

RSS = """<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Wire Daily</title>
  <link>https://wire.example/</link>
  <description>Wire</description>
  <copyright>© 2026 Wire Daily</copyright>
  <item>
    <title>Harbour reopens</title>
    <guid isPermaLink="false">wire-1</guid>
    <link>https://wire.example/harbour</link>
    <dc:creator>Maria Lopez</dc:creator>
    <dc:rights>CC BY 4.0 Wire Daily</dc:rights>
    <pubDate>Tue, 24 Nov 2026 08:30:00 -0800</pubDate>
    <description>&lt;p&gt;The harbour reopened.&lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;
    </description>
  </item>
</channel>
</rss>"""

JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "JSON Partner",
    "home_page_url": "https://json.example/",
    "language": "ar",
    "authors": [{"name": "مكتب الأخبار"}],
    "items": [
        {
            "id": "json-1",
            "url": "https://json.example/story/1",
            "title": "خبر عاجل",
            "content_html": '<p>نص الخبر <img src="/img/1.png"></p>',
            "date_published": "2026-11-24T14:00:00+03:00",
        }
    ],
}

NINJS = [
    {
        "uri": "http://agency.example/items/1",
        "type": "text",
        "versionCreated": "2026-11-24T12:00:00+09:00",
        "firstCreated": "2026-11-24T11:00:00+09:00",
        "by": "Kenji Sato",
        "language": "ja",
        "headlines": [{"role": "main", "value": "東京で会議"}],
        "bodies": [{"role": "richtext", "contentType": "text/html", "value": "<p>本文です。</p>"}],
        "copyrightNotice": "© 2026 Agency Press",
        "usageTerms": "For subscribers only.",
        "infoSources": [{"name": "Agency Press", "role": "originator"}],
    }
]


def atom(*entries: tuple[str, str, str, str], tombstone: str = "") -> bytes:
    parts = [
        ATOM_ENTRY.format(key=key, title=title, text=text, updated=updated)
        for key, title, text, updated in entries
    ]
    if tombstone:
        parts.append(
            f'<at:deleted-entry ref="tag:partner.example,2026:{tombstone}" '
            'when="2026-11-24T12:00:00Z"/>'
        )
    return ATOM.format(entries="\n".join(parts)).encode()


@pytest.fixture
def source_settings(make_settings):
    # The partner's server is on 127.0.0.1: allowed here, refused by default.
    return make_settings(sources={"allow_private": True, "timeout_seconds": 2, "fetch_seconds": 5})


@pytest.fixture
def server():
    with SourceServer() as running:
        yield running


def add(settings, url: str, **options):
    from service.archive_access import open_for

    with open_for(settings) as archive:
        return store.add_source(archive.db, url, now=NOW, interval_seconds=300, **options)


def stories_of(settings, slug: str):
    from service.archive_access import open_for

    with open_for(settings) as archive:
        source = store.get_source(archive.db, slug)
        return [archive.get(i) for i in store.story_ids_of(archive.db, source)], source


def test_four_kinds_of_source_become_stories_with_origin_rights_and_bylines(
    source_settings, server
):
    server.pages["/feed.atom"] = Page(
        atom(("one", "Первая", "Текст", "2026-11-24T09:30:00-05:00")),
        "application/atom+xml",
    )
    server.pages["/feed.rss"] = Page(RSS.encode(), "application/rss+xml")
    server.pages["/feed.json"] = Page(json.dumps(JSON_FEED).encode(), "application/feed+json")
    server.pages["/items.json"] = Page(json.dumps(NINJS).encode(), "application/json")
    for path in ("/feed.atom", "/feed.rss", "/feed.json", "/items.json"):
        add(source_settings, server.url(path), slug=path[1:].replace(".", "-"))
        poller.poll_source(source_settings, path[1:].replace(".", "-"), now=NOW)

    [atom_story], source = stories_of(source_settings, "feed-atom")
    assert source.last_error == ""
    assert source.last_status.startswith("ok: 1 new")
    assert atom_story.publisher.name == "Партнёрская газета"
    assert atom_story.publisher.url == "https://partner.example/"
    assert atom_story.original_url == "https://partner.example/one"
    assert atom_story.rights.holder == "Partner Gazette"
    assert [a.name for a in atom_story.authors] == ["Анна Петрова", "John Smith"]
    assert atom_story.media[0].credit == "Alexander Vilf / RIA Novosti"
    assert atom_story.language == "ru"
    assert atom_story.published_offset == "-05:00"
    assert atom_story.published_at.isoformat() == "2026-11-24T14:00:00+00:00"
    # Relative links are resolved against the document's address.
    assert f'href="{server.base}/more/one"' in atom_story.body_html

    [rss_story], _ = stories_of(source_settings, "feed-rss")
    assert rss_story.publisher.name == "Wire Daily"
    assert [a.name for a in rss_story.authors] == ["Maria Lopez"]
    assert rss_story.rights.statement == "CC BY 4.0 Wire Daily"  # the entry's own, not the feed's
    assert "script" not in rss_story.body_html
    assert "alert" not in rss_story.body_html
    assert rss_story.published_offset == "-08:00"

    [json_story], _ = stories_of(source_settings, "feed-json")
    assert json_story.title == "خبر عاجل"
    assert json_story.language == "ar"
    assert [a.name for a in json_story.authors] == ["مكتب الأخبار"]
    assert json_story.rights.holder == "not stated"  # never the site
    assert 'src="https://json.example/img/1.png"' in json_story.body_html
    assert json_story.published_offset == "+03:00"

    [ninjs_story], _ = stories_of(source_settings, "items-json")
    assert ninjs_story.title == "東京で会議"
    assert [a.name for a in ninjs_story.authors] == ["Kenji Sato"]
    assert ninjs_story.publisher.name == "Agency Press"
    assert ninjs_story.rights.holder == "Agency Press"
    assert "For subscribers only." in ninjs_story.rights.statement
    assert ninjs_story.published_offset == "+09:00"


def test_changed_entry_is_a_revision_deleted_entry_is_withdrawn_and_polls_are_conditional(
    source_settings, server, archive
):
    server.pages["/feed.atom"] = Page(
        atom(
            ("one", "First", "Text one", "2026-11-24T09:30:00-05:00"),
            ("two", "Second", "Text two", "2026-11-24T09:30:00-05:00"),
        ),
        "application/atom+xml",
    )
    add(source_settings, server.url("/feed.atom"), slug="partner", publisher="Partner Gazette")
    poller.poll_source(source_settings, "partner", now=NOW)
    poller.poll_source(source_settings, "partner", now=NOW + timedelta(minutes=10))
    second = server.headers_sent_to("/feed.atom")[1]
    assert second.get("If-None-Match")
    assert "Masthead" in second["User-Agent"]
    assert "https://news.example" in second["User-Agent"]
    stories, source = stories_of(source_settings, "partner")
    assert source.last_status == "not modified"
    assert len(stories) == 2
    assert all(s.revision == 1 for s in stories)

    server.pages["/feed.atom"] = Page(
        atom(
            ("one", "First, updated", "Text one changed", "2026-11-24T11:30:00-05:00"),
            tombstone="two",
        ),
        "application/atom+xml",
    )
    poller.poll_source(source_settings, "partner", now=NOW + timedelta(minutes=20))
    stories, source = stories_of(source_settings, "partner")
    by_title = {s.title: s for s in stories}
    updated = by_title["First, updated"]
    assert updated.revision == 2
    assert updated.entry_id == by_title["First, updated"].entry_id
    [note] = list(archive.notes(updated.id))
    assert note.kind == "update"
    assert "Partner Gazette" in note.note
    assert by_title["Second"].is_withdrawn
    assert "Partner Gazette" in by_title["Second"].withdrawn_reason
    assert source.last_status.startswith("ok: 1 updated, 1 withdrawn")

    # The same document again: nothing changes.
    server.pages["/feed.atom"].headers["X-Again"] = "1"
    poller.poll_source(source_settings, "partner", now=NOW + timedelta(minutes=30))
    again, _ = stories_of(source_settings, "partner")
    assert [(s.id, s.revision) for s in again] == [(s.id, s.revision) for s in stories]


def test_syndicated_stories_reach_the_sites_own_feed(source_settings, server):
    from service.archive_access import open_for
    from service.feeds import scheduler

    server.pages["/feed.rss"] = Page(RSS.encode(), "application/rss+xml")
    add(source_settings, server.url("/feed.rss"), slug="wire", section="World")
    poller.poll_source(source_settings, "wire", now=NOW)
    scheduler.rebuild_all(source_settings, now=NOW)
    with open_for(source_settings) as archive:
        parsed = feedparser.parse(archive.rendition("latest.atom").body)
    [entry] = parsed.entries
    assert entry.title == "Harbour reopens"


@pytest.mark.parametrize("policy", ["summary", "link"])
def test_policy_keeps_only_what_it_allows_and_always_links_the_original(
    source_settings, server, policy
):
    server.pages["/feed.rss"] = Page(RSS.encode(), "application/rss+xml")
    add(source_settings, server.url("/feed.rss"), slug="wire", policy=policy)
    poller.poll_source(source_settings, "wire", now=NOW)
    [story], _ = stories_of(source_settings, "wire")
    assert story.body_html == ""
    assert story.original_url == "https://wire.example/harbour"
    assert story.syndication == {"summary": "summary", "link": "none"}[policy]
    assert bool(story.summary) == (policy == "summary")


def test_status_draft_keeps_entries_off_the_public_site(source_settings, server, app):
    server.pages["/feed.rss"] = Page(RSS.encode(), "application/rss+xml")
    add(source_settings, server.url("/feed.rss"), slug="wire", story_status="draft")
    poller.poll_source(source_settings, "wire", now=NOW)
    [story], _ = stories_of(source_settings, "wire")
    assert story.status == "draft"
    assert story.path is None


def test_sources_commands_add_list_pause_resume_poll_and_remove(make_settings, server, tmp_path):
    from flask.testing import FlaskCliRunner

    from service import create_app
    from service.commands.cli import main

    settings = make_settings(sources={"allow_private": True})
    runner = FlaskCliRunner(create_app(settings))
    server.pages["/feed.rss"] = Page(RSS.encode(), "application/rss+xml")

    def run(*args):
        return runner.invoke(main, list(args))

    added = run(
        "sources", "add", server.url("/feed.rss"), "--section", "World", "--tag", "wire",
        "--policy", "summary", "--rights", "© 2026 Wire Daily", "--publisher", "Wire Daily",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "added source wire-daily" in added.output
    again = run("sources", "add", server.url("/feed.rss"))
    assert again.exit_code == 1
    assert "exists already" in again.output
    bad = run("sources", "add", "javascript:alert(1)")
    assert bad.exit_code != 0
    assert "neither an http(s) URL nor a folder" in bad.output

    polled = run("sources", "poll", "wire-daily")
    assert polled.exit_code == 0, polled.output
    assert "wire-daily: ok: 1 new" in polled.output
    [story], _source = stories_of(settings, "wire-daily")
    assert story.section == "World"
    assert "wire" in story.tags
    assert story.syndication == "summary"

    listed = run("sources", "list")
    assert "wire-daily  active" in listed.output
    assert "1 entries taken" in listed.output
    assert "status: ok: 1 new" in listed.output
    assert "paused wire-daily" in run("sources", "pause", "wire-daily").output
    assert "wire-daily  paused" in run("sources", "list").output
    assert "resumed wire-daily" in run("sources", "resume", "wire-daily").output
    missing = run("sources", "pause", "nobody")
    assert missing.exit_code == 1
    assert "no source is named 'nobody'" in missing.output
    removed = run("sources", "remove", "wire-daily")
    assert "removed wire-daily (1 stories from it stay)" in removed.output
    from service.archive_access import open_for

    with open_for(settings) as archive:
        assert archive.get(story.id).title == "Harbour reopens"


def test_a_folder_of_ninjs_items_is_a_source(source_settings, tmp_path):
    folder = tmp_path / "agency"
    folder.mkdir()
    (folder / "one.json").write_text(json.dumps(NINJS[0]), encoding="utf-8")
    (folder / "broken.json").write_text("{not json", encoding="utf-8")
    add(source_settings, str(folder), slug="agency")
    poller.poll_source(source_settings, "agency", now=NOW)
    [story], source = stories_of(source_settings, "agency")
    assert story.title == "東京で会議"
    assert "broken.json: not valid JSON" in source.last_status
    # The agency takes the item back.
    (folder / "one.json").write_text(
        json.dumps({**NINJS[0], "pubStatus": "canceled"}), encoding="utf-8"
    )
    poller.poll_source(source_settings, "agency", now=NOW + timedelta(minutes=5))
    [story], _ = stories_of(source_settings, "agency")
    assert story.is_withdrawn


def test_source_page_lists_its_public_stories_and_health_names_failing_sources(
    source_settings, server
):
    from service import create_app

    server.pages["/feed.rss"] = Page(RSS.encode(), "application/rss+xml")
    server.pages["/down"] = Page(status=500)
    add(source_settings, server.url("/feed.rss"), slug="wire", publisher="Wire Daily")
    add(source_settings, server.url("/down"), slug="down")
    poller.poll_due(source_settings, now=NOW)
    client = create_app(source_settings).test_client()
    page = client.get("/sources/wire/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Harbour reopens" in text
    assert "Wire Daily" in text
    assert client.get("/sources/nobody/").status_code == 404
    # A story sent back to draft leaves the page: its draft title is on no public page.
    from service.archive_access import open_for

    [story], _ = stories_of(source_settings, "wire")
    with open_for(source_settings) as archive:
        archive.save(story.replace(status="draft", title="Secret rework"), now=NOW)
    text = client.get("/sources/wire/").get_data(as_text=True)
    assert "Secret rework" not in text
    assert "Harbour reopens" not in text
    health = client.get("/health")
    assert health.status_code == 200  # a partner's failure is not the site's
    [failing] = health.get_json()["sources_failing"]
    assert failing["source"] == "down"
    assert "answered 500" in failing["error"]


def test_a_story_from_a_source_links_to_the_sources_page(source_settings, server):
    from lxml import html

    from service import create_app

    server.pages["/feed.rss"] = Page(RSS.encode(), "application/rss+xml")
    add(source_settings, server.url("/feed.rss"), slug="wire", publisher="Wire Daily")
    poller.poll_source(source_settings, "wire", now=NOW)
    [story], _ = stories_of(source_settings, "wire")
    client = create_app(source_settings).test_client()
    page = html.fromstring(client.get(story.path).get_data(as_text=True))
    [received] = page.cssselect("p.received")
    links = [a.get("href") for a in received.cssselect("a")]
    assert links == ["/sources/wire/", "https://wire.example/harbour"]
    assert "Wire Daily" in received.text_content()


def test_a_withdrawn_entry_that_comes_back_stays_withdrawn(source_settings, server):
    server.pages["/feed.atom"] = Page(
        atom(("one", "One", "Text", "2026-11-24T09:30:00-05:00")), "application/atom+xml"
    )
    add(source_settings, server.url("/feed.atom"), slug="partner")
    poller.poll_source(source_settings, "partner", now=NOW)
    server.pages["/feed.atom"] = Page(atom(tombstone="one"), "application/atom+xml")
    poller.poll_source(source_settings, "partner", now=NOW + timedelta(minutes=5))
    server.pages["/feed.atom"] = Page(
        atom(("one", "One again", "New text", "2026-11-24T10:30:00-05:00")),
        "application/atom+xml",
    )
    poller.poll_source(source_settings, "partner", now=NOW + timedelta(minutes=10))
    [story], source = stories_of(source_settings, "partner")
    assert story.is_withdrawn
    assert story.title == "One"
    assert source.last_status == "ok: 1 unchanged"
