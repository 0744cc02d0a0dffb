"""`masthead doctor`: a checklist for production read from the settings and this machine.

Each check says what it found and, when something is missing, what to do. It only reads: the
archive is not opened (nor created), and the one file written, to learn whether the archive's
folder takes new files, is removed at once.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import click

from service import replication
from service.settings import Settings, SiteSettings


@dataclass(frozen=True)
class Finding:
    """One item of the checklist: what was looked at, and whether it needs doing."""

    item: str
    is_ok: bool
    detail: str


def base_url(settings: Settings) -> Finding:
    url = settings.site.base_url
    if url == SiteSettings().base_url:
        return Finding(
            "[site] base_url",
            False,
            f"still the default ({url}): set it to the public address before anything is "
            "published, since every entry id keeps its domain for ever",
        )
    return Finding("[site] base_url", True, url)


def replica(settings: Settings) -> Finding:
    if not replication.is_on(settings):
        return Finding(
            "[replication] url",
            False,
            "empty: the archive is on this machine only; set a folder on another disk, an "
            "s3:// or an sftp:// URL and run `masthead replicate`",
        )
    try:
        url = replication.shown_url(settings)
        replication.litestream_binary()
    except replication.ReplicationError as error:
        return Finding("[replication] url", False, str(error))
    if url.startswith("file:") and _same_disk(Path(urlsplit(url).path), settings.archive_path):
        return Finding(
            "[replication] url",
            False,
            f"{urlsplit(url).path} is on the same disk as the archive, and would be lost with "
            "it: use another disk, a mounted volume, an s3:// or an sftp:// URL",
        )
    return Finding("[replication] url", True, f"{url} (run `masthead replicate` beside serve)")


def _same_disk(first: Path, second: Path) -> bool:
    """Whether two paths (or the folders they would be created in) are on one file system."""
    return _device(first) == _device(second)


def _device(path: Path) -> int:
    path = path.resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path.stat().st_dev


def is_behind_proxy(settings: Settings) -> bool:
    """Whether readers reach the site through something in front of `masthead serve`: its
    public address is https (Masthead serves plain HTTP) or on another port than it listens."""
    base = urlsplit(settings.site.base_url)
    port = base.port or (443 if base.scheme == "https" else 80)
    return base.scheme == "https" or port != settings.server.port


def trusted_proxy(settings: Settings) -> Finding:
    item = "[server] trusted_proxies"
    proxies = settings.server.trusted_proxies
    if not is_behind_proxy(settings):
        shown = ", ".join(proxies) or "none"
        return Finding(item, True, f"{shown}; readers reach Masthead directly (no proxy)")
    if proxies:
        return Finding(item, True, ", ".join(proxies))
    return Finding(
        item,
        False,
        f"empty, while readers reach {settings.site.base_url} through a proxy and Masthead "
        f"listens on port {settings.server.port}: every reader is then the proxy's address "
        "(one rate limit shared by all, one address in the log); set the proxy's address "
        '(trusted_proxies = ["127.0.0.1"] for nginx on this machine)',
    )


def archive_folder(settings: Settings) -> Finding:
    """Whether the archive's folder (or the folder it would be created under) takes files."""
    path = settings.archive_path
    item = "[archive] path"
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        handle, name = tempfile.mkstemp(dir=folder, prefix=".masthead-doctor-")
        os.close(handle)
        Path(name).unlink()
    except OSError as error:
        reason = error.strerror or str(error)
        return Finding(
            item,
            False,
            f"{path}: the folder {folder} cannot be written by this user ({reason}): create "
            "it and give it to the user the service runs as",
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return Finding(item, False, f"{path} cannot be written by this user")
    state = "exists" if path.exists() else "will be created"
    return Finding(item, True, f"{path} ({state}, its folder is writable)")


def demo(settings: Settings) -> Finding:
    if settings.archive.demo:
        return Finding(
            "[archive] demo",
            False,
            "on: demo stories are added to an empty archive; turn it off "
            "(MASTHEAD_ARCHIVE_DEMO=false)",
        )
    return Finding("[archive] demo", True, "off")


CHECKS: tuple[Callable[[Settings], Finding], ...] = (
    base_url,
    replica,
    trusted_proxy,
    archive_folder,
    demo,
)


def findings(settings: Settings) -> list[Finding]:
    """Every check of the list, in order."""
    return [check(settings) for check in CHECKS]


@click.command("doctor")
def doctor_command() -> None:
    """Check the settings and this machine for production: base_url, replication, the proxy's
    address, the archive's folder, demo stories. Exit status 1 when something is missing.

    Run it as the user the service runs as: sudo -u masthead masthead doctor
    """
    from service.commands.common import loaded_settings

    found = findings(loaded_settings())
    for finding in found:
        mark = "ok" if finding.is_ok else "missing"
        click.echo(f"{mark:<8} {finding.item}: {finding.detail}")
    missing = sum(not finding.is_ok for finding in found)
    if missing:
        click.echo(f"{missing} of {len(found)} checks need attention")
        raise click.exceptions.Exit(1)
    click.echo(f"all {len(found)} checks passed")
