"""The archive's public face: the story types its reads give, one search, one revision history,
trials through the transaction module, "no such thing" errors and how the service answers them."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from archive import (
    ArchiveBusy,
    ArchiveError,
    InvalidStory,
    NameNotFound,
    NotFound,
    PublishedStory,
    RenditionNotFound,
    RevisionConflict,
    SavedStory,
    SlugConflict,
    StoryNotFound,
    story_from_dict,
)
from archive.db.sources import SourceNotFound
from service.wsgi import problems

SAVED_AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def story(**fields):
    shape = {
        "title": "Harbour bridge reopens",
        "body": "<p>The first bus crossed at dawn.</p>",
        "section": "City",
        "authors": ["Helen Marsh"],
        "published_at": "2014-02-24T20:00:00+04:00",
    }
    shape.update(fields)
    return story_from_dict(shape)


def test_a_published_story_reads_back_with_its_permalink_and_time(archive):
    saved = archive.save(story(), now=SAVED_AT)
    assert isinstance(saved, PublishedStory)
    for read in (archive.get(saved.id), archive.at(saved.path), *archive.latest()):
        assert isinstance(read, PublishedStory)
        assert (read.id, read.path, read.published_at) == (saved.id, saved.path, saved.published_at)


def test_a_draft_reads_back_saved_but_not_published(archive):
    draft = archive.save(story(status="draft", published_at=None), now=SAVED_AT)
    assert isinstance(draft, SavedStory)
    assert not isinstance(draft, PublishedStory)
    assert draft.id is not None
    assert draft.path is None


def test_a_story_read_back_equals_the_same_story_built_from_its_snapshot(archive):
    saved = archive.save(story(), now=SAVED_AT)
    [revision] = archive.history(saved.id)
    assert type(revision.story) is not type(saved)
    assert revision.story.title == saved.title
    assert saved == saved.replace()
    assert saved != saved.replace(title="Another title")
    assert hash(saved) == hash(saved.replace())


def test_search_finds_what_the_site_search_finds_in_scripts_without_spaces(archive, client):
    tokyo = archive.save(
        story(title="東京の新しい橋が開通", body="<p>東京湾に新しい橋が開通した。</p>"),
        now=SAVED_AT,
    )
    archive.save(story(title="Bridge reopens", slug="bridge"), now=SAVED_AT)
    found = archive.search("東京")
    assert found.stories == [tokyo]
    page = client.get("/search", query_string={"q": "東京"})
    assert page.status_code == 200
    assert tokyo.path in page.get_data(as_text=True)
    assert "/2014/02/24/bridge/" not in page.get_data(as_text=True)


def test_history_is_the_one_list_of_revisions_and_exports_each_as_stored(archive):
    first = archive.save(story(), now=SAVED_AT)
    archive.save(first.replace(dek="Now with a dek"), now=SAVED_AT + timedelta(hours=1))
    history = archive.history(first.id)
    assert [(r.number, r.action) for r in history] == [(1, "create"), (2, "update")]
    assert [change.label for change in history[1].changes] != []
    assert history[0].changes == ()
    exported = history[1].exported()
    assert list(exported) == [
        "story_id",
        "revision",
        "action",
        "saved_at",
        "snapshot",
        "change_kind",
        "change_note",
        "is_import",
    ]
    assert exported["saved_at"] == "2026-11-20T10:00:00+00:00"
    assert exported["is_import"] == 0
    assert not hasattr(archive, "revisions")
    assert not hasattr(archive, "search_stories")


def test_a_trial_undoes_its_writes_and_cannot_start_inside_a_transaction(archive):
    with archive.trial():
        archive.save(story(), now=SAVED_AT)
        assert archive.count() == 1
    assert archive.count() == 0
    with archive.batch(), pytest.raises(RuntimeError), archive.trial():
        archive.save(story(), now=SAVED_AT)  # not reached: the trial refuses to start
    assert archive.count() == 0


def test_a_write_left_open_is_rolled_back(archive):
    archive.db.execute("BEGIN IMMEDIATE")
    archive.db.execute("DELETE FROM feed_changes")
    archive.roll_back_unfinished()
    assert not archive.db.conn.in_transaction
    archive.roll_back_unfinished()  # nothing open: nothing to do


@pytest.mark.parametrize("error", [StoryNotFound, NameNotFound, RenditionNotFound, SourceNotFound])
def test_every_no_such_thing_is_a_not_found(error):
    assert issubclass(error, NotFound)
    assert issubclass(error, ArchiveError)


@pytest.mark.parametrize(
    ("error", "status", "kind"),
    [
        (ArchiveBusy(2.0), 503, "archive-busy"),
        (InvalidStory(["title is required"]), 422, "invalid-story"),
        (StoryNotFound("no story has id 9"), 404, "story-not-found"),
        (NameNotFound("no tag 'x'"), 404, "not-found"),
        (RenditionNotFound("no feed"), 404, "not-found"),
        (SlugConflict("taken"), 409, "slug-conflict"),
        (RevisionConflict(1, expected=1, actual=2), 412, "revision-conflict"),
        (ArchiveError("refused"), 409, "archive-refused"),
    ],
)
def test_each_archive_error_answers_from_the_table(error, status, kind):
    problem = problems.from_archive_error(error)
    assert (problem.status, problem.kind) == (status, kind)
    assert problem.detail.startswith(str(error))


def test_an_error_answers_as_the_nearest_class_of_its_mro():
    class StaleSlug(SlugConflict):
        """A refusal the table does not name: answered as its nearest named ancestor."""

    problem = problems.from_archive_error(StaleSlug("taken"))
    assert (problem.status, problem.kind) == (409, "slug-conflict")
    assert problem.errors == [problems.field_error("slug", "taken")]
    busy = problems.from_archive_error(ArchiveBusy(2.0))
    assert busy.headers == {"Retry-After": str(problems.BUSY_RETRY_SECONDS)}


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/no/such/page/", "There is no page at this address."),
        ("/tags/nothing-here/", "nothing-here"),
        ("/2014/02/24/nothing-here/", "/2014/02/24/nothing-here/"),
    ],
)
def test_every_missing_page_answers_the_one_404_page(client, path, detail):
    answer = client.get(path)
    assert answer.status_code == 404
    text = answer.get_data(as_text=True)
    assert "Not found" in text
    assert detail in text


@pytest.mark.parametrize(
    "below", ["revisions/", "revisions/1/", "timemap/", "ninjs.json", "cite.bib"]
)
def test_pages_below_a_moved_permalink_answer_301_to_the_same_page_below_the_new_one(
    archive, client, below
):
    first = archive.save(story(), now=SAVED_AT)
    moved = archive.save(first.replace(slug="bridge-reopens"), now=SAVED_AT + timedelta(hours=1))
    answer = client.get(f"{first.path}{below}")
    assert answer.status_code == 301
    assert answer.headers["Location"] == f"{moved.path}{below}"


def test_a_locked_archive_is_busy_not_broken(archive, settings):
    other = sqlite3.connect(settings.archive_path)
    other.execute("BEGIN IMMEDIATE")
    try:
        archive.db.execute("PRAGMA busy_timeout = 10")
        with pytest.raises(ArchiveBusy), archive.trial():
            archive.save(story(), now=SAVED_AT)  # not reached: the lock is not had
    finally:
        other.rollback()
        other.close()
