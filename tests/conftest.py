"""Fixtures: real settings, a real SQLite archive in a temp dir, the app, and a live server."""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from hypothesis import settings as hypothesis_settings

from archive import Archive, open_archive
from service import create_app
from service.commands.cli import main
from service.settings import Settings, settings_from_mapping

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
SCHEMAS = SHARED / "schemas"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Property tests draw the same examples on every run, so a run of the suite is repeatable;
# HYPOTHESIS_PROFILE=explore draws new ones (what it finds becomes an @example).
hypothesis_settings.register_profile("repeatable", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
# A fixed "now" for tests: time is injected, never read deep inside.
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
# How long a live server may take to answer its first request.
SERVER_START_TIMEOUT = 30


def settings_mapping(tmp_path: Path, **sections: dict) -> dict:
    """Settings for a test's temp dir; its archive starts as a copy of the migrated template."""
    mapping: dict[str, dict] = {
        "site": {"base_url": "https://news.example", "timezone": "Europe/London"},
        "archive": {"path": str(tmp_path / "archive.db"), "demo": False},
        # No request limit unless a test sets one: suites make many requests from one address.
        "http": {"rate_limit_per_minute": 0},
    }
    for name, values in sections.items():
        mapping.setdefault(name, {}).update(values)
    if mapping["archive"]["path"] == str(tmp_path / "archive.db"):
        copy_template_archive(tmp_path / "archive.db")
    return mapping


# An empty archive migrated once per run; each test's archive starts as a copy of it. Nothing in
# a new archive depends on the site (domain and zone are read at open), so one serves every test.
_template_archive: Path | None = None


def copy_template_archive(path: Path) -> None:
    """Put a migrated empty archive at `path` unless something is there already."""
    global _template_archive
    if path.exists():
        return
    if _template_archive is None:
        folder = Path(tempfile.mkdtemp(prefix="masthead-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        open_archive(folder / "archive.db").close()
        _template_archive = folder / "archive.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_template_archive, path)


@pytest.fixture
def make_settings(tmp_path) -> callable:
    """Settings for this test's temp dir, with any section values replaced."""

    def make(**sections: dict) -> Settings:
        return settings_from_mapping(settings_mapping(tmp_path, **sections))

    return make


@pytest.fixture
def settings(make_settings) -> Settings:
    return make_settings()


@pytest.fixture
def archive(settings) -> Iterator[Archive]:
    """A migrated archive in a real SQLite file, opened as the service opens it."""
    opened = open_archive(
        settings.archive_path, domain=settings.site.domain, timezone=settings.site.timezone
    )
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def app(settings):
    return create_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


class MastheadRunner(FlaskCliRunner):
    """Invokes the `masthead` command group (not app.cli) against the test's app."""

    def invoke(self, cli=None, args=None, **kwargs):
        return super().invoke(cli or main, args, **kwargs)


@pytest.fixture
def runner(app):
    return MastheadRunner(app)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(path: Path, mapping: dict) -> Path:
    """A config.toml for a subprocess, from the same mapping the in-process settings use."""
    lines = []
    for section, values in mapping.items():
        lines.append(f"[{section}]")
        for key, value in values.items():
            if isinstance(value, bool):
                lines.append(f"{key} = {'true' if value else 'false'}")
            elif isinstance(value, int):
                lines.append(f"{key} = {value}")
            else:
                escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
                lines.append(f'{key} = "{escaped}"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class LiveServer:
    """`masthead serve` in a subprocess on 127.0.0.1, a free port, stopped by the fixture."""

    def __init__(self, tmp_path: Path, mapping: dict, *, workers: int = 2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        mapping = {
            **mapping,
            "server": {"host": "127.0.0.1", "port": self.port, "workers": workers},
        }
        self.config = write_config(tmp_path / "config.toml", mapping)
        self.log = tmp_path / "server.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> LiveServer:
        env = {**os.environ, "MASTHEAD_CONFIG": str(self.config)}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "service", "serve"],
                cwd=self.config.parent,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log.read_text()}")
            try:
                urllib.request.urlopen(self.url + "/robots.txt", timeout=1).close()
                return self
            except urllib.error.HTTPError:
                return self  # it answered, even if with an error status
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not answer within {SERVER_START_TIMEOUT}s")

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def live_server(tmp_path, settings) -> Iterator[LiveServer]:
    """The real service (Granian, 2 workers) on 127.0.0.1, over the same archive as `archive`."""
    with LiveServer(tmp_path, settings_mapping(tmp_path)) as server:
        yield server


# Bearer tokens for the write API, set in the environment by the `api_tokens` fixture.
WRITE_TOKEN = "write-token-0123456789abcdef"
READ_TOKEN = "read-token-0123456789abcdef"


@pytest.fixture
def api_tokens(monkeypatch) -> dict[str, dict[str, str]]:
    """A read-write and a read-only API token in the environment; headers that send each."""
    monkeypatch.setenv("MASTHEAD_API_WRITE_TOKENS", f"other-writer-token-0000, {WRITE_TOKEN}")
    monkeypatch.setenv("MASTHEAD_API_READ_TOKENS", READ_TOKEN)
    return {
        "write": {"Authorization": f"Bearer {WRITE_TOKEN}"},
        "read": {"Authorization": f"Bearer {READ_TOKEN}"},
    }
