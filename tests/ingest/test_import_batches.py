"""`masthead import` in batches: many stories a write transaction, one feed-queue write a batch,
and a story that fails inside a batch undone alone, the rest of its batch kept."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from archive import open_archive, story_from_dict
from archive.db import store
from archive.db.store import BATCH_SIZE
from archive.errors import InvalidStory, SlugConflict
from archive.ingest import formats as ingest
from service.commands import imports

PUBLISHED = "2024-03-05T10:00:00+00:00"


def shape(n: int, **extra) -> dict:
    return {
        "title": f"Story {n}",
        "slug": f"story-{n}",
        "body": f"<p>Paragraph of story {n}.</p>",
        "section": "City",
        "tags": ["harbour"],
        "status": "published",
        "published_at": PUBLISHED,
        **extra,
    }


def clashing(n: int) -> dict:
    """An exported story (restored as exported) that passes every check of its own, but whose
    permalink is story 1's: the restore fails inside the write transaction (SlugConflict)."""
    return shape(n, id=10_000 + n, slug="story-1", path="/2024/03/05/story-1/", title=f"Clash {n}")


@pytest.fixture
def late_failure(monkeypatch):
    """A save of a story titled "Fails late" raises after its rows and names were written."""
    record = store._record_revision

    def failing(db, story, action, now, change=None):
        record(db, story, action, now, change)
        if story.title == "Fails late":
            raise InvalidStory(["a failure after the story's rows were written"])

    monkeypatch.setattr(store, "_record_revision", failing)


def rows(settings, sql: str) -> list[tuple]:
    with sqlite3.connect(settings.archive_path) as db:
        return db.execute(sql).fetchall()


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error: ")]


def test_a_failing_story_is_one_error_line_and_the_rest_of_its_batch_is_kept(
    runner, settings, tmp_path
):
    total = BATCH_SIZE + 50  # two batches; the clash is inside the first
    shapes = [shape(n) for n in range(1, total + 1)]
    shapes[10] = clashing(11)
    lines = tmp_path / "stories.jsonl"
    lines.write_text("".join(json.dumps(s) + "\n" for s in shapes))
    result = runner.invoke(args=["import", str(lines)])
    assert result.exit_code == 1
    [error] = error_lines(result.output)
    assert error.startswith(f"error: {lines}:11: ")
    assert "already belongs to story 1" in error
    assert f"{total - 1} created" in result.output
    slugs = {slug for (slug,) in rows(settings, "SELECT slug FROM stories")}
    assert slugs == {f"story-{n}" for n in range(1, total + 1)} - {"story-11"}
    assert rows(settings, "SELECT count(*) FROM revisions") == [(total - 1,)]


def test_a_story_failing_after_its_rows_were_written_leaves_nothing_behind(
    runner, settings, tmp_path, late_failure
):
    shapes = [shape(n) for n in range(1, 21)]
    shapes[4] = shape(5, title="Fails late", section="Only here", tags=["only-here"])
    lines = tmp_path / "stories.jsonl"
    lines.write_text("".join(json.dumps(s) + "\n" for s in shapes))
    result = runner.invoke(args=["import", str(lines)])
    assert result.exit_code == 1
    [error] = error_lines(result.output)
    assert error.startswith(f"error: {lines}:5: ")
    assert "after the story's rows" in error
    assert "19 created" in result.output
    assert len(rows(settings, "SELECT id FROM stories")) == 19
    assert rows(settings, "SELECT count(*) FROM revisions") == [(19,)]
    # Nothing of the failed story stayed: no row, no name, no queued feed.
    assert rows(settings, "SELECT count(*) FROM stories WHERE title = 'Fails late'") == [(0,)]
    assert rows(settings, "SELECT count(*) FROM names WHERE name = 'Only here'") == [(0,)]
    assert rows(settings, "SELECT count(*) FROM names WHERE name = 'only-here'") == [(0,)]
    queued = {scope for (scope,) in rows(settings, "SELECT scope FROM feed_changes")}
    assert "sections/city" in queued
    assert not any("only-here" in scope for scope in queued)


def test_a_json_list_keeps_every_story_but_the_one_that_fails(runner, settings, tmp_path):
    listed = tmp_path / "stories.json"
    # Two stories of one list by one name stay two stories: the second one's permalink clashes.
    listed.write_text(json.dumps([shape(1), shape(2, slug="story-1"), shape(3)]))
    result = runner.invoke(args=["import", str(listed)])
    assert result.exit_code == 1
    assert len(error_lines(result.output)) == 1
    assert "2 created" in result.output
    assert rows(settings, "SELECT slug FROM stories ORDER BY id") == [("story-1",), ("story-3",)]


def test_each_batch_queues_each_feed_once(runner, settings, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_SECONDS", 3600)  # however slow the machine, no early commit
    total = 2 * BATCH_SIZE + 1  # three batches
    lines = tmp_path / "stories.jsonl"
    lines.write_text("".join(json.dumps(shape(n)) + "\n" for n in range(1, total + 1)))
    result = runner.invoke(args=["import", str(lines)])
    assert result.exit_code == 0, result.output
    queued = rows(settings, "SELECT scope, count(*) FROM feed_changes GROUP BY scope")
    scopes = {scope for scope, _ in queued}
    assert {"latest", "sections/city", "tags/harbour", "archive/2024/03"} <= scopes
    assert {count for _, count in queued} == {3}  # once a batch, not once a story


def test_a_dry_run_across_batches_says_what_the_real_run_does_and_writes_nothing(
    runner, settings, tmp_path
):
    shapes = [shape(n) for n in range(1, BATCH_SIZE + 20)]
    shapes[BATCH_SIZE + 5] = clashing(BATCH_SIZE + 6)
    lines = tmp_path / "stories.jsonl"
    lines.write_text("".join(json.dumps(s) + "\n" for s in shapes))
    dry = runner.invoke(args=["import", "--dry-run", "--verbose", str(lines)])
    assert rows(settings, "SELECT count(*) FROM stories") == [(0,)]
    assert rows(settings, "SELECT count(*) FROM feed_changes") == [(0,)]
    real = runner.invoke(args=["import", "--verbose", str(lines)])
    assert dry.exit_code == real.exit_code == 1
    summary = f"{BATCH_SIZE + 18} created, 0 updated, 0 unchanged, 0 skipped, 1 failed"
    assert f"dry run: {summary}" in dry.output.splitlines()
    assert summary in real.output.splitlines()
    said = [line for line in dry.output.splitlines() if "created, " not in line]
    done = [line for line in real.output.splitlines() if "created, " not in line]
    assert said == done
    assert len(said) == BATCH_SIZE + 19


def test_a_batch_is_one_transaction_and_a_failing_save_is_undone_alone(archive, settings):
    with archive.batch():
        archive.save(story_from_dict(shape(1)))
        with pytest.raises(SlugConflict):
            archive.save(story_from_dict(shape(2, slug="story-1")))
        archive.save(story_from_dict(shape(3)))
        with open_archive(settings.archive_path, prepare=False) as other:
            assert other.count() == 0  # nothing is visible before the batch ends
    assert [s.slug for s in archive.all_stories()] == ["story-1", "story-3"]
    assert [s.id for s in archive.all_stories()] == [1, 2]


def test_a_batch_that_raises_writes_nothing(archive):
    def save_then_fail():
        with archive.batch():
            archive.save(story_from_dict(shape(1)))
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        save_then_fail()
    assert archive.count() == 0
    assert archive.pending_feed_changes() == (0, set())


def test_new_stories_take_the_ids_autoincrement_would_give(archive):
    first = archive.save(story_from_dict(shape(1)))
    archive.db.execute("DELETE FROM feed_changes")
    archive.db.conn.commit()
    second = archive.save(story_from_dict(shape(2)))
    assert (first.id, second.id) == (1, 2)
    # An id a restored story took is never given again, nor one below it.
    restored = {**shape(9), "id": 40, "entry_id": "tag:news.example,2024-03-05:/stories/40"}
    restored["path"] = "/2024/03/05/story-9/"
    assert archive.restore(restored)[0] == "created"
    assert archive.save(story_from_dict(shape(3))).id == 41


def test_a_long_json_list_is_read_in_linear_time():
    # Each story's name was compared with every name before it: 50,000 stories took minutes.
    raw = json.dumps([{"title": f"Story {n}", "slug": f"story-{n}"} for n in range(50_000)])
    started = time.perf_counter()
    items = ingest.items_from(raw, "json", origin="file:/list.json")
    assert time.perf_counter() - started < 10  # does not hang; about a second
    assert len({item.origin for item in items}) == 50_000


def test_a_batch_commits_early_once_it_has_held_the_lock_long_enough(
    runner, settings, tmp_path, monkeypatch
):
    monkeypatch.setattr(imports, "BATCH_SECONDS", 0)  # every save is then past the time
    lines = tmp_path / "stories.jsonl"
    lines.write_text("".join(json.dumps(shape(n)) + "\n" for n in range(1, 6)))
    result = runner.invoke(args=["import", str(lines)])
    assert result.exit_code == 0, result.output
    assert "5 created" in result.output
    # A transaction a story: each queued the site feed on its own.
    assert rows(settings, "SELECT count(*) FROM feed_changes WHERE scope = 'latest'") == [(5,)]
