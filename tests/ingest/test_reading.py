"""Reading ahead of the writer (archive.reading): worker processes read and check files, and
every story comes back in file order, failures where they were, exactly as reading here."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest

from archive import open_archive, reading
from archive.ingest import formats as ingest
from archive.story.models import ChangeNote
from tests.support.archives import copy_template_archive

SITE = reading.Site(("Masthead",), "https://news.example.org/")


def _files(folder: Path) -> list[ingest.Found]:
    """Text files, a JSON Lines file with bad lines among 250 good ones, a file that is not
    UTF-8 and a JSON list: every kind of result, in a known order."""
    folder.mkdir()
    for n in range(40):
        (folder / f"a{n:02d}.txt").write_text(
            f"Story {n} in Москва\n\nA standfirst.\n\nThe council met on day {n}. " * 2
        )
    lines = []
    for n in range(250):
        if n % 37 == 5:
            lines.append("{not json")
        elif n % 41 == 7:
            lines.append(json.dumps({"title": "", "body": "<p>no title</p>"}))
        else:
            lines.append(json.dumps({"title": f"Line {n} 北京", "body": f"<p>Body {n}</p>"}))
    (folder / "b.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "c.txt").write_bytes(b"\xff\xfe not UTF-8")
    (folder / "d.json").write_text(json.dumps([{"title": f"Listed {n}"} for n in range(30)]))
    return ingest.files_under([folder])


def _described(read: reading.Read) -> tuple:
    """What a result says, without the objects that carry it."""
    if isinstance(read, reading.Failed):
        return ("failed", read.entry.path.name, read.problem)
    if isinstance(read, reading.LineRead):
        line = read.line
        if isinstance(line, ingest.Unreadable):
            return ("unreadable", line.where, reading.problem_of(line.error))
        return ("line", line.item.where, line.story and line.story.title, line.problem)
    stories = [(p.item.where, p.story and p.story.title, bool(p.checked)) for p in read.stories]
    return ("file", read.entry.path.name, read.problem, stories)


def _read(found, workers: int) -> list[tuple]:
    change = ChangeNote(None, "", is_import=True)
    options = {"defaults": {"language": "ru"}, "change": change, "site": SITE}
    with reading.read_ahead(found, workers=workers, **options) as reads:
        return [_described(read) for read in reads]


def test_workers_give_every_story_in_file_order(tmp_path):
    found = _files(tmp_path / "in")
    here = _read(found, workers=0)
    assert _read(found, workers=2) == here
    kinds = [entry[0] for entry in here]
    assert kinds.count("line") + kinds.count("unreadable") == 250 + 30
    assert [entry[1] for entry in here if entry[0] == "file"][:3] == [
        "a00.txt",
        "a01.txt",
        "a02.txt",
    ]
    failed_file = next(entry for entry in here if entry[0] == "file" and entry[1] == "c.txt")
    assert "not UTF-8" in failed_file[2]
    refused = [entry for entry in here if entry[0] == "line" and entry[2] is None]
    assert refused
    assert all("no title" in entry[3] for entry in refused)
    # A JSON list's stories come one by one once the whole list was read.
    listed = [entry[2] for entry in here if entry[0] == "line" and entry[1].endswith("d.json")]
    assert listed == [f"Listed {n}" for n in range(30)]


def test_workers_are_forked_before_the_archive_is_opened(tmp_path):
    """A process that inherits an open SQLite connection can release the writer's locks."""
    found = _files(tmp_path / "in")
    path = tmp_path / "archive.db"
    change = ChangeNote(None, "", is_import=True)
    options = {"defaults": {}, "change": change, "site": SITE, "workers": 2}
    copy_template_archive(path)
    with reading.read_ahead(found, **options) as reads, open_archive(path) as archive:
        archive.count()
        children = [child.pid for child in multiprocessing.active_children()]
        assert len(children) == 2
        for pid in children:
            opened = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
            assert not any(name.startswith(str(path)) for name in opened)
        assert sum(1 for _ in reads) > 0


def test_a_story_of_a_json_list_that_cannot_be_read_fails_alone(tmp_path):
    (tmp_path / "in").mkdir()
    path = tmp_path / "in" / "list.json"
    stories = [{"title": f"Fine {n}"} for n in range(150)]
    stories += [{"title": 7}, {"id": 3, "title": "Exported"}, {"title": "Last"}]
    path.write_text(json.dumps(stories))
    read = _read(ingest.files_under([path]), workers=1)
    assert [entry[2] for entry in read] == [*(f"Fine {n}" for n in range(150)), None, None, "Last"]
    assert read[150][3] == "title must be a string, not int"
    # Only a JSON Lines export is restored id for id; in a list, an id is an error.
    assert "id" in read[151][3]


@pytest.mark.parametrize("workers", [0, 1])
def test_a_story_the_gate_refuses_is_named_with_why(tmp_path, workers):
    (tmp_path / "in").mkdir()
    path = tmp_path / "in" / "s.jsonl"
    path.write_text(json.dumps({"title": "Fine", "language": "not a language!"}) + "\n")
    [read] = _read(ingest.files_under([path]), workers=workers)
    assert read[0] == "line"
    assert read[2] == "Fine"
    assert "language" in read[3]
