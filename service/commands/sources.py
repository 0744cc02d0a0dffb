"""`masthead sources`: add, list, pause, resume, remove and poll the sources taken in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from archive.db import sources as store
from service.archive_access import open_for
from service.settings import Settings


class SourceFailed(click.ClickException):
    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", file=file, err=file is None)


def _settings() -> Settings:
    return current_app.config["MASTHEAD"]


@click.group("sources", cls=AppGroup)
def sources_group() -> None:
    """Partner feeds (RSS, Atom, JSON Feed) and ninjs items taken into the archive."""


def check_address(url: str) -> str:
    """An http(s) URL, or a folder of ninjs items (made absolute). Raises click.BadParameter."""
    if url.startswith(("http://", "https://")):
        return url
    folder = Path(url.removeprefix("file://").removeprefix("file:"))
    if folder.is_dir():
        return str(folder.resolve())
    raise click.BadParameter(f"{url!r} is neither an http(s) URL nor a folder", param_hint="URL")


@sources_group.command("add")
@click.argument("url")
@click.option("--slug", default="", help="The source's name in addresses (default: from it).")
@click.option("--section", default="", help="Section of the stories it gives.")
@click.option("--tag", multiple=True, help="A tag for every story it gives (repeatable).")
@click.option(
    "--status",
    type=click.Choice(store.STORY_STATUSES),
    default="published",
    help="Its stories are published at once, or kept as drafts for an editor.",
)
@click.option(
    "--policy",
    type=click.Choice(store.POLICIES),
    default="full",
    help="What is kept: the full text, a summary, or only the title and link.",
)
@click.option("--rights", default="", help="Rights line where its feed and entries state none.")
@click.option("--publisher", default="", help="The originating publisher's name.")
def add_command(url: str, slug: str, section: str, tag: tuple[str, ...], **options) -> None:
    """Add a source: an RSS 2.0, Atom 1.0 or JSON Feed 1.1 URL, or a folder or URL of IPTC
    ninjs items. It is polled by `masthead serve` (or at once by `masthead sources poll`).

    Example: masthead sources add https://partner.example/feed.atom --section world
    --publisher "Partner Daily" --policy summary
    """
    settings = _settings()
    url = check_address(url)
    with open_for(settings) as archive:
        try:
            source = store.add_source(
                archive.db,
                url,
                now=datetime.now(UTC),
                interval_seconds=settings.sources.min_minutes * 60,
                slug=slug,
                section=section,
                tags=tag,
                story_status=options["status"],
                policy=options["policy"],
                rights=options["rights"],
                publisher=options["publisher"],
            )
        except (store.SourceConflict, ValueError) as error:
            raise SourceFailed(str(error)) from None
    click.echo(f"added source {source.slug}: {source.url}")


@sources_group.command("list")
def list_command() -> None:
    """Each source: state, last fetch, status, next poll, entries taken, last error.

    Example: masthead sources list
    """
    with open_for(_settings()) as archive:
        found = store.list_sources(archive.db)
    if not found:
        click.echo("no sources: add one with `masthead sources add URL`")
        return
    for source in found:
        last = source.last_fetch_at.isoformat() if source.last_fetch_at else "never"
        click.echo(f"{source.slug}  {source.state}  {source.url}")
        click.echo(
            f"  last fetch {last}; next poll {source.next_poll_at.isoformat()}; "
            f"{source.entries_taken} entries taken; policy {source.policy}"
        )
        if source.last_status:
            click.echo(f"  status: {source.last_status}")
        if source.last_error:
            click.echo(f"  last error: {source.last_error}")


def _set_state(slug: str, state: str) -> store.Source:
    with open_for(_settings()) as archive:
        try:
            return store.set_state(archive.db, slug, state, now=datetime.now(UTC))
        except store.SourceNotFound as error:
            raise SourceFailed(str(error)) from None


@sources_group.command("pause")
@click.argument("slug")
def pause_command(slug: str) -> None:
    """Stop polling a source until it is resumed. Example: masthead sources pause partner-daily"""
    click.echo(f"paused {_set_state(slug, 'paused').slug}")


@sources_group.command("resume")
@click.argument("slug")
def resume_command(slug: str) -> None:
    """Poll a paused or stopped source again, at once.

    Example: masthead sources resume partner-daily
    """
    click.echo(f"resumed {_set_state(slug, 'active').slug}")


@sources_group.command("remove")
@click.argument("slug")
def remove_command(slug: str) -> None:
    """Forget a source; the stories it gave stay. Example: masthead sources remove partner-daily"""
    with open_for(_settings()) as archive:
        try:
            source = store.remove_source(archive.db, slug)
        except store.SourceNotFound as error:
            raise SourceFailed(str(error)) from None
    click.echo(f"removed {source.slug} ({source.entries_taken} stories from it stay)")


@sources_group.command("poll")
@click.argument("slug")
def poll_command(slug: str) -> None:
    """Fetch one source now and take in its entries. Example: masthead sources poll partner-daily"""
    from service.sources import poller

    settings = _settings()
    try:
        poller.poll_source(settings, slug)
    except store.SourceNotFound as error:
        raise SourceFailed(str(error)) from None
    with open_for(settings) as archive:
        source = store.get_source(archive.db, slug)
    click.echo(f"{source.slug}: {source.last_status}")
    if source.last_error:
        raise click.exceptions.Exit(1)
