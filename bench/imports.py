"""Import speed: stories/s of `masthead import` for JSON Lines, a JSON list and plain-text files,
into archives already holding 1,000, 10,000 and 100,000 stories.

Each measurement imports CHUNK new stories of one format into a fresh copy of an archive of
that size, through the command itself (files read, stories checked, batches written), so the
rate "at 100,000" is how fast an archive of that size grows: its indexes and full-text tables
are that big. Importing all 100,000 from nothing would take minutes a format and give a rate
averaged over every size from 0 up. The baseline saves the same stories from the same files into
another fresh copy a write transaction each, as import did before batches; the two alternate,
format by format, so a busy machine slows both alike.

Target: at least 500 stories/s for every format at 100,000.
Run: `.venv/bin/python -m bench imports` (the first run builds the archives into bench/out/).
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from archive import open_archive
from archive.ingest import formats as ingest
from bench.corpus import DOMAIN, LAST_PUBLISHED_AT, OUT, TIMEZONE, archive_of, story_shape
from bench.serving import write_section

SIZES = (1_000, 10_000, 100_000)
# New stories imported per format and archive size: enough that the command's start (about a
# second: the app, the reader processes, the language model) weighs as little as it does in a
# migration of a whole archive.
CHUNK = 5_000
FORMATS = ("JSON Lines", "JSON list", "plain text", "plain text, --language")
# What `--published` and `--section` give the plain-text files, which carry neither.
TEXT_OPTIONS = ["--published", (LAST_PUBLISHED_AT + timedelta(days=1)).isoformat()]
TEXT_OPTIONS += ["--section", "City"]
TARGET = 500  # stories/s at 100,000
HEADING = "## Imports"


def new_shapes(total: int) -> list[dict]:
    """CHUNK stories an archive of `total` does not have, in the shape of its own."""
    rng = random.Random(-total)
    return [story_shape(n, total, rng) for n in range(total, total + CHUNK)]


def as_text(shape: dict) -> str:
    """A story as a plain-text article: title, standfirst, paragraphs, rights line."""
    paragraphs = [p.removesuffix("</p>") for p in shape["body"].split("<p>") if p]
    return "\n\n".join([shape["title"], shape["dek"], *paragraphs, shape["rights"]["statement"]])


def write_files(shapes: list[dict], folder: Path) -> dict[str, tuple[list[Path], list[str]]]:
    """The stories as each format's files, with the command-line options each format needs."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = folder / "stories.jsonl"
    lines.write_text("".join(json.dumps(shape) + "\n" for shape in shapes))
    listed = folder / "stories.json"
    listed.write_text(json.dumps(shapes))
    texts = folder / "texts"
    texts.mkdir(exist_ok=True)
    for n, shape in enumerate(shapes):
        (texts / f"{n:05d}.txt").write_text(as_text(shape))
    return {
        "JSON Lines": ([lines], []),
        "JSON list": ([listed], []),
        "plain text": ([texts], TEXT_OPTIONS),
        "plain text, --language": ([texts], [*TEXT_OPTIONS, "--language", "en"]),
    }


def batched(path: Path, files: list[Path], options: list[str]) -> None:
    """`masthead import` as a user runs it."""
    env = {
        "MASTHEAD_ARCHIVE_PATH": str(path),
        "MASTHEAD_ARCHIVE_DEMO": "false",
        "MASTHEAD_SITE_TIMEZONE": TIMEZONE,
    }
    from service.commands.cli import main

    result = CliRunner(env=env).invoke(main, ["import", *map(str, files), *options])
    if result.exit_code != 0 or f"{CHUNK} created" not in result.output:
        raise RuntimeError(f"import failed: {result.output[-2000:]}")


def per_story_commits(path: Path, files: list[Path], options: list[str]) -> None:
    """The baseline: the same files read the same way, each story saved in a write transaction
    of its own with its own write to the feed queue, as import did before batches."""
    named = dict(zip(options[::2], options[1::2], strict=True))
    keys = {"--published": "published_at", "--section": "section", "--language": "language"}
    defaults = {keys[option]: value for option, value in named.items()}
    found = ingest.files_under(files)
    with open_archive(path, domain=DOMAIN, timezone=TIMEZONE) as archive:
        for entry in found:
            for item in ingest.items_in(entry.path, defaults=defaults):
                before = archive.by_origin(item.origin) if item.origin else None
                archive.save(ingest.story_of(item, base=before), now=datetime.now(UTC))
        if archive.count() < CHUNK:
            raise RuntimeError("the baseline saved too few stories")


def rate(total: int, run: Callable[[Path, list[Path], list[str]], None], files, options) -> float:
    """Stories/s of one import of CHUNK stories into a fresh copy of the archive of `total`."""
    path = archive_of(total)
    os.sync()  # the copy's 1.2 GB at 100,000 is on disk before the clock starts, not meanwhile
    started = time.perf_counter()
    run(path, files, options)
    return CHUNK / (time.perf_counter() - started)


def measure() -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as temp:
        for total in SIZES:
            formats = write_files(new_shapes(total), Path(temp) / str(total))
            for name in FORMATS:
                files, options = formats[name]
                fast = rate(total, batched, files, options)
                slow = rate(total, per_story_commits, files, options)
                rows.append({"total": total, "format": name, "batched": fast, "baseline": slow})
                print(f"{total:,} {name}: {fast:.0f}/s batched, {slow:.0f}/s a story a commit")
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| stories in archive | format | imported | batches (stories/s) "
        "| a commit a story (stories/s) | ratio |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['total']:,} | {row['format']} | {CHUNK:,} | {row['batched']:,.0f} "
            f"| {row['baseline']:,.0f} | {row['batched'] / row['baseline']:.2f} |"
        )
    return "\n".join(lines)


SECTION_INTRO = (
    f"`masthead import` of {CHUNK:,} new stories (each about 1 KB of text, a section, three "
    "tags, one or two authors, a photo and a source) as one JSON Lines file, one JSON list and "
    f"{CHUNK:,} plain-text files, into a fresh copy of an archive already holding 1,000, "
    "10,000 and 100,000 stories: the rate at which an archive of that size grows. Batches: the "
    "command as shipped (files read and stories checked by reader processes, one fewer than "
    "the processors, while the command writes; 250 stories a write transaction, each story a "
    "savepoint, one write to the feed queue a batch). A commit a story: the same files read "
    "the same way in one process, each story saved in its own write transaction with its own "
    "feed-queue write, as import did before (measured in the same run, alternating). Target: "
    f"at least {TARGET} stories/s at 100,000. Times are of the whole command, start-up "
    "included, and include reading and checking every story; plain text also finds the "
    "title, standfirst and rights in the text and detects its language (py3langid, langdetect "
    "where that is unsure), unless `--language` names it."
)


def main() -> None:
    started_at, load = datetime.now(UTC), os.getloadavg()[0]
    rows = measure()
    text = table(rows)
    print(text)
    ended_load = os.getloadavg()[0]
    note = (
        f"Measured {started_at:%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores, load average "
        f"{load:.1f} at the start and {ended_load:.1f} at the end (a shared machine)."
    )
    write_section(HEADING, f"{SECTION_INTRO}\n\n{text}\n\n{note}")
    for total in SIZES:  # the copies written to
        for suffix in ("", "-wal", "-shm"):
            Path(f"{OUT}/run-{total}.db{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
