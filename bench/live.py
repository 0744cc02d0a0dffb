"""A running `masthead serve` under load from this process: the pieces `bench freshness` and
`bench soak` share. Writers and readers are open-loop (each request is due at a set time, so a
slow server shows as a lower rate achieved, not as a lower rate asked for); a feed poller keeps
every version of a feed it sees, to tell when each written story first reached it.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import re
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from bench.corpus import AUTHORS, SECTIONS, TAGS
from bench.serving import free_port, masthead, running

TOKEN = "bench-write-token-0123456789"
WORKERS = 2  # server workers, as `masthead serve` defaults to
# Stories written to the archive are published at once and carry the corpus's vocabulary, so
# each touches the site feed, its month, a section, three tags and one or two authors.
ATOM = "{http://www.w3.org/2005/Atom}"
# Lines of the server log that count as a failed or missed scheduler run.
FAILED_RUN = re.compile(r"scheduler job \S+ failed")
MISSED_RUN = re.compile(r"was missed by|maximum number of running instances reached")
SERVER_ERROR = re.compile(r'" 5\d\d ')


@dataclass
class Server:
    url: str
    log: Path
    process: subprocess.Popen

    def worker_pids(self) -> list[int]:
        """The processes serving requests: the children of `masthead serve`."""
        children = []
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            text = (task / "children").read_text().split()
            children += [int(pid) for pid in text]
        return sorted(children)

    def log_counts(self) -> dict[str, int]:
        """Failed and missed scheduler runs and 5xx answers, from the server's log."""
        text = self.log.read_text(errors="replace")
        return {
            "failed_runs": len(FAILED_RUN.findall(text)),
            "missed_runs": len(MISSED_RUN.findall(text)),
            "log_5xx": len(SERVER_ERROR.findall(text)),
        }


@contextmanager
def serve(db: Path, work: Path) -> Iterator[Server]:
    """`masthead serve` over `db` on a free port of 127.0.0.1, feeds built first, with a write
    token in its environment; stopped on the way out."""
    command, options = masthead(db, work)
    options["env"] = {**options["env"], "MASTHEAD_API_WRITE_TOKENS": TOKEN}
    subprocess.run([*command, "feeds", "build"], check=True, capture_output=True, **options)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    serve_command = [*command, "serve", "--host", "127.0.0.1", "--port", str(port)]
    serve_command += ["--workers", str(WORKERS)]
    log = work / "masthead.log"
    with running(serve_command, url=url + "/feeds/latest.atom", log=log, **options) as process:
        yield Server(url, log, process)


# Requests ----------------------------------------------------------------------------------


@dataclass
class Answer:
    kind: str
    sent_at: float  # time.monotonic()
    seconds: float
    status: int  # 0 when the connection failed
    body: bytes = b""
    headers: dict = field(default_factory=dict)


class Client:
    """One keep-alive connection to the server, reopened after a failure."""

    def __init__(self, url: str):
        self.host, self.port = url.removeprefix("http://").split(":")
        self.connection: http.client.HTTPConnection | None = None

    def request(self, kind: str, method: str, path: str, body=None, headers=None) -> Answer:
        sent_at = time.monotonic()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, int(self.port), timeout=60)
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            if self.connection is not None:
                self.connection.close()
            self.connection = None
            return Answer(kind, sent_at, time.monotonic() - sent_at, 0)
        if response.will_close:
            self.connection.close()
            self.connection = None
        return Answer(
            kind, sent_at, time.monotonic() - sent_at, response.status, data, dict(response.headers)
        )


def story_payload(n: int, run: str) -> dict:
    """The nth story a benchmark writes: published at once, in the corpus's sections and tags."""
    return {
        "title": f"Live story {n} of {run}",
        "slug": f"live-{run}-{n}",
        "status": "published",
        "section": SECTIONS[n % len(SECTIONS)],
        "tags": [
            TAGS[n % len(TAGS)],
            TAGS[(n * 7 + 3) % len(TAGS)],
            TAGS[(n * 11 + 5) % len(TAGS)],
        ],
        "authors": [AUTHORS[n % len(AUTHORS)]],
        "summary": "What happened, in two lines.",
        "body": "<p>The first bus crossed the harbour bridge at dawn.</p>" * 6,
    }


def paced(
    url: str,
    rate: float,
    seconds: float,
    send: Callable[[Client, int], Answer],
    *,
    threads: int,
    answers: list[Answer],
) -> threading.Thread:
    """Start sending request n at start + n / rate, for `seconds`, from `threads` threads;
    answers are appended to `answers`. Returns a thread that ends when every request has."""
    start = time.monotonic()
    total = int(rate * seconds)
    counter = itertools.count()
    lock = threading.Lock()

    def work() -> None:
        client = Client(url)
        while (n := next(counter)) < total:
            due = start + n / rate
            if (wait := due - time.monotonic()) > 0:
                time.sleep(wait)
            answer = send(client, n)
            with lock:
                answers.append(answer)

    def run() -> None:
        pool = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()

    driver = threading.Thread(target=run, daemon=True)
    driver.start()
    return driver


def writer(run: str) -> Callable[[Client, int], Answer]:
    """Sends POST /api/stories with the write token: story n of `run`."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

    def send(client: Client, n: int) -> Answer:
        body = json.dumps(story_payload(n, run))
        return client.request("write", "POST", "/api/stories", body, headers)

    return send


# Feed versions and the lag of each story -----------------------------------------------------


@dataclass(frozen=True)
class Version:
    """A feed as a poll saw it: when the answer arrived, the entry ids in it, in order."""

    seen_at: float
    entry_ids: frozenset[str]
    oldest: str  # the id of its last (oldest) entry


class Poller:
    """Polls feeds with If-None-Match every `interval` seconds, keeping each new version."""

    def __init__(self, url: str, paths: list[str], interval: float):
        self.url = url
        self.paths = paths
        self.interval = interval
        self.versions: dict[str, list[Version]] = {path: [] for path in paths}
        self.answers: list[Answer] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self) -> Poller:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join()

    def run(self) -> None:
        client = Client(self.url)
        etags: dict[str, str] = {}
        while not self.stopping.is_set():
            for path in self.paths:
                headers = {"If-None-Match": etags[path]} if path in etags else {}
                answer = client.request("poll", "GET", path, headers=headers)
                self.answers.append(answer)
                if answer.status == 200:
                    etags[path] = answer.headers.get("ETag", "")
                    self.versions[path].append(version_of(answer))
                    answer.body = b""  # the version keeps what is needed
            self.stopping.wait(self.interval)


def version_of(answer: Answer) -> Version:
    root = etree.fromstring(answer.body)
    ids = [entry.findtext(f"{ATOM}id") for entry in root.iter(f"{ATOM}entry")]
    return Version(answer.sent_at + answer.seconds, frozenset(ids), ids[-1] if ids else "")


@dataclass(frozen=True)
class Written:
    """A story the benchmark wrote: its entry id, when its 201 arrived, where it sorts."""

    entry_id: str
    answered_at: float
    order: tuple[str, int]  # (published_at, id): the feeds' newest-first order, reversed
    section: str


def written_stories(answers: list[Answer]) -> list[Written]:
    stories = []
    for answer in answers:
        if answer.status == 201:
            story = json.loads(answer.body)
            stories.append(
                Written(
                    story["entry_id"],
                    answer.sent_at + answer.seconds,
                    (story["published_at"], story["id"]),
                    story["section"],
                )
            )
    return stories


def lags(stories: list[Written], versions: list[Version]) -> dict[str, float]:
    """Seconds from each story's 201 to the first feed version that reflects it, by entry id;
    a story never reflected is left out.

    A version reflects a story that is in it, or that is older than its oldest entry when that
    entry is a written story (and so are all the newer ones): newer stories pushed it out of the
    feed's window (50 entries) between two polls, after it had been built in or would have been.
    """
    versions = list(versions)  # the poller may be adding to it meanwhile
    order = {story.entry_id: story.order for story in stories}
    floors = [order.get(version.oldest) for version in versions]
    found = {}
    for story in stories:
        for version, floor in zip(versions, floors, strict=True):
            pushed_out = floor is not None and story.order < floor
            if story.entry_id in version.entry_ids or pushed_out:
                found[story.entry_id] = max(0.0, version.seen_at - story.answered_at)
                break
    return found


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p90, p99 and max of `values` (NaN for all when there are none)."""
    if not values:
        return dict.fromkeys(("p50", "p90", "p99", "max"), float("nan"))
    if len(values) == 1:
        return dict.fromkeys(("p50", "p90", "p99", "max"), values[0])
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": cuts[49], "p90": cuts[89], "p99": cuts[98], "max": max(values)}


def rss_mib(pids: list[int]) -> dict[int, float]:
    """Resident memory of each process, in MiB, from /proc (VmRSS)."""
    sizes = {}
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue
        kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
        sizes[pid] = kib / 1024
    return sizes


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    return f"{os.cpu_count()} CPUs ({cpu})"
