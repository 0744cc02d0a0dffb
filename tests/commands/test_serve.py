"""`masthead serve`: the real server on 127.0.0.1, as the README's run command starts it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from service.commands import server as production
from service.feeds import scheduler
from service.settings import settings_from_mapping
from tests.support.archives import settings_mapping
from tests.support.live import LiveServer, alive, children


def test_serve_fills_an_empty_archive_with_demo_stories_and_serves_them(tmp_path):
    with LiveServer(tmp_path, settings_mapping(tmp_path, archive={"demo": True})) as server:
        with urllib.request.urlopen(server.url + "/", timeout=10) as response:
            home = response.read().decode()
        assert "Harbour bridge reopens after two years of repairs" in home
        with urllib.request.urlopen(
            server.url + "/2026/11/23/harbour-bridge-reopens/", timeout=10
        ) as response:
            story = response.read().decode()
        assert "Lena Ortiz / Masthead" in story
        assert "chief engineer of the restoration" in story
    assert server.process.returncode == 0


def test_a_second_server_on_a_taken_port_refuses_to_start(tmp_path):
    with LiveServer(tmp_path, settings_mapping(tmp_path)) as first:
        second = subprocess.run(
            [sys.executable, "-m", "service", "serve", "--port", str(first.port)],
            env={**os.environ, "MASTHEAD_CONFIG": str(first.config)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1
        assert f"127.0.0.1:{first.port} is already in use" in second.stderr
        with urllib.request.urlopen(first.url + "/robots.txt", timeout=10) as response:
            assert response.status == 200


def test_workers_stop_when_the_main_process_is_killed(tmp_path):
    with LiveServer(tmp_path, settings_mapping(tmp_path), workers=2) as server:
        workers = children(server.process.pid)
        assert len(workers) == 2
        server.process.kill()  # SIGKILL: the main process gets no chance to stop its workers
        server.process.wait()
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in workers):
            assert time.monotonic() < deadline, f"orphaned workers still run: {workers}"
            time.sleep(0.2)
        with pytest.raises(urllib.error.URLError, match="Connection refused"):
            urllib.request.urlopen(server.url + "/robots.txt", timeout=2)
        assert "is gone; worker" in server.log.read_text()


# Milliseconds between a worker's start and the SIGKILL of its main process.
KILL_AFTER_SPAWN_MS = [0, 20, 50, 100]
# How long the last worker may take to notice and stop (a check a second, then a graceful stop).
ORPHAN_STOP_TIMEOUT = 30


def spawned_child(pid: int, known: set[int]) -> int:
    """The first child of `pid` not in `known`, caught as soon as it is forked."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                found = {int(child) for child in (task / "children").read_text().split()}
            except FileNotFoundError:
                continue  # the thread ended while we looked
            if found - known:
                return (found - known).pop()
    raise AssertionError(f"no new worker of {pid} within 30 s")


@pytest.mark.parametrize("after_ms", KILL_AFTER_SPAWN_MS)
def test_a_worker_started_just_before_its_main_process_is_killed_stops(tmp_path, after_ms):
    with LiveServer(tmp_path, settings_mapping(tmp_path), workers=2) as server:
        main_pid = server.process.pid
        workers = set(children(main_pid))
        assert workers <= processes_of(server.config)
        os.kill(next(iter(workers)), signal.SIGKILL)  # started again at once: its first death
        fresh = spawned_child(main_pid, workers)
        time.sleep(after_ms / 1000)
        server.process.kill()
        server.process.wait()
        # Every process of this server (workers, the scheduler's fork server and its resource
        # tracker), however it was started: they all carry its config in their environment.
        deadline = time.monotonic() + ORPHAN_STOP_TIMEOUT
        while processes_of(server.config) or any(alive(pid) for pid in workers | {fresh}):
            assert time.monotonic() < deadline, server.log.read_text()  # orphans still run
            time.sleep(0.1)
        production.check_port_free("127.0.0.1", server.port)  # raises PortInUse
        settings = settings_from_mapping(settings_mapping(tmp_path))
        lock = scheduler.try_lock(scheduler.lock_path(settings))
        assert lock is not None, "the scheduler's lock is still held"
        lock.close()


def processes_of(config: Path) -> set[int]:
    """The live processes started with MASTHEAD_CONFIG=`config` in their environment."""
    marker = f"MASTHEAD_CONFIG={config}".encode() + b"\0"
    found = set()
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes() and alive(int(environ.parent.name)):
                found.add(int(environ.parent.name))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue  # ended while we looked, or not ours
    return found
