"""Feed kinds: one class per FeedScope kind, asked by the builder, the scheduler and /feeds/."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser
import pytest
from lxml import etree, html

from archive import LATEST, ChangeNote, Clock, FeedScope, story_from_dict
from service.feeds import renditions
from service.feeds.kinds import KINDS, build_order, kind_of

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
# A scope of every kind FeedScope parses.
EVERY_SCOPE = [
    "latest",
    "corrections",
    "withdrawals",
    "sections/city",
    "tags/transport",
    "authors/helen-marsh",
    "archive/2026/10",
]


@pytest.mark.parametrize("text", EVERY_SCOPE)
def test_every_scope_has_the_kind_of_its_own_name(text):
    scope = FeedScope.parse(text)
    assert kind_of(scope).kind == scope.kind


def test_the_table_holds_one_kind_of_each_and_no_other():
    assert set(KINDS) == {FeedScope.parse(text).kind for text in EVERY_SCOPE}


@pytest.mark.parametrize("text", EVERY_SCOPE)
def test_only_months_are_built_apart_from_the_feeds_readers_poll(text):
    scope = FeedScope.parse(text)
    is_month = text.startswith("archive/")
    assert renditions.is_subscription(scope) is not is_month
    assert renditions.is_archive_month(scope) is is_month


def test_the_site_feed_is_built_first_and_months_last():
    scopes = [FeedScope.parse(text) for text in reversed(EVERY_SCOPE)]
    ordered = [scope.key for scope in sorted(scopes, key=build_order)]
    assert ordered[0] == "latest"
    assert ordered[-1] == "archive/2026/10"
    assert ordered[1:-1] == sorted(ordered[1:-1])


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        ("archive/2026/10", NOW, True),
        ("archive/2026/11", NOW, False),
        # London is on GMT again by the end of October: the month closes at midnight UTC.
        ("archive/2026/10", datetime(2026, 10, 31, 23, 59, tzinfo=UTC), False),
        ("archive/2026/10", datetime(2026, 11, 1, 0, 0, tzinfo=UTC), True),
        ("latest", NOW, False),
        ("tags/transport", NOW, False),
    ],
)
def test_only_a_closed_month_is_an_archive_document(text, now, expected):
    clock = Clock(domain="news.example", timezone="Europe/London")
    assert FeedScope.parse(text).is_archive_document(clock, now) is expected


def _story(**fields):
    shape = {
        "title": "Harbour bridge reopens",
        "body": "<p>The first bus crossed at dawn.</p>",
        "section": "City",
        "tags": ["Transport"],
        "authors": [{"name": "Helen Marsh"}],
        "published_at": "2026-10-20T09:00:00+00:00",
    }
    return story_from_dict({**shape, **fields})


def test_the_directory_lists_each_kind_under_its_heading(archive, settings, client):
    saved = archive.save(_story(), now=NOW)
    archive.save(
        saved.replace(title="Harbour bridge reopens at last"),
        now=NOW,
        change=ChangeNote(kind="correction", note="The date was wrong."),
    )
    renditions.rebuild_pending(archive, settings, now=NOW, everything=True)

    opml = etree.fromstring(client.get("/feeds.opml").data)
    groups = {
        group.get("text"): [outline.get("xmlUrl") for outline in group]
        for group in opml.find("body")
    }
    feeds = "https://news.example/feeds/"
    assert groups == {
        "Site": [f"{feeds}latest.atom", f"{feeds}corrections.atom", f"{feeds}withdrawals.atom"],
        "Sections": [f"{feeds}sections/city/latest.atom"],
        "Tags": [f"{feeds}tags/transport/latest.atom"],
        "Authors": [f"{feeds}authors/helen-marsh/latest.atom"],
    }
    # Months are listed on the page, apart from the subscription feeds.
    page = client.get("/feeds/").get_data(as_text=True)
    assert f"{feeds}archive/2026/10.atom" in page


def test_the_directory_names_each_feed_once_and_each_feed_titles_itself(archive, settings, client):
    """/feeds/ says the site's name once (its heading): each line names what its feed follows.
    The feeds keep the site's name in their own titles, for readers listing many sites."""
    archive.save(_story(), now=NOW)
    foreign = _story(title="Мост", section="Город", tags=["東京", "الميناء"], authors=[])
    archive.save(foreign.replace(slug="most"), now=NOW)
    renditions.rebuild_pending(archive, settings, now=NOW, everything=True)
    page = html.fromstring(client.get("/feeds/").data)
    lines = [" ".join(li.text_content().split()) for li in page.cssselect("ul.feeds li")]
    site = settings.site.title
    assert lines[:4] == [
        "Latest stories: Atom, RSS, JSON Feed",
        "Corrections: Atom, RSS, JSON Feed",
        "Withdrawals: Atom, RSS, JSON Feed",
        "City: Atom, RSS, JSON Feed",
    ]
    assert "October 2026: Atom, RSS, JSON Feed" in lines
    for name in ("Город", "東京", "الميناء"):
        assert f"{name}: Atom, RSS, JSON Feed" in lines
    assert not [line for line in lines if site in line]
    titles = {
        key: feedparser.parse(archive.rendition(f"{key}.atom").body).feed.title
        for key in ("latest", "corrections", "sections/city/latest", "archive/2026/10")
    }
    assert titles == {
        "latest": site,
        "corrections": f"{site}: Corrections",
        "sections/city/latest": f"{site}: City",
        "archive/2026/10": f"{site}: October 2026",
    }


def test_a_withdrawn_name_keeps_its_feed_but_is_not_offered(archive, settings, client):
    saved = archive.save(_story(), now=NOW)
    archive.save(_story(title="Another", section="Sport", tags=[], authors=[]), now=NOW)
    archive.withdraw(saved.id, reason="Legal advice", now=NOW)
    renditions.rebuild_pending(archive, settings, now=NOW, everything=True)

    assert archive.rendition("tags/transport/latest.atom").entries == 0
    listed = client.get("/feeds.opml").get_data(as_text=True)
    assert "tags/transport" not in listed
    assert "sections/sport" in listed
    assert LATEST.feed_path("atom") in listed
