"""The installed `masthead` command, run as a user runs it: a subprocess of the console script
over a temporary archive, checked by its output, its exit status and the archive it leaves.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from archive import open_archive
from tests.support.commands import MASTHEAD, masthead
from tests.support.live import free_port, wait_for_json, write_config
from tests.support.paths import ROOT

DEMO_COUNT = len(json.loads((ROOT / "service" / "demo" / "stories.json").read_text("utf-8")))

TITLES = [
    "Behind the scenes at the Closing Ceremony",
    "Ferry strike ends",
    "Harbour bridge reopens",
]


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """The environment of a user whose config file names an archive in the test's folder."""
    config = write_config(
        tmp_path / "masthead.toml",
        {
            "site": {"base_url": "https://news.example"},
            "archive": {"path": str(tmp_path / "news.db"), "demo": False},
            "server": {"host": "127.0.0.1", "workers": 1},
        },
    )
    variables = {k: v for k, v in os.environ.items() if not k.startswith("MASTHEAD_")}
    return {**variables, "MASTHEAD_CONFIG": str(config)}


@pytest.fixture
def imported(tmp_path, env, articles) -> Path:
    done = masthead("import", str(articles), env=env, cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout == "3 created, 0 updated, 0 unchanged, 0 skipped, 0 failed\n"
    return tmp_path / "news.db"


def titles_in(path: Path) -> list[str]:
    with open_archive(path) as archive:
        return sorted(story.title for story in archive.all_stories())


def test_help_names_every_command(tmp_path, env):
    done = masthead("--help", env=env, cwd=tmp_path)
    assert done.returncode == 0
    listed = done.stdout.split("Commands:\n", 1)[1].split()
    assert {"backup", "export", "feeds", "import", "init", "serve"} <= set(listed)
    feeds = masthead("feeds", "--help", env=env, cwd=tmp_path)
    assert feeds.returncode == 0
    assert {"build", "list"} <= set(feeds.stdout.split("Commands:\n", 1)[1].split())


def test_init_creates_the_archive_its_config_names(tmp_path, env):
    done = masthead("init", env=env, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (
        0,
        f"archive ready at {tmp_path / 'news.db'} (0 stories)\n",
    )
    demo = masthead("init", "--demo", env=env, cwd=tmp_path)
    assert demo.returncode == 0
    assert demo.stdout.splitlines() == [
        f"archive ready at {tmp_path / 'news.db'} ({DEMO_COUNT} stories)",
        f"added {DEMO_COUNT} demo stories",
    ]
    assert len(titles_in(tmp_path / "news.db")) == DEMO_COUNT


def test_the_environment_chooses_another_archive(tmp_path, env):
    other = tmp_path / "elsewhere" / "other.db"
    other.parent.mkdir()
    done = masthead("init", env={**env, "MASTHEAD_ARCHIVE_PATH": str(other)}, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, f"archive ready at {other} (0 stories)\n")
    assert other.exists()
    assert not (tmp_path / "news.db").exists()


def test_import_reads_a_folder_once(tmp_path, env, articles, imported):
    assert titles_in(imported) == TITLES
    again = masthead("import", str(articles), env=env, cwd=tmp_path)
    assert again.returncode == 0
    assert again.stdout == "0 created, 0 updated, 3 unchanged, 0 skipped, 0 failed\n"


def test_import_names_a_bad_file_and_exits_1(tmp_path, env, articles):
    (articles / "empty.txt").write_text("", encoding="utf-8")
    done = masthead("import", str(articles), env=env, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == "3 created, 0 updated, 0 unchanged, 0 skipped, 1 failed\n"
    assert done.stderr == f"error: {articles / 'empty.txt'}: the file is empty\n"
    assert titles_in(tmp_path / "news.db") == TITLES


def test_export_writes_every_story_as_json_lines(tmp_path, env, imported):
    done = masthead("export", "stories.jsonl", env=env, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "exported 3 stories to stories.jsonl\n")
    lines = (tmp_path / "stories.jsonl").read_text(encoding="utf-8").splitlines()
    stories = [json.loads(line) for line in lines]
    assert sorted(story["title"] for story in stories) == TITLES
    assert all(story["url"].startswith("https://news.example/") for story in stories)


def test_feeds_build_then_list_shows_them(tmp_path, env, imported):
    before = masthead("feeds", "list", env=env, cwd=tmp_path)
    assert (before.returncode, before.stdout) == (
        0,
        "no feeds built yet: run `masthead feeds build`\n",
    )
    built = masthead("feeds", "build", env=env, cwd=tmp_path)
    assert built.returncode == 0
    assert built.stdout.startswith("built feeds: ")
    assert int(built.stdout.split()[2]) > 0
    listed = masthead("feeds", "list", env=env, cwd=tmp_path)
    assert listed.returncode == 0
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["feed", "status", "entries", "bytes", "etag", "built"]
    table = {row.split()[0]: row.split()[1:3] for row in rows}
    for name in ("latest.atom", "latest.rss", "latest.json"):
        assert table[name] == ["ok", "3"]
    # A second build changes nothing: every feed keeps its bytes.
    assert masthead("feeds", "build", env=env, cwd=tmp_path).stdout == "built feeds: 0 changed\n"


def test_backup_copies_the_archive_and_never_overwrites(tmp_path, env, imported):
    done = masthead("backup", "copy.db", env=env, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "archive copied to copy.db\n")
    assert titles_in(tmp_path / "copy.db") == TITLES
    again = masthead("backup", "copy.db", env=env, cwd=tmp_path)
    assert again.returncode == 1
    assert (again.stdout, again.stderr) == ("", "error: copy.db exists; choose a new file name\n")
    assert titles_in(tmp_path / "copy.db") == TITLES


def test_serve_answers_health_until_stopped(tmp_path, env, imported):
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(MASTHEAD), "serve", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        health = wait_for_json(f"http://127.0.0.1:{port}/health", server, log)
        assert health["status"] == "ok"
        assert health["problems"] == []
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert "GET /health HTTP/1.1" in log.read_text()
