"""Taking in sources: 1,000 partner feeds on a local server, polled by one `masthead serve`.

A source server (a process of its own on 127.0.0.1) serves SOURCES RSS feeds: most answer 304
to a conditional request, one in seven gains a new entry every minute (and answers 200 then),
one in ten answers half a second late, one in twenty fails (500). `masthead serve` runs over a
copy of the 1,000-story archive with every source added and `[sources] min_minutes =
max_minutes = 1`, so each source is polled about once a minute; a reader meanwhile asks for the
home page and the site feed ten times a second, and reads the site feed every second to see
when each new entry's story first appears in it. The same server without sources, for the same
time, is the baseline: its CPU time and its readers' p99.

Figures: polls per second; CPU seconds of the server (all its processes) per 1,000 polls, above
the baseline; the share of one core that 1,000 sources polled every 15 minutes would take at
that cost; time from a new entry on a source to its story in Masthead's site feed (p50, p99);
the pages' and feed's p99 with and without intake.

Targets: 1,000 sources polled every 15 minutes under 10% of one core; new entries in the feed
within 2 poll intervals (here 2 minutes).
Run: `.venv/bin/python -m bench intake` (about 6 minutes); `BENCH_SECONDS=60` for a quick run.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from archive import open_archive
from archive.db import sources as store
from bench import live
from bench.corpus import archive_of
from bench.serving import BASE_URL, BIN, TIMEZONE, free_port, running, write_section

SOURCES = 1_000
SECONDS = float(os.environ.get("BENCH_SECONDS", 150))  # measured time of each run
WARM_SECONDS = 20  # after the start, before measuring: the first round of polls settles
READ_EVERY = 0.1  # seconds between two reads of a page or the feed
NEW_ENTRY_SECONDS = 60  # a fresh source gains an entry this often
POLL_MINUTES = 1
TARGET_CORE_SHARE = 0.10  # of one core, for 1,000 sources each polled every 15 minutes
TARGET_INTERVALS = 2  # new entries in the feed within this many poll intervals
HEADING = "## Taking in sources"
TITLE = re.compile(r"<title[^>]*>(intake-\d+-\d+)</title>")


def kind_of(number: int) -> str:
    if number % 20 == 0:
        return "failing"
    if number % 10 == 1:
        return "slow"
    if number % 7 == 2:
        return "fresh"
    return "quiet"


def document(number: int, started: float) -> tuple[str, str]:
    """The feed of source `number` now, and its ETag."""
    if kind_of(number) != "fresh":
        items = f"<item><title>quiet-{number}</title><guid>q-{number}</guid></item>"
        return _rss(number, items), f'"{number}-0"'
    newest = int((time.time() - started) // NEW_ENTRY_SECONDS)
    items = "".join(
        f"<item><title>intake-{number}-{k}</title><guid>e-{number}-{k}</guid>"
        f"<pubDate>{_http_date(started + k * NEW_ENTRY_SECONDS)}</pubDate>"
        f"<description>Entry {k} of source {number}.</description></item>"
        for k in range(max(0, newest - 2), newest + 1)
    )
    return _rss(number, items), f'"{number}-{newest}"'


def _rss(number: int, items: str) -> str:
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Partner {number}</title>'
        f"<link>https://partner{number}.example/</link><description>d</description>"
        f"<copyright>© Partner {number}</copyright>{items}</channel></rss>"
    )


def _http_date(moment: float) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(moment))


def serve_sources(port: int, started: float, counts) -> None:
    """The source server (run in a process of its own)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            number = int(self.path.strip("/").split(".")[0])
            kind = kind_of(number)
            with counts.get_lock():
                counts[0] += 1
            if kind == "slow":
                time.sleep(0.5)
            if kind == "failing":
                return self._answer(500, b"")
            text, etag = document(number, started)
            if self.headers.get("If-None-Match") == etag:
                with counts.get_lock():
                    counts[1] += 1
                return self._answer(304, b"", etag)
            return self._answer(200, text.encode(), etag)

        def _answer(self, status: int, body: bytes, etag: str = "") -> None:
            self.send_response(status)
            if etag:
                self.send_header("ETag", etag)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


def add_sources(db: Path, port: int) -> None:
    now = datetime.now(UTC)
    with open_archive(db, domain="news.example", timezone=TIMEZONE) as archive:
        for number in range(SOURCES):
            store.add_source(
                archive.db, f"http://127.0.0.1:{port}/{number}.rss", now=now,
                interval_seconds=60, slug=f"partner-{number}", publisher=f"Partner {number}",
            )  # fmt: skip


def config(db: Path, work: Path) -> tuple[list[str], dict]:
    (work / "config.toml").write_text(
        f'[site]\nbase_url = "{BASE_URL}"\ntimezone = "{TIMEZONE}"\n'
        f'[archive]\npath = "{db}"\ndemo = false\n'
        "[http]\nrate_limit_per_minute = 0\n"
        f"[sources]\nallow_private = true\nmin_minutes = {POLL_MINUTES}\n"
        f"max_minutes = {POLL_MINUTES}\n"
    )
    env = {**os.environ, "MASTHEAD_CONFIG": str(work / "config.toml")}
    return [str(BIN / "masthead")], {"cwd": work, "env": env}


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and all its children, alive or reaped."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        pids += [int(p) for p in (task / "children").read_text().split()]
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += sum(int(v) for v in fields[11:15]) / ticks  # utime stime cutime cstime
    return total


class Reader(threading.Thread):
    """Reads / and the site feed every READ_EVERY seconds; notes when each title first shows."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.client = live.Client(url)
        self.seconds: list[float] = []
        self.first_seen: dict[str, float] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        paths = ("/", "/feeds/latest.atom")
        n = 0
        while not self.stopping.wait(READ_EVERY):
            n += 1
            answer = self.client.request("read", "GET", paths[n % 2])
            self.seconds.append(answer.seconds)
            if n % 2:
                for title in TITLE.findall(answer.body.decode("utf-8", "replace")):
                    self.first_seen.setdefault(title, time.time())


def run(work: Path, *, with_sources: bool) -> dict:
    db = archive_of(1_000)
    port = free_port()
    started = time.time()
    counts = multiprocessing.Array("l", 2)
    sources = multiprocessing.Process(target=serve_sources, args=(port, started, counts))
    sources.start()
    try:
        if with_sources:
            add_sources(db, port)
        command, options = config(db, work)
        subprocess.run([*command, "feeds", "build"], check=True, capture_output=True, **options)
        url_port = free_port()
        url = f"http://127.0.0.1:{url_port}"
        serve = [*command, "serve", "--host", "127.0.0.1", "--port", str(url_port)]
        with running(serve, url=url + "/feeds/latest.atom", log=work / "serve.log", **options) as p:
            time.sleep(WARM_SECONDS)
            reader = Reader(url)
            cpu_before, polls_before, unchanged_before = cpu_seconds(p.pid), counts[0], counts[1]
            measured_from = time.time()
            reader.start()
            time.sleep(SECONDS)
            reader.stopping.set()
            reader.join()
            cpu = cpu_seconds(p.pid) - cpu_before
            polls, not_modified = counts[0] - polls_before, counts[1] - unchanged_before
    finally:
        sources.terminate()
        sources.join()
    lags = [
        seen - (started + int(title.rsplit("-", 1)[1]) * NEW_ENTRY_SECONDS)
        for title, seen in reader.first_seen.items()
        if started + int(title.rsplit("-", 1)[1]) * NEW_ENTRY_SECONDS >= measured_from
    ]
    return {
        "cpu": cpu,
        "polls": polls,
        "not_modified": not_modified,
        "reads": live.percentiles(reader.seconds),
        "lags": live.percentiles(lags),
        "entries_seen": len(lags),
    }


def main() -> None:
    started_at, load = datetime.now(UTC), os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as temp:
        (Path(temp) / "base").mkdir()
        (Path(temp) / "intake").mkdir()
        base = run(Path(temp) / "base", with_sources=False)
        intake = run(Path(temp) / "intake", with_sources=True)
    per_1000 = max(0.0, intake["cpu"] - base["cpu"]) / max(intake["polls"], 1) * 1000
    share = per_1000 / (15 * 60)
    lag_target = TARGET_INTERVALS * POLL_MINUTES * 60
    table = "\n".join(
        [
            f"Run {started_at:%Y-%m-%d %H:%M} UTC on {live.machine()}, load {load:.1f} at the "
            f"start; {SECONDS:.0f} s measured per run, {SOURCES:,} sources.",
            "",
            "| figure | value | target |",
            "|---|---:|---|",
            f"| polls per second | {intake['polls'] / SECONDS:.1f} | |",
            f"| of them 304 Not Modified | {intake['not_modified']:,} of {intake['polls']:,} | |",
            f"| server CPU s per 1,000 polls (above the baseline) | {per_1000:.1f} | |",
            f"| share of one core, 1,000 sources every 15 min | {share:.1%} | "
            f"< {TARGET_CORE_SHARE:.0%}: {'met' if share < TARGET_CORE_SHARE else 'missed'} |",
            f"| new entry to site feed, p50 | {intake['lags']['p50']:.1f} s | |",
            f"| new entry to site feed, p99 | {intake['lags']['p99']:.1f} s | < {lag_target} s: "
            f"{'met' if intake['lags']['p99'] < lag_target else 'missed'} |",
            f"| new entries seen in the feed | {intake['entries_seen']:,} | |",
            f"| pages and feed p99, with intake | {intake['reads']['p99'] * 1000:.1f} ms | |",
            f"| pages and feed p99, without (baseline) | {base['reads']['p99'] * 1000:.1f} ms | |",
        ]
    )
    print(table)
    write_section(HEADING, f"{__doc__.split(chr(10) + chr(10), 1)[1].strip()}\n\n{table}")


if __name__ == "__main__":
    main()
