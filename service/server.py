"""The production server: gunicorn with several workers over one create_app(settings)."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

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
    }
    MastheadServer(settings, options).run()
