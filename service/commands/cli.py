"""The `masthead` command line: click commands over the archive's public API.

Each command is thin: it parses options, calls the archive, reports a line per failure.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import socket
import sqlite3
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from datetime import UTC, datetime
from functools import partial
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import FlaskGroup, ScriptInfo
from tqdm import tqdm

from archive import ArchiveBusy, ArchiveError, ChangeNote, reading, story_to_dict
from archive.db.storage import storage_failure
from archive.db.store import BATCH_SECONDS, BATCH_SIZE, check
from archive.ingest import formats as ingest
from archive.ingest import origin
from archive.story.fields import CHANGE_KINDS
from archive.story.shape import parse_time
from archive.story.visibility import is_public_revision, is_tombstone
from service import create_app
from service.archive_access import open_for
from service.settings import Settings, SettingsError, SiteSettings, load_settings

if TYPE_CHECKING:
    from service.export.warc import WarcExport

STATUS_CHOICES = ("draft", "scheduled", "published")


class CommandFailed(click.ClickException):
    """A command's failure: one `error: ...` line on stderr, exit status 1, no traceback."""

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", file=file, err=file is None)


class Commands(FlaskGroup):
    """The `masthead` group: a failing archive file or disk ends any command with one line."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ArchiveBusy as error:
            raise CommandFailed(_busy_failure(ctx, error)) from None
        except sqlite3.Error as error:
            raise CommandFailed(_archive_failure(ctx, error)) from None
        except OSError as error:
            raise CommandFailed(_file_failure(error)) from None


def _archive_failure(ctx: click.Context, error: sqlite3.Error) -> str:
    """What went wrong, naming the archive: its disk (full, failing) or the file itself."""
    path = ctx.ensure_object(ScriptInfo).load_app().config["MASTHEAD"].archive_path
    cause = storage_failure(error)
    if cause is None:
        return f"archive {path}: {error}"
    return (
        f"archive {path}: {cause} ({error}); whatever was saved before stays saved: "
        "free some space (or fix the disk) and run the command again"
    )


def _busy_failure(ctx: click.Context, error: ArchiveBusy) -> str:
    """Another writer kept the archive's write lock: what was saved before stays saved."""
    path = ctx.ensure_object(ScriptInfo).load_app().config["MASTHEAD"].archive_path
    return (
        f"archive {path} is busy: another writer held its write lock for more than "
        f"{error.waited:g} s ([archive] busy_timeout_ms); whatever was saved before stays saved: "
        "run the command again (an import passes over what it imported already)"
    )


def _file_failure(error: OSError) -> str:
    where = f"{error.filename}: " if error.filename else ""
    return f"{where}{error.strerror or error}"


def loaded_settings() -> Settings:
    """The settings, for the commands that must not open the archive (creating the app does)."""
    try:
        return load_settings()
    except SettingsError as error:
        raise CommandFailed(f"configuration error:\n{error}") from None


def _create_app():
    settings = loaded_settings()
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.command in NEEDS_ARCHIVE and not settings.archive_path.exists():
        # Opening would create an empty archive, and the command would report on nothing.
        raise CommandFailed(
            f"archive {settings.archive_path} does not exist: check [archive] path or "
            "MASTHEAD_ARCHIVE_PATH (or create it with `masthead init`)"
        )
    try:
        return create_app(settings)
    except SettingsError as error:
        raise CommandFailed(f"configuration error:\n{error}") from None


@click.group(
    cls=Commands, create_app=_create_app, add_default_commands=False, add_version_option=False
)
@click.version_option(package_name="masthead", prog_name="masthead", message="%(prog)s %(version)s")
def main() -> None:
    """Masthead: a syndication feed and archive service.

    Settings come from config.toml (or the file named by MASTHEAD_CONFIG), and any
    MASTHEAD_<SECTION>_<KEY> environment variable overrides one of them.
    """


def current_settings() -> Settings:
    return current_app.config["MASTHEAD"]


@main.command("init")
@click.option(
    "--demo/--no-demo", default=False, help="Also fill an empty archive with demo stories."
)
def init_command(demo: bool) -> None:
    """Create the archive file and bring its schema up to date.

    Example: masthead init --demo
    """
    from service import demo as demo_content

    settings = current_settings()
    with open_for(settings) as archive:
        added = (
            demo_content.seed(archive, now=datetime.now(UTC), base_url=settings.site.base_url)
            if demo
            else 0
        )
        click.echo(f"archive ready at {settings.archive_path} ({archive.count()} stories)")
        if added:
            click.echo(f"added {added} demo stories")


@main.command("export")
@click.argument("destination", type=click.Path(path_type=Path, allow_dash=True))
@click.option(
    "--all", "include_unpublished", is_flag=True, help="Include drafts and scheduled stories."
)
@click.option("--revisions", is_flag=True, help="Include every story's revision history.")
@click.option("--force", is_flag=True, help="Replace DESTINATION if it exists.")
@click.option("--warc", is_flag=True, help="Write the public site as a WARC file instead.")
@click.option("--bag", is_flag=True, help="Write a BagIt deposit package (a folder) instead.")
@click.pass_context
def export_command(
    ctx: click.Context,
    destination: Path,
    include_unpublished: bool,
    revisions: bool,
    force: bool,
    warc: bool,
    bag: bool,
) -> None:
    """Export the archive's stories as JSON Lines (one story per line, the import shape).

    Public stories by default (published, and withdrawn ones that were published, as
    tombstones; --all adds drafts, embargoed stories and unpublished revisions), with their ids,
    permalinks and entry ids, for archivists and other systems. DESTINATION - writes to
    standard output.

    Example: masthead export stories.jsonl --revisions

    With --warc, DESTINATION is a WARC/1.1 file (gzip unless it ends in .warc) of every public
    page, revision page and feed with its HTTP headers: masthead export --warc site.warc.gz

    With --bag, DESTINATION is a folder made a BagIt package for a library or archive: the
    WARC, the public stories with their revisions and a README, with checksums:
    masthead export --bag deposit/
    """
    to_stdout = str(destination) == "-"
    if (warc or bag) and to_stdout:
        raise CommandFailed("a WARC file or a bag is written to disk, not to standard output")
    if warc and bag:
        raise click.UsageError("choose one of --warc and --bag")
    if bag:
        _export_bag(ctx, destination, include_unpublished=include_unpublished, force=force)
        return
    if not to_stdout:
        _check_destination(destination, force=force)
    if warc:
        _export_warc(destination, include_unpublished=include_unpublished, revisions=revisions)
        return
    settings = current_settings()
    base_url = settings.site.base_url
    count = 0
    with open_for(settings) as archive, _written(destination) as out:
        total = archive.count()
        # With --all, the API's idempotency keys too: a CMS retrying a POST after a restore is
        # answered with the story its key created (they name a newsroom's systems' requests,
        # so a public export leaves them out).
        keys = archive.idempotency_keys() if include_unpublished else {}
        stories = archive.all_stories(include_unpublished=include_unpublished)
        for story in tqdm(stories, total=total, unit="story", disable=total < 1000 or None):
            shape = story_to_dict(story, base_url=base_url)
            if story.id in keys:
                shape["idempotency_keys"] = keys[story.id]
            if revisions and (include_unpublished or not is_tombstone(story)):
                # Without --all, only what was public: drafts of a published story were not,
                # and a tombstone keeps no text (archive.story.visibility).
                shape["revisions"] = [
                    {**r, "saved_at": r["saved_at"].isoformat()}
                    for r in archive.revisions(story.id)
                    if include_unpublished or is_public_revision(r["snapshot"])
                ]
            out.write(json.dumps(shape, ensure_ascii=False) + "\n")
            count += 1
    where = "standard output" if to_stdout else destination
    # With -, standard output holds the stories alone.
    click.echo(f"exported {count} stories to {where}", err=to_stdout)


def _check_destination(destination: Path, *, force: bool) -> None:
    """Stop before any work when `destination` cannot or may not be written."""
    folder = destination.parent
    if not folder.is_dir():
        raise CommandFailed(f"{destination}: the folder {folder} does not exist")
    if destination.is_dir():
        raise CommandFailed(f"{destination} is a folder; name a file to write")
    if destination.exists() and not force:
        raise CommandFailed(
            f"{destination} exists; choose a new file name, or --force to replace it"
        )


@contextmanager
def _written(destination: Path) -> Iterator[TextIO]:
    """`destination` open for writing text; a failed write names the file (a full disk, say).

    The file is written beside `destination` and renamed to it only once complete, so a failed
    export leaves nothing under that name (and a file it was to replace as it was). `-` is
    standard output.
    """
    if str(destination) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    partial: Path | None = None
    try:
        handle, name = tempfile.mkstemp(
            dir=destination.parent, prefix=f".{destination.name}.", suffix=".partial"
        )
        partial = Path(name)
        with open(handle, "w", encoding="utf-8") as out:
            yield out
        partial.replace(destination)
    except OSError as error:
        raise CommandFailed(f"{destination}: {error.strerror or error}") from None
    finally:
        if partial is not None:
            partial.unlink(missing_ok=True)


def _export_warc(destination: Path, *, include_unpublished: bool, revisions: bool) -> WarcExport:
    """`export --warc`: the public site as the app answers it, with service/export/warc.py."""
    from service.export.site_answers import ExportFailed
    from service.export.warc import export_warc

    if include_unpublished or revisions:
        # A WARC holds what the public is answered: every public revision page is in it already.
        raise click.UsageError(
            "--warc holds the public site: it takes neither --all nor --revisions"
        )
    settings = current_settings()
    with open_for(settings) as archive:
        try:
            done = export_warc(current_app, archive, destination, now=datetime.now(UTC))
        except ExportFailed as error:
            raise CommandFailed(str(error)) from None
        except OSError as error:
            raise CommandFailed(_file_failure(error)) from None
    statuses = ", ".join(f"{count} × {status}" for status, count in sorted(done.statuses.items()))
    click.echo(
        f"exported {done.answers} answers ({statuses}; {done.revisits} revisits of a payload "
        f"written before) and the timelines of {done.stories} stories to {destination}"
    )
    return done


def _export_bag(
    ctx: click.Context, destination: Path, *, include_unpublished: bool, force: bool
) -> None:
    """`export --bag`: the WARC and the JSON Lines export (as `export --revisions` writes it)
    in a folder beside DESTINATION, made a bag, validated, then put in its place."""
    from bagit import BagError

    from service.export.bag import README_NAME, STORIES_NAME, WARC_NAME, make_package, readme

    if include_unpublished:
        raise click.UsageError("--bag holds what the public saw: it does not take --all")
    destination = destination.absolute()
    if not destination.parent.is_dir():
        raise CommandFailed(f"{destination}: the folder {destination.parent} does not exist")
    replaced = destination.exists() and (not destination.is_dir() or any(destination.iterdir()))
    if replaced and not (force and (destination / "bagit.txt").is_file()):
        raise CommandFailed(
            f"{destination} exists and is not empty; choose a new folder "
            "(or --force to replace a bag written before)"
        )
    settings = current_settings()
    now = datetime.now(UTC)
    building = Path(tempfile.mkdtemp(dir=destination.parent, prefix=f".{destination.name}.bag-"))
    try:
        site = _export_warc(building / WARC_NAME, include_unpublished=False, revisions=False)
        ctx.invoke(export_command, destination=building / STORIES_NAME, revisions=True, force=False)
        with (building / STORIES_NAME).open("rb") as lines:
            stories = sum(1 for _ in lines)
        (building / README_NAME).write_text(
            readme(settings, now=now, stories=stories, captures=site.answers), encoding="utf-8"
        )
        try:
            make_package(building, settings, now=now)
        except BagError as error:
            raise CommandFailed(f"{destination}: the bag does not validate: {error}") from None
        os.chmod(building, 0o755)  # noqa: S103 (a folder to hand over, as mkdir would make it)
        if destination.exists():
            retired = destination.with_name(f".{destination.name}.old-{os.getpid()}")
            destination.rename(retired)
            building.rename(destination)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            building.rename(destination)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    click.echo(
        f"wrote a BagIt package to {destination}: {WARC_NAME}, {STORIES_NAME}, {README_NAME}"
    )


@main.command("backup")
@click.argument("destination", type=click.Path(path_type=Path, dir_okay=False))
def backup_command(destination: Path) -> None:
    """Copy the whole archive to another SQLite file, safely while the service runs.

    The copy is checked and only then given its name: a failed backup leaves no file there.

    Example: masthead backup /backups/masthead-$(date +%F).db
    """
    if not destination.parent.is_dir():
        raise CommandFailed(f"{destination}: the folder {destination.parent} does not exist")
    if destination.exists():
        # A backup never replaces a file: an older backup may be the one still needed.
        raise CommandFailed(f"{destination} exists; choose a new file name")
    with open_for(current_settings()) as archive:
        try:
            archive.backup(destination)
        except (sqlite3.Error, OSError) as error:
            cause = storage_failure(error) or getattr(error, "strerror", None) or str(error)
            raise CommandFailed(
                f"backup to {destination} failed: {cause}; nothing was written under that "
                "name, so the same command can be run again"
            ) from None
    click.echo(f"archive copied to {destination}")


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


@main.command("import")
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
        return partial(_saved, archive, *_ready(archive, line, change), change)
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


@main.group("feeds")
def feeds_group() -> None:
    """Build and inspect the stored feeds (renditions)."""


@feeds_group.command("build")
def feeds_build_command() -> None:
    """Publish due stories and build every feed once; unchanged feeds keep their bytes.

    Example: masthead feeds build
    """
    from service.feeds import scheduler

    changed = scheduler.rebuild_all(current_settings())
    click.echo(f"built feeds: {len(changed)} changed")


@feeds_group.command("list")
def feeds_list_command() -> None:
    """Show every stored feed with its entries, size, ETag and build time.

    Example: masthead feeds list
    """
    with open_for(current_settings()) as archive:
        stored = archive.renditions()
        states = {state.scope: state for state in archive.build_states()}
    if not stored and not states:
        click.echo("no feeds built yet: run `masthead feeds build`")
        return
    width = max(len(key) for key in [*(info.key for info in stored), *states, "feed"])
    click.echo(f"{'feed':<{width}}  status   entries      bytes  etag{' ' * 30}built")
    for info in stored:
        state = states.get(info.scope)
        status = state.status if state else "ok"
        click.echo(
            f"{info.key:<{width}}  {status:<7}  {info.entries:>7}  {info.size:>9}  {info.etag}  "
            f"{info.built_at.isoformat()}"
        )
    for state in states.values():
        if state.error:
            ids = ", ".join(map(str, state.story_ids)) or "-"
            click.echo(f"{state.scope}: {state.status}: {state.error} (stories: {ids})")


@main.command("serve")
@click.option("--host", help="Address or host name to listen on (default: [server] host).")
@click.option("--port", type=int, help="Port to listen on, 1 to 65535 (default: [server] port).")
@click.option("--workers", type=int, help="Worker processes (default: [server] workers).")
@click.option(
    "--dev",
    is_flag=True,
    help="Werkzeug's development server, one process, restarted when the code changes.",
)
def serve_command(host: str | None, port: int | None, workers: int | None, dev: bool) -> None:
    """Serve the site, feeds and API (Granian; --dev for the reloader).

    Example: masthead serve --host 0.0.0.0 --port 8080
    """
    from service.commands import server

    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] %(name)s: %(message)s")
    # APScheduler reports every run at INFO (twice every 5 s); its warnings and errors remain.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    settings = current_settings()
    if port is not None and not 1 <= port <= 65535:
        raise CommandFailed(f"--port {port} is not a port: give a number from 1 to 65535")
    if workers is not None and workers < 1:
        raise CommandFailed(f"--workers {workers}: give at least 1")
    host = _listen_address(
        *((settings.server.host, "[server] host") if host is None else (host, "--host"))
    )
    port = settings.server.port if port is None else port
    reloaded = os.environ.get("WERKZEUG_RUN_MAIN") == "true"  # --dev's serving child process
    if not reloaded:  # the reloader's first process holds the port for its child
        _check_listening(host, port)
    settings = _served_settings(settings, host, port)
    if settings.archive.demo:
        server.seed_demo(settings)
    # Stored feeds are served at once; the scheduler checks every one right after the start.
    server.build_feeds_if_none(settings)
    if dev:
        _serve_dev(settings, host, port, reloaded=reloaded)
    else:
        server.run(settings, host=host, port=port, workers=workers or settings.server.workers)


def warn_about_base_url(settings: Settings) -> None:
    """Say once, on standard error, while [site] base_url is still the default: every entry id
    takes its domain from it when a story is first published, and keeps it for ever."""
    if settings.site.base_url == SiteSettings().base_url:
        click.echo(
            f"warning: [site] base_url is still the default ({settings.site.base_url}); "
            "stories published now keep entry ids (tag:127.0.0.1,...) and links with it for "
            "ever: set it to the site's public address (MASTHEAD_SITE_BASE_URL) first",
            err=True,
        )


def _served_settings(settings: Settings, host: str, port: int) -> Settings:
    """The settings to serve with on host:port, saying what happens to the site's address.

    While base_url is the default, links follow the address served on (--port 8080 links to
    :8080); a base_url that was set is kept (a proxy in front answers on it), with a note when
    it names this machine on another port.
    """
    warn_about_base_url(settings)
    default = SiteSettings().base_url
    # An address that listens everywhere is reached here through loopback.
    reached = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
    here = f"http://{f'[{reached}]' if ':' in reached else reached}:{port}"
    base = urlsplit(settings.site.base_url)
    if settings.site.base_url == default:
        if here != default:
            click.echo(f"note: serving on {here}: links and entry ids use {here}", err=True)
            site = dataclasses.replace(settings.site, base_url=here)
            return dataclasses.replace(settings, site=site)
    elif base.hostname in ("127.0.0.1", "localhost", "::1") and (base.port or 80) != port:
        click.echo(
            f"note: serving on port {port}, but [site] base_url is {settings.site.base_url}: "
            "every link points there",
            err=True,
        )
    return settings


def _check_listening(host: str, port: int) -> None:
    """Stop with one line when nothing could listen on host:port (taken, or not ours)."""
    from service.commands import server

    try:
        server.check_port_free(host, port)
    except server.PortInUse as error:
        raise CommandFailed(str(error)) from None
    except OSError as error:
        raise CommandFailed(f"cannot listen on {host}:{port}: {error.strerror or error}") from None


def _listen_address(host: str, source: str) -> str:
    """The IP address to listen on for --host or [server] host (a name such as localhost too)."""
    if not host.strip():
        raise CommandFailed(
            f"{source} is empty: give an address to listen on, such as 127.0.0.1 or 0.0.0.0"
        )
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as error:
        reason = getattr(error, "strerror", None) or error
        raise CommandFailed(f"{source} {host!r} is not an address to listen on: {reason}") from None
    # IPv4 first: `localhost` is 127.0.0.1, which every client tries.
    found.sort(key=lambda info: info[0] != socket.AF_INET)
    return found[0][4][0]


def _serve_dev(settings: Settings, host: str, port: int, *, reloaded: bool) -> None:
    """Werkzeug's server with its reloader, without the debugger.

    The interactive debugger runs any code typed into an error page: on an address others can
    reach, it hands them the machine. Errors are logged with their traceback instead.
    """
    from werkzeug.serving import run_simple

    from service.feeds import scheduler

    if reloaded:
        # The reloader serves from a child process it restarts; the scheduler belongs there.
        scheduler.start(settings)
    app = current_app._get_current_object()
    run_simple(host, port, app, use_reloader=True, use_debugger=False, threaded=True)


@main.command("export-site")
@click.argument("destination", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--force", is_flag=True, help="Export into a non-empty folder that holds no earlier export."
)
def export_site_command(destination: Path, force: bool) -> None:
    """Write every public page, feed, sitemap and asset as files, for any static host.

    Each file is under the path it is served at (a folder's page as index.html), with a .gz
    copy beside each text file. The export is built beside DESTINATION and put in its place only
    when complete: if any page fails, the command names it, exits 1 and leaves the last export
    as it was. Files whose bytes did not change keep their times.

    Example: masthead export-site public/
    """
    from service.export.site_answers import ExportFailed
    from service.export.static_search import SearchIndexFailed
    from service.export.static_site import ExportRefused, export_site

    settings = current_settings()
    with open_for(settings) as archive:
        try:
            done = export_site(
                current_app, archive, destination, now=datetime.now(UTC), force=force
            )
        except (ExportFailed, ExportRefused, SearchIndexFailed) as error:
            raise CommandFailed(str(error)) from None
        except OSError as error:
            raise CommandFailed(_file_failure(error)) from None
    click.echo(
        f"exported the site to {destination}: {len(done.written)} files written, "
        f"{len(done.unchanged)} unchanged, {len(done.removed)} removed"
    )


@main.group("proxy-config")
def proxy_config_group() -> None:
    """Print the configuration of a caching reverse proxy in front of Masthead."""


@proxy_config_group.command("nginx")
@click.option("--listen", default="80", show_default=True, help="nginx `listen` value.")
@click.option("--upstream", help="Where Masthead listens (default: [server] host:port).")
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of the proxy's cache (default: /var/cache/masthead-nginx).",
)
def proxy_config_nginx_command(listen: str, upstream: str | None, cache_dir: Path | None) -> None:
    """An nginx site (for /etc/nginx/conf.d/) caching feeds and pages, never /api/.

    Example: masthead proxy-config nginx > /etc/nginx/conf.d/masthead.conf
    """
    from service.commands.proxy_config import CACHE_DIR, nginx_config

    click.echo(
        nginx_config(
            current_settings(), listen=listen, upstream=upstream, cache_dir=cache_dir or CACHE_DIR
        ),
        nl=False,
    )


# Commands that only read (or rebuild from) an archive: run on a path where none exists (a
# mistyped one, say), they stop rather than create an empty archive and report on it.
NEEDS_ARCHIVE = {
    export_command,
    backup_command,
    feeds_list_command,
    feeds_build_command,
    export_site_command,
}


def _register_sources() -> None:
    from service.commands.sources import list_command, sources_group

    main.add_command(sources_group)
    NEEDS_ARCHIVE.add(list_command)


_register_sources()


# Commands of their own modules: they read the settings without opening the archive.
def _add_commands() -> None:
    from service.commands.doctor import doctor_command
    from service.commands.replication_commands import replicate_command, restore_command

    for command in (replicate_command, restore_command, doctor_command):
        main.add_command(command)


_add_commands()
