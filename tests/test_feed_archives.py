"""RFC 5005 archived feeds: an aggregator walks back from the subscription feed to the start."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from lxml import etree

from archive import story_from_dict
from service import renditions
from tests.conftest import NOW
from tests.test_feeds import ATOM, links_of

HISTORY = "{http://purl.org/syndication/history/1.0}"
# Story publication months, with a gap (no story in 2026-08) the walk must step over.
MONTHS = ["2026-05", "2026-06", "2026-07", "2026-09", "2026-10", "2026-11"]


@pytest.fixture
def history(archive, settings, make_settings):
    """Three syndicated stories a month (one month empty), one story never syndicated."""
    saved = []
    for month in MONTHS:
        for day in (3, 12, 21):
            shape = {
                "title": f"Story of {month}-{day:02d}",
                "published_at": f"{month}-{day:02d}T10:00:00+00:00",
            }
            saved.append(archive.save(story_from_dict(shape), now=NOW))
    archive.save(
        story_from_dict(
            {"title": "Private", "syndication": "none", "published_at": "2026-04-02T10:00:00Z"}
        ),
        now=NOW,
    )
    # A small subscription feed, so most stories are reachable only through the archives.
    small = make_settings(feeds={"size": 4})
    renditions.rebuild_pending(archive, small, now=NOW)
    renditions.rebuild(archive, small, now=NOW)
    return saved


def key_of(url: str) -> str:
    return url.split("/feeds/", 1)[1]


def test_walk_from_subscription_feed_reaches_every_story_once(archive, history):
    tree = etree.fromstring(archive.rendition("latest.atom").body)
    assert len(tree.findall(f"{ATOM}entry")) == 4
    seen: list[str] = []
    visited = []
    url = links_of(tree).get("prev-archive")
    while url:
        document = etree.fromstring(archive.rendition(key_of(url)).body)
        assert feedparser.parse(archive.rendition(key_of(url)).body).bozo == 0
        # RFC 5005 4.2: only a month that is over (here: before November 2026) is an archive.
        is_closed = key_of(url) != "archive/2026/11.atom"
        assert (document.find(f"{HISTORY}archive") is not None) == is_closed
        links = links_of(document)
        assert links["current"].endswith("/feeds/latest.atom")
        seen += [entry.findtext(f"{ATOM}id") for entry in document.findall(f"{ATOM}entry")]
        visited.append(key_of(url))
        url = links.get("prev-archive")
    assert visited == [f"archive/{m.replace('-', '/')}.atom" for m in reversed(MONTHS)]
    assert sorted(seen) == sorted(story.entry_id for story in history)
    assert len(seen) == len(set(seen))  # each story in exactly one archive document


def test_archive_documents_link_both_ways(archive, history):
    july = links_of(etree.fromstring(archive.rendition("archive/2026/07.atom").body))
    assert key_of(july["prev-archive"]) == "archive/2026/06.atom"
    assert key_of(july["next-archive"]) == "archive/2026/09.atom"  # August had no story
    first = links_of(etree.fromstring(archive.rendition("archive/2026/05.atom").body))
    assert "prev-archive" not in first  # the private April story opens no archive


@pytest.mark.parametrize("fmt", ["rss", "json"])
def test_rss_and_json_archives_walk_the_same_way(archive, history, fmt):
    seen = []
    url = _older(archive.rendition(f"latest.{fmt}").body, fmt)
    while url:
        page = archive.rendition(key_of(url)).body
        seen += _ids(page, fmt)
        url = _older(page, fmt)
    assert sorted(seen) == sorted(story.entry_id for story in history)


def _older(page: bytes, fmt: str) -> str | None:
    if fmt == "json":
        return json.loads(page).get("next_url")
    channel = etree.fromstring(page).find("channel")
    links = links_of(channel)
    return links.get("prev-archive")


def _ids(page: bytes, fmt: str) -> list[str]:
    if fmt == "json":
        return [item["id"] for item in json.loads(page)["items"]]
    return [entry.id for entry in feedparser.parse(page).entries]


def test_closed_month_is_cached_long_and_current_month_briefly(archive, history, client, settings):
    closed = client.get("/feeds/archive/2026/05.atom")
    assert closed.headers["Cache-Control"] == f"public, max-age={settings.http.archive_max_age}"
    today = archive.save(story_from_dict({"title": "Today", "published_at": _today()}), now=NOW)
    renditions.rebuild_pending(archive, settings, now=NOW)
    current = client.get(f"/feeds/archive{today.path[:8]}.atom")
    assert current.status_code == 200
    assert current.headers["Cache-Control"] == "public, max-age=600"


def _today() -> str:
    """Noon (UTC) on the first of the current month: in this month in the site's zone too, at
    any moment of the month the test runs."""
    now = datetime.now(UTC)
    return now.replace(day=1, hour=12, minute=0, second=0, microsecond=0).isoformat()


def test_a_closed_month_changes_only_when_one_of_its_stories_does(archive, settings, history):
    june = archive.rendition("archive/2026/06.atom")
    archive.save(story_from_dict({"title": "Late news", "published_at": "2026-11-22T10:00Z"}))
    renditions.rebuild_pending(archive, settings, now=NOW)
    unchanged = archive.rendition("archive/2026/06.atom")
    assert (unchanged.etag, unchanged.built_at) == (june.etag, june.built_at)
    june_story = next(s for s in history if s.published_at.month == 6)
    archive.save(june_story.replace(title="Corrected"), now=NOW + timedelta(days=1))
    renditions.rebuild_pending(archive, settings, now=NOW + timedelta(days=1))
    assert archive.rendition("archive/2026/06.atom").etag != june.etag
