"""A soak: mixed traffic at steady rates for 30 minutes against one `masthead serve`.

Feed polls with If-None-Match, archive pages, searches and writes through the API (2 a
second), each at its own steady rate, over a copy of the 1,000-story archive. Reported: errors,
p50/p99 of each kind of request in the first and the last minute, the resident memory of every
server process over time (from /proc) with the slope of each over the last SLOPE_MINUTES
(least squares, MiB a minute), the caches each worker reports in /health, and how long new
stories took to reach the site feed, first minute and last.

Run: `.venv/bin/python -m bench soak` (30 minutes); `BENCH_SOAK_SECONDS=300` for a short one
(its slope is then over the last two thirds of the run).
"""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from archive import open_archive
from bench import live
from bench.corpus import AUTHORS, DOMAIN, SECTIONS, TAGS, TIMEZONE, archive_of
from bench.serving import write_section

SECONDS = float(os.environ.get("BENCH_SOAK_SECONDS", 1800))
WINDOW = 60.0  # seconds at the start and at the end whose figures are compared
SAMPLE_SECONDS = 10.0  # between two readings of the server's memory
SLOPE_MINUTES = 20.0  # the last minutes whose memory slope is reported (a run's warm-up before)
SHOWN_EVERY = 120.0  # seconds between two rows of the memory table
TARGET_SLOPE = 0.1  # MiB a minute, per process
# Requests per second of each kind, and the client threads that send them.
RATES = {"feed poll": (40, 8), "page": (10, 4), "search": (2, 2), "write": (2, 2)}
HEADING = "## Soak: mixed traffic for 30 minutes"


def slug(name: str) -> str:
    return name.lower().replace(" ", "-")


def feed_paths() -> list[str]:
    return [
        "/feeds/latest.atom",
        "/feeds/latest.rss",
        "/feeds/latest.json",
        *(f"/feeds/sections/{slug(name)}/latest.atom" for name in SECTIONS[:4]),
        *(f"/feeds/tags/{slug(name)}/latest.atom" for name in TAGS[:6]),
        *(f"/feeds/authors/{slug(name)}/latest.atom" for name in AUTHORS[:4]),
    ]


def page_paths(db: Path) -> list[str]:
    """Story permalinks, the home page and section, tag and author pages."""
    with open_archive(db, domain=DOMAIN, timezone=TIMEZONE) as archive:
        stories = [story.path for story in archive.latest(limit=200)]
    return [
        "/",
        *stories,
        *(f"/sections/{slug(name)}/" for name in SECTIONS),
        *(f"/tags/{slug(name)}/" for name in TAGS),
        *(f"/authors/{slug(name)}/" for name in AUTHORS),
    ]


def poller(paths: list[str]):
    """A conditional GET of the next feed, with the last ETag each client thread saw for it."""
    etags = threading.local()

    def send(client: live.Client, n: int) -> live.Answer:
        kept = etags.__dict__.setdefault("kept", {})
        path = paths[n % len(paths)]
        headers = {"If-None-Match": kept[path]} if path in kept else {}
        answer = client.request("feed poll", "GET", path, headers=headers)
        if answer.status == 200:
            kept[path] = answer.headers.get("ETag", "")
        answer.body = b""
        return answer

    return send


def getter(kind: str, paths: list[str], seed: int):
    rng = random.Random(seed)

    def send(client: live.Client, _n: int) -> live.Answer:
        answer = client.request(kind, "GET", rng.choice(paths))
        answer.body = b""
        return answer

    return send


def searches() -> list[str]:
    words = ["harbour", "council", "libraries", "trams", "residents", "number", "bridge"]
    return [f"/search?q={word}" for word in words] + [f"/search?q=story+{n}" for n in range(50)]


# The role of a process by its depth under `masthead serve`.
ROLES = {0: "main", 1: "worker", 2: "fork server", 3: "month builder"}


def descendants(pid: int) -> dict[int, str]:
    """`pid` and every process under it, with its role: workers, and the fork server and the
    month builders under the scheduler's worker (/proc/PID/task/TID/children)."""
    found, generation, depth = {pid: ROLES[0]}, [pid], 0
    while generation:
        below = []
        for parent in generation:
            try:
                for task in Path(f"/proc/{parent}/task").iterdir():
                    below += [int(child) for child in (task / "children").read_text().split()]
            except FileNotFoundError:
                continue  # ended while we looked
        depth += 1
        found.update((child, role_of(child, depth)) for child in below)
        generation = below
    return found


def role_of(pid: int, depth: int) -> str:
    """A process's role by its depth, but for multiprocessing's resource tracker (which the
    fork server starts beside itself)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        command = b""
    return "resource tracker" if b"resource_tracker" in command else ROLES.get(depth, "other")


def sample_memory(server: live.Server, samples: list, stopping: threading.Event) -> None:
    """Every SAMPLE_SECONDS: (seconds since the start, {pid: (role, MiB)})."""
    start = time.monotonic()
    while True:
        roles = descendants(server.process.pid)
        sizes = live.rss_mib(list(roles))
        at = time.monotonic() - start
        samples.append((at, {pid: (roles[pid], mib) for pid, mib in sizes.items()}))
        if stopping.wait(SAMPLE_SECONDS):
            return


def long_lived(samples: list) -> dict[int, str]:
    """The processes that outlive a run (month builders live for one), by pid, with their
    names: main, worker 1 ..., fork server."""
    seen: dict[int, str] = {}
    for _at, sizes in samples:
        for pid, (role, _mib) in sizes.items():
            seen.setdefault(pid, role)
    order = [*ROLES.values(), "resource tracker", "other"]
    names, workers = {}, 0
    for pid, role in sorted(seen.items(), key=lambda item: (order.index(item[1]), item[0])):
        if role == "month builder":
            continue
        workers += role == "worker"
        names[pid] = f"worker {workers} ({pid})" if role == "worker" else f"{role} ({pid})"
    return names


def memory_slopes(samples: list) -> dict[str, tuple[float, float, float]]:
    """Per long-lived process: MiB at the start of the slope window, at the end, and the
    least-squares slope in MiB a minute over the window (the last SLOPE_MINUTES, or the last
    two thirds of a shorter run). A worker started again mid-run is a new process."""
    end = samples[-1][0]
    since = end - min(SLOPE_MINUTES * 60, end * 2 / 3)
    names = long_lived(samples)
    series: dict[int, list[tuple[float, float]]] = {}
    for at, sizes in samples:
        if at >= since:
            for pid, (_role, mib) in sizes.items():
                if pid in names:
                    series.setdefault(pid, []).append((at / 60, mib))
    slopes = {}
    for pid, name in names.items():
        points = series.get(pid, [])
        if len(points) >= 3:
            minutes, sizes = zip(*points, strict=True)
            slope = statistics.linear_regression(minutes, sizes).slope
            slopes[name] = (sizes[0], sizes[-1], slope)
    return slopes


def cache_reports(url: str, tries: int = 12) -> dict[int, dict]:
    """The caches each worker reports in /health (several asks reach every worker)."""
    found = {}
    client = live.Client(url)
    for _ in range(tries):
        client.connection = None  # a new connection: the next ask may reach another worker
        answer = client.request("health", "GET", "/health")
        if answer.status in (200, 503):
            report = json.loads(answer.body).get("caches", {})
            if "process" in report:
                found[report["process"]] = report
    return found


def window_figures(answers: list[live.Answer], start: float, end: float) -> dict:
    """Per kind: requests, errors and latency p50/p99 of the answers sent in [start, end)."""
    kinds: dict[str, list[live.Answer]] = {}
    for answer in answers:
        if start <= answer.sent_at < end:
            kinds.setdefault(answer.kind, []).append(answer)
    figures = {}
    for kind, found in kinds.items():
        spread = live.percentiles([a.seconds for a in found])
        figures[kind] = {
            "count": len(found),
            "errors": sum(1 for a in found if a.status == 0 or a.status >= 500),
            "p50": spread["p50"],
            "p99": spread["p99"],
        }
    return figures


def run(work: Path) -> dict:
    db = archive_of(1_000)
    pages = page_paths(db)
    with live.serve(db, work) as server:
        answers: list[live.Answer] = []
        writes: list[live.Answer] = []
        samples: list = []
        stopping = threading.Event()
        memory = threading.Thread(target=sample_memory, args=(server, samples, stopping))
        memory.start()
        feed = live.Poller(server.url, ["/feeds/latest.atom"], 0.2).start()
        started = time.monotonic()
        senders = {
            "feed poll": poller(feed_paths()),
            "page": getter("page", pages, 1),
            "search": getter("search", searches(), 2),
            "write": live.writer("soak"),
        }
        drivers = [
            live.paced(
                server.url,
                rate,
                SECONDS,
                senders[kind],
                threads=threads,
                answers=writes if kind == "write" else answers,
            )
            for kind, (rate, threads) in RATES.items()
        ]
        for driver in drivers:
            driver.join()
        ended = time.monotonic()
        caches = cache_reports(server.url)
        time.sleep(15)  # the last stories reach the feed
        feed.stop()
        stopping.set()
        memory.join()
        counts = server.log_counts()
        scheduler_pids = re.findall(r"scheduler started in process (\d+)", server.log.read_text())
    stories = live.written_stories(writes)
    lags = live.lags(stories, feed.versions["/feeds/latest.atom"])
    every = answers + writes

    def lag_window(start: float, end: float) -> dict:
        found = [
            lags[s.entry_id] for s in stories if start <= s.answered_at < end and s.entry_id in lags
        ]
        return live.percentiles(found)

    return {
        "seconds": ended - started,
        "first": window_figures(every, started, started + WINDOW),
        "last": window_figures(every, ended - WINDOW, ended),
        "totals": window_figures(every, started, ended),
        "lag_first": lag_window(started, started + WINDOW),
        "lag_last": lag_window(ended - WINDOW, ended),
        "lag_all": live.percentiles(list(lags.values())),
        "written": len(stories),
        "missing": len(stories) - len(lags),
        "memory": samples,
        "slopes": memory_slopes(samples),
        "scheduler_pids": [int(pid) for pid in scheduler_pids],
        "caches": caches,
        **counts,
    }


def ms(figures: dict, key: str) -> str:
    return f"{figures[key] * 1000:.1f} ms" if key in figures else "-"


def memory_lines(result: dict) -> list[str]:
    """The memory table (a row every SHOWN_EVERY seconds), the slopes and the caches."""
    samples = result["memory"]
    names = long_lived(samples)
    scheduler = ", ".join(names[pid] for pid in result["scheduler_pids"] if pid in names)
    builders = [
        mib for _at, sizes in samples for role, mib in sizes.values() if role == "month builder"
    ]
    lines = [
        f"Resident memory (MiB, VmRSS from /proc) of each server process, every "
        f"{SHOWN_EVERY / 60:.0f} minutes; the scheduler ran in {scheduler or 'no worker seen'}; "
        "month feeds are built in a process of their own for each run (the largest running at "
        "the time is shown):",
        "",
        "| minute | " + " | ".join(names.values()) + " | month builder |",
        "|---:|" + "---:|" * (len(names) + 1),
    ]
    shown_at = 0.0
    for at, sizes in samples:
        if at >= shown_at or at == samples[-1][0]:
            cells = [f"{sizes[pid][1]:.1f}" if pid in sizes else "-" for pid in names]
            building = [mib for role, mib in sizes.values() if role == "month builder"]
            cells.append(f"{max(building):.1f}" if building else "-")
            lines.append(f"| {at / 60:.1f} | " + " | ".join(cells) + " |")
            shown_at = at + SHOWN_EVERY
    lines += [
        "",
        f"| process | MiB at the window's start | MiB at its end | slope (MiB/minute) "
        f"| under {TARGET_SLOPE} MiB/minute |",
        "|---|---:|---:|---:|---|",
    ]
    for name, (first, last, slope) in result["slopes"].items():
        met = "yes" if slope < TARGET_SLOPE else "no"
        lines.append(f"| {name} | {first:.1f} | {last:.1f} | {slope:+.3f} | {met} |")
    end = samples[-1][0] / 60
    window = min(SLOPE_MINUTES, end * 2 / 3)
    lines += ["", f"Slope window: minutes {end - window:.1f} to {end:.1f} (least squares)."]
    if builders:
        lines.append(
            f"Month builders were running at {len(builders)} samples: largest "
            f"{max(builders):.1f} MiB, median {statistics.median(builders):.1f} MiB; each ends "
            "with its run."
        )
    if result["caches"]:
        lines += ["", "Caches each worker reported in /health at the end:", ""]
        for pid, report in sorted(result["caches"].items()):
            parts = [
                f"{name} {cache['size']:,} of {cache['limit']:,} {cache['unit']}"
                for name, cache in report.items()
                if name != "process"
            ]
            lines.append(f"- {names.get(pid, pid)}: " + "; ".join(parts))
    return lines


def report(result: dict, started_at: datetime, load: float) -> str:
    lines = [
        "| request | rate | requests | errors | p50 first minute | p99 first minute "
        "| p50 last minute | p99 last minute |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, (rate, _threads) in RATES.items():
        total, first, last = (result[w].get(kind, {}) for w in ("totals", "first", "last"))
        lines.append(
            f"| {kind} | {rate}/s | {total.get('count', 0):,} | {total.get('errors', 0)} | "
            f"{ms(first, 'p50')} | {ms(first, 'p99')} | {ms(last, 'p50')} | {ms(last, 'p99')} |"
        )
    lag = {w: result[f"lag_{w}"] for w in ("first", "last", "all")}
    lines += [
        "",
        "| new story → site feed | p50 | p99 | max |",
        "|---|---:|---:|---:|",
        *(
            f"| {name} | {lag[w]['p50']:.2f} s | {lag[w]['p99']:.2f} s | {lag[w]['max']:.2f} s |"
            for w, name in (
                ("first", "first minute"),
                ("last", "last minute"),
                ("all", "whole run"),
            )
        ),
        "",
        f"{result['written']:,} stories written, {result['missing']} never reached the feed; "
        f"failed scheduler runs: {result['failed_runs']}; skipped (coalesced) runs: "
        f"{result['missed_runs']}; 5xx in the server log: {result['log_5xx']}.",
        "",
        *memory_lines(result),
    ]
    lines += [
        "",
        f"Command: `nohup .venv/bin/python -m bench soak &` ({result['seconds']:.0f} s; rates "
        "as above, "
        "each from its own client threads, open loop; polls cycle over 17 feeds with the ETag "
        "each thread last saw; pages are random among the home page, 200 permalinks and every "
        "section, tag and author page).",
        f"Machine: {live.machine()}, load average {load:.2f} at the start; "
        f"{started_at:%Y-%m-%d %H:%M} UTC.",
    ]
    return "\n".join(lines)


INTRO = (
    "One `masthead serve` (2 workers) over a copy of the 1,000-story archive, under feed polls "
    "with If-None-Match, archive pages, searches and API writes at steady rates at once, for "
    "30 minutes: whether latency, errors, memory or feed lag drift between the first "
    "minute and the last."
)


def main() -> None:
    started_at, load = datetime.now(UTC), os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as temp:
        result = run(Path(temp))
    table = report(result, started_at, load)
    print(table)
    write_section(HEADING if SECONDS >= 1800 else f"{HEADING} (shorter run)", f"{INTRO}\n\n{table}")


if __name__ == "__main__":
    main()
