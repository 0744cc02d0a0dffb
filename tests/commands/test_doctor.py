"""`masthead doctor`: each thing production needs is flagged when missing, and nothing is
flagged on a complete configuration. Run as the command is run: settings from MASTHEAD_CONFIG.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive import open_archive
from service.commands.cli import main
from tests.support.paths import ROOT

# What a complete production configuration holds, each item of the checklist in place.
COMPLETE = {
    "site": {"base_url": "https://news.example"},
    "archive": {"path": "archive/news.db", "demo": False},
    "server": {"host": "127.0.0.1", "port": 8000, "trusted_proxies": ["127.0.0.1"]},
    # Another file system than the archive's (tmpfs here; another disk in production).
    "replication": {"url": "/dev/shm/masthead-doctor-replica"},
}


def doctor(tmp_path: Path, mapping: dict):
    """`masthead doctor` with these settings (paths relative to tmp_path): its exit status and
    the items it flagged."""
    mapping = {
        name: {
            key: str(tmp_path / value) if key in ("path", "url") and value else value
            for key, value in values.items()
        }
        for name, values in mapping.items()
    }
    config = _config(tmp_path / "config.toml", mapping)
    result = CliRunner().invoke(main, ["doctor"], env={"MASTHEAD_CONFIG": str(config)})
    flagged = [
        line.split()[1].rstrip(":") + " " + line.split()[2].rstrip(":")
        for line in result.output.splitlines()
        if line.startswith("missing ")
    ]
    return result, flagged


def _config(path: Path, mapping: dict) -> Path:
    """A config.toml: JSON's strings, numbers, booleans and lists of strings are TOML's too."""
    lines = []
    for section, values in mapping.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def with_changed(section: str, **values) -> dict:
    return {
        name: {**keys, **(values if name == section else {})} for name, keys in COMPLETE.items()
    }


def test_a_complete_configuration_passes_every_check(tmp_path):
    (tmp_path / "archive").mkdir()
    result, flagged = doctor(tmp_path, COMPLETE)
    assert flagged == []
    assert result.exit_code == 0, result.output
    assert "all 5 checks passed" in result.output
    # Doctor only looks: it creates no archive.
    assert not (tmp_path / "archive" / "news.db").exists()


def test_the_default_configuration_misses_base_url_and_replication(tmp_path):
    result, flagged = doctor(tmp_path, {"archive": {"path": "var/masthead.db"}})
    assert flagged == ["[site] base_url", "[replication] url"]
    assert result.exit_code == 1
    assert "2 of 5 checks need attention" in result.output


@pytest.mark.parametrize(
    ("changed", "flagged"),
    [
        (with_changed("site", base_url="http://127.0.0.1:8000"), "[site] base_url"),
        (with_changed("replication", url=""), "[replication] url"),
        # A folder beside the archive is lost with its disk.
        (with_changed("replication", url="replica"), "[replication] url"),
        (with_changed("server", trusted_proxies=[]), "[server] trusted_proxies"),
        # Behind a proxy on another port, with plain HTTP: still a proxy in front.
        (
            {
                **with_changed("server", trusted_proxies=[]),
                "site": {"base_url": "http://news.example"},
            },
            "[server] trusted_proxies",
        ),
        (with_changed("archive", demo=True), "[archive] demo"),
        # The archive's folder lies under a file: nothing can be created there, even by root.
        (with_changed("archive", path="a-file/news.db"), "[archive] path"),
    ],
    ids=["base_url", "replication", "same-disk", "proxy", "proxy-http", "demo", "archive-folder"],
)
def test_each_missing_item_is_flagged_alone(tmp_path, changed, flagged):
    (tmp_path / "archive").mkdir()
    (tmp_path / "a-file").write_text("not a folder")
    result, found = doctor(tmp_path, changed)
    assert found == [flagged]
    assert result.exit_code == 1


def test_an_archive_folder_on_a_read_only_file_system_is_flagged(tmp_path):
    mapping = with_changed("archive")
    config = _config(
        tmp_path / "config.toml",
        {
            **{name: dict(values) for name, values in mapping.items()},
            "archive": {"path": "/proc/masthead/news.db"},
            "replication": {"url": str(tmp_path / "replica")},
        },
    )
    result = CliRunner().invoke(main, ["doctor"], env={"MASTHEAD_CONFIG": str(config)})
    assert result.exit_code == 1
    [line] = [line for line in result.output.splitlines() if line.startswith("missing")]
    assert "[archive] path" in line
    assert "cannot be written" in line


def test_a_direct_server_needs_no_trusted_proxy(tmp_path):
    (tmp_path / "archive").mkdir()
    direct = {
        **with_changed("server", trusted_proxies=[], port=80, host="0.0.0.0"),
        "site": {"base_url": "http://news.example"},
    }
    result, flagged = doctor(tmp_path, direct)
    assert flagged == []
    assert "readers reach Masthead directly" in result.output


def test_an_existing_archive_is_looked_at_not_changed(tmp_path):
    (tmp_path / "archive").mkdir()
    path = tmp_path / "archive" / "news.db"
    with open_archive(path) as archive:
        before = archive.generation()
    stamp = path.stat().st_mtime_ns
    result, flagged = doctor(tmp_path, COMPLETE)
    assert flagged == []
    assert "exists" in result.output
    assert path.stat().st_mtime_ns == stamp
    with open_archive(path) as archive:
        assert archive.generation() == before


def test_the_readme_shows_what_doctor_prints_on_a_default_configuration(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    production = readme.split("\n## Running in production\n", 1)[1].split("\n## ", 1)[0]
    # The code block that ends with the summary line.
    end = production.index("checks need attention")
    sample = production[production.rindex("```", 0, end) + 3 : production.index("```", end)]
    monkeypatch.chdir(tmp_path)  # no config.toml here: the defaults
    result = CliRunner().invoke(main, ["doctor"], env={"MASTHEAD_CONFIG": None})
    assert result.exit_code == 1
    shown = [line.strip() for line in sample.strip().splitlines()]
    assert result.output.splitlines() == shown
