"""The service's way into the archive: one connection per worker thread, kept between requests.

Opening a connection (reading the schema, mapping the WAL index) costs more than answering a
feed poll, so each thread keeps its own; every request ends outside any transaction.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from flask import Flask, current_app

from archive import Archive, Clock, open_archive
from service import replication
from service.settings import Settings, SettingsError

log = logging.getLogger("masthead.archive")


def settings() -> Settings:
    return current_app.config["MASTHEAD"]


def open_for(
    config: Settings, *, prepare: bool = True, read_only_fallback: bool = False
) -> Archive:
    """An archive opened with the site's tag: authority and time zone."""
    return open_archive(
        config.archive_path,
        domain=config.site.domain,
        timezone=config.site.timezone,
        language=config.site.language,
        prepare=prepare,
        read_only_fallback=read_only_fallback,
        busy_timeout_ms=config.archive.busy_timeout_ms,
        checkpoint_pages=replication.checkpoint_pages(config),
    )


def clock_for(config: Settings) -> Clock:
    """The site's calendar (archive.story.clock): its zone decides days, months and closed
    months."""
    return Clock(domain=config.site.domain, timezone=config.site.timezone)


def site_clock() -> Clock:
    """The calendar of the app serving this request."""
    return current_app.extensions["masthead.clock"]


def get_archive() -> Archive:
    """This thread's archive connection; the app prepared the archive when it was created."""
    return thread_archive(current_app)


def thread_archive(app: Flask) -> Archive:
    """This thread's archive connection for `app`, outside any request context."""
    kept = app.extensions["masthead.archive"]
    archive = getattr(kept, "archive", None)
    if archive is None or archive.is_read_only:
        # Read-only means the disk was full: every request tries the normal way in again, so
        # writes resume as soon as there is space (and the read-only way is never kept long).
        config = app.config["MASTHEAD"]
        fresh = open_for(config, prepare=False, read_only_fallback=True)
        if fresh.is_read_only and archive is None:
            log.warning("archive %s opened read-only (the disk is full)", config.archive_path)
        if archive is not None:
            archive.close()
        archive = kept.archive = fresh
    return archive


def end_request(_error: BaseException | None = None) -> None:
    """Leave the kept connection clean: a request that failed mid-write rolls back."""
    archive = getattr(current_app.extensions["masthead.archive"], "archive", None)
    if archive is not None:
        archive.roll_back_unfinished()


def init_app(app: Flask) -> None:
    # Create and migrate the archive once, so that requests open it without those checks.
    config = app.config["MASTHEAD"]
    try:
        # On a full disk the service still starts, and serves what is stored (writes answer 503).
        open_for(config, read_only_fallback=True).close()
    except sqlite3.Error as error:
        raise SettingsError(
            f"[archive] path = {str(config.archive_path)!r}: cannot open an archive there ({error})"
        ) from None
    app.extensions["masthead.archive"] = threading.local()
    app.extensions["masthead.clock"] = clock_for(config)
    app.teardown_appcontext(end_request)
