"""The production server: gunicorn with several workers over one create_app(settings)."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

from service import scheduler
from service.settings import Settings


class MastheadServer(BaseApplication):
    """gunicorn, configured from Settings rather than its own config file or argv."""

    def __init__(self, settings: Settings, options: dict):
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("post_worker_init", lambda worker: self.post_worker_init(worker))
        self.cfg.set("worker_exit", lambda _arbiter, worker: self.worker_exit(worker))

    def post_worker_init(self, worker) -> None:
        # Every worker asks; the one that gets the lock runs the scheduler. If that worker
        # dies, its lock dies with it and the worker started in its place takes over.
        worker.scheduler = scheduler.start(self.settings)

    def worker_exit(self, worker) -> None:
        if getattr(worker, "scheduler", None) is not None:
            worker.scheduler.stop()

    def load(self):
        from service import create_app

        return create_app(self.settings)


def run(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Serve until SIGTERM or SIGINT; workers finish their requests first (graceful shutdown)."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "graceful_timeout": 20,
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "masthead",
        # Load the app once, before forking, so all workers share its rate-limit table.
        "preload_app": True,
    }
    MastheadServer(settings, options).run()
