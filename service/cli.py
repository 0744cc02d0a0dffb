"""The `masthead` command line: click commands over the archive's public API.

Each command is thin: it parses options, calls the archive, reports a line per failure.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup
from tqdm import tqdm

from archive import ArchiveError, ingest
from archive.shape import parse_time
from service import create_app
from service.archive_access import open_for
from service.settings import Settings, SettingsError

STATUS_CHOICES = ("draft", "scheduled", "published")


def _create_app():
    try:
        return create_app()
    except SettingsError as error:
        raise click.ClickException(f"configuration error:\n{error}") from None


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
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


def _defaults(options: dict) -> dict:
    """The import options as the story JSON shape; bad values stop the command before any write."""
    defaults: dict = {}
    if options["published"]:
        try:
            defaults["published_at"] = parse_time(options["published"], "--published").isoformat()
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--published") from None
    for key in ("section", "status"):
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
@click.option("--dry-run", is_flag=True, help="Read and check every file; write nothing.")
def import_command(paths: tuple[Path, ...], dry_run: bool, **options) -> None:
    """Import stories from text, Markdown, HTML or JSON files and folders.

    Example: masthead import ../shared/corpus/closing-ceremony.txt
    --published 2014-02-24T20:00:00+04:00 --section sport
    """
    defaults = _defaults(options)
    files = ingest.files_under(list(paths))
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    settings = current_settings()
    with open_for(settings) as archive:
        bar = tqdm(files, unit="file", disable=len(files) < 10 or None, file=sys.stderr)
        for path in bar:
            try:
                stories = ingest.read_file(path, defaults=defaults)
                for story in stories:
                    counts[_import_one(archive, story, dry_run=dry_run)] += 1
            except ArchiveError as error:
                counts["failed"] += 1
                tqdm.write(f"error: {path}: {error}", file=sys.stderr)
    summary = ", ".join(f"{n} {what}" for what, n in counts.items())
    click.echo(("dry run: " if dry_run else "") + summary)
    if counts["failed"]:
        raise click.exceptions.Exit(1)


def _import_one(archive, story, *, dry_run: bool) -> str:
    before = archive.by_origin(story.origin)
    if dry_run:
        return "created" if before is None else "updated"
    saved = archive.save(story, now=datetime.now(UTC))
    if before is None:
        return "created"
    return "unchanged" if saved.revision == before.revision else "updated"


@main.command("serve")
@click.option("--host", help="Address to listen on (default: [server] host).")
@click.option("--port", type=int, help="Port to listen on (default: [server] port).")
@click.option("--workers", type=int, help="Worker processes (default: [server] workers).")
@click.option("--dev", is_flag=True, help="Run Flask's development server with the reloader.")
def serve_command(host: str | None, port: int | None, workers: int | None, dev: bool) -> None:
    """Serve the site, feeds and API (gunicorn; --dev for the reloader).

    Example: masthead serve --host 0.0.0.0 --port 8080
    """
    from service import demo as demo_content
    from service import server

    settings = current_settings()
    if settings.archive.demo:
        with open_for(settings) as archive:
            added = demo_content.seed(archive, now=datetime.now(UTC))
            if added:
                click.echo(f"added {added} demo stories to the empty archive")
    host = host or settings.server.host
    port = port or settings.server.port
    if dev:
        current_app.run(host=host, port=port, debug=True, use_reloader=True)
        return
    server.run(settings, host=host, port=port, workers=workers or settings.server.workers)
