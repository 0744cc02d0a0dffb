"""The archive from a plain script: saving, revisions, permalinks, withdrawal, queries."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest

from archive import (
    InvalidStory,
    SlugConflict,
    StoryMoved,
    StoryNotFound,
    StoryWithdrawn,
    open_archive,
)
from tests.support.stories import NOW, make_story


def snapshot(archive):
    """Every row of every story table: proof that a failed write changed nothing."""
    tables = ["stories", "story_authors", "story_tags", "media", "sources", "revisions"]
    return {t: list(archive.db.query(f"SELECT * FROM {t} ORDER BY rowid")) for t in tables}


def test_archive_file_is_wal_with_foreign_keys_and_migrations(settings, archive):
    assert archive.db.journal_mode == "wal"
    assert archive.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    applied = archive.db.execute("SELECT name FROM _sqlite_migrations").fetchall()
    assert ("m001_stories",) in applied
    reopened = open_archive(settings.archive_path)  # migrating twice is harmless
    assert reopened.count() == 0
    reopened.close()


def test_saved_story_gets_id_tag_uri_and_permalink_in_site_zone(archive):
    saved = archive.save(make_story(), now=NOW)
    assert saved.id == 1
    # 20:00 at +04:00 is 16:00 UTC, still 24 February in London.
    assert saved.path == "/2014/02/24/harbour-bridge-reopens/"
    assert saved.entry_id == "tag:news.example,2014-02-24:/stories/1"
    assert saved.published_at.utcoffset() == timedelta(0)
    assert [a.name for a in saved.authors] == ["Helen Marsh", "Ravi Patel"]
    assert archive.at(saved.path) == saved


def test_permalink_date_follows_the_site_time_zone(make_settings):
    tokyo = make_settings(site={"timezone": "Asia/Tokyo"})
    with open_archive(tokyo.archive_path, timezone="Asia/Tokyo") as archive:
        saved = archive.save(make_story(published_at="2014-02-24T20:00:00+00:00"), now=NOW)
    assert saved.path == "/2014/02/25/harbour-bridge-reopens/"


def test_saving_the_same_story_twice_changes_nothing(archive):
    first = archive.save(make_story().replace(origin="file:/a.txt"), now=NOW)
    before = snapshot(archive)
    again = archive.save(make_story().replace(origin="file:/a.txt"), now=NOW + timedelta(days=1))
    assert again == first
    assert snapshot(archive) == before


def test_edit_writes_a_revision_and_keeps_id_and_entry_id(archive):
    first = archive.save(make_story().replace(origin="file:/a.txt"), now=NOW)
    later = NOW + timedelta(hours=3)
    edited = archive.save(make_story(dek="Now with a dek").replace(origin="file:/a.txt"), now=later)
    assert (edited.id, edited.entry_id, edited.path) == (first.id, first.entry_id, first.path)
    assert edited.revision == 2
    assert edited.updated_at == later
    assert edited.published_at == first.published_at
    revisions = archive.history(first.id)
    assert [(r.number, r.action) for r in revisions] == [(1, "create"), (2, "update")]
    assert revisions[0].snapshot["dek"] == ""
    assert revisions[1].snapshot["dek"] == "Now with a dek"


def test_slug_change_keeps_old_permalink_as_a_redirect(archive):
    first = archive.save(make_story(), now=NOW)
    moved = archive.save(first.replace(slug="bridge-reopens"), now=NOW + timedelta(hours=1))
    assert moved.path == "/2014/02/24/bridge-reopens/"
    with pytest.raises(StoryMoved) as raised:
        archive.at(first.path)
    assert raised.value.path == moved.path


def test_permalink_conflict_with_a_chosen_slug_is_refused_and_changes_nothing(archive):
    archive.save(make_story(), now=NOW)
    before = snapshot(archive)
    with pytest.raises(SlugConflict, match="already belongs to story 1"):
        archive.save(make_story(body="<p>Another</p>", slug="harbour-bridge-reopens"), now=NOW)
    assert snapshot(archive) == before


def test_a_slug_the_archive_derives_never_clashes(archive):
    first = archive.save(make_story(), now=NOW)
    second = archive.save(make_story(body="<p>Another story</p>"), now=NOW)
    assert second.id != first.id
    assert second.path == "/2014/02/24/harbour-bridge-reopens-2/"


def test_invalid_story_lists_every_problem_and_writes_nothing(archive):
    archive.save(make_story(), now=NOW)
    before = snapshot(archive)
    bad = make_story(title=" ", slug="Not A Slug", syndication="everything", status="scheduled")
    with pytest.raises(InvalidStory) as raised:
        archive.save(bad, now=NOW)
    assert len(raised.value.problems) == 4
    assert "slug 'Not A Slug' is not a slug" in str(raised.value)
    assert snapshot(archive) == before


def test_withdrawn_story_is_a_tombstone_out_of_lists_and_search(archive):
    saved = archive.save(make_story(), now=NOW)
    withdrawn = archive.withdraw(saved.id, reason="Legal request", now=NOW + timedelta(days=1))
    assert withdrawn.status == "withdrawn"
    assert withdrawn.withdrawn_reason == "Legal request"
    with pytest.raises(StoryWithdrawn):
        archive.at(saved.path)
    assert archive.latest() == []
    assert archive.search("bridge").stories == []
    assert [r.action for r in archive.history(saved.id)] == ["create", "withdraw"]


def test_withdrawal_needs_a_reason_and_a_story(archive):
    saved = archive.save(make_story(), now=NOW)
    with pytest.raises(InvalidStory, match="reason is empty"):
        archive.withdraw(saved.id, reason="  ", now=NOW)
    with pytest.raises(StoryNotFound):
        archive.withdraw(999, reason="gone", now=NOW)


def test_drafts_are_not_public_and_get_no_permalink(archive):
    draft = archive.save(make_story(status="draft", published_at=None), now=NOW)
    assert draft.path is None
    assert draft.entry_id is None
    assert archive.latest() == []


def test_scheduled_story_is_published_when_its_embargo_passes(archive):
    embargo = NOW + timedelta(hours=2)
    story = make_story(status="scheduled", published_at=None, embargo_at=embargo.isoformat())
    saved = archive.save(story, now=NOW)
    assert saved.status == "scheduled"
    assert archive.publish_due(now=NOW + timedelta(hours=1)) == []
    [live] = archive.publish_due(now=embargo)
    assert live.status == "published"
    assert live.published_at == embargo
    assert live.path == "/2026/11/24/harbour-bridge-reopens/"
    assert archive.latest() == [live]


def test_latest_by_section_tag_and_author(archive):
    archive.save(make_story(), now=NOW)
    archive.save(
        make_story(
            title="Cup final preview",
            section="Sport",
            tags=["football"],
            authors=["Jonas Berg"],
            published_at="2014-03-01T10:00:00Z",
        ),
        now=NOW,
    )
    assert [s.slug for s in archive.latest()] == ["cup-final-preview", "harbour-bridge-reopens"]
    assert [s.slug for s in archive.latest(section="sport")] == ["cup-final-preview"]
    assert [s.slug for s in archive.latest(tag="transport")] == ["harbour-bridge-reopens"]
    assert [s.slug for s in archive.latest(author="ravi-patel")] == ["harbour-bridge-reopens"]
    assert [s.slug for s in archive.between("2014-02-01", "2014-02-28")] == [
        "harbour-bridge-reopens"
    ]


def test_search_covers_title_body_and_author_names_and_survives_syntax(archive):
    saved = archive.save(make_story(), now=NOW)
    assert archive.search("bridge").stories == [saved]
    assert archive.search("dawn").stories == [saved]
    assert archive.search("Marsh").stories == [saved]
    for nasty in ['"unclosed', "AND OR NOT", "bridge*", "(", "NEAR(", "'; DROP TABLE stories;--"]:
        archive.search(nasty)  # never an FTS syntax error
    edited = archive.save(saved.replace(title="Tunnel opens"), now=NOW + timedelta(hours=1))
    assert archive.search("tunnel").stories == [edited]


def test_revision_snapshot_is_the_full_story(archive):
    saved = archive.save(make_story(), now=NOW)
    [revision] = archive.history(saved.id)
    shot = revision.snapshot
    assert shot["media"][0]["credit"] == "Lena Ortiz / Masthead"
    assert shot["rights"]["holder"] == "Gazette"
    assert shot["sources"] == [{"name": "Mara Quinn", "role": "chief engineer"}]
    json.dumps(shot)


def test_story_ids_are_never_reused(archive):
    first = archive.save(make_story(), now=NOW)
    archive.db.execute("PRAGMA foreign_keys = OFF")
    with archive.db.atomic():
        for table in ("story_authors", "story_tags", "media", "sources", "revisions"):
            archive.db.execute(f"DELETE FROM {table}")
        archive.db.execute("DELETE FROM stories")
    second = archive.save(make_story(), now=NOW)
    assert second.id > first.id


def test_database_constraints_back_the_model(archive):
    with pytest.raises(sqlite3.IntegrityError):
        archive.db.execute("INSERT INTO stories (slug, title, status) VALUES ('a', 'A', 'lost')")
