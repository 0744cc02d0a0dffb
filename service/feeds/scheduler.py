"""The scheduler: APScheduler jobs that publish embargoed stories and rebuild feeds.

Publishing runs on a thread of its own, so that no rebuild, however long, delays an embargo;
monthly archives are built on another, so that a month of thousands of stories never holds back
the feeds readers poll.

It runs in exactly one process however many web workers run: the process that holds an
exclusive lock on a file beside the archive. `masthead serve` starts it; create_app never does.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import IO

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from archive import FeedScope
from archive.db.storage import storage_failure
from service import urls
from service.archive_access import open_for
from service.feeds import renditions, websub
from service.feeds.document import ENTRIES
from service.feeds.kinds import kind_of
from service.feeds.month_builder import MonthBuilder, builder_stop
from service.settings import Settings

log = logging.getLogger("masthead.scheduler")

# Selects the feed scopes a job builds (renditions.is_subscription, renditions.is_archive_month).
Which = Callable[[FeedScope], bool]

# How often queued changes (a write, a due embargo) are turned into rebuilt subscription feeds.
PENDING_SECONDS = 2
# How often queued changes are turned into rebuilt monthly archives: a month in progress holds
# every story of the month so far, and is rebuilt at most this often however fast stories come.
MONTHS_SECONDS = 30
# How often scheduled stories whose embargo has passed are published.
PUBLISH_SECONDS = 5
# How often sources (partner feeds, agency items) are checked for a due poll; each source has
# its own interval (service.sources.poller).
SOURCES_SECONDS = 30
# Queued feeds built before a new archive's first request; the scheduler builds the rest.
START_SCOPES = 50
# A run that could not start on time still runs if it is at most this late; later, it is skipped
# (runs missed while the process was busy coalesce into one).
MISFIRE_GRACE_SECONDS = 60


def rebuild_all(
    settings: Settings,
    *,
    now: datetime | None = None,
    which: Which = renditions.every_scope,
    stop: threading.Event | None = None,
) -> list[str]:
    """Publish what is due and rebuild every feed (of those `which` selects) whose inputs
    changed, until `stop` is set. Returns changed keys."""
    now = now or datetime.now(UTC)
    with open_for(settings) as archive:
        archive.publish_due(now=now)
        return renditions.rebuild_pending(
            archive, settings, now=now, everything=True, which=which, stop=stop
        )


def rebuild_first(settings: Settings, *, now: datetime | None = None) -> list[str]:
    """Before a new archive's first request: the site's feeds (latest, corrections and
    withdrawals, which
    exist from the start) and the first START_SCOPES queued
    feeds (site feed first), so a start stays short however much is queued; the rebuild-all
    that runs right after the start builds the rest."""
    now = now or datetime.now(UTC)
    with open_for(settings) as archive:
        archive.publish_due(now=now)
        site_feeds = [FeedScope.parse(key) for key in ("latest", "corrections", "withdrawals")]
        first = renditions.rebuild(archive, settings, now=now, scopes=site_feeds)
        return first.changed + renditions.rebuild_pending(
            archive, settings, now=now, most=START_SCOPES
        )


def rebuild_pending(
    settings: Settings,
    *,
    now: datetime | None = None,
    which: Which = renditions.every_scope,
    stop: threading.Event | None = None,
) -> list[str]:
    """Rebuild just the feeds (of those `which` selects) that writes and publications queued,
    until `stop` is set. Returns changed keys."""
    with open_for(settings) as archive:
        return renditions.rebuild_pending(
            archive, settings, now=now or datetime.now(UTC), which=which, stop=stop
        )


def publish_due(settings: Settings, *, now: datetime | None = None) -> list[str]:
    """Publish every scheduled story whose embargo has passed. Returns their permalinks; their
    feeds are queued, for the next pending rebuild."""
    with open_for(settings) as archive:
        published = archive.publish_due(now=now or datetime.now(UTC))
        return [story.path for story in published if story.path]


def poll_sources(settings: Settings, *, stop: threading.Event | None = None) -> list[str]:
    """Poll every source that is due (service.sources.poller). Returns the slugs of the sources
    whose entries changed stories; their feeds are queued, for the next pending rebuild."""
    from service.sources import poller

    return poller.poll_due(settings, stop=stop)


def rebuild_all_subscriptions(settings: Settings, *, stop: threading.Event) -> list[str]:
    """Every subscription feed whose inputs changed; then the feed entries no feed used since
    the last such run are dropped (a stopped run drops none)."""
    changed = rebuild_all(settings, which=renditions.is_subscription, stop=stop)
    if not stop.is_set():
        ENTRIES.sweep()
    return changed


def rebuild_all_months(settings: Settings) -> list[str]:
    """In a builder process (service.feeds.month_builder): every monthly archive whose inputs
    changed, until the scheduler stops."""
    return rebuild_all(settings, which=renditions.is_archive_month, stop=builder_stop())


def rebuild_pending_months(settings: Settings) -> list[str]:
    """In a builder process: the monthly archives that writes queued, until the scheduler
    stops."""
    return rebuild_pending(settings, which=renditions.is_archive_month, stop=builder_stop())


def lock_path(settings: Settings) -> Path:
    path = settings.archive_path
    return path.with_name(path.name + ".scheduler.lock")


def try_lock(path: Path) -> IO | None:
    """An exclusive, non-blocking lock on `path`; the open file holds it until closed or exit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


class StorageState:
    """Whether the archive's disk is failing, as the jobs of this process last found it.

    A full disk fails every job that writes, every few seconds, until there is room: that is
    logged once when it starts (one line, no traceback), and once when every job that failed
    has run without failing again (a job that had nothing to write proves nothing).
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self.cause: str | None = None
        self.failing: set[str] = set()  # the jobs that failed on the disk and have not run since
        self.lock = threading.Lock()

    def failed(self, name: str, cause: str) -> None:
        with self.lock:
            self.failing.add(name)
            if self.cause == cause:
                return
            self.cause = cause
        log.error(
            "scheduler job %s: archive %s: %s; the jobs go on trying, and log once more when "
            "it is writable",
            name,
            self.settings.archive_path,
            cause,
        )

    def worked(self, name: str) -> None:
        if name not in self.failing:  # read without the lock: the common case costs nothing
            return
        with self.lock:
            self.failing.discard(name)
            if self.failing or self.cause is None:
                return
            self.cause = None
        log.info(
            "scheduler job %s: archive %s can be written again", name, self.settings.archive_path
        )


def storage_cause(error: BaseException) -> str | None:
    """The storage failure behind `error`, also when it came while handling another one."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        cause = storage_failure(current)
        if cause is not None:
            return cause
        current = current.__cause__ or current.__context__
    return None


def guarded(
    name: str,
    work: Callable[[Settings], list[str]],
    settings: Settings,
    *,
    on_change: Callable[[list[str]], None] | None = None,
    storage: StorageState | None = None,
) -> Callable[[], None]:
    """A job that logs its failure with its name instead of raising: it runs again next time.

    `on_change` receives the keys of the feeds whose bytes changed (for WebSub). A failing disk
    is told to `storage` (one line per change of state), every other failure logged in full.
    """
    storage = storage or StorageState(settings)

    def run() -> None:
        # A boundary: a failing job never stops the scheduler or the web server.
        try:
            changed = work(settings)
        except Exception as error:
            cause = storage_cause(error)
            if cause is None:
                log.exception("scheduler job %s failed; it will run again", name)
            else:
                storage.failed(name, cause)
            return
        storage.worked(name)
        if changed:
            log.info("job %s changed %d: %s", name, len(changed), ", ".join(changed[:5]))
            if on_change is not None:
                on_change(changed)

    return run


def subscription_urls(settings: Settings, keys: list[str]) -> list[str]:
    """The URLs of the changed subscription feeds (archive months are not subscribed to)."""
    feeds = [FeedScope.from_feed_key(key) for key in keys]
    return [
        urls.feed_url(settings.site, scope, fmt)
        for scope, fmt in feeds
        if kind_of(scope).is_subscription
    ]


class Scheduler:
    """The running scheduler of this process, with the lock that makes it the only one."""

    def __init__(self, settings: Settings, lock: IO):
        self.settings = settings
        self.lock = lock
        self.notifier = websub.Notifier(settings.feeds.hub_url) if settings.feeds.hub_url else None
        self.storage = StorageState(settings)
        # Set on stop: a rebuild in progress ends before its next story (renditions.stopping).
        self.stopping = threading.Event()
        self.background = BackgroundScheduler(
            timezone=UTC,
            # One thread rebuilds queued subscription feeds; the full check of every feed has
            # its own, monthly archives theirs, and publishing too, so that no long build holds
            # back the site feed or an embargo. All wait their turn for the write lock, and a
            # lock per scope keeps two threads from building one feed at once.
            executors={
                "default": ThreadPoolExecutor(1),
                "full": ThreadPoolExecutor(1),
                "months": ThreadPoolExecutor(1),
                "publish": ThreadPoolExecutor(1),
                # Polling sources waits on other servers: never on a thread that builds feeds.
                "sources": ThreadPoolExecutor(1),
            },
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MISFIRE_GRACE_SECONDS,
            },
        )
        # Months are built in processes of their own, which give their memory back.
        self.months = MonthBuilder()
        self.add(
            "rebuild-all",
            partial(rebuild_all_subscriptions, stop=self.stopping),
            seconds=settings.feeds.rebuild_minutes * 60,
            executor="full",
            at_once=True,  # `masthead serve` does not wait for it
        )
        self.add(
            "rebuild-pending",
            partial(rebuild_pending, stop=self.stopping, which=renditions.is_subscription),
            seconds=PENDING_SECONDS,
        )
        self.add(
            "rebuild-all-months",
            partial(self.months.run, rebuild_all_months),
            seconds=settings.feeds.rebuild_minutes * 60,
            executor="months",
            at_once=True,
        )
        self.add(
            "rebuild-months",
            partial(self.months.run, rebuild_pending_months),
            seconds=MONTHS_SECONDS,
            executor="months",
        )
        self.background.add_job(
            guarded("publish-due", publish_due, settings, storage=self.storage),
            "interval",
            seconds=PUBLISH_SECONDS,
            id="publish-due",
            executor="publish",
        )
        self.background.add_job(
            guarded("poll-sources", partial(poll_sources, stop=self.stopping), settings),
            "interval",
            seconds=SOURCES_SECONDS,
            id="poll-sources",
            executor="sources",
            next_run_time=datetime.now(UTC),
        )

    def add(
        self,
        name: str,
        work: Callable[[Settings], list[str]],
        *,
        seconds: int,
        executor: str = "default",
        at_once: bool = False,
    ) -> None:
        """A rebuild job every `seconds` (and at once when `at_once`) whose changes are announced
        to the WebSub hub."""
        # APScheduler reads next_run_time=None as "paused": leave it out to follow the interval.
        first = {"next_run_time": datetime.now(UTC)} if at_once else {}
        self.background.add_job(
            guarded(name, work, self.settings, on_change=self.announce, storage=self.storage),
            "interval",
            seconds=seconds,
            id=name,
            executor=executor,
            **first,
        )

    def announce(self, changed: list[str]) -> None:
        if self.notifier is not None:
            self.notifier.publish(subscription_urls(self.settings, changed))

    def start(self) -> Scheduler:
        self.months.start()
        self.background.start()
        log.info("scheduler started in process %s (lock %s)", os.getpid(), self.lock.name)
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.months.stop()  # the month run in hand ends (or is killed) first
        if self.background.running:
            # Waits for the job in hand: with `stopping` set, a rebuild ends before its next
            # story, so a stop is short and no job outlives its scheduler.
            self.background.shutdown(wait=True)
        self.lock.close()


def start(settings: Settings) -> Scheduler | None:
    """Start the scheduler here if no other process runs it; None when another one does."""
    lock = try_lock(lock_path(settings))
    if lock is None:
        return None
    return Scheduler(settings, lock).start()
