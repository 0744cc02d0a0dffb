"""Every cache bounded by a setting of [cache] and reported in /health with its size and limit."""

from __future__ import annotations

import pytest

from archive import story_from_dict
from service import create_app
from service.feeds import renditions
from service.feeds.document import ENTRIES
from service.settings import SettingsError, settings_from_mapping
from tests.support.archives import settings_mapping
from tests.support.stories import NOW, full_story

MIB = 1024 * 1024


def caches_of(client) -> dict:
    return client.get("/health").get_json()["caches"]


def test_health_reports_each_cache_with_its_size_and_limit(archive, client, settings):
    story = archive.save(full_story(), now=NOW)
    renditions.rebuild(archive, settings, now=NOW)
    assert client.get(story.path).status_code == 200
    assert client.get("/feeds/latest.atom").status_code == 200
    caches = caches_of(client)
    assert caches["pages"]["entries"] == 1
    assert 0 < caches["pages"]["size"] <= caches["pages"]["limit"] == 64 * MIB
    assert caches["feeds"]["entries"] == 1
    assert 0 < caches["feeds"]["size"] <= caches["feeds"]["limit"] == 64 * MIB
    assert caches["feed_entries"]["limit"] == 2000
    for name, cache in caches.items():
        if name != "process":
            assert cache["unit"] in ("bytes", "entries"), name
            assert 0 <= cache["size"] <= cache["limit"], name


def test_the_cache_limits_are_settings(archive, make_settings):
    story = archive.save(full_story(), now=NOW)
    config = make_settings(cache={"pages_mib": 0, "feeds_mib": 0, "feed_entries": 3})
    renditions.rebuild(archive, config, now=NOW)
    client = create_app(config).test_client()
    for _ in range(2):
        assert client.get(story.path).status_code == 200  # answered, never kept
        assert client.get("/feeds/latest.atom").status_code == 200
    caches = caches_of(client)
    assert caches["pages"] == {"size": 0, "limit": 0, "unit": "bytes", "entries": 0}
    assert caches["feeds"] == {"size": 0, "limit": 0, "unit": "bytes", "entries": 0}
    assert caches["feed_entries"]["limit"] == 3


def test_the_scheduler_keeps_at_most_feed_entries_entries(archive, make_settings):
    config = make_settings(cache={"feed_entries": 3})
    for n in range(6):
        story = {"title": f"Ferry timetable {n}", "published_at": f"2026-11-0{n + 1}T09:00:00Z"}
        archive.save(story_from_dict(story), now=NOW)
    renditions.rebuild(archive, config, now=NOW)
    assert len(ENTRIES.kept) == 3  # six stories built, in every feed: the last three used kept
    assert all(settings is config for _story, settings in ENTRIES.kept)


@pytest.mark.parametrize("key", ["pages_mib", "feeds_mib", "feed_entries"])
def test_a_negative_cache_limit_is_refused(tmp_path, key):
    with pytest.raises(SettingsError, match=rf"\[cache\] {key} = -1 must be 0 or more"):
        settings_from_mapping(settings_mapping(tmp_path, cache={key: -1}))


def test_a_sweep_drops_the_entries_no_feed_used_since_the_last(archive, settings, make_settings):
    ENTRIES.sweep()
    ENTRIES.sweep()  # whatever other tests left: unused since the first sweep
    for n in range(3):
        story = {"title": f"Ferry timetable {n}", "published_at": f"2026-11-0{n + 1}T09:00:00Z"}
        archive.save(story_from_dict(story), now=NOW)
    renditions.rebuild(archive, settings, now=NOW)
    assert len(ENTRIES.kept) == 3
    assert ENTRIES.sweep() == 0  # all used since the last sweep
    renditions.rebuild(
        archive, make_settings(feeds={"size": 2}), now=NOW
    )  # two stories in each feed now
    assert ENTRIES.sweep() == 3  # the first three entries, built with other settings
    assert len(ENTRIES.kept) == 2
