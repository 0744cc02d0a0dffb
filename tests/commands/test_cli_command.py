"""The installed `masthead` command at its edges: bad options, missing files and folders,
misspelled settings, and `serve --dev`. Each runs the real command in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.archives import settings_mapping
from tests.support.live import SERVER_START_TIMEOUT, free_port, write_config

MASTHEAD = Path(sys.executable).parent / "masthead"


@pytest.fixture
def command(tmp_path):
    """Run `masthead ARGS` over a config in tmp_path; returns the CompletedProcess."""
    config = write_config(tmp_path / "config.toml", settings_mapping(tmp_path))

    def run(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
        environ = {
            key: value for key, value in os.environ.items() if not key.startswith("MASTHEAD_")
        }
        environ.update({"MASTHEAD_CONFIG": str(config), **(env or {})})
        return subprocess.run(
            [str(MASTHEAD), *args],
            cwd=tmp_path,
            env=environ,
            capture_output=True,
            text=True,
            timeout=60,
            **kwargs,
        )

    return run


def one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def archive_file(command, tmp_path) -> Path:
    assert command("init", "--demo").returncode == 0
    return tmp_path / "archive.db"


# --- serve ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--port", "99999"], "--port 99999"),
        (["--port", "-1"], "--port -1"),
        (["--port", "0"], "--port 0"),
        (["--host", ""], "--host is empty"),
        (["--host", "no-such-host.invalid"], "no-such-host.invalid"),
        (["--workers", "0"], "--workers 0"),
    ],
)
def test_serve_refuses_bad_options_in_one_line(command, args, named):
    result = command("serve", *args)
    assert named in one_error_line(result)


def test_serve_dev_serves_pages_on_localhost(command, tmp_path, archive_file):
    port = free_port()
    config = tmp_path / "config.toml"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MASTHEAD_")}
    log = (tmp_path / "dev.log").open("wb")
    process = subprocess.Popen(
        [str(MASTHEAD), "serve", "--dev", "--host", "localhost", "--port", str(port)],
        cwd=tmp_path,
        env={**environ, "MASTHEAD_CONFIG": str(config)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # the reloader's child is in the same group, stopped with it
    )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            assert process.poll() is None, (tmp_path / "dev.log").read_text()
            try:
                with urllib.request.urlopen(f"http://localhost:{port}/", timeout=2) as page:
                    body = page.read().decode()
                    break
            except (urllib.error.URLError, OSError):
                assert time.monotonic() < deadline, (tmp_path / "dev.log").read_text()
                time.sleep(0.2)
        assert "<html" in body
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
    assert "Ignoring a call to" not in (tmp_path / "dev.log").read_text()


# --- export and backup ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["export", "backup"])
def test_writing_into_a_missing_folder_names_it(command, tmp_path, archive_file, name):
    target = tmp_path / "no-such-folder" / "out"
    line = one_error_line(command(name, str(target)))
    assert "no-such-folder" in line
    assert not target.parent.exists()


def test_export_dash_writes_to_standard_output(command, tmp_path, archive_file):
    result = command("export", "-")
    assert result.returncode == 0, result.stderr
    stories = [json.loads(line) for line in result.stdout.splitlines()]
    assert stories
    assert all(story["url"].startswith("https://news.example/") for story in stories)
    assert "exported" in result.stderr
    assert not (tmp_path / "-").exists()


def test_export_never_replaces_a_file_without_force(command, tmp_path, archive_file):
    target = tmp_path / "stories.jsonl"
    target.write_text("kept\n")
    line = one_error_line(command("export", str(target)))
    assert "exists" in line
    assert "--force" in line
    assert target.read_text() == "kept\n"
    assert command("export", str(target), "--force").returncode == 0
    assert json.loads(target.read_text().splitlines()[0])["id"]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []


def test_backup_never_replaces_a_file(command, tmp_path, archive_file):
    target = tmp_path / "copy.db"
    target.write_text("kept\n")
    assert "exists" in one_error_line(command("backup", str(target)))
    assert target.read_text() == "kept\n"


@pytest.mark.parametrize(
    "args", [["export", "out.jsonl"], ["backup", "copy.db"], ["feeds", "list"], ["feeds", "build"]]
)
def test_a_mistyped_archive_path_is_named_and_never_created(command, tmp_path, args):
    typo = tmp_path / "archvie.db"
    result = command(*args, env={"MASTHEAD_ARCHIVE_PATH": str(typo)})
    line = one_error_line(result)
    assert str(typo) in line
    assert "does not exist" in line
    assert not typo.exists()
    assert not (tmp_path / args[-1]).exists()


# --- settings ---------------------------------------------------------------------------------


def test_a_misspelled_setting_variable_is_named_with_the_nearest(command, archive_file):
    result = command("feeds", "list", env={"MASTHEAD_SITE_TITEL": "Other"})
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "MASTHEAD_SITE_TITEL" in line]
    assert len(warnings) == 1
    assert "MASTHEAD_SITE_TITLE" in warnings[0]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MASTHEAD_HTTP_RATE_LIMIT_PER_MINUTE", "-1"),
        ("MASTHEAD_HTTP_PAGE_MAX_AGE", "-60"),
        ("MASTHEAD_HTTP_ARCHIVE_MAX_AGE", "-1"),
        ("MASTHEAD_SERVER_WORKERS", "0"),
        ("MASTHEAD_SERVER_THREADS", "-2"),
        ("MASTHEAD_FEEDS_REBUILD_MINUTES", "0"),
        ("MASTHEAD_SERVER_PORT", "70000"),
    ],
)
def test_negative_or_zero_settings_stop_the_command_naming_them(command, variable, value):
    result = command("init", env={variable: value})
    assert result.returncode == 1
    setting = variable.removeprefix("MASTHEAD_").split("_", 1)
    assert f"[{setting[0].lower()}] {setting[1].lower()} = {value}" in result.stderr
