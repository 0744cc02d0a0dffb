"""Configuration: config.toml defaults, environment overrides, clear start-up errors."""

from __future__ import annotations

import pytest

from service.settings import Settings, SettingsError, load_settings
from tests.support.paths import ROOT


def test_shipped_config_loads_and_matches_the_defaults():
    assert load_settings(ROOT / "config.toml", {}) == Settings()


def test_environment_overrides_any_setting_with_its_type(tmp_path):
    environ = {
        "MASTHEAD_ARCHIVE_PATH": str(tmp_path / "news.db"),
        "MASTHEAD_SITE_BASE_URL": "https://news.example",
        "MASTHEAD_FEEDS_SIZE": "20",
        "MASTHEAD_ARCHIVE_DEMO": "false",
    }
    settings = load_settings(ROOT / "config.toml", environ)
    assert settings.archive_path == tmp_path / "news.db"
    assert settings.site.base_url == "https://news.example"
    assert settings.site.domain == "news.example"
    assert settings.feeds.size == 20
    assert settings.archive.demo is False


def test_masthead_config_names_another_file(tmp_path):
    other = tmp_path / "other.toml"
    other.write_text('[site]\ntitle = "Other"\n', encoding="utf-8")
    settings = load_settings(environ={"MASTHEAD_CONFIG": str(other)})
    assert settings.site.title == "Other"
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(environ={"MASTHEAD_CONFIG": str(tmp_path / "missing.toml")})


@pytest.mark.parametrize(
    ("toml", "environ", "message"),
    [
        ("[site]\ntitel = 'x'\n", {}, r"unknown key \[site\] titel"),
        ("[sight]\n", {}, r"unknown section \[sight\]"),
        ("[feeds]\nsize = 'fifty'\n", {}, r"\[feeds\] size = 'fifty' is not an integer"),
        ("", {"MASTHEAD_FEEDS_SIZE": "many"}, "MASTHEAD_FEEDS_SIZE = 'many' is not an integer"),
        ("", {"MASTHEAD_ARCHIVE_DEMO": "perhaps"}, "is not a boolean"),
        ("[site]\ntimezone = 'Mars/Olympus'\n", {}, "not an IANA time zone"),
        ("[site]\nbase_url = 'news.example'\n", {}, "not an absolute http"),
        ("[feeds]\nsize = 0\n", {}, "must be a positive integer"),
        ("[site\n", {}, "not valid TOML"),
    ],
)
def test_bad_settings_stop_start_up_naming_the_key(tmp_path, toml, environ, message):
    path = tmp_path / "config.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(SettingsError, match=message):
        load_settings(path, environ)


def test_every_problem_is_reported_at_once(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[site]\ntitel = 'x'\n[feeds]\nsize = 'x'\n", encoding="utf-8")
    with pytest.raises(SettingsError) as raised:
        load_settings(path, {})
    assert len(str(raised.value).splitlines()) == 2


def test_an_archive_path_that_cannot_be_opened_stops_start_up(make_settings, tmp_path):
    from service import create_app

    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(SettingsError, match=r"\[archive\] path = .*a-folder"):
        create_app(make_settings(archive={"path": str(folder)}))
