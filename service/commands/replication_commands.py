"""`masthead replicate` and `masthead restore --from-replica`: thin over service/replication.py."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import click

from archive.story.shape import parse_time
from service import replication
from service.settings import Settings


def _settings() -> Settings:
    """Read here, not from the app: creating the app would create an empty archive."""
    from service.commands.common import loaded_settings

    return loaded_settings()


def _failed(error: Exception) -> click.ClickException:
    from service.commands.common import CommandFailed

    return CommandFailed(str(error))


@click.command("replicate")
def replicate_command() -> None:
    """Copy every change of the archive to [replication] url as it is written (Litestream),
    until stopped; run it beside `masthead serve` (a systemd unit of its own).

    Example: MASTHEAD_REPLICATION_URL=/mnt/replica/news masthead replicate
    """
    settings = _settings()
    try:
        url = replication.shown_url(settings)
        click.echo(
            f"replicating {settings.archive_path} to {url} "
            f"(new writes uploaded every {settings.replication.sync_seconds} s)",
            err=True,
        )
        replication.replicate(settings)
    except replication.ReplicationError as error:
        raise _failed(error) from None


@click.command("restore")
@click.option(
    "--from-replica",
    "from_replica",
    is_flag=True,
    help="Restore from [replication] url (what `masthead replicate` uploaded).",
)
@click.option(
    "--timestamp",
    help="The archive as it was at this time (ISO 8601 with zone); default: the latest.",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Restore to this new file instead of [archive] path (to check a replica, say).",
)
def restore_command(from_replica: bool, timestamp: str | None, output: Path | None) -> None:
    """Restore the archive from its replica, check it and say what it holds.

    The archive file must not exist (stop the service and move it away first) unless --output
    names another file. The restored file is checked (PRAGMA integrity_check, its stories
    counted, the last one saved named) before it is given its name.

    Example: masthead restore --from-replica --timestamp 2026-12-01T09:00:00+00:00
    """
    if not from_replica:
        raise click.UsageError(
            "say where to restore from: --from-replica (a copy made by `masthead backup` is "
            "restored by copying it to [archive] path)"
        )
    at = _moment(timestamp)
    settings = _settings()
    destination = output or settings.archive_path
    _check_free(destination, is_archive=output is None)
    try:
        restored = replication.restore(settings, destination, at=at)
    except replication.ReplicationError as error:
        raise _failed(error) from None
    if output is None:
        # Litestream's record of the lost archive's uploads does not describe this one.
        shutil.rmtree(replication.state_folder(destination), ignore_errors=True)
    when = f" as it was at {at.isoformat()}" if at else ""
    click.echo(f"restored {destination} from {replication.shown_url(settings)}{when}")
    click.echo("integrity_check: ok")
    click.echo(f"stories: {restored.stories}")
    click.echo(f"last saved: {restored.last_saved}")


def _moment(timestamp: str | None) -> datetime | None:
    if timestamp is None:
        return None
    try:
        return parse_time(timestamp, "--timestamp")
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--timestamp") from None


def _check_free(destination: Path, *, is_archive: bool) -> None:
    """Stop before any work when the restore could not be given its name."""
    from service.commands.common import CommandFailed

    if not destination.parent.is_dir():
        raise CommandFailed(f"{destination}: the folder {destination.parent} does not exist")
    leftovers = [
        path
        for path in (destination, Path(f"{destination}-wal"), Path(f"{destination}-shm"))
        if path.exists()
    ]
    if not leftovers:
        return
    if is_archive:
        raise CommandFailed(
            f"archive {destination} exists: stop the service and move "
            f"{' and '.join(map(str, leftovers))} away first, or restore to another file "
            "with --output"
        )
    raise CommandFailed(f"{destination} exists; choose a new file name")
