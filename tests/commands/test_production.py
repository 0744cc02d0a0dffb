"""What the README's production guide promises: a restored backup is served as it was, and the
printed proxy configuration is one nginx accepts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

from archive import open_archive
from tests.support.archives import settings_mapping
from tests.support.feeds import build
from tests.support.live import LiveServer, write_config
from tests.support.nginx import NGINX, Nginx
from tests.support.stories import NOW, SYNDICATED, make_story

MASTHEAD = Path(sys.executable).parent / "masthead"


def masthead(config: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MASTHEAD_CONFIG": str(config)}
    return subprocess.run(
        [MASTHEAD, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def test_a_restored_backup_is_served_as_it_was(tmp_path, settings):
    with open_archive(settings.archive_path, domain="news.example") as archive:
        archive.save(
            make_story(SYNDICATED, slug="older", published_at="2026-11-19T09:00:00Z"), now=NOW
        )
        kept = archive.save(make_story(SYNDICATED, title="Tram line opens", slug="tram"), now=NOW)
        build(archive, settings)
    original = tmp_path / "original"
    original.mkdir()
    mapping = settings_mapping(tmp_path)
    paths = ["/", kept.path, f"{kept.path}revisions/", "/feeds/latest.atom", "/sitemap.xml"]
    with LiveServer(original, mapping) as server:
        before = {path: fetch(server.url + path) for path in paths}
        # Taken while the service runs, as the guide says it may be.
        done = masthead(server.config, "backup", str(tmp_path / "backup.db"))
        assert done.returncode == 0, done.stderr
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy(tmp_path / "backup.db", restored / "news.db")
    mapping["archive"]["path"] = str(restored / "news.db")
    with LiveServer(restored, mapping) as server:
        after = {path: fetch(server.url + path) for path in paths}
        assert fetch(server.url + "/health").startswith(b"{")
    assert after == before


def test_the_printed_proxy_configuration_is_accepted_by_nginx(tmp_path):
    config = write_config(tmp_path / "config.toml", settings_mapping(tmp_path))
    printed = masthead(config, "proxy-config", "nginx", "--cache-dir", str(tmp_path / "cache"))
    assert printed.returncode == 0, printed.stderr
    assert "location /api/" in printed.stdout
    assert "server_name news.example;" in printed.stdout
    proxy = Nginx(tmp_path, printed.stdout)
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(proxy.prefix), "-c", str(proxy.prefix / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
