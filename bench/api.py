"""The write API against the size of the archive: p50/p99 of creating, updating, reading and
syncing stories in archives of 1,000 and 100,000 stories measured in one run, with ratios.

Requests go through the whole Flask app (routing, token check, one archive connection per
request, JSON), in process, one at a time. Run: `.venv/bin/python -m bench api` (first run
builds the archives into bench/out/, a few minutes for 100,000 stories).
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Callable

from bench.corpus import TIMEZONE, archive_of
from service import create_app
from service.settings import settings_from_mapping

SIZES = (1_000, 100_000)
REQUESTS = 200  # timed requests per kind and archive size
WARM_UP = 20  # untimed requests first, so caches are warm as on a running server
TOKEN = "bench-write-token-0123456789"
PAGE = 200  # stories per sync page (the API's largest)


def client_for(total: int):
    """A test client of the whole app over a fresh copy of the `total`-story archive."""
    settings = settings_from_mapping(
        {
            "site": {"base_url": "https://news.example", "timezone": TIMEZONE},
            "archive": {"path": str(archive_of(total)), "demo": False},
            "http": {"rate_limit_per_minute": 0},  # one client asking fast is the point here
        }
    )
    return create_app(settings).test_client()


def requests_for(client, total: int, rng: random.Random) -> dict[str, Callable[[], object]]:
    """For each kind, a function that sends the next request and returns its response."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    made = iter(range(10**9))

    def create():
        n = next(made)
        return client.post(
            "/api/stories",
            json={
                "title": f"Bench story {n}",
                "slug": f"bench-{n}",
                "status": "published",
                "section": "City",
                "tags": ["transport", "harbour"],
                "authors": ["Helen Marsh"],
                "body": "<p>The first bus crossed at dawn.</p>" * 6,
            },
            headers=auth,
        )

    def update():
        story_id = rng.randrange(1, total + 1)
        etag = client.get(f"/api/stories/{story_id}", headers=auth).headers["ETag"]
        return client.patch(
            f"/api/stories/{story_id}",
            json={"dek": f"Edited {next(made)}"},
            headers={**auth, "If-Match": etag},
        )

    return {
        "create (POST)": create,
        "update (GET + PATCH)": update,
        "read (GET one)": lambda: client.get(
            f"/api/stories/{rng.randrange(1, total + 1)}", headers=auth
        ),
        "sync page (200 stories)": lambda: client.get(
            f"/api/stories?limit={PAGE}&cursor={rng.randrange(total - PAGE)}", headers=auth
        ),
        "first page (200 stories)": lambda: client.get(f"/api/stories?limit={PAGE}", headers=auth),
        "caught-up sync (cursor at the end)": lambda: client.get(
            f"/api/stories?cursor={10**12}", headers=auth
        ),
    }


def measure() -> dict[int, dict[str, dict[str, float]]]:
    """Timings per archive size and kind; requests to the two archives alternate."""
    os.environ["MASTHEAD_API_WRITE_TOKENS"] = TOKEN
    clients = {total: client_for(total) for total in SIZES}
    kinds = {
        total: requests_for(client, total, random.Random(total))
        for total, client in clients.items()
    }
    results: dict[int, dict[str, dict[str, float]]] = {total: {} for total in SIZES}
    for name in kinds[SIZES[0]]:
        timings: dict[int, list[float]] = {total: [] for total in SIZES}
        for n in range(WARM_UP + REQUESTS):
            for total in SIZES:
                started = time.perf_counter()
                response = kinds[total][name]()
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code < 300, (name, response.status_code, response.json)
                if n >= WARM_UP:
                    timings[total].append(elapsed)
        for total in SIZES:
            ordered = sorted(timings[total])
            results[total][name] = {
                "p50": statistics.median(ordered),
                "p99": ordered[int(len(ordered) * 0.99) - 1],
            }
    return results


def main() -> None:
    results = measure()
    small, large = SIZES
    print(
        f"| request | p50 {small:,} | p99 {small:,} | p50 {large:,} | p99 {large:,} "
        "| p50 ratio | p99 ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, timing in results[small].items():
        big = results[large][name]
        print(
            f"| {name} | {timing['p50']:.1f} ms | {timing['p99']:.1f} ms | {big['p50']:.1f} ms "
            f"| {big['p99']:.1f} ms | {big['p50'] / timing['p50']:.2f} "
            f"| {big['p99'] / timing['p99']:.2f} |"
        )
    print(f"\nMachine load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
