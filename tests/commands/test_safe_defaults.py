"""A new user's set-up is safe: demo stories only when asked, a warning while the site's address
is the default (entry ids keep it for ever), and links that follow the port actually served on.
Run through the installed `masthead` command."""

from __future__ import annotations

import os
import signal
import subprocess
import urllib.request
from pathlib import Path

import feedparser
import pytest

from archive import open_archive
from tests.support.commands import MASTHEAD, masthead
from tests.support.live import free_port, wait_for_json, write_config

WARNING = "warning: [site] base_url is still the default"


def user_env(tmp_path: Path, **sections) -> dict[str, str]:
    """A user's environment with a config file of only these sections (the rest defaults)."""
    config = write_config(
        tmp_path / "masthead.toml",
        {"archive": {"path": str(tmp_path / "news.db")}, **sections},
    )
    variables = {k: v for k, v in os.environ.items() if not k.startswith("MASTHEAD_")}
    return {**variables, "MASTHEAD_CONFIG": str(config)}


def serve(tmp_path: Path, env: dict, port: int) -> tuple[str, str]:
    """Start `masthead serve --port`, read its site feed, stop it: (feed bytes, its output)."""
    log = tmp_path / f"serve-{port}.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(MASTHEAD), "serve", "--port", str(port), "--workers", "1"],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_json(f"http://127.0.0.1:{port}/health", server, log)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/feeds/latest.atom") as feed:
            body = feed.read().decode()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    return body, log.read_text()


def stories_in(tmp_path: Path) -> int:
    with open_archive(tmp_path / "news.db") as archive:
        return archive.count()


def test_serve_adds_no_demo_stories_unless_asked_and_links_follow_the_port(tmp_path):
    port = free_port()
    feed, output = serve(tmp_path, user_env(tmp_path), port)
    assert stories_in(tmp_path) == 0
    assert output.count(WARNING) == 1
    here = f"http://127.0.0.1:{port}"
    assert f"note: serving on {here}: links and entry ids use {here}" in output
    links = feedparser.parse(feed).feed.links
    assert f"{here}/feeds/latest.atom" in {link.href for link in links}


def test_demo_stories_when_asked(tmp_path):
    env = {**user_env(tmp_path), "MASTHEAD_ARCHIVE_DEMO": "true"}
    feed, _ = serve(tmp_path, env, free_port())
    assert stories_in(tmp_path) > 0
    assert feedparser.parse(feed).entries


def test_a_set_base_url_is_kept_and_not_warned_about(tmp_path):
    env = user_env(tmp_path, site={"base_url": "https://news.example"})
    feed, output = serve(tmp_path, env, free_port())
    assert WARNING not in output
    assert "note:" not in output
    assert "https://news.example/feeds/latest.atom" in {
        link.href for link in feedparser.parse(feed).feed.links
    }


def test_a_local_base_url_on_another_port_is_pointed_out(tmp_path):
    env = user_env(tmp_path, site={"base_url": "http://localhost:9999"})
    port = free_port()
    _, output = serve(tmp_path, env, port)
    assert (
        f"note: serving on port {port}, but [site] base_url is http://localhost:9999: "
        "every link points there" in output
    )


@pytest.mark.parametrize(("base_url", "warned"), [(None, True), ("https://news.example", False)])
def test_import_warns_while_base_url_is_the_default(tmp_path, articles, base_url, warned):
    env = user_env(tmp_path, **({"site": {"base_url": base_url}} if base_url else {}))
    done = masthead("import", str(articles), env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count(WARNING) == (1 if warned else 0)
