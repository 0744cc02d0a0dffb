"""The production server: Granian (HTTP in Rust) with several worker processes over one app.

The app is created once, before the workers fork, so they share its rate-limit table. Every
worker asks for the scheduler's lock as it starts; the one that gets it runs the scheduler, and
if that worker dies its lock dies with it and the worker started in its place takes over.
SIGTERM or SIGINT stops the server gracefully: workers finish the requests they hold.
"""

from __future__ import annotations

import logging
from multiprocessing.util import Finalize

from granian.constants import Interfaces
from granian.log import LogLevels
from granian.server import Server

from service import accesslog, create_app, scheduler
from service.settings import Settings

log = logging.getLogger("masthead.server")

# Seconds a stopping worker may take to finish its requests before it is killed.
GRACEFUL_SECONDS = 20


def run(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Serve until SIGTERM or SIGINT."""
    app = create_app(settings)
    wsgi = accesslog.AccessLog(app) if settings.server.access_log else app

    def worker_app(_target: str):
        """Runs in each worker as it starts: the app it serves, and the scheduler if it wins."""
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
