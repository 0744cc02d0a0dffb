"""Synthetic archives for benchmarks: N stories at a newsroom's steady pace, cached in bench/out/.

Archives grow with time, not density: every archive has the same stories per day, so a bigger
archive is a longer history (1,000 stories is about a month; 100,000 about nine years).
The vocabulary is small enough that every section, tag and author feed is full (50 entries)
in both sizes, so a bigger archive never looks faster for having shorter feeds.
"""

from __future__ import annotations

import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tqdm import tqdm

from archive import open_archive, story_from_dict

OUT = Path(__file__).resolve().parent / "out"
DOMAIN, TIMEZONE = "news.example", "Europe/London"
STORIES_PER_DAY = 30
SECTIONS = ["City", "Sport", "Culture", "Science", "Business", "World", "Politics", "Health"]
TAGS = [f"tag {n}" for n in range(20)]
AUTHORS = [f"Reporter {n}" for n in range(12)]
PARAGRAPH = (
    "<p>The council met on Thursday to discuss the harbour, the trams and the libraries, "
    "and heard from residents who had waited two years for an answer.</p>"
)
# The newest story of every synthetic archive: a fixed end, so runs are comparable.
LAST_PUBLISHED_AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
# "Now" while the archives are built and edited: a day after their newest story.
BUILT_AT = LAST_PUBLISHED_AT + timedelta(days=1)
BATCH = 2_000  # stories per transaction while building


def story_shape(n: int, total: int, rng: random.Random) -> dict:
    age = timedelta(days=(total - 1 - n) / STORIES_PER_DAY)
    return {
        "slug": f"story-{n}",
        "title": f"Story number {n} about the harbour",
        "dek": "A standfirst of one sentence.",
        "summary": "What happened, in two lines.",
        "body": PARAGRAPH * 6,
        "section": rng.choice(SECTIONS),
        "tags": rng.sample(TAGS, 3),
        "authors": rng.sample(AUTHORS, rng.choice((1, 1, 2))),
        "media": [
            {
                "url": f"https://images.example/{n}.jpg",
                "caption": "A caption.",
                "credit": "A Photographer / Agency",
                "copyright": "© Agency",
            }
        ],
        "sources": [{"name": "A Person", "role": "spokesperson"}],
        "rights": {"holder": "Gazette", "statement": "© Gazette. All rights reserved."},
        "syndication": rng.choice(("full", "full", "full", "summary", "none")),
        "published_at": (LAST_PUBLISHED_AT - age).isoformat(),
    }


def archive_of(total: int) -> Path:
    """The path of a copy of an archive with `total` stories (built once, then cached)."""
    cached = OUT / f"archive-v2-{total}.db"
    if not cached.exists():
        OUT.mkdir(exist_ok=True)
        building = cached.with_suffix(".building")
        building.unlink(missing_ok=True)
        rng = random.Random(total)
        with open_archive(building, domain=DOMAIN, timezone=TIMEZONE) as archive:
            for start in tqdm(range(0, total, BATCH), desc=f"building {total:,} stories"):
                with archive.db.atomic():  # one transaction per batch; each save a savepoint
                    for n in range(start, min(start + BATCH, total)):
                        archive.save(story_from_dict(story_shape(n, total, rng)), now=BUILT_AT)
            archive.db.execute("DELETE FROM feed_changes")
            archive.db.conn.commit()
        building.rename(cached)
    copy = OUT / f"run-{total}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(cached, copy)
    return copy
