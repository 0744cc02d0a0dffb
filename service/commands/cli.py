"""The `masthead` command line: click commands over the archive's public API.

Each command is thin: it parses options, calls the archive, reports a line per failure. This
module is the group (`main`) and `init`; each group of commands is a module beside it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from service import create_app
from service.archive_access import open_for
from service.settings import SettingsError

if TYPE_CHECKING:
    pass
from service.commands import (
    doctor,
    exports,
    feeds,
    imports,
    proxy_config,
    replication_commands,
    serving,
    sources,
)
from service.commands.common import (
    CommandFailed,
    Commands,
    current_settings,
    loaded_settings,
)


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


# The commands, one module per group; those that only read (or rebuild from) an archive, run on
# a path where none exists (a mistyped one, say), stop rather than create an empty archive and
# report on it.
NEEDS_ARCHIVE = {
    exports.export_command,
    exports.backup_command,
    exports.export_site_command,
    feeds.feeds_list_command,
    feeds.feeds_build_command,
    sources.list_command,
}
for command in (
    imports.import_command,
    exports.export_command,
    exports.backup_command,
    exports.export_site_command,
    feeds.feeds_group,
    serving.serve_command,
    proxy_config.proxy_config_group,
    sources.sources_group,
    # These read the settings without opening the archive.
    replication_commands.replicate_command,
    replication_commands.restore_command,
    doctor.doctor_command,
):
    main.add_command(command)
