"""`masthead import`: files read in other processes, their stories saved in batches through the
archive's one gate, one line per file that fails."""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import nullcontext, suppress
from datetime import UTC, datetime
from functools import partial
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask.cli import with_appcontext
from tqdm import tqdm

from archive import ArchiveError, ChangeNote, reading
from archive.db.store import BATCH_SECONDS, BATCH_SIZE, check
from archive.ingest import formats as ingest
from archive.ingest import origin
from archive.story.fields import CHANGE_KINDS
from archive.story.shape import parse_time
from service.archive_access import open_for
from service.settings import SiteSettings

if TYPE_CHECKING:
    pass
from service.commands.common import STATUS_CHOICES, current_settings, warn_about_base_url


def _defaults(options: dict) -> dict:
    """The import options as the story JSON shape; bad values stop the command before any write."""
    defaults: dict = {}
    if options["published"]:
        try:
            defaults["published_at"] = parse_time(options["published"], "--published").isoformat()
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--published") from None
    for key in ("section", "status", "language", "dateline"):
        if options[key]:
            defaults[key] = options[key]
    if options["tag"]:
        defaults["tags"] = list(options["tag"])
    if options["author"]:
        defaults["authors"] = list(options["author"])
    if options["publisher"]:
        defaults["publisher"] = {"name": options["publisher"]}
        if options["publisher_url"]:
            defaults["publisher"]["url"] = options["publisher_url"]
    if options["rights"]:
        defaults["rights"] = ingest.rights_from_text(options["rights"])
    return defaults


@click.command("import")
@with_appcontext
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--published", help="First-publication time, ISO 8601 with zone, where a file has none."
)
@click.option("--section", help="Section, where a file names none.")
@click.option("--tag", multiple=True, help="A tag (repeatable), where a file has none.")
@click.option(
    "--author", multiple=True, help="A byline (repeatable, in order), where a file has none."
)
@click.option("--publisher", help="The originating publisher's name, where a file names none.")
@click.option("--publisher-url", help="The originating publisher's URL (with --publisher).")
@click.option(
    "--rights", help='Rights line, e.g. "© 2020 X. All rights reserved.", where a file has none.'
)
@click.option("--status", type=click.Choice(STATUS_CHOICES), help="Status where a file has none.")
@click.option(
    "--language",
    help="Language (BCP 47, e.g. ru, pt-BR) where a file states none; otherwise a text or HTML "
    "file's language is read from its page or its text.",
)
@click.option("--dateline", help='Where stories were filed, e.g. "SOCHI", where a file says not.')
@click.option(
    "--change-kind",
    type=click.Choice(CHANGE_KINDS),
    help="For stories already imported: correction, update (the default) or minor.",
)
@click.option("--change-note", default="", help="What changed, as readers are shown it.")
@click.option(
    "--dry-run", is_flag=True, help="Do everything a real run does, then undo it: write nothing."
)
@click.option(
    "--verbose", "-v", is_flag=True, help="A line per story: created, updated or unchanged."
)
def import_command(
    paths: tuple[Path, ...],
    dry_run: bool,
    verbose: bool,
    change_kind: str | None,
    change_note: str,
    **options,
) -> None:
    """Import stories from text, Markdown, HTML, JSON or JSON Lines files and folders.

    A JSON Lines file written by `masthead export` is restored as exported: ids, entry ids,
    permalinks, times, withdrawn stories and (with --revisions) history. Options fill only what
    a file leaves out; a story imported before keeps what the file does not say.

    Example: masthead import ../shared/corpus/closing-ceremony.txt
    --published 2014-02-24T20:00:00+04:00 --section sport
    """
    defaults = _defaults(options)
    change = ChangeNote(change_kind, change_note, is_import=True)
    found = ingest.files_under(list(paths))
    counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0}
    settings = current_settings()
    warn_about_base_url(settings)
    site = reading.Site(_own_names(settings.site), settings.site.base_url, settings.site.language)
    # The readers start first: they must not inherit the archive's connection.
    _be_nice(settings.imports.niceness)  # the readers, forked next, are as nice
    limits = reading.Limits(settings.imports.read_seconds, settings.imports.read_memory_mb)
    with reading.read_ahead(
        found, defaults=defaults, change=change, site=site, limits=limits
    ) as reads:
        bar = tqdm(unit=" stories", desc="importing", disable=None, file=sys.stderr)

        def report(what: str, where: object, detail: str = "") -> None:
            counts[what] += 1
            label = "error" if what == "failed" else what
            line = f"{label}: {_shown(str(where))}" + (f": {_shown(detail)}" if detail else "")
            if what in ("failed", "skipped"):
                bar.write(line, file=sys.stderr)
            elif verbose:
                bar.write(line)

        with open_for(settings) as archive, archive.trial() if dry_run else nullcontext():
            steps = _import_steps(archive, reads, change)
            while _import_batch(archive, steps, report, bar) == BATCH_SIZE:
                pass
        bar.close()
    summary = ", ".join(f"{n} {what}" for what, n in counts.items())
    click.echo(("dry run: " if dry_run else "") + summary)
    if counts["failed"]:
        raise click.exceptions.Exit(1)


def _be_nice(niceness: int) -> None:
    """Take less of the processors than the site's own processes (its scheduler, its API
    writes): an import is a batch job. Never raises this process's priority."""
    with suppress(OSError):
        current = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, 0, max(current, niceness))


def _shown(text: str) -> str:
    """Text for the terminal: every character that is not printable (an escape, a newline, a
    bidirectional control, an undecodable byte of a file name) written as its escape."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)


def _own_names(site: SiteSettings) -> tuple[str, ...]:
    """Names under which the site itself might appear as a story's publisher."""
    return (site.rights_holder, site.title)


# One story to import: where it comes from, and the save that says what became of it.
Step = tuple[object, Callable[[], tuple[str, object, str]]]


def _import_batch(archive, steps: Iterator[Step], report, bar) -> int:
    """Up to BATCH_SIZE stories, each failing alone; how many. The stories are all read and
    checked first (the readers, and the stored stories a re-import goes over), then saved in
    a write transaction: the write lock is never held while a file is read, and never for much
    longer than BATCH_SECONDS (the rest of the stories go in another transaction)."""
    ready = deque(islice(steps, BATCH_SIZE))
    count = len(ready)
    while ready:
        with archive.batch():
            began = time.monotonic()
            while ready:
                where, save = ready.popleft()
                try:
                    report(*save())
                except (ArchiveError, *reading.UNREADABLE) as error:
                    report("failed", where, reading.problem_of(error))
                bar.update()
                if time.monotonic() - began >= BATCH_SECONDS:
                    break
    return count


def _import_steps(
    archive, reads: Iterator[reading.Read], change: ChangeNote | None
) -> Iterator[Step]:
    """The stories of every file in turn, each read and checked as far as it can be before
    the write; a file that cannot be read is a step that reports it, in its place. A JSON
    Lines file goes a line at a time, each line failing alone; any other file's stories all
    fail together."""
    for read in reads:
        if isinstance(read, reading.Failed):
            yield read.entry.path, partial(_said, "failed", read.entry.path, read.problem)
        elif isinstance(read, reading.LineRead):
            line = read.line
            where = line.where if isinstance(line, ingest.Unreadable) else line.item.where
            yield where, _line_step(archive, line, change)
        elif read.entry.skipped or read.entry.problem:
            what = "skipped" if read.entry.skipped else "failed"
            detail = read.entry.skipped or read.entry.problem
            yield read.entry.path, partial(_said, what, read.entry.path, detail)
        elif read.problem:
            yield read.entry.path, partial(_said, "failed", read.entry.path, read.problem)
        else:
            try:
                ready = [_ready(archive, prepared, change) for prepared in read.stories]
            except (ArchiveError, *reading.UNREADABLE) as error:
                # One bad file fails alone: the files after it are still read.
                problem = reading.problem_of(error)
                yield read.entry.path, partial(_said, "failed", read.entry.path, problem)
                continue
            for prepared, story, before in ready:
                yield prepared.item.where, partial(_saved, archive, prepared, story, before, change)


def _said(what: str, where: object, detail: str) -> tuple[str, object, str]:
    return what, where, detail


def _line_step(
    archive, line: reading.Prepared | ingest.Unreadable, change: ChangeNote | None
) -> Callable[[], tuple[str, object, str]]:
    """The save of one line, read and checked now; a line that cannot be saved fails when
    its turn comes, in its place among the others."""
    try:
        if isinstance(line, ingest.Unreadable):
            raise line.error
        if line.restore:
            return partial(_restored, archive, line, archive.restorable(line.item.shape))
        prepared, story, before = _ready(archive, line, change)
        return partial(_saved, archive, prepared, story, before, change)
    except (ArchiveError, *reading.UNREADABLE) as error:
        return partial(_raise, error)


def _raise(error: Exception):
    raise error


def _restored(archive, line: reading.Prepared, ready) -> tuple[str, object, str]:
    what, story = archive.restore(ready, now=datetime.now(UTC))
    return what, line.item.where, story.path or story.slug


def _ready(archive, prepared: reading.Prepared, change: ChangeNote | None = None):
    """What to save of one story, checked, and the stored story it updates (None: a new story).

    A new story is saved as the reader read and checked it (None: the gate refused it). A
    story imported before is read again, over the stored one: a re-import never clears what
    the file does not say. Raises NotRead when the reader could not read the story, and
    InvalidStory when the gate refuses the story read over the stored one.
    """
    item = prepared.item
    before = archive.by_origin(item.origin) if item.origin else None
    if before is not None:
        site = current_settings().site
        # The site itself is never a story's originating publisher.
        story = origin.unless_own(
            ingest.story_of(item, base=before), _own_names(site), site.base_url
        )
        return prepared, check(story, change), before
    if prepared.story is None:
        raise reading.NotRead(prepared.problem)
    return prepared, prepared.checked, None


def _saved(
    archive, prepared: reading.Prepared, story, before, change: ChangeNote | None = None
) -> tuple[str, str, str]:
    """Save one story as `_ready` made it. Under the write lock now: when the stored story is
    no longer the one it was read over (an API edit meanwhile, or an earlier story of this
    import from the same origin), it is read again over the stored one first."""
    seen = before.revision if before is not None else None
    if prepared.item.origin and archive.revision_from(prepared.item.origin) != seen:
        prepared, story, before = _ready(archive, prepared, change)
    if story is None:
        raise reading.NotRead(prepared.problem)
    saved = archive.save(story, now=datetime.now(UTC), change=change)
    if before is None:
        what = "created"
    else:
        what = "unchanged" if saved.revision == before.revision else "updated"
    return what, prepared.item.where, saved.path or saved.slug
