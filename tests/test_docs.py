"""Docs stay honest: every setting and every command is described in the README."""

from __future__ import annotations

import tomllib

import click
import pytest

from service.cli import main
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
CONFIG = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))


def command_names(group: click.Group, prefix: str = "") -> list[str]:
    names = []
    for name, command in group.commands.items():
        names.append(f"{prefix}{name}")
        if isinstance(command, click.Group):
            names += command_names(command, f"{prefix}{name} ")
    return names


@pytest.mark.parametrize(
    ("section", "key"), [(s, k) for s, values in CONFIG.items() for k in values]
)
def test_every_setting_is_in_the_readme(section, key):
    assert f"`{key}`" in README.split(f"[{section}]", 1)[-1], f"[{section}] {key} undocumented"
    assert f"MASTHEAD_{section}_{key}".upper() in README or "MASTHEAD_<SECTION>_<KEY>" in README


@pytest.mark.parametrize("name", command_names(main))
def test_every_command_is_in_the_readme(name):
    assert f"masthead {name}" in README


def test_readme_opens_with_the_run_and_test_commands():
    first_block = README.split("```", 2)[1]
    assert "make run" in first_block
    assert "make test" in first_block
