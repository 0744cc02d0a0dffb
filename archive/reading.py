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

Each file is read under limits (`Limits`): a time limit (a timer in the worker, and the
kernel's processor-time limit for code the timer cannot interrupt) and a memory limit (the
worker's address space). A file that exceeds them fails alone. A worker that dies (the kernel's
OOM killer, a crash in a parser) breaks the pool: the pool is replaced, the work the pool held
is sent again, and the files of the task that broke it are read again one at a time, each in a
process of its own, so that the file that kills its reader fails alone and every other file is
read. Those processes, and a replaced pool's, are forked with the archive open: they never
touch it, and leave without running the parent's clean-up (os._exit).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import resource
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from itertools import islice
from pathlib import Path

from archive.db.store import Checked, check
from archive.errors import ArchiveError
from archive.ingest import formats as ingest
from archive.ingest import origin
from archive.ingest.folders import Found
from archive.ingest.formats import Item, Unreadable
from archive.story.models import ChangeNote, Story

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
# Processor seconds a file may take past its time limit before the kernel stops its reader
# (SIGXCPU): the time limit's own signal reaches Python code only, not a parser stuck in C.
HARD_GRACE_SECONDS = 1
# Wall-clock time a file may take, as a multiple of its time limit, plus these seconds, before
# its reader is killed: a reader that neither returns to Python nor spends processor time.
WALL_GRACE_SECONDS = 2


def _wall_seconds(limits: Limits, files: int) -> float:
    return files * 2 * limits.seconds + WALL_GRACE_SECONDS


@dataclass(frozen=True)
class Limits:
    """What reading one file (or one story of a JSON list or JSON Lines file) may take in a
    reader process: `seconds` of time, and `memory_mb` MiB of memory beyond what the reader
    held when it started ([imports] read_seconds and read_memory_mb)."""

    seconds: float = 60
    memory_mb: int = 1024

    def too_long(self) -> str:
        return f"took longer than {self.seconds:g} s to read ([imports] read_seconds)"

    def too_big(self) -> str:
        return f"needs more than {self.memory_mb} MiB of memory to read ([imports] read_memory_mb)"


class ReadTooLong(BaseException):
    """A file's time is up. A BaseException, so that no parser's `except Exception` keeps it."""


@dataclass(frozen=True)
class Site:
    """What a worker needs of the site's settings: who the site is, so that it is never a
    story's originating publisher."""

    names: tuple[str, ...]
    base_url: str
    language: str = "en"  # of every story that states none


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
    limits: Limits | None = None,
) -> Iterator[Iterator[Read]]:
    """Every file's stories, in order, read and checked by `workers` processes (by default one
    fewer than the processors this process may use, at least one and at most MAX_WORKERS), each
    file under `limits` (by default Limits()). `workers=0` reads here, without limits.
    Enter before the archive is opened: the workers are forked on entry."""
    if workers is None:
        workers = max(1, min(MAX_WORKERS, len(os.sched_getaffinity(0)) - 1))
    tasks = _tasks(found, defaults, change, site)
    if workers < 1:
        yield _in_order(tasks, readers=None)
        return
    readers = _Readers(workers, limits or Limits())
    try:
        yield _in_order(tasks, readers=readers, ahead=workers * TASKS_AHEAD)
    finally:
        readers.shutdown()


class _Readers:
    """The pool of reader processes, replaced when one of them dies."""

    def __init__(self, workers: int, limits: Limits):
        self.workers, self.limits = workers, limits
        self.pool = self._started()

    def _started(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("fork")
        self.pids = context.Array("i", self.workers)  # each reader writes its own in
        pool = ProcessPoolExecutor(
            self.workers,
            mp_context=context,
            initializer=_start_reader,
            initargs=(self.limits, self.pids),
        )
        pool.submit(int).result()  # forks every worker now (the first time, before any archive)
        return pool

    def submit(self, task: tuple) -> Future:
        return self.pool.submit(*task)

    def kill(self) -> None:
        """Kill every reader (the pool breaks)."""
        for pid in self.pids[:]:
            if pid:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def replace(self) -> None:
        """A new pool for a broken one; the broken one's futures have all failed by the end."""
        self.pool.shutdown(wait=True)
        self.pool = self._started()

    def shutdown(self) -> None:
        self.pool.shutdown(cancel_futures=True)


def _in_order(tasks: Iterator, *, readers: _Readers | None, ahead: int = 0) -> Iterator[Read]:
    """The tasks' results in the order the tasks came, at most `ahead` of them running. A task
    is (function, arguments...) for a reader, or results known now (a list of Read)."""
    running: deque[tuple[Future | None, tuple | list[Read]]] = deque()
    for task in tasks:
        future = readers.submit(task) if readers is not None and callable(task[0]) else None
        running.append((future, task))
        while len(running) > ahead:
            yield from _result(running, readers)
    while running:
        yield from _result(running, readers)


def _result(running: deque, readers: _Readers | None) -> list[Read]:
    """The first running task's results. When a reader died, the pool is replaced, the tasks it
    held are sent to the new one, and this task's files are read one at a time, alone."""
    future, task = running.popleft()
    if future is None:
        return task if not callable(task[0]) else task[0](*task[1:])
    assert readers is not None  # the future came from them
    try:
        return future.result(timeout=_wall_seconds(readers.limits, len(_one_by_one(task))))
    except TimeoutError:
        readers.kill()  # stuck where neither limit reaches: its files are read again alone
    except BrokenProcessPool:
        pass
    readers.replace()
    for index, (other, other_task) in enumerate(running):
        if other is None:
            continue
        if other.cancelled() or isinstance(other.exception(), BrokenProcessPool):
            running[index] = (readers.submit(other_task), other_task)
    return [
        read
        for single, failed in _one_by_one(task)
        for read in _alone(single, failed, readers.limits)
    ]


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
    return [LineRead(entry, _listed(item, change, site)) for item in items]


def _listed(item: Item, change: ChangeNote | None, site: Site) -> Prepared:
    return _limited(lambda: _prepared(item, change, site), lambda p: Prepared(item, problem=p))


def _read_files(
    entries: list[Found], defaults: dict, change: ChangeNote | None, site: Site
) -> list[Read]:
    """In a worker: text, Markdown and HTML files (a story each), read whole."""
    return [_read_file(entry, defaults, change, site) for entry in entries]


def _read_file(entry: Found, defaults: dict, change: ChangeNote | None, site: Site) -> FileRead:
    if entry.skipped or entry.problem:
        return FileRead(entry)

    def read() -> FileRead:
        try:
            items = ingest.items_in(entry.path, defaults=defaults, follow_links=not entry.in_folder)
            return FileRead(
                entry, tuple(_prepared(_readable(item), change, site) for item in items)
            )
        except (ArchiveError, *UNREADABLE) as error:
            return FileRead(entry, problem=problem_of(error))

    return _limited(read, lambda problem: FileRead(entry, problem=problem))


def _read_lines(
    entry: Found, chunk: list[Item | Unreadable], change: ChangeNote | None, site: Site
) -> list[Read]:
    """In a worker: JSON Lines, each on its own; an exported story (with its id) is left for
    the archive to restore."""
    return [LineRead(entry, _read_line(item, change, site)) for item in chunk]


def _read_line(item: Item | Unreadable, change: ChangeNote | None, site: Site):
    if isinstance(item, Unreadable):
        return item
    return _limited(lambda: _line(item, change, site), lambda p: Unreadable(item.where, NotRead(p)))


# Limits -------------------------------------------------------------------------------------

# The limits of this process when it is a reader (set as it starts), and whether a file is
# being read now (the timer's signal stops only that).
_reader_limits: Limits | None = None
_reading = False


def _start_reader(limits: Limits, pids=None) -> None:
    """In a new reader process: its memory limit, and the timer's signal handler; its pid in
    the first free place of `pids`."""
    global _reader_limits
    _reader_limits = limits
    if pids is not None:
        with pids.get_lock():
            free = list(pids).index(0) if 0 in pids else None
            if free is not None:
                pids[free] = os.getpid()
    with suppress(OSError, ValueError):
        pages = int(Path("/proc/self/statm").read_text().split()[0])
        held = os.sysconf("SC_PAGE_SIZE") * pages
        address_space = held + limits.memory_mb * 2**20
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            address_space = min(address_space, hard)
        resource.setrlimit(resource.RLIMIT_AS, (address_space, hard))
    signal.signal(signal.SIGALRM, _time_is_up)


def _time_is_up(_signal, _frame) -> None:
    if _reading:
        raise ReadTooLong


def _limited(read: Callable, failed: Callable[[str], object]):
    """`read()` under the reader's limits (none outside a reader); `failed(problem)` when it
    takes too long or needs too much memory."""
    global _reading
    limits = _reader_limits
    if limits is None:
        return read()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    stop = math.ceil(used + limits.seconds) + HARD_GRACE_SECONDS
    if hard != resource.RLIM_INFINITY:
        stop = min(stop, hard)
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (stop, hard))
        _reading = True
        # Then every second: a parser that swallows the first one still stops.
        signal.setitimer(signal.ITIMER_REAL, limits.seconds, 1)
        try:
            return read()
        finally:
            _reading = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    except ReadTooLong:
        return failed(limits.too_long())
    except MemoryError:
        return failed(limits.too_big())


def _one_by_one(task: tuple) -> list[tuple[tuple, Callable[[str], list[Read]]]]:
    """A reader's task as tasks of one file (or one story) each, with what each gives when
    its reader dies: failed(problem)."""
    function, *args = task
    if function is _read_files:
        entries, *rest = args
        return [((_read_files, [entry], *rest), partial(_file_failed, entry)) for entry in entries]
    entry, items, *rest = args
    failed = _line_failed if function is _read_lines else _listed_failed
    return [((function, entry, [item], *rest), partial(failed, entry, item)) for item in items]


def _file_failed(entry: Found, problem: str) -> list[Read]:
    return [FileRead(entry, problem=problem)]


def _line_failed(entry: Found, item: Item | Unreadable, problem: str) -> list[Read]:
    return [LineRead(entry, Unreadable(item.where, NotRead(problem)))]


def _listed_failed(entry: Found, item: Item, problem: str) -> list[Read]:
    return [LineRead(entry, Prepared(item, problem=problem))]


def _alone(task: tuple, failed: Callable[[str], list[Read]], limits: Limits) -> list[Read]:
    """One file's task in a reader process of its own: its results, or `failed(problem)` saying
    how the process ended when it died or was killed."""
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(target=_read_alone, args=(sending, task, limits), daemon=True)
    process.start()
    sending.close()
    try:
        if receiving.poll(_wall_seconds(limits, 1)):
            with suppress(EOFError):
                return receiving.recv()
        else:
            process.kill()
            process.join()
            return failed(limits.too_long())
    finally:
        receiving.close()
        process.join()
    return failed(_how_it_ended(process.exitcode, limits))


def _read_alone(sending, task: tuple, limits: Limits) -> None:
    """In a process of its own: one task under the limits, its results sent back."""
    _start_reader(limits)
    sending.send(task[0](*task[1:]))
    sending.close()


def _how_it_ended(exitcode: int | None, limits: Limits) -> str:
    if exitcode is not None and exitcode < 0:
        number = -exitcode
        if number == signal.SIGXCPU:
            return limits.too_long()
        name = signal.Signals(number).name if number in signal.valid_signals() else str(number)
        if number == signal.SIGKILL:
            return (
                f"its reader process was killed ({name}) while reading it, as the kernel does "
                f"when memory runs out"
            )
        return f"its reader process died ({name}) while reading it"
    return f"its reader process ended (exit status {exitcode}) while reading it"


def _line(item: Item, change: ChangeNote | None, site: Site) -> Prepared:
    return Prepared(item, restore=True) if "id" in item.shape else _prepared(item, change, site)


def _readable(item: Item | Unreadable) -> Item:
    """An item read whole; a line that could not be read raises the error saying why."""
    if isinstance(item, Unreadable):
        raise item.error
    return item


def _prepared(item: Item, change: ChangeNote | None, site: Site) -> Prepared:
    """The item's story read and checked, as far as that can go without the archive."""
    try:
        # The site itself is never a story's originating publisher.
        story = origin.unless_own(ingest.story_of(item), site.names, site.base_url)
    except (ArchiveError, *UNREADABLE) as error:
        return Prepared(item, problem=problem_of(error))
    try:
        return Prepared(item, story, check(story, change, language=site.language))
    except ArchiveError as error:
        return Prepared(item, story, problem=problem_of(error))
