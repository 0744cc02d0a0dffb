"""Files to import, read and checked on other processors while this one writes.

Reading a story (extracting a text's title, credits and rights, detecting its language) and
the gate (every field checked, the body cleaned) need no archive and take about as long as
writing the story does, so `read_ahead` does both in worker processes, a few files or a
hundred stories of a JSON list or JSON Lines file ahead of the writer, and hands back every
story in file order. What only
the archive can decide stays with the writer: whether the story was imported before (a
re-import is read over the stored story) and restores of exported stories.

The workers are forked when `read_ahead` starts, before the caller opens the archive: a
process must not inherit an open SQLite connection.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice

from archive import ingest, origin
from archive.errors import ArchiveError
from archive.folders import Found
from archive.ingest import Item, Unreadable
from archive.models import ChangeNote, Story
from archive.store import Checked, check

# What a file can raise that says only that this file cannot be read: too deeply nested
# (RecursionError), a number too long or a bad value (ValueError), text that is not Unicode,
# a file that cannot be opened (a symlink loop, no permission).
UNREADABLE = (RecursionError, ValueError, UnicodeError, OSError)
# Work sent to a worker at once: files read whole (about a story each), or JSON Lines.
FILES_A_TASK = 16
LINES_A_TASK = 100
# Tasks read ahead of the writer, a few per worker: enough to keep every worker busy, few
# enough that a large import never waits in memory.
TASKS_AHEAD = 4
# Most workers: the writer is one process, and reading rarely outpaces more than a few.
MAX_WORKERS = 4


@dataclass(frozen=True)
class Site:
    """What a worker needs of the site's settings: who the site is, so that it is never a
    story's originating publisher."""

    names: tuple[str, ...]
    base_url: str


@dataclass(frozen=True)
class Prepared:
    """One story of a file as a worker read it: `story` (read from the item alone) and
    `checked` (through the gate), or `problem` saying why not. A `restore` (a JSON Lines line
    with an exported id) is left to the archive."""

    item: Item
    story: Story | None = None
    checked: Checked | None = None
    problem: str = ""
    restore: bool = False


@dataclass(frozen=True)
class FileRead:
    """A file read whole: its stories, or `problem` when the file cannot be read."""

    entry: Found
    stories: tuple[Prepared, ...] = ()
    problem: str = ""


@dataclass(frozen=True)
class LineRead:
    """One story on its own: a line of a JSON Lines file (or the line that could not be read),
    or a story of a JSON list."""

    entry: Found
    line: Prepared | Unreadable


@dataclass(frozen=True)
class Failed:
    """A file that failed while its lines were being read (the lines before it stand)."""

    entry: Found
    problem: str


Read = FileRead | LineRead | Failed


class NotRead(ArchiveError):
    """A story the reader could not read, or the gate refused; the message says why."""


def problem_of(error: Exception) -> str:
    """What went wrong, on one line, as messages show it."""
    if isinstance(error, RecursionError):
        return "nested too deeply to read"
    return " ".join(str(error).split())[:300] or type(error).__name__


@contextmanager
def read_ahead(
    found: Iterable[Found],
    *,
    defaults: dict,
    change: ChangeNote | None,
    site: Site,
    workers: int | None = None,
) -> Iterator[Iterator[Read]]:
    """Every file's stories, in order, read and checked by `workers` processes (by default one
    fewer than the processors this process may use, at most MAX_WORKERS; none reads here).
    Enter before the archive is opened: the workers are forked on entry."""
    if workers is None:
        workers = min(MAX_WORKERS, len(os.sched_getaffinity(0)) - 1)
    if workers < 1:
        yield _in_order(_tasks(found, defaults, change, site), run=_run_here)
        return
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        pool.submit(int).result()  # forks every worker now, before any archive is open
        yield _in_order(
            _tasks(found, defaults, change, site), run=pool.submit, ahead=workers * TASKS_AHEAD
        )
    finally:
        pool.shutdown(cancel_futures=True)


def _run_here(function: Callable, *args) -> Future:
    done: Future = Future()
    done.set_result(function(*args))
    return done


def _in_order(tasks: Iterator, *, run: Callable, ahead: int = 0) -> Iterator[Read]:
    """The tasks' results in the order the tasks came, at most `ahead` of them running."""
    running: deque[Future | list[Read]] = deque()
    for task in tasks:
        running.append(run(*task) if callable(task[0]) else task)
        while len(running) > ahead:
            yield from _result(running.popleft())
    while running:
        yield from _result(running.popleft())


def _result(task: Future | list[Read]) -> list[Read]:
    return task.result() if isinstance(task, Future) else task


def _tasks(found: Iterable[Found], defaults: dict, change: ChangeNote | None, site: Site):
    """What to do, in order: (function, arguments...) for a worker, or results known now (a
    file skipped, a JSON Lines file that failed) as a list of Read."""
    whole: list[Found] = []
    for entry in found:
        kind = ingest.SUFFIXES.get(entry.path.suffix.lower())
        if entry.skipped or entry.problem or kind not in ("jsonl", "json"):
            whole.append(entry)
            if len(whole) == FILES_A_TASK:
                yield (_read_files, whole, defaults, change, site)
                whole = []
            continue
        if whole:
            yield (_read_files, whole, defaults, change, site)
            whole = []
        tasks = _line_tasks if kind == "jsonl" else _list_tasks
        yield from tasks(entry, defaults, change, site)
    if whole:
        yield (_read_files, whole, defaults, change, site)


def _line_tasks(entry: Found, defaults: dict, change: ChangeNote | None, site: Site):
    """A JSON Lines file's lines, read here (one after another, each failing alone) and sent to
    the workers a hundred at a time."""
    lines = ingest.items_in(entry.path, defaults=defaults, follow_links=not entry.in_folder)
    while True:
        try:
            chunk = list(islice(lines, LINES_A_TASK))
        except (ArchiveError, *UNREADABLE) as error:
            yield [Failed(entry, problem_of(error))]
            return
        if not chunk:
            return
        yield (_read_lines, entry, [_sendable(item) for item in chunk], change, site)


def _sendable(item: Item | Unreadable) -> Item | Unreadable:
    """A line that could not be read, with its error as a message that survives the trip to
    a worker and back (the archive's errors are rebuilt from their message alone)."""
    if isinstance(item, Unreadable):
        return Unreadable(item.where, NotRead(problem_of(item.error)))
    return item


def _list_tasks(entry: Found, defaults: dict, change: ChangeNote | None, site: Site):
    """A JSON file's stories: the file read here, whole (it cannot be read in parts), its
    stories sent to the workers a hundred at a time, each failing on its own."""
    try:
        items = list(
            ingest.items_in(entry.path, defaults=defaults, follow_links=not entry.in_folder)
        )
    except (ArchiveError, *UNREADABLE) as error:
        yield [FileRead(entry, problem=problem_of(error))]
        return
    for start in range(0, len(items), LINES_A_TASK):
        yield (_read_listed, entry, items[start : start + LINES_A_TASK], change, site)


def _read_listed(
    entry: Found, items: list[Item], change: ChangeNote | None, site: Site
) -> list[Read]:
    """In a worker: stories of a JSON list, each on its own."""
    return [LineRead(entry, _prepared(item, change, site)) for item in items]


def _read_files(
    entries: list[Found], defaults: dict, change: ChangeNote | None, site: Site
) -> list[Read]:
    """In a worker: text, Markdown and HTML files (a story each), read whole."""
    done: list[Read] = []
    for entry in entries:
        if entry.skipped or entry.problem:
            done.append(FileRead(entry))
            continue
        try:
            items = ingest.items_in(entry.path, defaults=defaults, follow_links=not entry.in_folder)
            stories = tuple(_prepared(item, change, site) for item in items)
        except (ArchiveError, *UNREADABLE) as error:
            done.append(FileRead(entry, problem=problem_of(error)))
            continue
        done.append(FileRead(entry, stories))
    return done


def _read_lines(
    entry: Found, chunk: list[Item | Unreadable], change: ChangeNote | None, site: Site
) -> list[Read]:
    """In a worker: JSON Lines, each on its own; an exported story (with its id) is left for
    the archive to restore."""
    return [
        LineRead(entry, _line(item, change, site) if isinstance(item, Item) else item)
        for item in chunk
    ]


def _line(item: Item, change: ChangeNote | None, site: Site) -> Prepared:
    return Prepared(item, restore=True) if "id" in item.shape else _prepared(item, change, site)


def _prepared(item: Item, change: ChangeNote | None, site: Site) -> Prepared:
    """The item's story read and checked, as far as that can go without the archive."""
    try:
        # The site itself is never a story's originating publisher.
        story = origin.unless_own(ingest.story_of(item), site.names, site.base_url)
    except (ArchiveError, *UNREADABLE) as error:
        return Prepared(item, problem=problem_of(error))
    try:
        return Prepared(item, story, check(story, change))
    except ArchiveError as error:
        return Prepared(item, story, problem=problem_of(error))
