"""Docs stay honest: every setting, command and option is in the README under its real name,
and the README's examples run as written.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import click
import pytest

from archive import open_archive
from service.commands.cli import main
from service.settings import Settings, load_settings
from tests.support.docs import README, code_blocks, section
from tests.support.live import free_port, write_config
from tests.support.paths import CORPUS, ROOT

CONFIG = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))
BIN = Path(sys.executable).parent
DEMO_STORIES = json.loads((ROOT / "service" / "demo" / "stories.json").read_text(encoding="utf-8"))
# Options FlaskGroup gives every group; `masthead` neither uses nor documents them.
FLASK_GROUP_OPTIONS = {"--env-file", "--app", "--debug", "--version", "--help"}
# Commands whose options are described in a section of their own rather than in the table.
OPTIONS_DESCRIBED_IN = {"import": "Importing stories"}


def table_rows(text: str) -> list[list[str]]:
    """The cells of each row of the Markdown tables in `text`, header and rule left out."""
    rows = [line.strip("|").split(" | ") for line in text.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row] for row in rows if not re.match(r"-+$", row[0])]


# Settings: each one in its section's table, with its default and its environment variable.


def setting_tables() -> dict[str, dict[str, list[str]]]:
    """{section: {key: [default, environment variable, meaning]}} from the README."""
    tables = {}
    for part in section("Configuration").split("\n### [")[1:]:
        name = part.split("]", 1)[0]
        rows = table_rows(part)
        assert rows[0] == ["key", "default", "environment variable", "meaning"], name
        tables[name] = {row[0].strip("`"): row[1:] for row in rows[1:]}
    return tables


SETTINGS = [
    (group.name, key.name, key.default)
    for group in dataclasses.fields(Settings)
    for key in dataclasses.fields(group.default_factory())
]


def test_the_readme_documents_exactly_the_settings_there_are():
    documented = {(name, key) for name, keys in setting_tables().items() for key in keys}
    assert documented == {(name, key) for name, key, _ in SETTINGS}


def test_config_toml_lists_exactly_the_settings_there_are():
    listed = {(name, key) for name, keys in CONFIG.items() for key in keys}
    assert listed == {(name, key) for name, key, _ in SETTINGS}


def shown(default) -> str:
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, tuple | list):
        return "(none)" if not default else ", ".join(map(str, default))
    return str(default) if default != "" else "(empty)"


@pytest.mark.parametrize(("name", "key", "default"), SETTINGS)
def test_every_setting_is_documented_with_its_default_and_environment_variable(name, key, default):
    documented_default, variable, meaning = setting_tables()[name][key]
    # A long default is shortened with "...": what is shown must be how it starts.
    if documented_default.endswith(" ..."):
        assert shown(default).startswith(documented_default[:-4]), f"[{name}] {key}"
    else:
        assert documented_default == shown(default), f"[{name}] {key}"
    assert variable == f"`MASTHEAD_{name}_{key}`".upper()
    assert meaning


# Values each setting accepts; any other string setting takes any text.
SAMPLE_VALUES = {
    "base_url": "https://other.example",
    "timezone": "Asia/Tokyo",
    "hub_url": "https://hub.example/",
}


@pytest.mark.parametrize(("name", "key", "default"), SETTINGS)
def test_the_documented_environment_variable_sets_the_setting(name, key, default):
    variable = setting_tables()[name][key][1].strip("`")
    if isinstance(default, bool):
        value, text = not default, str(not default).lower()
    elif isinstance(default, int):
        value = default + 1
        text = str(value)
    elif isinstance(default, tuple):
        text, value = "10.0.0.0/8,::1", ("10.0.0.0/8", "::1")
    else:
        value = text = SAMPLE_VALUES.get(key, "set from the environment")
    settings = load_settings(ROOT / "config.toml", {variable: text})
    assert getattr(getattr(settings, name), key) == value


# Commands: each one in the Commands table, each of its options where it is described.


def commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    """Every command below `group` that does something (groups only hold others)."""
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += commands(command, f"{prefix}{name} ")
        else:
            found.append((f"{prefix}{name}", command))
    return found


def command_rows() -> dict[str, str]:
    """{command name: its row's usage} from the Commands table (`masthead feeds list` ...)."""
    usages = [row[0].strip("`") for row in table_rows(section("Commands"))[1:]]
    rows = {}
    for usage in usages:
        words = usage.split()[1:]
        name, group = [], main
        while words and isinstance(group, click.Group) and words[0] in group.commands:
            group = group.commands[words[0]]
            name.append(words.pop(0))
        rows[" ".join(name) or usage] = usage
    return rows


def long_options(command: click.Command) -> list[str]:
    return [
        opt
        for param in command.params
        if isinstance(param, click.Option)
        for opt in param.opts
        if opt.startswith("--")
    ]


def test_the_commands_table_lists_exactly_the_commands_there_are():
    assert set(command_rows()) == {name for name, _ in commands(main)}


@pytest.mark.parametrize(("name", "command"), commands(main), ids=[n for n, _ in commands(main)])
def test_every_option_of_every_command_is_documented(name, command):
    if name in OPTIONS_DESCRIBED_IN:
        text = section(OPTIONS_DESCRIBED_IN[name])
        missing = [opt for opt in long_options(command) if f"`{opt}`" not in text]
    else:
        usage = command_rows()[name]
        # An option in brackets, or one the command cannot do without (restore --from-replica).
        missing = [
            opt for opt in long_options(command) if not re.search(rf"(?:\[| ){opt}\b", usage)
        ]
    assert not missing, f"masthead {name}: {missing} not in the README"


@pytest.mark.parametrize(("name", "command"), commands(main), ids=[n for n, _ in commands(main)])
def test_the_readme_names_no_option_a_command_lacks(name, command):
    documented = re.findall(r"--[a-z][a-z-]*", command_rows()[name])
    assert set(documented) <= set(long_options(command)), f"masthead {name}"


def test_the_group_has_no_options_of_its_own_to_document():
    assert {opt for param in main.params for opt in param.opts if opt.startswith("--")} <= (
        FLASK_GROUP_OPTIONS
    )


def test_readme_opens_with_the_run_and_test_commands():
    first_block = README.split("```", 2)[1]
    assert "make run" in first_block
    assert "make test" in first_block


# The README's examples, run as written.


def run_masthead(args: list[str], *, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "masthead"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_script_example_runs(tmp_path):
    [example] = code_blocks(section("The archive from a script"), "python")
    (tmp_path / "var").mkdir()
    (tmp_path / "article.txt").write_bytes((CORPUS / "closing-ceremony.txt").read_bytes())
    done = subprocess.run(
        [sys.executable, "-c", example], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    path, entry_id = done.stdout.split()
    match = re.fullmatch(r"/(\d{4})/(\d\d)/(\d\d)/behind-the-scenes-at-the-closing-ceremony/", path)
    assert match, path
    assert entry_id == "tag:news.example,{}-{}-{}:/stories/1".format(*match.groups())
    with open_archive(tmp_path / "var" / "masthead.db") as archive:
        [story] = archive.all_stories(include_unpublished=True)
        assert (story.section, story.is_withdrawn, story.withdrawn_reason) == (
            "sport",
            True,
            "Legal request",
        )


def test_the_import_example_runs(tmp_path):
    [example] = code_blocks(section("Importing stories"), "sh")
    command = shlex.split(example.splitlines()[0], comments=True)
    assert command[:2] == ["masthead", "import"]
    env = {**os.environ, "MASTHEAD_ARCHIVE_PATH": str(tmp_path / "archive.db")}
    done = run_masthead(command[1:], cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "1 created, 0 updated, 0 unchanged, 0 skipped, 0 failed\n"
    with open_archive(tmp_path / "archive.db", timezone="Europe/London") as archive:
        [story] = archive.all_stories()
        assert (story.section, story.published_at.isoformat()) == (
            "sport",
            "2014-02-24T16:00:00+00:00",
        )


def test_the_write_api_example_runs_against_the_demo_archive(tmp_path):
    """The write API's shell example, run by bash against the demo archive: it starts
    `masthead serve` itself and stops it; only the port is changed to a free one."""
    [example] = code_blocks(section("The write API"), "sh")
    port = free_port()
    config = write_config(
        tmp_path / "config.toml",
        {
            "archive": {"path": str(tmp_path / "archive.db"), "demo": True},
            "server": {"host": "127.0.0.1", "port": port, "workers": 1},
        },
    )
    env = {
        **os.environ,
        "MASTHEAD_CONFIG": str(config),
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
    }
    script = "set -e\n" + example.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    output = tmp_path / "output.txt"
    with output.open("w") as out:
        shell = subprocess.Popen(
            ["bash", "-c", script],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        shell.wait(timeout=120)
        # The example stops the server it started: nothing of it is left running.
        left_running = not stopped(shell.pid, within=30)
    finally:
        stop_group(shell.pid)
    out = output.read_text()
    assert shell.returncode == 0, out[-2000:]
    assert not left_running, "the example left `masthead serve` running"
    demo = len(DEMO_STORIES)
    created = demo + 1
    # The PATCH's answer, shown by curl -i (the server's log lines are in the output too).
    assert re.findall(r"^HTTP/1.1 .*$", out, re.M) == ["HTTP/1.1 200 OK"]
    assert f'etag: "story-{created}-2"' in out.lower()
    with open_archive(tmp_path / "archive.db") as archive:
        stories = {story.id: story for story in archive.all_stories(include_unpublished=True)}
    assert sorted(stories) == list(range(1, created + 1))
    # The demo stories are as they were: the example writes only the story it created.
    assert all(stories[n].revision == 1 for n in range(1, created))
    new = stories[created]
    assert (new.title, new.dek, new.revision) == (
        "Night ferries return to the harbour",
        "Three boats now sail until 2am.",
        2,
    )


def stopped(pgid: int, *, within: float) -> bool:
    """Whether every process of the group has ended, waiting at most `within` seconds."""
    deadline = time.monotonic() + within
    while running_in_group(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def stop_group(pgid: int) -> None:
    """End whatever the example left running in its own process group (the server)."""
    if running_in_group(pgid):
        os.killpg(pgid, signal.SIGTERM)
        if not stopped(pgid, within=30):
            os.killpg(pgid, signal.SIGKILL)


def running_in_group(pgid: int) -> bool:
    """Whether a live process (not a zombie left for its new parent to reap) is in the group."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False
