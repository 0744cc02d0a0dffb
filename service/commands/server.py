"""The production server: Granian (HTTP in Rust) with several worker processes over one app.

The app is created once, before the workers fork, so they share its rate-limit table. Every
worker asks for the scheduler's lock as it starts; the one that gets it runs the scheduler, and
if that worker dies its lock dies with it and the worker started in its place takes over.
The main process holds the one listening socket, so connections wait for a worker rather than
be refused. A dead worker is started again, however often it dies (after a growing wait, for
the whole server, when workers keep dying; never while no other worker is alive). SIGTERM or
SIGINT stops the server gracefully: workers finish the requests they hold. A worker whose main
process has died (killed outright, say) stops too, rather than serve on unsupervised, even one
started in the same instant.
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
from collections.abc import Callable
from datetime import UTC, datetime
from multiprocessing.util import Finalize

from granian.constants import HTTPModes, Interfaces
from granian.log import LogLevels
from granian.net import SocketSpec
from granian.server import Server

from archive import ArchiveError
from service import create_app, demo
from service.archive_access import open_for
from service.feeds import scheduler
from service.settings import Settings
from service.wsgi import memory

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


class Backoff:
    """When to start dead workers again, counted for the whole server.

    A worker that dies within QUICK_DEATH_SECONDS of its start is one more death in a row
    (of any worker: a crash loop is the server's, not one worker's); one that lived longer
    starts the count again. From the second death in a row, a dead worker waits before it is
    started again, the wait doubling up to LAST_BACKOFF_SECONDS; but only while another worker
    serves: when none is alive, the one due first starts at once, so the server never stops
    answering to wait.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.deaths_in_a_row = 0
        self.due: dict[int, float] = {}  # dead worker index -> when it may start again

    def died(self, idx: int, born_at: float) -> float:
        """Count the death of worker `idx` (started at `born_at`); the seconds it waits."""
        now = self.clock()
        quick = now - born_at < QUICK_DEATH_SECONDS
        self.deaths_in_a_row = self.deaths_in_a_row + 1 if quick else 1
        wait = 0.0
        if self.deaths_in_a_row >= 2:
            wait = FIRST_BACKOFF_SECONDS * 2 ** (self.deaths_in_a_row - 2)
            wait = min(wait, LAST_BACKOFF_SECONDS)
        self.due[idx] = now + wait
        return wait

    def to_start(self, *, any_alive: bool) -> list[int]:
        """The dead workers to start now: those whose wait is over, and the one due first when
        no worker is alive. They leave the count of waiting workers."""
        now = self.clock()
        starting = [idx for idx, at in self.due.items() if at <= now]
        if not starting and not any_alive and self.due:
            starting = [min(self.due, key=self.due.__getitem__)]
        for idx in starting:
            del self.due[idx]
        return starting

    def next_wait(self) -> float | None:
        """Seconds until the next waiting worker is due; None when none waits."""
        if not self.due:
            return None
        return max(0.0, min(self.due.values()) - self.clock())


class SupervisingServer(Server):  # type: ignore[valid-type,misc]  # chosen by Granian at import
    """Granian's server, except that dead workers are started again however often they die,
    and connections wait in one queue that outlives every worker.

    Granian exits ("Worker crash loop detected") when a worker dies within 5.5 s of being
    started again, taking every healthy worker with it. Here a worker that keeps dying is
    started again after a growing wait instead (Backoff), counted for the whole server and
    never while no other worker serves, so dying workers never stop the server.

    On Linux Granian has each worker listen on a socket of its own (SO_REUSEPORT): a dead
    worker's queued connections are reset, and while no worker is alive the port refuses
    connections. Here the main process opens the one listening socket, as Granian does on
    other systems, and every worker accepts from it: a connection waits for the next worker
    instead.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.backoff = Backoff()
        self.stopping = threading.Event()

    def _init_shared_socket(self):
        # Granian's path for systems without SO_REUSEPORT balancing: one socket, opened here.
        self._ssp = SocketSpec(self.bind_addr, self.bind_port, self.backlog)
        self._shd = self._ssp.build()
        self._sfd = self._shd.get_fd()
        self._ssp = None
        sock = socket.socket(fileno=self._sfd)
        sock.set_inheritable(True)
        self._sso = sock

    def signal_handler_interrupt(self, *args, **kwargs):
        self.stopping.set()  # cuts a backoff wait short: a stop never waits for it
        super().signal_handler_interrupt(*args, **kwargs)

    def _respawn_workers(self, workers, spawn_target, target_loader, delay: float = 0):
        """Start dead `workers` again, each after its backoff; a reload replaces live ones."""
        if delay:  # a reload (SIGHUP): Granian replaces live workers one at a time
            super()._respawn_workers(workers, spawn_target, target_loader, delay=delay)
            self.respawned_wrks.clear()
            return
        for idx in workers:
            self.note_death(idx)
        while not self.stopping.is_set():
            # Workers that die while others wait join them (Granian's watchers list them).
            while self.interrupt_children:
                self.note_death(self.interrupt_children.pop(0))
            waiting = set(self.backoff.due)
            alive = any(w.is_alive() for w in self.wrks if w.idx not in waiting)
            for idx in self.backoff.to_start(any_alive=alive):
                super()._respawn_workers([idx], spawn_target, target_loader)
            wait = self.backoff.next_wait()
            if wait is None:
                break
            # Woken early by a stop or by another worker's death.
            self.main_loop_interrupt.clear()
            if not self.interrupt_children:
                self.main_loop_interrupt.wait(wait)
        if self.stopping.is_set():
            self.main_loop_interrupt.set()  # the serve loop sees the stop this wait took
        # Granian's crash-loop check reads this to exit; the backoff above replaces that check.
        self.respawned_wrks.clear()

    def note_death(self, idx: int) -> None:
        wait = self.backoff.died(idx, self.wrks[idx].birth)
        if wait:
            log.warning(
                "worker-%s died; %s workers in a row died within %ss of their start: "
                "starting it again in %.1fs, or at once if no other worker is alive",
                idx + 1,
                self.backoff.deaths_in_a_row,
                QUICK_DEATH_SECONDS,
                wait,
            )


def seed_demo(settings: Settings) -> None:
    """Fill an empty archive with the demo stories; a failure is logged, never stops the start."""
    try:
        with open_for(settings) as archive:
            added = demo.seed(archive, now=datetime.now(UTC), base_url=settings.site.base_url)
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
    """In a worker, before it serves: stop once the main process `parent` is gone.

    Until Granian gives the worker handlers of its own (just before it serves), SIGTERM and
    SIGINT would reach the handlers the worker inherited from the main process, which only wake
    the main process's loop: a stop asked then would be lost, and the worker would serve on,
    unsupervised, for good. Here they end the worker outright until then (it serves nothing
    yet). A worker whose main process is already gone stops before it serves. Later, a watch
    asks for a graceful stop (SIGTERM) every PARENT_CHECK_SECONDS once the main process is gone,
    so a stop asked in between is asked again, and kills the worker if it has not stopped
    within GRACEFUL_SECONDS.
    """
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, signal.SIG_DFL)
    if os.getppid() != parent:
        log.warning("main process %s is gone; worker %s stops unstarted", parent, os.getpid())
        os._exit(1)  # nothing to finish: no request served, no scheduler started

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        log.warning("main process %s is gone; worker %s stops", parent, os.getpid())
        deadline = time.monotonic() + GRACEFUL_SECONDS
        while time.monotonic() < deadline:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(PARENT_CHECK_SECONDS)
        log.warning("worker %s did not stop within %ss; killed", os.getpid(), GRACEFUL_SECONDS)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def run(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Serve until SIGTERM or SIGINT; the caller has checked the port with check_port_free."""
    memory.limit_heaps()  # before any worker or thread: they all inherit it
    # The app and its whole pipeline (service/wsgi/__init__.py), made before the workers fork.
    app = create_app(settings)
    if settings.server.access_log:
        app.extensions["masthead.access_log"].write_to(1)  # standard output
    wsgi = app.wsgi_app  # the pipeline's first stage, without Flask.__call__ in between
    main_process = os.getpid()

    def worker_app(_target: str):
        """Runs in each worker as it starts: the app it serves, and the scheduler if it wins."""
        stop_when_orphaned(main_process)
        memory.give_back_regularly()
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
        log_access=False,  # service.wsgi.accesslog writes it, for a fraction of the cost
    )
    log.info("serving on http://%s:%s with %s workers", host, port, workers)
    server.serve(target_loader=worker_app)
