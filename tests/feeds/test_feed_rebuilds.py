"""How queued feeds are rebuilt: the site feed first, monthly archives apart, edits never lost."""

from __future__ import annotations

import threading
from datetime import timedelta

from archive import LATEST, FeedScope, open_archive, story_from_dict
from service.feeds import renditions
from tests.support.archives import copy_template_archive
from tests.support.stories import NOW

STORY = {
    "title": "Harbour bridge reopens",
    "body": "<p>The first bus crossed at dawn.</p>",
    "section": "City",
    "tags": ["transport"],
    "authors": [{"name": "Helen Marsh"}],
    "status": "published",
    "published_at": "2026-11-20T09:00:00+00:00",
}
MONTH = FeedScope.for_month(2026, 11)


def queued(archive) -> set[FeedScope]:
    return archive.pending_feed_changes()[1]


def test_queued_feeds_are_built_site_feed_first_and_months_last(archive, settings):
    archive.save(story_from_dict(STORY), now=NOW)
    changed = renditions.rebuild_pending(archive, settings, now=NOW)
    assert changed[:3] == [LATEST.feed_key(fmt) for fmt in renditions.FORMATS]
    assert changed[-3:] == [MONTH.feed_key(fmt) for fmt in renditions.FORMATS]
    assert queued(archive) == set()


def test_subscription_feeds_are_built_without_the_months_which_stay_queued(archive, settings):
    archive.save(story_from_dict(STORY), now=NOW)
    changed = renditions.rebuild_pending(
        archive, settings, now=NOW, which=renditions.is_subscription
    )
    assert "latest.atom" in changed
    assert "sections/city/latest.atom" in changed
    assert not [key for key in changed if key.startswith("archive/")]
    assert queued(archive) == {MONTH}
    months = renditions.rebuild_pending(
        archive, settings, now=NOW, which=renditions.is_archive_month
    )
    assert months == [MONTH.feed_key(fmt) for fmt in renditions.FORMATS]
    assert queued(archive) == set()


def test_a_full_check_of_months_leaves_subscription_feeds_alone(archive, settings):
    archive.save(story_from_dict(STORY), now=NOW)
    changed = renditions.rebuild_pending(
        archive, settings, now=NOW, everything=True, which=renditions.is_archive_month
    )
    assert {FeedScope.from_feed_key(key)[0] for key in changed} == {MONTH}
    assert LATEST in queued(archive)


def test_an_edit_reaches_every_feed_of_the_story_after_its_entry_was_built(archive, settings):
    saved = archive.save(story_from_dict(STORY), now=NOW)
    renditions.rebuild_pending(archive, settings, now=NOW)
    archive.save(saved.replace(title="Harbour bridge reopens early"), now=NOW + timedelta(hours=1))
    renditions.rebuild_pending(archive, settings, now=NOW + timedelta(hours=1))
    for key in ("latest.atom", "sections/city/latest.rss", "tags/transport/latest.json"):
        assert b"reopens early" in archive.rendition(key).body, key


def test_the_same_story_in_another_archive_is_built_from_that_archive(settings, archive, tmp_path):
    """Kept entries are found by the whole story, never by its id alone."""
    archive.save(story_from_dict(STORY), now=NOW)
    renditions.rebuild_pending(archive, settings, now=NOW)

    copy_template_archive(tmp_path / "other.db")
    with open_archive(tmp_path / "other.db", domain="news.example") as other:
        other.save(story_from_dict({**STORY, "title": "Another title"}), now=NOW)
        renditions.rebuild_pending(other, settings, now=NOW)
        assert b"Another title" in other.rendition("latest.atom").body


class StopAfter(threading.Event):
    """A stop that is set once it has been asked `asked` times: a stop arriving mid-build."""

    def __init__(self, asked: int):
        super().__init__()
        self.left = asked

    def is_set(self) -> bool:
        self.left -= 1
        if self.left <= 0:
            self.set()
        return super().is_set()


def month_of(archive, count: int) -> None:
    with archive.batch():
        for n in range(count):
            story = {**STORY, "title": f"Ferry timetable {n}", "tags": [], "authors": []}
            story["published_at"] = f"2026-11-{1 + n % 28:02d}T09:{n % 60:02d}:00+00:00"
            archive.save(story_from_dict(story), now=NOW)


def test_a_stop_ends_a_month_rebuild_between_its_stories(archive, settings):
    month_of(archive, 40)
    stop = StopAfter(asked=10)  # set while the month's 40 stories are being built
    changed = renditions.rebuild(archive, settings, now=NOW, scopes=[MONTH], stop=stop)
    assert changed.built == []
    assert changed.failed == []
    assert stop.left == 0  # never asked again: the build ended at the first check after it
    assert not any(info.scope == MONTH.key for info in archive.renditions())
    assert [state for state in archive.build_states() if state.error] == []
    assert MONTH in queued(archive)  # left for the next run
    rebuilt = renditions.rebuild_pending(archive, settings, now=NOW)
    assert MONTH.feed_key("atom") in rebuilt


def test_a_stop_ends_a_month_rebuild_in_every_format(archive, settings):
    month_of(archive, 40)
    # Asked once before the scope, 40 times while the entries are made: the stop comes while
    # a format is built, past the entries.
    for asked in (45, 90, 130):
        stop = StopAfter(asked=asked)
        outcome = renditions.rebuild(archive, settings, now=NOW, scopes=[MONTH], stop=stop)
        assert outcome.built == [], asked
        assert not any(info.scope == MONTH.key for info in archive.renditions())
