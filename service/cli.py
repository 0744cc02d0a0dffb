"""The `masthead` command line: click commands over the archive's public API.

Each command is thin: it parses options, calls the archive, reports a line per failure.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from functools import partial
from itertools import islice
from pathlib import Path
from typing import TextIO

import click
from flask import current_app
from flask.cli import FlaskGroup, ScriptInfo
from tqdm import tqdm

from archive import ArchiveError, ingest, story_to_dict
from archive.shape import parse_time
from archive.storage import storage_failure
from archive.store import BATCH_SIZE
from archive.visibility import is_public_revision
from service import create_app
from service.archive_access import open_for
from service.settings import Settings, SettingsError

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


def _file_failure(error: OSError) -> str:
    where = f"{error.filename}: " if error.filename else ""
    return f"{where}{error.strerror or error}"


def _create_app():
    try:
        return create_app()
    except SettingsError as error:
        raise CommandFailed(f"configuration error:\n{error}") from None


@click.group(cls=Commands, create_app=_create_app, add_default_commands=False)
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
        added = demo_content.seed(archive, now=datetime.now(UTC)) if demo else 0
        click.echo(f"archive ready at {settings.archive_path} ({archive.count()} stories)")
        if added:
            click.echo(f"added {added} demo stories")


@main.command("export")
@click.argument("destination", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--all", "include_unpublished", is_flag=True, help="Include drafts and scheduled stories."
)
@click.option("--revisions", is_flag=True, help="Include every story's revision history.")
def export_command(destination: Path, include_unpublished: bool, revisions: bool) -> None:
    """Export the archive's stories as JSON Lines (one story per line, the import shape).

    Public stories by default (published, and withdrawn ones that were published, as
    tombstones; --all adds drafts, embargoed stories and unpublished revisions), with their ids,
    permalinks and entry ids, for archivists and other systems.

    Example: masthead export stories.jsonl --revisions
    """
    settings = current_settings()
    base_url = settings.site.base_url
    count = 0
    with open_for(settings) as archive, _written(destination) as out:
        total = archive.count()
        stories = archive.all_stories(include_unpublished=include_unpublished)
        for story in tqdm(stories, total=total, unit="story", disable=total < 1000 or None):
            shape = story_to_dict(story, base_url=base_url)
            if revisions:
                # Without --all, only what was public: drafts of a published story were not.
                shape["revisions"] = [
                    {**r, "saved_at": r["saved_at"].isoformat()}
                    for r in archive.revisions(story.id)
                    if include_unpublished or is_public_revision(r["snapshot"])
                ]
            out.write(json.dumps(shape, ensure_ascii=False) + "\n")
            count += 1
    click.echo(f"exported {count} stories to {destination}")


@contextmanager
def _written(destination: Path) -> Iterator[TextIO]:
    """`destination` open for writing text; a failed write names the file (a full disk, say)."""
    try:
        with destination.open("w", encoding="utf-8") as out:
            yield out
    except OSError as error:
        raise CommandFailed(f"{destination}: {error.strerror or error}") from None


@main.command("backup")
@click.argument("destination", type=click.Path(path_type=Path, dir_okay=False))
def backup_command(destination: Path) -> None:
    """Copy the whole archive to another SQLite file, safely while the service runs.

    The copy is checked and only then given its name: a failed backup leaves no file there.

    Example: masthead backup /backups/masthead-$(date +%F).db
    """
    if destination.exists():
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
    for key in ("section", "status", "language"):
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
@click.option(
    "--dry-run", is_flag=True, help="Do everything a real run does, then undo it: write nothing."
)
@click.option(
    "--verbose", "-v", is_flag=True, help="A line per story: created, updated or unchanged."
)
def import_command(paths: tuple[Path, ...], dry_run: bool, verbose: bool, **options) -> None:
    """Import stories from text, Markdown, HTML, JSON or JSON Lines files and folders.

    A JSON Lines file written by `masthead export` is restored as exported: ids, entry ids,
    permalinks, times, withdrawn stories and (with --revisions) history. Options fill only what
    a file leaves out; a story imported before keeps what the file does not say.

    Example: masthead import ../shared/corpus/closing-ceremony.txt
    --published 2014-02-24T20:00:00+04:00 --section sport
    """
    defaults = _defaults(options)
    found = ingest.files_under(list(paths))
    counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0}
    bar = tqdm(unit=" stories", desc="importing", disable=None, file=sys.stderr)

    def report(what: str, where: object, detail: str = "") -> None:
        counts[what] += 1
        label = "error" if what == "failed" else what
        line = f"{label}: {_shown(str(where))}" + (f": {_shown(detail)}" if detail else "")
        if what in ("failed", "skipped"):
            bar.write(line, file=sys.stderr)
        elif verbose:
            bar.write(line)

    with open_for(current_settings()) as archive, archive.trial() if dry_run else nullcontext():
        steps = _import_steps(archive, found, defaults, report)
        while _import_batch(archive, steps, report, bar) == BATCH_SIZE:
            pass
    bar.close()
    summary = ", ".join(f"{n} {what}" for what, n in counts.items())
    click.echo(("dry run: " if dry_run else "") + summary)
    if counts["failed"]:
        raise click.exceptions.Exit(1)


# What a file can raise that says only that this file cannot be read: too deeply nested
# (RecursionError), a number too long or a bad value (ValueError), text that is not Unicode,
# a file that cannot be opened (a symlink loop, no permission).
UNREADABLE = (RecursionError, ValueError, UnicodeError, OSError)


def _problem(error: Exception) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply to read"
    return " ".join(str(error).split())[:300] or type(error).__name__


def _shown(text: str) -> str:
    """Text for the terminal: every character that is not printable (an escape, a newline, a
    bidirectional control, an undecodable byte of a file name) written as its escape."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)


# One story to import: where it comes from, and the save that says what became of it.
Step = tuple[object, Callable[[], tuple[str, object, str]]]


def _import_batch(archive, steps: Iterator[Step], report, bar) -> int:
    """Up to BATCH_SIZE stories in one write transaction, each failing alone; how many."""
    done = 0
    with archive.batch():
        for where, save in islice(steps, BATCH_SIZE):
            done += 1
            try:
                report(*save())
            except (ArchiveError, *UNREADABLE) as error:
                report("failed", where, _problem(error))
            bar.update()
    return done


def _import_steps(archive, found: list[ingest.Found], defaults: dict, report) -> Iterator[Step]:
    """The stories of every file in turn; a file that cannot be read is reported and passed."""
    for entry in found:
        if entry.skipped or entry.problem:
            report(
                "skipped" if entry.skipped else "failed",
                entry.path,
                entry.skipped or entry.problem,
            )
            continue
        try:
            yield from _steps_of_file(archive, entry, defaults)
        except (ArchiveError, *UNREADABLE) as error:
            # One bad file fails alone: the files after it are still read.
            report("failed", entry.path, _problem(error))


def _steps_of_file(archive, entry: ingest.Found, defaults: dict) -> Iterator[Step]:
    """One file's stories. A JSON Lines file goes a line at a time, each line failing alone;
    any other file's stories are all checked before the first is saved."""
    items = ingest.items_in(entry.path, defaults=defaults, follow_links=not entry.in_folder)
    if ingest.kind_of(entry.path) != "jsonl":
        ready = [_story_for(archive, item) for item in items]
        for item, story, before in ready:
            yield item.where, partial(_saved, archive, item, story, before)
        return
    for item in items:
        yield item.where, partial(_line_saved, archive, item)


def _line_saved(archive, item: ingest.Item | ingest.Unreadable) -> tuple[str, object, str]:
    if isinstance(item, ingest.Unreadable):
        raise item.error
    if "id" in item.shape:
        what, story = archive.restore(item.shape, now=datetime.now(UTC))
        return what, item.where, story.path or story.slug
    return _saved(archive, *_story_for(archive, item))


def _story_for(archive, item: ingest.Item):
    """The story an item gives, over the story imported from the same place before, if any."""
    before = archive.by_origin(item.origin) if item.origin else None
    return item, ingest.story_of(item, base=before), before


def _saved(archive, item: ingest.Item, story, before) -> tuple[str, str, str]:
    saved = archive.save(story, now=datetime.now(UTC))
    if before is None:
        what = "created"
    else:
        what = "unchanged" if saved.revision == before.revision else "updated"
    return what, item.where, saved.path or saved.slug


@main.group("feeds")
def feeds_group() -> None:
    """Build and inspect the stored feeds (renditions)."""


@feeds_group.command("build")
def feeds_build_command() -> None:
    """Publish due stories and build every feed once; unchanged feeds keep their bytes.

    Example: masthead feeds build
    """
    from service import scheduler

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
@click.option("--host", help="Address to listen on (default: [server] host).")
@click.option("--port", type=int, help="Port to listen on (default: [server] port).")
@click.option("--workers", type=int, help="Worker processes (default: [server] workers).")
@click.option("--dev", is_flag=True, help="Run Flask's development server with the reloader.")
def serve_command(host: str | None, port: int | None, workers: int | None, dev: bool) -> None:
    """Serve the site, feeds and API (Granian; --dev for the reloader).

    Example: masthead serve --host 0.0.0.0 --port 8080
    """
    from service import scheduler, server

    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] %(name)s: %(message)s")
    # APScheduler reports every run at INFO (twice every 5 s); its warnings and errors remain.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    settings = current_settings()
    if settings.archive.demo:
        server.seed_demo(settings)
    host = host or settings.server.host
    port = port or settings.server.port
    if dev:
        # The reloader runs the app in a child process; the scheduler belongs there only.
        if os.environ.get("WERKZEUG_RUN_MAIN") == "true":
            scheduler.start(settings)
        current_app.run(host=host, port=port, debug=True, use_reloader=True)
        return
    try:
        server.check_port_free(host, port)
        # Stored feeds are served at once; the scheduler checks every one right after the start.
        server.build_feeds_if_none(settings)
        server.run(settings, host=host, port=port, workers=workers or settings.server.workers)
    except server.PortInUse as error:
        raise CommandFailed(str(error)) from None
