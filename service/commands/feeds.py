"""`masthead feeds build` and `feeds list`: the stored feeds rebuilt and inspected."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from flask.cli import AppGroup

from service.archive_access import open_for

if TYPE_CHECKING:
    pass
from service.commands.common import current_settings


@click.group("feeds", cls=AppGroup)
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
