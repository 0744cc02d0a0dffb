"""What every `masthead` command shares: its one-line failures and the settings it runs with."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import FlaskGroup, ScriptInfo

from archive import ArchiveBusy
from archive.db.storage import storage_failure
from service.settings import Settings, SettingsError, SiteSettings, load_settings

if TYPE_CHECKING:
    pass

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


def current_settings() -> Settings:
    return current_app.config["MASTHEAD"]


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
