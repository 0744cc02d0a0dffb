"""The production server: Granian (HTTP in Rust) with several worker processes over one app.

The app is created once, before the workers fork, so they share its rate-limit table. Every
worker asks for the scheduler's lock as it starts; the one that gets it runs the scheduler, and
if that worker dies its lock dies with it and the worker started in its place takes over.
A dead worker is started again, however often it dies (after a growing wait when it keeps
dying). SIGTERM or SIGINT stops the server gracefully: workers finish the requests they hold. A
worker whose main process has died (killed outright, say) stops too, rather than serve on
unsupervised.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import sqlite3
import threading
import time
from datetime import UTC, datetime
from multiprocessing.util import Finalize

from granian.constants import HTTPModes, Interfaces
from granian.log import LogLevels
from granian.server import Server

from archive import ArchiveError
from service import accesslog, bodies, create_app, demo, request_environ, scheduler
from service.archive_access import open_for
from service.settings import Settings

log = logging.getLogger("masthead.server")

# Seconds a stopping worker may take to finish its requests before it is killed.
GRACEFUL_SECONDS = 20
# How often a worker checks that its main process is still there.
PARENT_CHECK_SECONDS = 1.0
# A worker that dies within this many seconds of its start counts as dying again in a row.
QUICK_DEATH_SECONDS = 5.5
# The wait before starting a worker again after its second death in a row, doubled after each
# further one, up to the last: a worker that keeps dying costs little, and is never given up.
FIRST_BACKOFF_SECONDS = 0.5
LAST_BACKOFF_SECONDS = 30.0


class PortInUse(Exception):
    pass


def check_port_free(host: str, port: int) -> None:
    """Raise PortInUse when something listens on host:port already.

    The workers listen with SO_REUSEPORT, so a second server on the same port would not fail:
    it would silently share the port, and requests would be split between the two. A bind
    without SO_REUSEPORT fails while anyone listens there, which is the question asked here;
    the connections a stopped server leaves behind for a minute do not count.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR: connections of a stopped server (FIN-WAIT-2, TIME-WAIT after a client
        # kept its connection open) do not count; a listening socket still does (Linux refuses
        # it unless both sockets set SO_REUSEPORT, which the probe does not).
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PortInUse(
                    f"{host}:{port} is already in use (another masthead serve?); stop it or "
                    "choose another port with --port or [server] port"
                ) from None
            raise


class SupervisingServer(Server):
    """Granian's server, except that dead workers are started again however often they die.

    Granian exits ("Worker crash loop detected") when a worker dies within 5.5 s of being
    started again, taking every healthy worker with it. Here a worker that keeps dying is
    started again after a growing wait instead (backoff), so dying workers never stop the server.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.deaths_in_a_row: dict[int, int] = {}
        self.stopping = threading.Event()

    def signal_handler_interrupt(self, *args, **kwargs):
        self.stopping.set()  # cuts a backoff wait short: a stop never waits for it
        super().signal_handler_interrupt(*args, **kwargs)

    def _respawn_workers(self, workers, spawn_target, target_loader, delay: float = 0):
        """Start `workers` again; dead ones after their backoff (reloads replace live ones)."""
        dead = [idx for idx in workers if not self.wrks[idx].is_alive()]
        wait = max((self.backoff(idx) for idx in dead), default=0)
        if wait and self.stopping.wait(wait):
            return
        super()._respawn_workers(workers, spawn_target, target_loader, delay=delay)
        # Granian's crash-loop check reads this to exit; the backoff above replaces that check.
        self.respawned_wrks.clear()

    def backoff(self, idx: int) -> float:
        """Seconds to wait before starting worker `idx` again, now that it has died."""
        lived = time.monotonic() - self.wrks[idx].birth
        deaths = self.deaths_in_a_row.get(idx, 0) + 1 if lived < QUICK_DEATH_SECONDS else 1
        self.deaths_in_a_row[idx] = deaths
        if deaths < 2:
            return 0.0
        wait = min(FIRST_BACKOFF_SECONDS * 2 ** (deaths - 2), LAST_BACKOFF_SECONDS)
        log.warning(
            "worker-%s died %s times in a row, each within %ss of its start; "
            "starting it again in %.1fs",
            idx + 1,
            deaths,
            QUICK_DEATH_SECONDS,
            wait,
        )
        return wait


def seed_demo(settings: Settings) -> None:
    """Fill an empty archive with the demo stories; a failure is logged, never stops the start."""
    try:
        with open_for(settings) as archive:
            added = demo.seed(archive, now=datetime.now(UTC))
    except (sqlite3.Error, ArchiveError) as error:
        log.error("demo stories not added to %s: %s", settings.archive_path, error)
        return
    if added:
        log.info("added %s demo stories to the empty archive", added)


def build_feeds_if_none(settings: Settings) -> None:
    """Build the feeds before the first request when none are stored yet (a new archive).

    Stored feeds are served as they are, however big the archive: the scheduler checks and
    rebuilds them right after the start. A failure is logged and never stops the start (a
    start never depends on every story being perfect); the scheduler tries again.
    """
    try:
        with open_for(settings, prepare=False, read_only_fallback=True) as archive:
            if archive.is_read_only:
                log.warning(
                    "archive %s is read-only: the disk is full; the stored site and feeds are "
                    "served, and writes answer 503 until there is space",
                    settings.archive_path,
                )
            if archive.renditions():
                return
        changed = scheduler.rebuild_first(settings)
    except Exception:
        # A boundary: the start goes on without feeds, and the scheduler's next run retries.
        log.exception("feeds not built before the start; the scheduler will try again")
        return
    log.info("feeds built before the start (%s)", len(changed))


def stop_when_orphaned(parent: int) -> None:
    """In a worker: SIGTERM ourselves (a graceful stop) once the main process is gone."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        log.warning("main process %s is gone; worker %s stops", parent, os.getpid())
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def run(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Serve until SIGTERM or SIGINT; the caller has checked the port with check_port_free."""
    app = create_app(settings)
    main_process = os.getpid()
    # A stalled request body holds its thread; one thread of each worker is never given to one.
    limits = bodies.BodyLimits(
        max_bytes=settings.api.max_body_bytes,
        timeout_seconds=settings.server.body_timeout_seconds,
        min_bytes_per_second=settings.server.body_min_bytes_per_second,
    )
    wsgi = bodies.BodyReaders(app, readers=settings.server.threads - 1, limits=limits)
    wsgi = accesslog.AccessLog(wsgi) if settings.server.access_log else wsgi
    # Granian copies the process environment, tokens included, into every request's environ.
    wsgi = request_environ.WithoutProcessEnvironment(wsgi)

    def worker_app(_target: str):
        """Runs in each worker as it starts: the app it serves, and the scheduler if it wins."""
        stop_when_orphaned(main_process)
        running = scheduler.start(settings)
        if running is not None:
            # Runs when the worker's process ends, after it has stopped serving.
            Finalize(None, running.stop, exitpriority=10)
        return wsgi

    server = SupervisingServer(
        "masthead",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        # HTTP/1.1 only: the documented proxy speaks it to upstreams, and an HTTP/2 body needs
        # no length nor chunks, nor does a stream its client abandons end its read (README).
        http=HTTPModes.http1,
        workers=workers,
        blocking_threads=settings.server.threads,
        respawn_failed_workers=True,
        workers_kill_timeout=GRACEFUL_SECONDS,
        log_level=LogLevels.info,
        log_access=False,  # service.accesslog writes it, for a fraction of the cost
    )
    log.info("serving on http://%s:%s with %s workers", host, port, workers)
    server.serve(target_loader=worker_app)
