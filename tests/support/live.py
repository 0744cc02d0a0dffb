"""Real servers for tests: `masthead serve` in a subprocess on 127.0.0.1 and a free port, its
config file, and waits that fail the test when the server exits or never answers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

# How long a live server may take to answer its first request.
SERVER_START_TIMEOUT = 30


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


def wait_until_answering(url: str, process: subprocess.Popen, *, seconds: float, name: str):
    """Return once `url` answers (any HTTP status) from a server just started; fails when the
    process exits first or nothing answers within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"{name} exited {process.returncode}: {stderr}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{name} did not answer {url} within {seconds} s")


def wait_for_json(url: str, server: subprocess.Popen, log: Path) -> dict:
    """The JSON the server answers at `url` once it is up; fails if it exits or never answers."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"masthead serve exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.load(response)
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    pytest.fail(f"masthead serve did not answer within {SERVER_START_TIMEOUT}s")


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`, from /proc/*/stat (field 4 is the parent)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue  # ended while we looked
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, reaped by init soon, does not count)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status
