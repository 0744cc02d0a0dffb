"""The `masthead` command as tests run it: in-process over the test's app, or as the installed
console script in a subprocess; and the small stories a user imports with it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from flask.testing import FlaskCliRunner

from service.commands.cli import main


class MastheadRunner(FlaskCliRunner):
    """Invokes the `masthead` command group (not app.cli) against the test's app."""

    def invoke(self, cli=None, args=None, **kwargs):
        return super().invoke(cli or main, args, **kwargs)


MASTHEAD = Path(sys.executable).parent / "masthead"


BRIDGE_MD = """---
title: Harbour bridge reopens
section: City
status: published
published_at: "2026-11-23T07:15:00+00:00"
---
The first bus crossed at **dawn**.
"""


FERRY_JSON = {
    "title": "Ferry strike ends",
    "status": "published",
    "tags": ["transport"],
    "published_at": "2026-11-20T10:00:00+00:00",
}


def masthead(*args: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(MASTHEAD), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
