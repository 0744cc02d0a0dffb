"""Whole requests through the Flask app, in process, against two archive sizes in one run.

Requests to the two archives alternate, so a busy machine slows both alike and the ratios stay
fair. Used by `bench api` and `bench pages`.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from bench.corpus import TIMEZONE
from service import create_app
from service.settings import Settings, settings_from_mapping

SIZES = (1_000, 100_000)
WARM_UP = 20  # untimed requests first, so caches are warm as on a running server

# For each archive size, for each kind of request, a function that sends the next one.
Requests = dict[int, dict[str, Callable[[], object]]]
Timings = dict[int, dict[str, dict[str, float]]]


def settings_for(path: Path) -> Settings:
    return settings_from_mapping(
        {
            "site": {"base_url": "https://news.example", "timezone": TIMEZONE},
            "archive": {"path": str(path), "demo": False},
            "http": {"rate_limit_per_minute": 0},  # one client asking fast is the point here
        }
    )


def client_for(path: Path):
    """A test client of the whole app over the archive at `path`."""
    return create_app(settings_for(path)).test_client()


def measure(requests: Requests, count: int) -> Timings:
    """p50 and p99 (ms) per archive size and kind, of `count` timed requests after WARM_UP."""
    results: Timings = {total: {} for total in requests}
    for name in requests[SIZES[0]]:
        timings: dict[int, list[float]] = {total: [] for total in requests}
        for n in range(WARM_UP + count):
            for total, kinds in requests.items():
                started = time.perf_counter()
                response = kinds[name]()
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code < 300, (name, response.status_code)
                if n >= WARM_UP:
                    timings[total].append(elapsed)
        for total, found in timings.items():
            found.sort()
            results[total][name] = {
                "p50": statistics.median(found),
                "p99": found[int(len(found) * 0.99) - 1],
            }
    return results


def table(results: Timings, label: str) -> str:
    """A Markdown table: p50 and p99 in both archives, and the large / small ratios."""
    (small, small_rows), (large, large_rows) = results.items()
    lines = [
        f"| {label} | p50 {small:,} | p99 {small:,} | p50 {large:,} | p99 {large:,} "
        "| p50 ratio | p99 ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, a in small_rows.items():
        b = large_rows[name]
        lines.append(
            f"| {name} | {a['p50']:.1f} ms | {a['p99']:.1f} ms | {b['p50']:.1f} ms | "
            f"{b['p99']:.1f} ms | {b['p50'] / a['p50']:.2f} | {b['p99'] / a['p99']:.2f} |"
        )
    return "\n".join(lines)
