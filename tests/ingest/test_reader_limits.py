"""Readers under limits: a file that takes too long or needs too much memory, or whose reader
process dies (kill -9, as the kernel's OOM killer does), fails alone with one error line; the
readers are replaced and every other file is imported."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import time

import pytest

from archive import reading
from archive.ingest import formats as ingest
from service import create_app
from service.settings import SettingsError
from tests.support.commands import MastheadRunner

# What a test file holds to make its reader misbehave (see `misbehaving_reader`).
KILLED, SLOW, GREEDY, STUCK = "KILL-MY-READER", "READ-ME-SLOWLY", "EAT-MEMORY", "SPIN-IN-C"


@pytest.fixture
def misbehaving_reader(monkeypatch):
    """The text reader, except in a reader process for a file naming a misbehaviour: it kills
    its own process (SIGKILL), sleeps, allocates far past the memory limit, or sleeps with the
    time limit's signal blocked, as a parser stuck in C code would."""
    here = os.getpid()
    read_text = ingest.READERS["text"]

    def reading(raw: str) -> list[dict]:
        if os.getpid() != here:
            if KILLED in raw:
                os.kill(os.getpid(), signal.SIGKILL)
            if SLOW in raw:
                time.sleep(60)
            if GREEDY in raw:
                eaten = bytearray(2**30)
                return [{"title": str(len(eaten))}]
            if STUCK in raw:
                deadline = time.monotonic() + 120
                # Busy in Python and deaf to the reader's timer: whatever the timer raises is
                # swallowed, so only the wall-clock deadline of the import can end this reader.
                while time.monotonic() < deadline:
                    with contextlib.suppress(BaseException):
                        while time.monotonic() < deadline:
                            continue
        return read_text(raw)

    monkeypatch.setitem(ingest.READERS, "text", reading)


@pytest.fixture
def limited(make_settings):
    """A runner whose imports read each file in at most 1 s and 64 MiB."""
    settings = make_settings(imports={"read_seconds": 1, "read_memory_mb": 64})
    return settings, MastheadRunner(create_app(settings))


def write_folder(folder, bad: str, *, good: int = 6) -> None:
    folder.mkdir()
    for n in range(good):
        (folder / f"good-{n}.txt").write_text(f"Good story {n}\n\nThe council met on day {n}.\n")
    (folder / "bad.txt").write_text(f"Bad story\n\n{bad} in its paragraph.\n")


def titles(settings) -> list[str]:
    with sqlite3.connect(settings.archive_path) as db:
        return sorted(row[0] for row in db.execute("SELECT title FROM stories"))


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


GOOD = [f"Good story {n}" for n in range(6)]


def test_a_reader_killed_mid_import_fails_its_file_alone(limited, misbehaving_reader, tmp_path):
    settings, runner = limited
    # Three readers' tasks of files (the killer in the first), all sent before the first
    # ends: the work the broken pool held is sent again to the new one.
    write_folder(tmp_path / "in", KILLED, good=40)
    lines = [json.dumps({"title": f"Line {n}", "body": "<p>A line.</p>"}) for n in range(4)]
    (tmp_path / "lines.jsonl").write_text("\n".join(lines) + "\n")
    result = runner.invoke(args=["import", str(tmp_path / "in"), str(tmp_path / "lines.jsonl")])
    assert result.exit_code == 1, result.output
    [line] = error_lines(result.output)
    assert line.startswith(f"error: {tmp_path / 'in' / 'bad.txt'}: ")
    assert "killed (SIGKILL)" in line
    assert "Traceback" not in result.output
    assert "BrokenProcessPool" not in result.output
    good = [f"Good story {n}" for n in range(40)]
    assert titles(settings) == sorted([*good, *(f"Line {n}" for n in range(4))])
    assert "44 created" in result.output


def test_a_killed_reader_fails_only_its_line_of_a_json_lines_file(limited, monkeypatch, tmp_path):
    settings, runner = limited
    here, prepared = os.getpid(), reading._prepared

    def killing(item, change, site):
        if os.getpid() != here and KILLED in str(item.shape.get("title")):
            os.kill(os.getpid(), signal.SIGKILL)
        return prepared(item, change, site)

    monkeypatch.setattr(reading, "_prepared", killing)
    titled = ["Line 0", "Line 1", f"Line 2 {KILLED}", "Line 3", "Line 4"]
    lines = [json.dumps({"title": title, "body": "<p>A line.</p>"}) for title in titled]
    path = tmp_path / "lines.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1, result.output
    [line] = error_lines(result.output)
    assert line.startswith(f"error: {path}:3: ")
    assert "killed (SIGKILL)" in line
    assert titles(settings) == ["Line 0", "Line 1", "Line 3", "Line 4"]


def test_a_file_read_past_the_time_limit_fails_alone(limited, misbehaving_reader, tmp_path):
    settings, runner = limited
    write_folder(tmp_path / "in", SLOW)
    result = runner.invoke(args=["import", str(tmp_path / "in")])
    assert result.exit_code == 1, result.output
    [line] = error_lines(result.output)
    assert line == (
        f"error: {tmp_path / 'in' / 'bad.txt'}: took longer than 1 s to read "
        "([imports] read_seconds)"
    )
    assert titles(settings) == GOOD


def test_a_file_needing_more_memory_than_the_limit_fails_alone(
    limited, misbehaving_reader, tmp_path
):
    settings, runner = limited
    write_folder(tmp_path / "in", GREEDY)
    result = runner.invoke(args=["import", str(tmp_path / "in")])
    assert result.exit_code == 1, result.output
    [line] = error_lines(result.output)
    assert line == (
        f"error: {tmp_path / 'in' / 'bad.txt'}: needs more than 64 MiB of memory to read "
        "([imports] read_memory_mb)"
    )
    assert titles(settings) == GOOD


def test_a_reader_stuck_where_neither_limit_reaches_is_killed_and_its_file_fails_alone(
    misbehaving_reader, tmp_path
):
    """A reader that neither returns to Python nor spends processor time (its timer's signal
    blocked, asleep) is killed at the wall-clock deadline; the file fails alone."""
    write_folder(tmp_path / "in", STUCK, good=2)
    options = {"defaults": {}, "change": None, "site": reading.Site(("Masthead",), "")}
    limits = reading.Limits(seconds=0.3, memory_mb=256)
    found = ingest.files_under([tmp_path / "in"])
    with reading.read_ahead(found, workers=1, limits=limits, **options) as reads:
        results = {read.entry.path.name: read for read in reads}
    assert results["bad.txt"].problem == "took longer than 0.3 s to read ([imports] read_seconds)"
    assert [s.story.title for s in results["good-0.txt"].stories] == ["Good story 0"]
    assert [s.story.title for s in results["good-1.txt"].stories] == ["Good story 1"]


def test_an_import_and_its_readers_take_less_of_the_processors(
    make_settings, monkeypatch, tmp_path
):
    settings = make_settings(imports={"niceness": 7})
    seen = tmp_path / "niceness"
    read_text = ingest.READERS["text"]

    def reading(raw: str) -> list[dict]:
        seen.write_text(str(os.getpriority(os.PRIO_PROCESS, 0)))
        return read_text(raw)

    monkeypatch.setitem(ingest.READERS, "text", reading)
    before = os.getpriority(os.PRIO_PROCESS, 0)
    (tmp_path / "story.txt").write_text("A story\n\nIts paragraph.\n")
    result = MastheadRunner(create_app(settings)).invoke(
        args=["import", str(tmp_path / "story.txt")]
    )
    assert result.exit_code == 0, result.output
    assert int(seen.read_text()) == max(before, 7)  # never made more urgent than it was


def test_a_niceness_outside_0_to_19_is_refused(make_settings):
    with pytest.raises(SettingsError, match=r"\[imports\] niceness = 20 is not a niceness"):
        make_settings(imports={"niceness": 20})
