"""`masthead export`, `backup` and `export-site`: the archive and its public site written out."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click
from flask import current_app
from flask.cli import with_appcontext
from tqdm import tqdm

from archive import story_to_dict
from archive.db.storage import storage_failure
from archive.story.visibility import is_tombstone
from service.archive_access import open_for

if TYPE_CHECKING:
    from service.export.warc import WarcExport
from service.commands.common import CommandFailed, _file_failure, current_settings


@click.command("export")
@with_appcontext
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
                    revision.exported()
                    for revision in archive.history(
                        story.id, published_only=not include_unpublished
                    )
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


@click.command("backup")
@with_appcontext
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


@click.command("export-site")
@with_appcontext
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
