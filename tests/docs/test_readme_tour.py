"""The README's five-minute tour, run as written against a live server with the demo archive:
each shell block prints what the README shows under it (only the port is changed)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.support.docs import code_blocks, section
from tests.support.live import LiveServer
from tests.support.paths import ROOT

BIN = Path(sys.executable).parent


def shown_output(block: str) -> tuple[str, str]:
    """The block's commands and the output the README shows (its `# ` lines)."""
    commands = [line for line in block.splitlines() if not line.startswith("# ")]
    # The tour activates the virtual environment; here `masthead` is on PATH already.
    commands = [line for line in commands if not line.startswith(". .venv/")]
    shown = [line[2:] for line in block.splitlines() if line.startswith("# ")]
    return "\n".join(commands), "\n".join(shown) + "\n"


def test_the_tour_prints_what_the_readme_shows(tmp_path):
    blocks = code_blocks(section("A five-minute tour"), "sh")
    assert len(blocks) >= 4
    assert "masthead import ../shared/corpus/closing-ceremony.txt" in blocks[0]
    mapping = {"archive": {"path": str(tmp_path / "masthead.db"), "demo": True}}
    with LiveServer(tmp_path, mapping, workers=1) as server:
        env = {
            **os.environ,
            "MASTHEAD_CONFIG": str(server.config),
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        }
        for block in blocks:
            block = block.replace("127.0.0.1:8000", f"127.0.0.1:{server.port}")
            script, expected = shown_output(block)
            # The feeds follow through the scheduler: wait until they show the import.
            deadline = time.monotonic() + 60
            while True:
                done = subprocess.run(
                    ["bash", "-c", "set -eo pipefail\n" + script],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                if done.stdout == expected or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert done.returncode == 0, done.stderr
            assert done.stdout == expected, block
