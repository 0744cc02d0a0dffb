"""Archive pages against the size of the history: p50/p99 of a story page, a month archive,
the home and a tag page, and searches, in archives of 1,000 and 100,000 stories measured in
one run, with the 100k / 1k ratios.

Requests go through the whole Flask app (routing, one archive connection per request, Jinja),
in process, one at a time. Run: `.venv/bin/python -m bench pages` (first run builds the
archives into bench/out/, a few minutes for 100,000 stories).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from archive import open_archive
from bench.compare import SIZES, client_for, measure, table
from bench.corpus import DOMAIN, TAGS, TIMEZONE, archive_of

REQUESTS = 300  # timed requests per page kind and archive size
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


def main() -> None:
    requests = {}
    for total in SIZES:
        path = archive_of(total)
        client, urls = client_for(path), targets(path, random.Random(total))
        requests[total] = {
            name: (lambda client=client, url=url: client.get(url())) for name, url in urls.items()
        }
    print("\n" + table(measure(requests, REQUESTS), "page"))


if __name__ == "__main__":
    main()
