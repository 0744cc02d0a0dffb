"""`[site] language` is the language of every story that states none, on every way in: Markdown,
JSON, a text too short to tell, the write API and a script; a stated language always wins."""

from __future__ import annotations

import json

import pytest

from archive import open_archive, story_from_dict
from tests.support.archives import copy_template_archive
from tests.support.stories import NOW

SHORT_TEXT = "Kurz\n\nEin Satz.\n"
MARKDOWN = "---\ntitle: Hafen\npublished_at: 2026-11-20T09:00:00+01:00\n---\n\nDer Hafen.\n"
STORY = {"title": "Hafen", "body": "<p>Der Hafen.</p>", "status": "published"}


@pytest.fixture
def settings(make_settings):
    return make_settings(site={"language": "de"})


def imported(runner, settings, tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["import", str(path), "--published", "2026-11-20T09:00:00Z"])
    assert result.exit_code == 0, result.output
    with open_archive(settings.archive_path) as archive:
        [story] = archive.latest()
    return story


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("short.txt", SHORT_TEXT),
        ("hafen.md", MARKDOWN),
        ("hafen.json", json.dumps(STORY)),
        ("hafen.jsonl", json.dumps(STORY) + "\n"),
    ],
)
def test_an_imported_story_without_a_language_is_in_the_sites(
    runner, settings, tmp_path, name, text
):
    assert imported(runner, settings, tmp_path, name, text).language == "de"


def test_a_stated_language_wins_over_the_sites(runner, settings, tmp_path):
    stated = json.dumps({**STORY, "language": "ru"})
    assert imported(runner, settings, tmp_path, "ru.json", stated).language == "ru"


def test_a_story_sent_to_the_api_without_a_language_is_in_the_sites(client, api_tokens):
    sent = {**STORY, "published_at": "2026-11-20T09:00:00Z"}
    response = client.post("/api/stories", json=sent, headers=api_tokens["write"])
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["language"] == "de"
    page = client.get(response.get_json()["path"]).get_data(as_text=True)
    assert '<article class="story" lang="de"' in page


def test_a_script_saving_a_story_gets_the_archives_language(tmp_path):
    copy_template_archive(tmp_path / "a.db")
    with open_archive(tmp_path / "a.db", language="pt-BR") as archive:
        story = archive.save(story_from_dict({**STORY, "published_at": NOW.isoformat()}), now=NOW)
    assert story.language == "pt-BR"
