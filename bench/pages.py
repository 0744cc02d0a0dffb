"""Archive pages against the size of the history: p50/p99 of a story page, a month archive,
the home and a tag page, and searches, in archives of 1,000 and 100,000 stories measured in
one run, with the 100k / 1k ratios.

Requests go through the whole Flask app (routing, one archive connection per request, Jinja),
in process, one at a time. Run: `.venv/bin/python -m bench pages` (first run builds the
archives into bench/out/, a few minutes for 100,000 stories).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from archive import open_archive
from bench.corpus import DOMAIN, TAGS, TIMEZONE, archive_of
from service import create_app
from service.settings import settings_from_mapping

SIZES = (1_000, 100_000)
REQUESTS = 300  # timed requests per page kind and archive size
WARM_UP = 20  # untimed requests first, so caches are warm as on a running server
# Searches: a word in every story (ranks the whole archive) and a rare one (one story).
SEARCHES = {"search, word in every story": "harbour", "search, rare word": "{n}"}


def targets(path: Path, rng: random.Random) -> dict[str, Callable[[], str]]:
    """For each page kind, a function giving the next URL to request."""
    with open_archive(path, domain=DOMAIN, timezone=TIMEZONE) as archive:
        paths = [story.path for story in archive.latest(limit=5_000)]
        months = sorted({p[:9] for p in paths})
        total = archive.count()
    return {
        "story page": lambda: rng.choice(paths),
        "month archive": lambda: rng.choice(months),
        "home page": lambda: "/",
        "tag page": lambda: f"/tags/tag-{rng.randrange(len(TAGS))}/",
        **{
            name: (lambda q=query: "/search?q=" + q.format(n=rng.randrange(total)))
            for name, query in SEARCHES.items()
        },
    }


def client_for(total: int):
    """A test client of the whole app over a fresh copy of the `total`-story archive."""
    path = archive_of(total)
    settings = settings_from_mapping(
        {
            "site": {"base_url": "https://news.example", "timezone": TIMEZONE},
            "archive": {"path": str(path), "demo": False},
            "http": {"rate_limit_per_minute": 0},  # one client asking fast is the point here
        }
    )
    return create_app(settings).test_client(), path


def timed_get(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    return elapsed * 1000


def measure() -> dict[int, dict[str, dict[str, float]]]:
    """Timings per archive size and page kind. Requests to the two archives alternate, so a
    busy machine slows both alike and the ratios stay fair."""
    clients = {total: client_for(total) for total in SIZES}
    urls = {total: targets(path, random.Random(total)) for total, (_, path) in clients.items()}
    results: dict[int, dict[str, dict[str, float]]] = {total: {} for total in SIZES}
    for name in urls[SIZES[0]]:
        timings: dict[int, list[float]] = {total: [] for total in SIZES}
        for n in range(WARM_UP + REQUESTS):
            for total, (client, _) in clients.items():
                elapsed = timed_get(client, urls[total][name]())
                if n >= WARM_UP:
                    timings[total].append(elapsed)
        for total, found in timings.items():
            found.sort()
            results[total][name] = {
                "p50": statistics.median(found),
                "p99": found[int(len(found) * 0.99) - 1],
            }
    return results


def main() -> None:
    measured = measure()
    small, large = (measured[total] for total in SIZES)
    print(
        f"\n| page | p50 {SIZES[0]:,} | p99 {SIZES[0]:,} | p50 {SIZES[1]:,} | p99 {SIZES[1]:,} "
        "| p50 ratio | p99 ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in small:
        a, b = small[name], large[name]
        print(
            f"| {name} | {a['p50']:.1f} ms | {a['p99']:.1f} ms | {b['p50']:.1f} ms | "
            f"{b['p99']:.1f} ms | {b['p50'] / a['p50']:.2f} | {b['p99'] / a['p99']:.2f} |"
        )
