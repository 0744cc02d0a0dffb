"""A full disk under the archive: writes answer 503 and commands one error line, the server
starts and serves what is stored, and writes resume once there is space again.

The disk is a small tmpfs mounted for the test (root only), filled to the last byte by a file.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive import open_archive, slugify, story_from_dict
from service.feeds import scheduler
from service.settings import settings_from_mapping
from tests.support.api import WRITE_TOKEN, story_json
from tests.support.archives import settings_mapping
from tests.support.live import LiveServer
from tests.support.paths import CORPUS
from tests.support.stories import NOW

# Room for a small archive, its write-ahead log and a backup.
DISK_SIZE = "16m"
WRITE = {"Authorization": f"Bearer {WRITE_TOKEN}", "Content-Type": "application/json"}


@pytest.fixture
def disk(tmp_path) -> Iterator[Path]:
    """A folder on a tmpfs of DISK_SIZE of its own, unmounted after the test."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"a small disk needs a tmpfs mount, which was refused: {mounted.stderr}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=True)


def fill(folder: Path) -> Path:
    """A file that takes every free byte of `folder`'s disk; remove it to give them back."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (1 << 20, 1 << 12, 1):  # big writes, then the last pages and bytes
            try:
                while True:
                    os.write(fd, b"\0" * chunk)
            except OSError:
                continue
    finally:
        os.close(fd)
    assert os.statvfs(folder).f_bavail == 0
    return filler


def on_disk(tmp_path: Path, disk: Path, *, demo: bool = False) -> dict:
    """The settings mapping of a site whose archive lives on `disk`."""
    return settings_mapping(tmp_path, archive={"path": str(disk / "archive.db"), "demo": demo})


def post_story(server: LiveServer, title: str) -> tuple[int, dict, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        body = json.dumps(story_json(title=title, slug=slugify(title)))
        connection.request("POST", "/api/stories", body, WRITE)
        response = connection.getresponse()
        return response.status, response.headers, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def get(server: LiveServer, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def masthead(server: LiveServer, *args: str, env: dict) -> subprocess.CompletedProcess:
    """The `masthead` command over the server's config, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "service", *args],
        env={**os.environ, "MASTHEAD_CONFIG": str(server.config), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def titles(disk: Path, *, name: str = "archive.db") -> list[str]:
    with open_archive(disk / name) as archive:
        return sorted(story.title for story in archive.all_stories())


def assert_full_disk_answer(status: int, headers, problem: dict) -> None:
    assert status == 503, problem
    assert headers["Content-Type"] == "application/problem+json"
    assert int(headers["Retry-After"]) > 0
    assert problem["type"] == "urn:masthead:problem:storage-unavailable"
    assert problem["status"] == 503
    assert "nothing was changed" in problem["detail"]


def test_a_write_on_a_full_disk_answers_503_and_writes_resume_with_space(
    tmp_path, disk, api_tokens
):
    with LiveServer(tmp_path, on_disk(tmp_path, disk)) as server:
        assert post_story(server, "Before the disk filled")[0] == 201
        filler = fill(disk)
        assert_full_disk_answer(*post_story(server, "While the disk is full"))
        assert get(server, "/") == 200  # what is stored is still served
        filler.unlink()
        status, _, story = post_story(server, "After space returned")
        assert status == 201, story
        server.stop()
    log = server.log.read_text()
    assert "the disk is full" in log
    assert "Traceback" not in log
    assert titles(disk) == ["After space returned", "Before the disk filled"]


def save_stories(settings, *titles: str) -> None:
    with open_archive(settings.archive_path, domain=settings.site.domain) as archive:
        for n, title in enumerate(titles):
            published_at = f"2026-06-{10 + n}T10:00:00+00:00"
            archive.save(story_from_dict({"title": title, "published_at": published_at}), now=NOW)


@pytest.mark.parametrize(
    ("command", "env"),
    [
        (["import", str(CORPUS / "closing-ceremony.txt")], {}),
        (["feeds", "build"], {"MASTHEAD_FEEDS_SIZE": "1"}),  # every feed changes: writes
        (["init", "--demo"], {"MASTHEAD_ARCHIVE_PATH": "{disk}/new.db"}),
        (["backup", "{disk}/backup.db"], {}),
        (["export", "{disk}/stories.jsonl"], {}),
    ],
    ids=["import", "feeds build", "init", "backup", "export"],
)
def test_every_command_on_a_full_disk_says_so_in_one_line(tmp_path, disk, command, env):
    save_stories(settings_from_mapping(on_disk(tmp_path, disk)), "One", "Two")
    with LiveServer(tmp_path, on_disk(tmp_path, disk)) as server:
        assert get(server, "/") == 200  # a worker now keeps the archive open, as in production
        fill(disk)
        ran = masthead(
            server,
            *(arg.format(disk=disk) for arg in command),
            env={key: value.format(disk=disk) for key, value in env.items()},
        )
    assert ran.returncode == 1, ran.stderr
    errors = [line for line in ran.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, ran.stderr
    assert errors[0].startswith("error: ")
    assert "No space left on device" in errors[0] or "disk is full" in errors[0]


def test_serve_starts_on_a_full_disk_and_writes_resume_with_space(tmp_path, disk, api_tokens):
    settings = settings_from_mapping(on_disk(tmp_path, disk))
    save_stories(settings, "Stored")
    scheduler.rebuild_all(settings)
    filler = fill(disk)
    # Demo stories on: seeding cannot write either, and must not stop the start.
    with LiveServer(tmp_path, on_disk(tmp_path, disk, demo=True)) as server:
        assert get(server, "/feeds/latest.atom") == 200
        assert get(server, "/") == 200
        assert_full_disk_answer(*post_story(server, "While the disk is full"))
        # Alive (a load balancer keeps it: it serves), not ready (writes cannot be stored).
        assert (get(server, "/health"), get(server, "/health/ready")) == (200, 503)
        filler.unlink()
        status, _, story = post_story(server, "After space returned")
        assert status == 201, story
        assert get(server, "/health/ready") == 200
    assert server.process.returncode == 0
    assert "read-only" in server.log.read_text()
    assert titles(disk) == ["After space returned", "Stored"]


def test_a_backup_onto_a_full_disk_leaves_no_file_and_a_retry_works(tmp_path, disk, runner):
    settings = settings_from_mapping(settings_mapping(tmp_path))  # the archive is not on `disk`
    save_stories(settings, "One", "Two")
    destination = disk / "backup.db"
    filler = fill(disk)
    failed = runner.invoke(args=["backup", str(destination)])
    assert failed.exit_code == 1
    assert sorted(path.name for path in disk.iterdir()) == ["filler"]  # no partial copy either
    assert failed.output.strip().splitlines() == [
        f"error: backup to {destination} failed: the disk is full; nothing was written under "
        "that name, so the same command can be run again"
    ]
    filler.unlink()
    assert runner.invoke(args=["backup", str(destination)]).exit_code == 0
    assert titles(disk, name="backup.db") == ["One", "Two"]
    assert sorted(path.name for path in disk.iterdir()) == ["backup.db"]


def test_scheduler_jobs_on_a_full_disk_log_one_line_each_way(tmp_path, disk, caplog):
    """A job failing every 2 s on a full disk says so once, without a traceback, and once
    when it writes again; a job with nothing to write proves nothing either way."""
    settings = settings_from_mapping(on_disk(tmp_path, disk))
    save_stories(settings, "Queued")  # its feeds wait for the pending rebuild
    storage = scheduler.StorageState(settings)
    pending = scheduler.guarded(
        "rebuild-pending", scheduler.rebuild_pending, settings, storage=storage
    )
    publish = scheduler.guarded("publish-due", scheduler.publish_due, settings, storage=storage)
    filler = fill(disk)
    with caplog.at_level("INFO", logger="masthead.scheduler"):
        for _ in range(5):
            pending()
            publish()
        filler.unlink()
        for _ in range(2):
            pending()
            publish()
    lines = [r.getMessage() for r in caplog.records if r.name == "masthead.scheduler"]
    failing = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(failing) == 1, lines
    assert "disk full" in failing[0] or "disk is full" in failing[0]
    assert str(settings.archive_path) in failing[0]
    assert not any(r.exc_info for r in caplog.records)
    again = [line for line in lines if "can be written again" in line]
    assert len(again) == 1, lines
    assert lines.index(again[0]) > lines.index(failing[0])
