"""A busy archive: a write that cannot get the write lock in time answers 503 archive-busy with
Retry-After (never 500), a command says so in one line, and an import never holds the lock
while it reads files."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from archive import open_archive
from archive.ingest import formats as ingest
from service import create_app
from tests.support.api import story_json
from tests.support.archives import copy_template_archive
from tests.support.commands import MastheadRunner

# Short enough that a test waits for it in a blink, long enough to be a real wait.
BUSY_TIMEOUT_MS = 150


@contextmanager
def write_lock_held(path: Path) -> Iterator[None]:
    """Another connection holds the archive's write lock until the block ends."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


@pytest.fixture
def busy_settings(make_settings):
    return make_settings(archive={"busy_timeout_ms": BUSY_TIMEOUT_MS})


def stories(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT title, origin FROM stories ORDER BY id").fetchall()


def test_a_write_kept_waiting_past_the_busy_timeout_answers_503_archive_busy(
    busy_settings, api_tokens
):
    client = create_app(busy_settings).test_client()
    headers = {**api_tokens["write"], "Content-Type": "application/json"}
    created = client.post("/api/stories", data=json.dumps(story_json()), headers=headers)
    assert created.status_code == 201
    etag, story_id = created.headers["ETag"], created.get_json()["id"]
    with write_lock_held(busy_settings.archive_path):
        posted = client.post(
            "/api/stories",
            data=json.dumps(story_json(slug="second", title="Second")),
            headers=headers,
        )
        patched = client.patch(
            f"/api/stories/{story_id}",
            data=json.dumps({"dek": "Changed"}),
            headers={**headers, "If-Match": etag},
        )
        withdrawn = client.delete(
            f"/api/stories/{story_id}", data=json.dumps({"reason": "Wrong"}), headers=headers
        )
        # Reads are not writes: pages and the API's reads answer meanwhile.
        assert client.get(f"/api/stories/{story_id}", headers=headers).status_code == 200
        assert client.get("/").status_code == 200
    for answer in (posted, patched, withdrawn):
        assert answer.status_code == 503, answer.get_data(as_text=True)
        assert answer.mimetype == "application/problem+json"
        assert int(answer.headers["Retry-After"]) > 0
        problem = answer.get_json()
        assert problem["type"] == "urn:masthead:problem:archive-busy"
        assert problem["status"] == 503
        assert "busy" in problem["detail"]
        assert "nothing was changed" in problem["detail"]
    # Nothing was changed, and the same writes succeed once the lock is free.
    assert stories(busy_settings.archive_path) == [("Harbour bridge reopens", None)]
    again = client.post(
        "/api/stories", data=json.dumps(story_json(slug="second", title="Second")), headers=headers
    )
    assert again.status_code == 201


def test_the_openapi_description_names_the_503_of_writes(busy_settings):
    described = create_app(busy_settings).test_client().get("/api/openapi.json").get_json()
    create = described["paths"]["/api/stories"]["post"]["responses"]
    assert "Retry-After" in create["503"]["headers"]


def test_an_import_kept_waiting_past_the_busy_timeout_says_so_in_one_line(busy_settings, tmp_path):
    runner = MastheadRunner(create_app(busy_settings))
    article = tmp_path / "story.txt"
    article.write_text("Harbour bridge reopens\n\nThe first bus crossed at dawn.\n")
    with write_lock_held(busy_settings.archive_path):
        result = runner.invoke(args=["import", str(article)])
    assert result.exit_code == 1
    [line] = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert "is busy" in line
    assert "busy_timeout_ms" in line
    assert "run the command again" in line
    assert "Traceback" not in result.output
    assert stories(busy_settings.archive_path) == []
    # Run again once the lock is free: the story lands.
    assert runner.invoke(args=["import", str(article)]).exit_code == 0
    assert [title for title, _ in stories(busy_settings.archive_path)] == ["Harbour bridge reopens"]


@pytest.fixture
def api_write_while_reading(busy_settings, monkeypatch, tmp_path, api_tokens):
    """While a reader reads a file holding "WRITE-NOW", an API write is sent through a fresh
    app (its status is written to a file: the reader may be another process); the file is
    then read as usual."""
    status = tmp_path / "api-status"
    read_text = ingest.READERS["text"]

    def reading_slowly(raw: str) -> list[dict]:
        if "WRITE-NOW" in raw:
            client = create_app(busy_settings).test_client()
            answer = client.post(
                "/api/stories",
                data=json.dumps(story_json(slug="from-the-newsroom", title="From the newsroom")),
                headers={**api_tokens["write"], "Content-Type": "application/json"},
            )
            status.write_text(str(answer.status_code))
        return read_text(raw)

    monkeypatch.setitem(ingest.READERS, "text", reading_slowly)
    return status


def test_an_import_holds_no_write_lock_while_its_files_are_read(
    busy_settings, api_write_while_reading, tmp_path
):
    folder = tmp_path / "in"
    folder.mkdir()
    for n, text in enumerate(["First story", "Second story WRITE-NOW", "Third story"]):
        (folder / f"{n}.txt").write_text(f"{text}\n\nA paragraph of story {n}.\n")
    result = MastheadRunner(create_app(busy_settings)).invoke(args=["import", str(folder)])
    assert result.exit_code == 0, result.output
    # The API write came while the import's batch was being read, and went straight in.
    assert api_write_while_reading.read_text() == "201"
    titles = sorted(title for title, _ in stories(busy_settings.archive_path))
    assert titles == [
        "First story",
        "From the newsroom",
        "Second story WRITE-NOW",
        "Third story",
    ]


def test_an_archive_opened_with_a_busy_timeout_waits_that_long(tmp_path):
    path = tmp_path / "archive.db"
    copy_template_archive(path)
    with open_archive(path, busy_timeout_ms=BUSY_TIMEOUT_MS) as archive:
        assert archive.db.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS
