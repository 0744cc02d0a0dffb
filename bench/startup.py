"""Start-up: seconds from `masthead serve` being started to its first answered feed request, on
an archive of 100,000 stories whose feeds are already built (a restart). Target: at most 2 s.

The start serves the stored feeds at once and leaves checking them to the scheduler, which
starts its whole rebuild right after; for comparison, the time that whole rebuild takes alone
(`masthead feeds build` over the same built feeds) is what a start would wait for otherwise.
Run: `.venv/bin/python -m bench startup` (the first run builds the archive and its feeds into
bench/out/, several minutes).
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.corpus import OUT, TIMEZONE, archive_of
from bench.serving import write_section

STORIES = 100_000
STARTS = 5  # starts measured; the median and the slowest are reported
TARGET_SECONDS = 2.0  # the slowest start may take this long
READY_SECONDS = 120  # longest wait for a start before the run is called failed
POLL_SECONDS = 0.01  # pause between connection attempts while the server starts
WORKERS = 2
FEED = "/feeds/latest.atom"
BIN = Path(sys.executable).parent

HEADING = "## Start-up"


def built_archive(work: Path) -> Path:
    """A copy, in `work`, of the 100,000-story archive with every feed built (cached in OUT)."""
    cached = OUT / f"archive-v2-{STORIES}-feeds.db"
    if not cached.exists():
        building = archive_of(STORIES)
        print(f"building the feeds of {STORIES:,} stories (once)", flush=True)
        subprocess.run(masthead(building, work, "feeds", "build"), check=True, env=env(work))
        with_feeds = cached.with_suffix(".building")
        shutil.copyfile(building, with_feeds)  # feeds build checkpoints as it closes
        with_feeds.rename(cached)
    copy = work / "archive.db"
    shutil.copyfile(cached, copy)
    return copy


def env(work: Path) -> dict[str, str]:
    return {**os.environ, "MASTHEAD_CONFIG": str(work / "config.toml")}


def masthead(db: Path, work: Path, *args: str) -> list[str]:
    """The `masthead` command line over `db`, its config written into `work`."""
    (work / "config.toml").write_text(
        f'[site]\nbase_url = "https://news.example"\ntimezone = "{TIMEZONE}"\n'
        f'[archive]\npath = "{db}"\ndemo = false\n'
    )
    return [str(BIN / "masthead"), *args]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port: int) -> bool:
    """Whether a feed request on `port` is answered (with any status) now."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", FEED)
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def time_one_start(db: Path, work: Path) -> float:
    """Seconds from starting `masthead serve` to its first 200 for the feed; then stops it."""
    port = free_port()
    command = masthead(db, work, "serve", "--port", str(port), "--workers", str(WORKERS))
    log = (work / "serve.log").open("ab")
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env(work), stdout=log, stderr=subprocess.STDOUT)
    try:
        while not answers(port):
            if process.poll() is not None or time.perf_counter() - started > READY_SECONDS:
                raise RuntimeError(f"serve did not answer: {(work / 'serve.log').read_text()}")
            time.sleep(POLL_SECONDS)
        return time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


def time_whole_rebuild(db: Path, work: Path) -> float:
    """Seconds `masthead feeds build` takes over feeds that are already built."""
    started = time.perf_counter()
    subprocess.run(masthead(db, work, "feeds", "build"), check=True, env=env(work))
    return time.perf_counter() - started


def report(starts: list[float], rebuild: float, started_at: datetime, load: float) -> str:
    slowest, median = max(starts), statistics.median(starts)
    met = "met" if slowest <= TARGET_SECONDS else "MISSED"
    return "\n".join(
        [
            "| stories | starts | median | slowest | target | whole rebuild, for comparison |",
            "|---:|---:|---:|---:|---|---:|",
            f"| {STORIES:,} | {len(starts)} | {median:.2f} s | {slowest:.2f} s | "
            f"≤ {TARGET_SECONDS:.0f} s ({met}) | {rebuild:.1f} s |",
            "",
            "Every start: " + ", ".join(f"{s:.2f} s" for s in starts) + ".",
            "",
            f"Command: `.venv/bin/python -m bench startup` ({WORKERS} workers; the time runs from "
            f"starting the process to the first 200 for `{FEED}`, polled every "
            f"{POLL_SECONDS * 1000:.0f} ms).",
            f"Machine: {os.cpu_count()} CPUs, load average {load:.2f} at the start; "
            f"{started_at:%Y-%m-%d %H:%M} UTC.",
        ]
    )


SECTION_INTRO = (
    "Seconds from starting `masthead serve` to its first answered feed request, on an archive "
    "whose feeds are already built: a restart. The stored feeds are served at once, and the "
    'scheduler checks every feed in the background right after the start; "whole rebuild" is '
    "how long that check takes alone (`masthead feeds build`), which a start used to wait for."
)


def write_results(table: str) -> None:
    """Replace this benchmark's section of RESULTS.md."""
    write_section(HEADING, f"{SECTION_INTRO}\n\n{table}")


def main() -> None:
    started_at, load = datetime.now(UTC), os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as temp:
        work = Path(temp)
        db = built_archive(work)
        starts = [time_one_start(db, work) for _ in range(STARTS)]
        rebuild = time_whole_rebuild(built_archive(work), work)
    table = report(starts, rebuild, started_at, load)
    print(table)
    write_results(table)


if __name__ == "__main__":
    main()
