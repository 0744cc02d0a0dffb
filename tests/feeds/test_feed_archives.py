"""RFC 5005 archived feeds: an aggregator walks back from the subscription feed to the start."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from lxml import etree

from archive import story_from_dict
from service.feeds import renditions
from tests.support.feeds import ATOM, links_of
from tests.support.stories import NOW

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


TOMBSTONES = "{http://purl.org/atompub/tombstones/1.0}"
# Months over at NOW (November 2026 is in progress): the RFC 5005 archive documents.
CLOSED = [month for month in MONTHS if month < "2026-11"]


def walk(archive, now=NOW) -> tuple[list[str], list[str], list[str]]:
    """The RFC 5005 walk from the Atom subscription document: every document reached by
    prev-archive (keys), the entry ids and the tombstone refs they hold. Each document is
    parsed by feedparser and must be an archive document (fh:archive)."""
    url = links_of(etree.fromstring(archive.rendition("latest.atom").body)).get("prev-archive")
    visited, entries, tombstones = [], [], []
    while url:
        body = archive.rendition(key_of(url)).body
        assert feedparser.parse(body).bozo == 0, url
        document = etree.fromstring(body)
        # RFC 5005 4: every document reached through prev-archive is an archive document.
        assert document.find(f"{HISTORY}archive") is not None, url
        links = links_of(document)
        assert links["current"].endswith("/feeds/latest.atom")
        entries += [entry.findtext(f"{ATOM}id") for entry in document.findall(f"{ATOM}entry")]
        tombstones += [gone.get("ref") for gone in document.iter(f"{TOMBSTONES}deleted-entry")]
        visited.append(key_of(url))
        url = links.get("prev-archive")
    return visited, entries, tombstones


def test_walk_from_subscription_feed_reaches_every_story_once(archive, history):
    tree = etree.fromstring(archive.rendition("latest.atom").body)
    newest = [entry.findtext(f"{ATOM}id") for entry in tree.findall(f"{ATOM}entry")]
    assert len(newest) == 4
    visited, seen, tombstones = walk(archive)
    # The month in progress changes still: it is reached for browsing, never in the walk.
    assert visited == [f"archive/{m.replace('-', '/')}.atom" for m in reversed(CLOSED)]
    assert tombstones == []
    assert len(seen) == len(set(seen))  # each story in exactly one archive document
    closed = [s.entry_id for s in history if s.path[1:8].replace("/", "-") in CLOSED]
    assert sorted(seen) == sorted(closed)
    assert set(seen) | set(newest) == {story.entry_id for story in history}
    current = etree.fromstring(archive.rendition("archive/2026/11.atom").body)
    assert current.find(f"{HISTORY}archive") is None
    assert key_of(links_of(current)["prev-archive"]) == "archive/2026/10.atom"
    october = links_of(etree.fromstring(archive.rendition("archive/2026/10.atom").body))
    assert "next-archive" not in october  # November is no archive document yet


def test_withdrawals_and_backdating_reach_closed_months(archive, settings, history):
    before = {m: archive.rendition(f"archive/{m.replace('-', '/')}.atom") for m in CLOSED}
    later = NOW + timedelta(days=1)
    june, september = history[3], history[9]
    archive.withdraw(june.id, reason="Legal request", now=later)
    archive.save(september.replace(status="draft", title="Reworked in draft"), now=later)
    backdated = archive.save(
        story_from_dict({"title": "Found in a drawer", "published_at": "2026-07-15T09:00Z"}),
        now=later,
    )
    renditions.rebuild_pending(archive, settings, now=later)
    visited, seen, tombstones = walk(archive, later)
    assert visited == [f"archive/{m.replace('-', '/')}.atom" for m in reversed(CLOSED)]
    # Every story exactly once: live ones as entries, withdrawn ones as tombstones.
    assert len(seen + tombstones) == len(set(seen + tombstones))
    assert sorted(tombstones) == sorted([june.entry_id, september.entry_id])
    assert backdated.entry_id in seen
    changed = {m for m in CLOSED if archive.rendition(before[m].key).etag != before[m].etag}
    assert changed == {"2026-06", "2026-07", "2026-09"}
    june_feed = etree.fromstring(archive.rendition("archive/2026/06.atom").body)
    (gone,) = june_feed.iter(f"{TOMBSTONES}deleted-entry")
    assert gone.get("when") == later.isoformat()
    assert gone.findtext(f"{TOMBSTONES}comment") == "Legal request"
    assert gone.find(f"{ATOM}link").get("href") == f"https://news.example{june.path}"
    assert "Reworked" not in archive.rendition("archive/2026/09.atom").body.decode()


def test_archive_documents_link_both_ways(archive, history):
    july = links_of(etree.fromstring(archive.rendition("archive/2026/07.atom").body))
    assert key_of(july["prev-archive"]) == "archive/2026/06.atom"
    assert key_of(july["next-archive"]) == "archive/2026/09.atom"  # August had no story
    first = links_of(etree.fromstring(archive.rendition("archive/2026/05.atom").body))
    assert "prev-archive" not in first  # the private April story opens no archive


@pytest.mark.parametrize("fmt", ["rss", "json"])
def test_rss_and_json_archives_walk_the_same_way(archive, history, fmt):
    seen = []
    latest = archive.rendition(f"latest.{fmt}").body
    url = _older(latest, fmt)
    while url:
        page = archive.rendition(key_of(url)).body
        seen += _ids(page, fmt)
        url = _older(page, fmt)
    closed = [s.entry_id for s in history if s.path[1:8].replace("/", "-") in CLOSED]
    assert sorted(seen) == sorted(closed)
    assert set(seen) | set(_ids(latest, fmt)) == {story.entry_id for story in history}


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
