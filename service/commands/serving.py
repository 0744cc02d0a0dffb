"""`masthead serve`: the production server (Granian) or, with --dev, Werkzeug's reloader."""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import with_appcontext

from service.settings import Settings, SiteSettings

if TYPE_CHECKING:
    pass
from service.commands.common import CommandFailed, current_settings, warn_about_base_url


@click.command("serve")
@with_appcontext
@click.option("--host", help="Address or host name to listen on (default: [server] host).")
@click.option("--port", type=int, help="Port to listen on, 1 to 65535 (default: [server] port).")
@click.option("--workers", type=int, help="Worker processes (default: [server] workers).")
@click.option(
    "--dev",
    is_flag=True,
    help="Werkzeug's development server, one process, restarted when the code changes.",
)
def serve_command(host: str | None, port: int | None, workers: int | None, dev: bool) -> None:
    """Serve the site, feeds and API (Granian; --dev for the reloader).

    Example: masthead serve --host 0.0.0.0 --port 8080
    """
    from service.commands import server

    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] %(name)s: %(message)s")
    # APScheduler reports every run at INFO (twice every 5 s); its warnings and errors remain.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    settings = current_settings()
    if port is not None and not 1 <= port <= 65535:
        raise CommandFailed(f"--port {port} is not a port: give a number from 1 to 65535")
    if workers is not None and workers < 1:
        raise CommandFailed(f"--workers {workers}: give at least 1")
    host = _listen_address(
        *((settings.server.host, "[server] host") if host is None else (host, "--host"))
    )
    port = settings.server.port if port is None else port
    reloaded = os.environ.get("WERKZEUG_RUN_MAIN") == "true"  # --dev's serving child process
    if not reloaded:  # the reloader's first process holds the port for its child
        _check_listening(host, port)
    settings = _served_settings(settings, host, port)
    if settings.archive.demo:
        server.seed_demo(settings)
    # Stored feeds are served at once; the scheduler checks every one right after the start.
    server.build_feeds_if_none(settings)
    if dev:
        _serve_dev(settings, host, port, reloaded=reloaded)
    else:
        server.run(settings, host=host, port=port, workers=workers or settings.server.workers)


def _served_settings(settings: Settings, host: str, port: int) -> Settings:
    """The settings to serve with on host:port, saying what happens to the site's address.

    While base_url is the default, links follow the address served on (--port 8080 links to
    :8080); a base_url that was set is kept (a proxy in front answers on it), with a note when
    it names this machine on another port.
    """
    warn_about_base_url(settings)
    default = SiteSettings().base_url
    # An address that listens everywhere is reached here through loopback.
    reached = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
    here = f"http://{f'[{reached}]' if ':' in reached else reached}:{port}"
    base = urlsplit(settings.site.base_url)
    if settings.site.base_url == default:
        if here != default:
            click.echo(f"note: serving on {here}: links and entry ids use {here}", err=True)
            site = dataclasses.replace(settings.site, base_url=here)
            return dataclasses.replace(settings, site=site)
    elif base.hostname in ("127.0.0.1", "localhost", "::1") and (base.port or 80) != port:
        click.echo(
            f"note: serving on port {port}, but [site] base_url is {settings.site.base_url}: "
            "every link points there",
            err=True,
        )
    return settings


def _check_listening(host: str, port: int) -> None:
    """Stop with one line when nothing could listen on host:port (taken, or not ours)."""
    from service.commands import server

    try:
        server.check_port_free(host, port)
    except server.PortInUse as error:
        raise CommandFailed(str(error)) from None
    except OSError as error:
        raise CommandFailed(f"cannot listen on {host}:{port}: {error.strerror or error}") from None


def _listen_address(host: str, source: str) -> str:
    """The IP address to listen on for --host or [server] host (a name such as localhost too)."""
    if not host.strip():
        raise CommandFailed(
            f"{source} is empty: give an address to listen on, such as 127.0.0.1 or 0.0.0.0"
        )
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as error:
        reason = getattr(error, "strerror", None) or error
        raise CommandFailed(f"{source} {host!r} is not an address to listen on: {reason}") from None
    # IPv4 first: `localhost` is 127.0.0.1, which every client tries.
    found.sort(key=lambda info: info[0] != socket.AF_INET)
    return str(found[0][4][0])


def _serve_dev(settings: Settings, host: str, port: int, *, reloaded: bool) -> None:
    """Werkzeug's server with its reloader, without the debugger.

    The interactive debugger runs any code typed into an error page: on an address others can
    reach, it hands them the machine. Errors are logged with their traceback instead.
    """
    from werkzeug.serving import run_simple

    from service.feeds import scheduler

    if reloaded:
        # The reloader serves from a child process it restarts; the scheduler belongs there.
        scheduler.start(settings)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    run_simple(host, port, app, use_reloader=True, use_debugger=False, threaded=True)
