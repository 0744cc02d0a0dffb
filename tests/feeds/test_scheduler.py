"""The scheduler: one process holds it, jobs survive failures, a server keeps feeds fresh."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta

from archive import story_from_dict
from service.feeds import scheduler
from tests.support.archives import settings_mapping
from tests.support.live import LiveServer, write_config
from tests.support.paths import ROOT
from tests.support.stories import NOW

# Each contender tries to start the scheduler, says whether it leads, then waits for stdin.
CONTENDER = """
import sys
from service.feeds import scheduler
from service.settings import load_settings
from pathlib import Path
running = scheduler.start(load_settings(Path(sys.argv[1])))
print("leader" if running else "follower", flush=True)
sys.stdin.read()
"""
# How long a live server may take to pick up a write (the pending job runs every 5 seconds).
PICKUP_TIMEOUT = 30


def contender(config) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CONTENDER, str(config)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_only_one_of_several_processes_runs_the_scheduler(tmp_path):
    config = write_config(tmp_path / "config.toml", settings_mapping(tmp_path))
    processes = [contender(config) for _ in range(3)]
    try:
        roles = [process.stdout.readline().strip() for process in processes]
        assert sorted(roles) == ["follower", "follower", "leader"]
        # When the leader ends, its lock goes with it and a newcomer takes over.
        leader = processes[roles.index("leader")]
        leader.stdin.close()
        leader.wait(timeout=20)
        newcomer = contender(config)
        processes.append(newcomer)
        assert newcomer.stdout.readline().strip() == "leader"
    finally:
        for process in processes:
            process.stdin.close()
            process.wait(timeout=20)
            process.stdout.close()


def test_a_second_start_in_the_same_archive_is_refused(settings):
    first = scheduler.start(settings)
    try:
        assert first is not None
        assert scheduler.start(settings) is None
    finally:
        first.stop()
    again = scheduler.start(settings)
    assert again is not None
    again.stop()


def test_a_failing_job_is_logged_and_does_not_raise(settings, caplog):
    def broken(_settings):
        raise RuntimeError("disk on fire")

    job = scheduler.guarded("rebuild-all", broken, settings)
    with caplog.at_level(logging.ERROR, logger="masthead.scheduler"):
        job()
        job()  # and it runs again next time
    failures = [r for r in caplog.records if "rebuild-all failed" in r.getMessage()]
    assert len(failures) == 2
    assert "disk on fire" in failures[0].exc_text


def test_jobs_coalesce_and_never_overlap(settings):
    running = scheduler.start(settings)
    try:
        jobs = {job.id: job for job in running.background.get_jobs()}
        assert set(jobs) == {
            "rebuild-all",
            "rebuild-pending",
            "rebuild-all-months",
            "rebuild-months",
            "publish-due",
            "poll-sources",
        }
        # Polling sources waits on other servers: on a thread no feed build or embargo uses.
        assert jobs["poll-sources"].executor not in {
            job.executor for name, job in jobs.items() if name != "poll-sources"
        }
        # Publishing has a thread of its own: no rebuild can hold an embargo back.
        assert jobs["publish-due"].executor != jobs["rebuild-pending"].executor
        # Monthly archives too: a long month never holds back the site feed.
        assert jobs["rebuild-months"].executor == jobs["rebuild-all-months"].executor
        assert jobs["rebuild-months"].executor not in (
            jobs["rebuild-pending"].executor,
            jobs["publish-due"].executor,
        )
        # And the full check of every feed: on a big archive it never holds back a write's feeds.
        assert jobs["rebuild-pending"].executor != jobs["rebuild-all"].executor
        for job in jobs.values():
            assert job.coalesce is True
            assert job.max_instances == 1
        assert jobs["rebuild-all"].trigger.interval == timedelta(
            minutes=settings.feeds.rebuild_minutes
        )
    finally:
        running.stop()


def test_feeds_build_and_list_commands(runner, archive):
    archive.save(story_from_dict({"title": "Tram line opens", "published_at": NOW.isoformat()}))
    first = runner.invoke(args=["feeds", "build"])
    assert first.exit_code == 0, first.output
    assert "changed" in first.output
    assert runner.invoke(args=["feeds", "build"]).output.strip() == "built feeds: 0 changed"
    listing = runner.invoke(args=["feeds", "list"])
    assert listing.exit_code == 0
    etag = archive.rendition("latest.atom").etag
    line = next(line for line in listing.output.splitlines() if line.startswith("latest.atom"))
    assert etag in line
    assert " 1 " in line  # one entry


def test_running_server_rebuilds_a_feed_after_a_write(tmp_path, archive):
    with LiveServer(tmp_path, settings_mapping(tmp_path), workers=2) as server:
        assert b"Tram line opens" not in _get(server.url + "/feeds/latest.atom")
        archive.save(story_from_dict({"title": "Tram line opens"}))
        _wait_for_feed(server, b"Tram line opens")
    log = server.log.read_text()
    assert log.count("scheduler started") == 1, log


def test_when_the_scheduler_worker_dies_its_replacement_takes_over(tmp_path, archive):
    with LiveServer(tmp_path, settings_mapping(tmp_path), workers=2) as server:
        first = _scheduler_pids(server, count=1)[0]
        os.kill(first, signal.SIGKILL)
        second = _scheduler_pids(server, count=2)[1]
        assert second != first
        archive.save(story_from_dict({"title": "Night bus returns"}))
        _wait_for_feed(server, b"Night bus returns")


def _scheduler_pids(server: LiveServer, count: int) -> list[int]:
    """The processes that logged starting the scheduler, once `count` of them have."""
    deadline = time.monotonic() + PICKUP_TIMEOUT
    while True:
        found = re.findall(r"scheduler started in process (\d+)", server.log.read_text())
        pids = [int(pid) for pid in found]
        if len(pids) >= count:
            return pids
        assert time.monotonic() < deadline, server.log.read_text()
        time.sleep(0.2)


def _wait_for_feed(server: LiveServer, text: bytes) -> None:
    """Wait until the served site feed holds `text`: a scheduler has rebuilt it."""
    deadline = time.monotonic() + PICKUP_TIMEOUT
    while text not in _get(server.url + "/feeds/latest.atom"):
        assert time.monotonic() < deadline, f"no scheduler rebuilt the feed with {text!r}"
        time.sleep(0.5)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()
