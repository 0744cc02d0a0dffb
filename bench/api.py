"""The write API against the size of the archive: p50/p99 of creating, updating, reading and
syncing stories in archives of 1,000 and 100,000 stories measured in one run, with ratios.

Requests go through the whole Flask app (routing, token check, one archive connection per
request, JSON), in process, one at a time. Run: `.venv/bin/python -m bench api` (first run
builds the archives into bench/out/, a few minutes for 100,000 stories).
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable

from bench.compare import SIZES, client_for, measure, table
from bench.corpus import archive_of

REQUESTS = 200  # timed requests per kind and archive size
TOKEN = "bench-write-token-0123456789"
PAGE = 200  # stories per sync page (the API's largest)


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


def main() -> None:
    os.environ["MASTHEAD_API_WRITE_TOKENS"] = TOKEN
    requests = {
        total: requests_for(client_for(archive_of(total)), total, random.Random(total))
        for total in SIZES
    }
    print(table(measure(requests, REQUESTS), "request"))
    print(f"\nMachine load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
