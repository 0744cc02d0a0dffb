"""The service's way into the archive: one connection per request (on `g`), closed at teardown."""

from __future__ import annotations

from flask import Flask, current_app, g

from archive import Archive, open_archive
from service.settings import Settings


def settings() -> Settings:
    return current_app.config["MASTHEAD"]


def open_for(config: Settings) -> Archive:
    """An archive opened with the site's tag: authority and time zone."""
    return open_archive(
        config.archive_path, domain=config.site.domain, timezone=config.site.timezone
    )


def get_archive() -> Archive:
    if "archive" not in g:
        g.archive = open_for(settings())
    return g.archive


def close_archive(_error: BaseException | None = None) -> None:
    archive = g.pop("archive", None)
    if archive is not None:
        archive.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_archive)
