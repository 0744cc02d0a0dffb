"""`masthead serve`: the real server on 127.0.0.1, as the README's run command starts it."""

from __future__ import annotations

import urllib.request

from tests.conftest import LiveServer, settings_mapping


def test_serve_fills_an_empty_archive_with_demo_stories_and_serves_them(tmp_path):
    server = LiveServer(tmp_path, settings_mapping(tmp_path, archive={"demo": True}))
    try:
        server.start()
        with urllib.request.urlopen(server.url + "/", timeout=10) as response:
            home = response.read().decode()
        assert "Harbour bridge reopens after two years of repairs" in home
        with urllib.request.urlopen(
            server.url + "/2026/11/23/harbour-bridge-reopens/", timeout=10
        ) as response:
            story = response.read().decode()
        assert "Lena Ortiz / Masthead" in story
        assert "chief engineer of the restoration" in story
    finally:
        server.stop()
    assert server.process.returncode == 0
