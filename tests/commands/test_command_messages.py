"""What `masthead` says about itself and about paths it is given that are not there."""

from __future__ import annotations

from importlib.metadata import version

from click.testing import CliRunner

from archive import open_archive
from service.commands.cli import main
from tests.support.paths import CORPUS


def test_version_is_masthead_s_own():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"masthead {version('masthead')}\n"


def test_a_missing_import_path_says_no_such_file_or_directory(tmp_path):
    archive = tmp_path / "archive.db"
    missing = ["articles/", str(tmp_path / "нет-такого.txt"), str(tmp_path / "gone" / "x.md")]
    result = CliRunner().invoke(
        main,
        ["import", *missing, str(CORPUS / "closing-ceremony.txt")],
        env={"MASTHEAD_ARCHIVE_PATH": str(archive), "MASTHEAD_CONFIG": "config.toml"},
    )
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        "error: articles: no such file or directory",
        f"error: {tmp_path / 'нет-такого.txt'}: no such file or directory",
        f"error: {tmp_path / 'gone' / 'x.md'}: no such file or directory",
    ]
    assert "1 created" in result.stdout
    # The files that are there are imported all the same.
    with open_archive(archive) as opened:
        assert opened.count() == 1
