"""The production server: Granian (HTTP in Rust) with several worker processes over one app.

The app is created once, before the workers fork, so they share its rate-limit table. Every
worker asks for the scheduler's lock as it starts; the one that gets it runs the scheduler, and
if that worker dies its lock dies with it and the worker started in its place takes over.
SIGTERM or SIGINT stops the server gracefully: workers finish the requests they hold. A worker
whose main process has died (killed outright, say) stops too, rather than serve on unsupervised.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import threading
import time
from multiprocessing.util import Finalize

from granian.constants import Interfaces
from granian.log import LogLevels
from granian.server import Server

from service import accesslog, create_app, scheduler
from service.settings import Settings

log = logging.getLogger("masthead.server")

# Seconds a stopping worker may take to finish its requests before it is killed.
GRACEFUL_SECONDS = 20
# How often a worker checks that its main process is still there.
PARENT_CHECK_SECONDS = 1.0


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
    wsgi = accesslog.AccessLog(app) if settings.server.access_log else app

    def worker_app(_target: str):
        """Runs in each worker as it starts: the app it serves, and the scheduler if it wins."""
        stop_when_orphaned(main_process)
        running = scheduler.start(settings)
        if running is not None:
            # Runs when the worker's process ends, after it has stopped serving.
            Finalize(None, running.stop, exitpriority=10)
        return wsgi

    server = Server(
        "masthead",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=settings.server.threads,
        respawn_failed_workers=True,
        workers_kill_timeout=GRACEFUL_SECONDS,
        log_level=LogLevels.info,
        log_access=False,  # service.accesslog writes it, for a fraction of the cost
    )
    log.info("serving on http://%s:%s with %s workers", host, port, workers)
    server.serve(target_loader=worker_app)
