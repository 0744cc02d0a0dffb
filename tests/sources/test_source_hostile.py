"""Hostile sources never hurt the archive: each gets a clear status on the source, and every
other source polled beside it takes its entries as usual."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from archive.db import sources as store
from service.archive_access import open_for
from service.sources import poller
from tests.support.source_server import Page, SourceServer, endless, trickle
from tests.support.stories import NOW

GOOD = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Good Paper</title>
<link>https://good.example/</link><description>d</description>
<item><title>A good story</title><guid isPermaLink="false">good-1</guid><link>https://good.example/1</link>
<description>Fine.</description></item></channel></rss>"""


def rss(*items: str, title: str = "Partner") -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://partner.example/</link><description>d</description>{''.join(items)}"
        "</channel></rss>"
    ).encode()


def item(key: str, title: str = "", *, extra: str = "", body: str = "Text.") -> str:
    return (
        f'<item><title>{title or key}</title><guid isPermaLink="false">{key}</guid>{extra}'
        f"<description>{body}</description></item>"
    )


ENTITY_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<rss version="2.0"><channel><title>&e;</title><item><title>&e;</title><guid>x</guid></item>
</channel></rss>"""


@pytest.fixture
def settings(make_settings):
    return make_settings(
        sources={
            "allow_private": True,  # the servers are on 127.0.0.1
            "timeout_seconds": 1,
            "fetch_seconds": 1,
            "max_bytes": 200_000,
            "max_entries": 100,
        }
    )


@pytest.fixture
def server():
    with SourceServer() as running:
        yield running


def poll_beside_a_good_source(settings, server, page: Page):
    """Poll the hostile source and a good one in one scheduler run; return both afterwards."""
    server.pages["/hostile"] = page
    server.pages["/good"] = Page(GOOD)
    with open_for(settings) as archive:
        store.add_source(archive.db, server.url("/hostile"), now=NOW, interval_seconds=300,
                         slug="hostile")  # fmt: skip
        store.add_source(archive.db, server.url("/good"), now=NOW, interval_seconds=300,
                         slug="good")  # fmt: skip
    poller.poll_due(settings, now=NOW)
    with open_for(settings) as archive:
        hostile, good = (
            store.get_source(archive.db, "hostile"),
            store.get_source(archive.db, "good"),
        )
        good_stories = [archive.get(i) for i in store.story_ids_of(archive.db, good)]
        hostile_stories = [archive.get(i) for i in store.story_ids_of(archive.db, hostile)]
    assert [s.title for s in good_stories] == ["A good story"]
    assert good.last_error == ""
    return hostile, hostile_stories


@pytest.mark.parametrize(
    ("page", "status"),
    [
        (Page(b"<rss><channel><item><title>broken</item></rss>"), "the XML is not well-formed"),
        (Page(ENTITY_BOMB), "the XML declares entities, refused"),
        (Page(b"<rss" + b" " * 300_000 + b"/>"), "the answer is 300,006 bytes (at most 200,000)"),
        (Page(write=endless()), "the answer is larger than 200,000 bytes"),
        (Page(b'{"version": "https://jsonfeed.org/version/1.1", "items": [[[['), "not valid JSON"),
        (Page(b"\x00\x01binary"), "neither XML (RSS, Atom) nor JSON"),
        (Page(b"<html><body>not a feed</body></html>"), "the XML is not RSS or Atom"),
        (Page(status=500), "answered 500"),
    ],
    ids=[
        "malformed-xml",
        "entity-bomb",
        "oversized",
        "never-ending",
        "bad-json",
        "binary",
        "a-web-page",
        "server-error",
    ],
)
def test_a_hostile_answer_gets_a_clear_status_and_leaves_other_sources_alone(
    settings, server, page, status
):
    hostile, stories = poll_beside_a_good_source(settings, server, page)
    assert status in hostile.last_error
    assert hostile.failures == 1
    assert stories == []


def test_a_server_answering_a_byte_at_a_time_is_cut_off_at_the_deadline(settings, server):
    hostile, stories = poll_beside_a_good_source(
        settings, server, Page(write=trickle(server.closing, every=0.2))
    )
    assert "the answer took longer than 1 s" in hostile.last_error
    assert stories == []


def test_scripts_and_javascript_links_never_reach_a_story(settings, server):
    body = (
        "&lt;p onclick='steal()'&gt;Hi &lt;a href='javascript:alert(1)'&gt;x&lt;/a&gt;"
        "&lt;script&gt;alert(2)&lt;/script&gt;&lt;/p&gt;"
    )
    page = Page(rss(item("evil", extra="<link>javascript:alert(3)</link>", body=body)))
    hostile, [story] = poll_beside_a_good_source(settings, server, page)
    assert hostile.last_error == ""
    assert "javascript" not in story.body_html
    assert "script" not in story.body_html
    assert "onclick" not in story.body_html
    assert story.original_url is None


def test_a_repeated_id_is_taken_once_and_named(settings, server):
    page = Page(rss(item("same", "First"), item("same", "Second")))
    hostile, stories = poll_beside_a_good_source(settings, server, page)
    assert [s.title for s in stories] == ["First"]
    assert "entry id 'same' appears more than once (first taken)" in hostile.last_status


def test_a_date_in_the_year_9999_fails_that_entry_alone(settings, server):
    page = Page(
        rss(
            item("late", extra="<pubDate>Fri, 31 Dec 9999 23:00:00 -0800</pubDate>"),
            item("fine", "On time"),
        )
    )
    hostile, stories = poll_beside_a_good_source(settings, server, page)
    assert [s.title for s in stories] == ["On time"]
    assert re.search(
        r"entry 'late': .*published_at '9999-12-31T23:00:00-08:00' is out of range",
        hostile.last_status,
    )


def test_ten_thousand_entries_are_cut_to_the_limit(settings, server):
    page = Page(rss(*(item(f"n{i}") for i in range(10_000))))
    settings = settings.__class__(
        **{**settings.__dict__, "sources": settings.sources.__class__(
            **{**settings.sources.__dict__, "max_bytes": 2_000_000})}
    )  # fmt: skip
    hostile, stories = poll_beside_a_good_source(settings, server, page)
    assert len(stories) == 100
    assert "10,000 entries; the first 100 taken" in hostile.last_status


def test_an_entry_with_another_sources_id_never_takes_over_its_story(settings, server):
    stolen = Page(rss(item("good-1", "Hijacked title")))
    _hostile, [story] = poll_beside_a_good_source(settings, server, stolen)
    assert story.title == "Hijacked title"
    with open_for(settings) as archive:
        good = store.get_source(archive.db, "good")
        [own] = [archive.get(i) for i in store.story_ids_of(archive.db, good)]
    assert own.title == "A good story"
    assert own.id != story.id


def test_429_backs_off_for_retry_after_and_410_stops_the_source(settings, server):
    page = Page(status=429, headers={"Retry-After": "7200"})
    hostile, _ = poll_beside_a_good_source(settings, server, page)
    assert hostile.next_poll_at >= NOW + timedelta(seconds=7200)
    assert "answered 429" in hostile.last_error
    server.pages["/hostile"] = Page(status=410)
    poller.poll_source(settings, "hostile", now=NOW + timedelta(hours=3))
    with open_for(settings) as archive:
        gone = store.get_source(archive.db, "hostile")
        assert gone.state == "stopped"
        assert "gone (410)" in gone.last_status
        assert store.due_sources(archive.db, NOW + timedelta(days=30)) == [
            store.get_source(archive.db, "good")
        ]


def test_a_permanent_redirect_updates_the_stored_address(settings, server):
    page = Page(status=301, headers={"Location": "/moved"})
    server.pages["/moved"] = Page(rss(item("m1", "Moved story")))
    hostile, stories = poll_beside_a_good_source(settings, server, page)
    assert hostile.url == server.url("/moved")
    assert [s.title for s in stories] == ["Moved story"]


def test_failures_back_off_by_doubling_up_to_the_bound(settings, server):
    server.pages["/hostile"] = Page(status=503)
    with open_for(settings) as archive:
        store.add_source(archive.db, server.url("/hostile"), now=NOW, interval_seconds=300,
                         slug="hostile")  # fmt: skip
    waits = []
    now = NOW
    for _ in range(4):
        poller.poll_source(settings, "hostile", now=now)
        with open_for(settings) as archive:
            source = store.get_source(archive.db, "hostile")
        waits.append((source.next_poll_at - now).total_seconds())
        now = source.next_poll_at
    low = settings.sources.min_minutes * 60
    assert waits == [low, 2 * low, 4 * low, 8 * low]
    assert source.failures == 4
