"""The `masthead` command line, run as a user runs it, with the archive checked afterwards."""

from __future__ import annotations

import json

import pytest

from archive import open_archive
from tests.support.paths import CORPUS, FIXTURES

CEREMONY = CORPUS / "closing-ceremony.txt"
needs_corpus = pytest.mark.skipif(
    not CEREMONY.exists(), reason="../shared/corpus is not beside this checkout"
)
PUBLISHED = "2014-02-24T20:00:00+04:00"


def stories_in(settings):
    with open_archive(settings.archive_path) as archive:
        return {s.slug: s for s in archive.latest(limit=100)}


def revisions_in(settings):
    with open_archive(settings.archive_path) as archive:
        return archive.db.execute("SELECT count(*) FROM revisions").fetchone()[0]


@needs_corpus
def test_imported_corpus_article_is_served_at_its_permalink(runner, client, settings):
    result = runner.invoke(
        args=["import", str(CEREMONY), "--published", PUBLISHED, "--section", "sport"]
    )
    assert result.exit_code == 0, result.output
    assert "1 created" in result.output
    page = client.get("/2014/02/24/behind-the-scenes-at-the-closing-ceremony/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for shown in (
        "Behind the scenes at the Closing Ceremony",
        # The photo is not in the text: it is listed as not reproduced, caption and credit.
        "Photo (not reproduced): <bdi>The closing ceremony of the XXII Olympic Winter Games in "
        "Sochi. — Alexander Vilf / RIA Novosti</bdi>",
        "Spectators cried as the flame was extinguished",
        "Andrei Nasovsky",
        "executive producer of the ceremony",
        "All rights reserved by Rossiyskaya Gazeta.",
    ):
        assert shown in html
    assert "Accept cookies" not in html
    assert html.count("The closing ceremony of the XXII Olympic Winter Games in Sochi.") == 1


def test_importing_the_same_file_twice_changes_nothing(runner, settings, tmp_path):
    source = tmp_path / "story.txt"
    source.write_text((FIXTURES / "harbour-fire.txt").read_text(), encoding="utf-8")
    first = runner.invoke(args=["import", str(source), "--published", PUBLISHED])
    assert "1 created" in first.output
    again = runner.invoke(args=["import", str(source), "--published", PUBLISHED])
    assert again.exit_code == 0
    assert "1 unchanged" in again.output
    assert revisions_in(settings) == 1
    source.write_text(source.read_text().replace("six hours", "seven hours"), encoding="utf-8")
    changed = runner.invoke(args=["import", str(source)])
    assert "1 updated" in changed.output
    [story] = stories_in(settings).values()
    assert story.revision == 2
    assert "seven hours" in story.body_html


def test_a_folder_imports_every_format(runner, settings):
    result = runner.invoke(args=["import", str(FIXTURES), "--published", PUBLISHED])
    assert result.exit_code == 0, result.output
    slugs = set(stories_in(settings))
    assert {"garden-show-returns", "tram-line-extension-opens-to-passengers"} <= slugs
    assert "ferry-timetable-changes" in slugs
    assert "lighthouse-open-day" not in slugs  # a draft is stored but not public


def test_bad_files_fail_alone_and_name_themselves(runner, settings, tmp_path):
    good = FIXTURES / "harbour-fire.txt"
    runner.invoke(args=["import", str(good), "--published", PUBLISHED])
    [before] = stories_in(settings).values()
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x00\x01\x02binary")
    untitled = tmp_path / "untitled.txt"
    untitled.write_text("This website uses cookies.\n\nAccept cookies\n")
    unknown = tmp_path / "story.docx"
    unknown.write_text("x")
    also_good = FIXTURES / "council-vote.txt"
    result = runner.invoke(
        args=[
            "import",
            str(empty),
            str(binary),
            str(untitled),
            str(unknown),
            str(also_good),
            str(good),
        ],
    )
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 4
    assert f"error: {empty}: the file is empty" in errors
    assert any(str(binary) in e and "binary" in e for e in errors)
    assert any(str(untitled) in e and "no title" in e for e in errors)
    assert any(str(unknown) in e and "unknown format" in e for e in errors)
    after = stories_in(settings)
    assert "council-votes-to-pedestrianise-the-market-square" in after
    assert after[before.slug] == before


@pytest.mark.parametrize("value", ["2014-02-24", "2014-02-31T10:00:00Z", "tomorrow"])
def test_bad_published_option_stops_before_any_write(runner, settings, value):
    result = runner.invoke(
        args=["import", str(FIXTURES / "harbour-fire.txt"), "--published", value]
    )
    assert result.exit_code == 2
    assert "--published" in result.output
    assert not settings.archive_path.exists() or stories_in(settings) == {}


def test_dry_run_reads_everything_and_writes_nothing(runner, settings):
    result = runner.invoke(args=["import", str(FIXTURES), "--dry-run", "--published", PUBLISHED])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("dry run:")
    assert stories_in(settings) == {}


def test_import_options_fill_what_the_file_leaves_out(runner, settings):
    result = runner.invoke(
        args=[
            "import", str(FIXTURES / "council-vote.txt"), "--published", PUBLISHED,
            "--section", "Politics", "--tag", "transport", "--tag", "town centre",
            "--author", "Ann Lee", "--publisher", "Northern News", "--status", "published",
            "--rights", "© 2021 Somebody Else. All rights reserved.",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [story] = stories_in(settings).values()
    assert story.section == "Politics"
    assert story.tags == ("transport", "town centre")
    assert [a.name for a in story.authors] == ["Ann Lee"]
    assert story.publisher.name == "Northern News"
    assert story.rights.holder == "Northern News Ltd"  # the file's own rights line wins


def test_init_creates_the_archive_and_demo_fills_it_once(runner, settings):
    result = runner.invoke(args=["init", "--demo"])
    assert result.exit_code == 0, result.output
    stories = stories_in(settings)
    assert len(stories) >= 8
    assert len({s.section for s in stories.values()}) >= 3
    assert len({s.published_at.strftime("%Y-%m") for s in stories.values()}) >= 3
    assert all(s.authors and s.media and s.sources and s.rights for s in stories.values())
    runner.invoke(args=["init", "--demo"])
    assert len(stories_in(settings)) == len(stories)


def test_export_writes_every_public_story_as_json_lines(runner, settings, tmp_path):
    runner.invoke(args=["import", str(FIXTURES), "--published", PUBLISHED])
    target = tmp_path / "export.jsonl"
    result = runner.invoke(args=["export", str(target), "--revisions"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert {line["slug"] for line in lines} == set(stories_in(settings))
    assert all(line["url"].startswith("https://news.example/") for line in lines)
    assert all(line["revisions"][0]["action"] == "create" for line in lines)
    everything = tmp_path / "all.jsonl"
    runner.invoke(args=["export", str(everything), "--all"])
    assert len(everything.read_text().splitlines()) == len(lines) + 1  # the draft


def test_backup_copies_the_archive_and_refuses_to_overwrite(runner, settings, tmp_path):
    runner.invoke(args=["import", str(FIXTURES / "harbour-fire.txt"), "--published", PUBLISHED])
    target = tmp_path / "copy.db"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    with open_archive(target) as copy:
        assert [s.slug for s in copy.latest()] == list(stories_in(settings))
    again = runner.invoke(args=["backup", str(target)])
    assert again.exit_code == 1
    assert "exists" in again.output


def test_hostile_files_fail_alone_and_every_other_file_is_imported(runner, settings, tmp_path):
    (tmp_path / "a-deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "b-digits.json").write_text('{"title": "x", "summary": ' + "9" * 100_000 + "}")
    (tmp_path / "c-tags.json").write_text(
        json.dumps({"title": "Many", "tags": [f"t{n}" for n in range(10_000)]})
    )
    (tmp_path / "d-loop").symlink_to(tmp_path / "d-loop")
    (tmp_path / "e-good.json").write_text(json.dumps({"title": "Тихая гавань", "status": "draft"}))
    result = runner.invoke(args=["import", str(tmp_path)])
    assert result.exit_code == 1
    assert "a-deep.json: nested too deeply to read" in result.output
    assert "b-digits.json" in result.output
    assert "c-tags.json: story 'Many': tags has 10000 items (at most 50)" in result.output
    with open_archive(settings.archive_path) as archive:
        (saved,) = archive.all_stories(include_unpublished=True)
    assert (saved.title, saved.slug) == ("Тихая гавань", "tikhaya-gavan")
