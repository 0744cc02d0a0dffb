"""Feed rebuild after one story edit, in archives of 1,000 and 100,000 stories, in one run.

Target: the rebuild does not grow with the archive (ratio 100k / 1k under 1.5).
Run: `.venv/bin/python -m bench feeds` (first run builds the archives into bench/out/).
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from archive import open_archive
from bench.corpus import DOMAIN, TIMEZONE, _now, archive_of
from service import renditions
from service.settings import settings_from_mapping

SIZES = (1_000, 100_000)
EDITS = 15  # edits measured per archive; the median is reported


def measure(total: int) -> dict:
    path = archive_of(total)
    settings = settings_from_mapping(
        {"site": {"base_url": "https://news.example"}, "archive": {"path": str(path)}}
    )
    now = _now()
    with open_archive(path, domain=DOMAIN, timezone=TIMEZONE) as archive:
        started = time.perf_counter()
        feeds = len(renditions.rebuild(archive, settings, now=now))
        full = time.perf_counter() - started
        newest = archive.latest(limit=EDITS)
        timings, rebuilt = [], []
        for n, story in enumerate(newest):
            moment = now + timedelta(minutes=n + 1)
            archive.save(story.replace(title=f"{story.title} (corrected)"), now=moment)
            started = time.perf_counter()
            rebuilt.append(len(renditions.rebuild_pending(archive, settings, now=moment)))
            timings.append(time.perf_counter() - started)
    return {
        "stories": total,
        "feeds": feeds,
        "full_build_s": full,
        "edit_rebuild_ms": statistics.median(timings) * 1000,
        "edit_rebuild_p90_ms": sorted(timings)[int(len(timings) * 0.9)] * 1000,
        "feeds_per_edit": statistics.median(rebuilt),
    }


def main() -> None:
    results = [measure(total) for total in SIZES]
    print(
        "| stories | feeds | full build | rebuild after one edit (median) | p90 | feeds rebuilt |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['stories']:,} | {r['feeds']} | {r['full_build_s']:.1f} s | "
            f"{r['edit_rebuild_ms']:.1f} ms | {r['edit_rebuild_p90_ms']:.1f} ms | "
            f"{r['feeds_per_edit']:.0f} |"
        )
    ratio = results[-1]["edit_rebuild_ms"] / results[0]["edit_rebuild_ms"]
    print(f"\nratio {SIZES[-1]:,} / {SIZES[0]:,}: {ratio:.2f} (target < 1.5)")
