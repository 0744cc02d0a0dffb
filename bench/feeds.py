"""Feed rebuild after one story edit, in archives of 1,000 and 100,000 stories, in one run.

Target: the rebuild does not grow with the archive (ratio 100k / 1k under 1.5). The two
archives are edited in turn, edit after edit, so a busy machine slows both alike.
Run: `.venv/bin/python -m bench feeds` (the first run builds the archives into bench/out/).
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from archive import open_archive
from bench.compare import SIZES, settings_for
from bench.corpus import BUILT_AT, DOMAIN, TIMEZONE, archive_of
from service.feeds import renditions

EDITS = 30  # edits measured per archive; the median is reported


def main() -> None:
    now = BUILT_AT
    runs = {}
    for total in SIZES:
        path = archive_of(total)
        settings = settings_for(path)
        archive = open_archive(path, domain=DOMAIN, timezone=TIMEZONE)
        started = time.perf_counter()
        feeds = len(renditions.rebuild(archive, settings, now=now))
        runs[total] = {
            "archive": archive,
            "settings": settings,
            "feeds": feeds,
            "full_build_s": time.perf_counter() - started,
            "edited": archive.latest(limit=EDITS),
            "timings": [],
            "rebuilt": [],
        }
    for n in range(EDITS):
        moment = now + timedelta(minutes=n + 1)
        for run in runs.values():
            story = run["edited"][n]
            run["archive"].save(story.replace(title=f"{story.title} (corrected)"), now=moment)
            started = time.perf_counter()
            changed = renditions.rebuild_pending(run["archive"], run["settings"], now=moment)
            run["timings"].append(time.perf_counter() - started)
            run["rebuilt"].append(len(changed))
    report(runs)
    for run in runs.values():
        run["archive"].close()


def report(runs: dict) -> None:
    print("| stories | feeds | full build | rebuild after an edit (median) | p90 | feeds rebuilt |")
    print("|---:|---:|---:|---:|---:|---:|")
    medians = {}
    for total, run in runs.items():
        timings = sorted(run["timings"])
        medians[total] = statistics.median(timings) * 1000
        print(
            f"| {total:,} | {run['feeds']} | {run['full_build_s']:.1f} s | "
            f"{medians[total]:.1f} ms | {timings[int(len(timings) * 0.9)] * 1000:.1f} ms | "
            f"{statistics.median(run['rebuilt']):.0f} |"
        )
    small, large = SIZES[0], SIZES[-1]
    ratio = medians[large] / medians[small]
    print(f"\nratio {large:,} / {small:,}: {ratio:.2f} (target < 1.5)")
