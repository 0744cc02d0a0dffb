"""`masthead export` then `masthead import` into a fresh archive gives back every story id for id
and permalink for permalink; re-imports change nothing; a dry run says what a real run does."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from archive import Story, open_archive
from service import create_app
from tests.support.archives import everything, fresh
from tests.support.commands import MastheadRunner
from tests.support.stories import NOW

PUBLISHED = "2014-02-24T20:00:00+04:00"


def build_archive(archive) -> None:
    """Stories of every kind: edited, renamed, drafts, scheduled, withdrawn, non-Latin names."""
    first = archive.save(
        Story(
            title="Ночной трамвай",
            slug="nochnoi-tramvai",
            body_html="<p>Первая версия.</p>",
            language="ru",
            section="Город",
            tags=("транспорт", "ночь"),
            authors=(),
            published_at=NOW - timedelta(days=30),
        ),
        now=NOW - timedelta(days=30),
    )
    archive.save(first.replace(body_html="<p>Вторая версия.</p>"), now=NOW - timedelta(days=29))
    archive.save(
        archive.get(first.id).replace(slug="nochnoi-tramvai-vernulsya", title="Трамвай вернулся"),
        now=NOW - timedelta(days=28),
    )
    from archive import Author, Rights

    archive.save(
        Story(
            title="東京の朝市",
            slug="tokyo-asaichi",
            body_html="<p>朝市が開かれた。</p>",
            language="ja",
            authors=(Author("佐藤健"), Author("Ann Lee")),
            tags=("市場",),
            rights=Rights(holder="毎日新聞", statement="版権所有"),
            published_at=NOW - timedelta(days=20),
        ),
        now=NOW - timedelta(days=20),
    )
    gone = archive.save(
        Story(title="سوق المدينة", slug="souq", language="ar", body_html="<p>نص.</p>"),
        now=NOW - timedelta(days=10),
    )
    archive.withdraw(gone.id, reason="Published in error", now=NOW - timedelta(days=9))
    archive.save(Story(title="A draft", slug="", status="draft"), now=NOW - timedelta(days=5))
    archive.save(
        Story(
            title="Embargoed",
            slug="embargoed",
            status="scheduled",
            embargo_at=NOW + timedelta(days=3),
        ),
        now=NOW - timedelta(days=4),
    )
    published = archive.save(
        Story(title="Later a draft", slug="later-a-draft"), now=NOW - timedelta(days=3)
    )
    archive.save(published.replace(status="draft", title="Reworked"), now=NOW - timedelta(days=2))


@pytest.mark.parametrize(
    "flags", [[], ["--all"], ["--revisions"], ["--all", "--revisions"]], ids=" ".join
)
def test_export_then_import_gives_back_every_story(
    archive, runner, settings, make_settings, tmp_path, flags
):
    build_archive(archive)
    exported = tmp_path / "stories.jsonl"
    assert runner.invoke(args=["export", str(exported), *flags]).exit_code == 0
    lines = len(exported.read_text(encoding="utf-8").splitlines())
    copy, copy_runner, copy_client = fresh(make_settings, tmp_path)
    result = copy_runner.invoke(args=["import", str(exported)])
    assert result.exit_code == 0, result.output
    assert f"{lines} created, 0 updated, 0 unchanged, 0 skipped, 0 failed" in result.output

    # Without --all, what the public sees: a story no longer published as its tombstone.
    source, restored = everything(settings, public="--all" not in flags), everything(copy)
    assert set(restored) <= set(source)
    assert len(restored) == lines
    for story_id, (story, history) in restored.items():
        assert story == source[story_id][0]
        if "--revisions" in flags and ("--all" in flags or story["status"] != "withdrawn"):
            public = [r for r in source[story_id][1] if "--all" in flags or _public(r)]
            assert history == public
        else:
            assert [r["revision"] for r in history] == [story["revision"]]
    if "--all" in flags:
        assert set(restored) == set(source)

    # Public pages answer at the same permalinks; an old permalink (with history) moves.
    for story, _ in restored.values():
        if story["path"]:
            status = 410 if story["status"] == "withdrawn" else 200
            if story["status"] in ("draft", "scheduled"):
                status = copy_client.get(story["path"]).status_code  # whatever the source says
                assert status == runner.app.test_client().get(story["path"]).status_code
            assert copy_client.get(story["path"]).status_code == status, story["path"]
    old = copy_client.get("/" + "/".join(_old_tram_path(source).split("/")[1:]))
    assert old.status_code == (301 if "--revisions" in flags else 404)

    # Importing the same export again changes nothing.
    again = copy_runner.invoke(args=["import", str(exported)])
    assert f"0 created, 0 updated, {lines} unchanged" in again.output
    assert everything(copy) == restored


def _public(revision: dict) -> bool:
    return revision["snapshot"].get("status") == "published"


def _old_tram_path(source) -> str:
    for story, history in source.values():
        if story["slug"] == "nochnoi-tramvai-vernulsya":
            return history[0]["snapshot"]["path"]
    raise AssertionError("no renamed story")


def test_a_restore_never_overwrites_another_story(archive, runner, make_settings, tmp_path):
    build_archive(archive)
    exported = tmp_path / "stories.jsonl"
    runner.invoke(args=["export", str(exported), "--all"])
    lines = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    lines[0]["title"] = "Something else"
    changed = tmp_path / "changed.jsonl"
    changed.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    before = everything(runner.app.config["MASTHEAD"])
    result = runner.invoke(args=["import", str(changed)])
    assert result.exit_code == 1
    assert f"changed.jsonl:1: story 'nochnoi-tramvai-vernulsya': id {lines[0]['id']} belongs" in (
        result.output
    )
    assert f"0 created, 0 updated, {len(lines) - 1} unchanged" in result.output
    assert everything(runner.app.config["MASTHEAD"]) == before


def test_each_bad_line_of_json_lines_fails_alone(runner, settings, tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"title": "First line", "status": "draft"}),
                "{not json",
                json.dumps({"title": "Bad", "tags": "not a list"}),
                "[" * 50_000,
                json.dumps({"id": 7, "title": "Seven", "path": "/../../etc/", "slug": "seven"}),
                "",
                json.dumps({"title": "Last line", "status": "draft"}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert [error.split(": ")[1].rsplit("/", 1)[-1] for error in errors] == [
        "mixed.jsonl:2",
        "mixed.jsonl:3",
        "mixed.jsonl:4",
        "mixed.jsonl:5",
    ]
    assert "not valid JSON" in errors[0]
    assert "tags must be a list" in errors[1]
    assert "nested too deeply" in errors[2]
    assert "path '/../../etc/' is not a permalink" in errors[3]
    with open_archive(settings.archive_path) as archive:
        titles = [s.title for s in archive.all_stories(include_unpublished=True)]
    assert titles == ["First line", "Last line"]


def test_json_lines_larger_than_the_whole_file_limit_are_imported(runner, settings, tmp_path):
    from archive.ingest import formats as ingest

    path = tmp_path / "big.jsonl"
    body = "<p>" + "word " * 190_000 + "</p>"  # about 1 MB a story, the most a body holds
    with path.open("w", encoding="utf-8") as out:
        for number in range(12):
            out.write(json.dumps({"title": f"Long {number}", "body": body}) + "\n")
    assert path.stat().st_size > ingest.MAX_FILE_BYTES
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "12 created" in result.output


def folder_of_stories(tmp_path):
    folder = tmp_path / "stories"
    folder.mkdir()
    (folder / "one.txt").write_text("Harbour fire\n\nBy Ann Lee\n\nA fire broke out.\n\nMore.")
    (folder / "two.md").write_text("---\ntitle: Garden show\nsection: Culture\n---\nIt is back.")
    (folder / "three.json").write_text(
        json.dumps([{"title": "Third", "slug": "third"}, {"title": "Fourth", "slug": "fourth"}])
    )
    (folder / "bad.json").write_text('{"title": ""}')
    return folder


def outcome(result) -> list[str]:
    """What an import said, in order: one line per story and per failure, then the summary."""
    return [line.removeprefix("dry run: ") for line in result.output.splitlines()]


def test_dry_run_says_exactly_what_the_real_run_does(archive, runner, settings, tmp_path):
    folder = folder_of_stories(tmp_path)
    args = ["import", str(folder), "-v", "--published", PUBLISHED]
    for _ in range(2):  # a new folder, then a re-import
        dry = runner.invoke(args=[*args, "--dry-run"])
        before = everything(settings)
        real = runner.invoke(args=args)
        assert outcome(dry) == outcome(real)
        assert dry.exit_code == real.exit_code == 1
        assert before != everything(settings) or "0 created, 0 updated" in real.output
    (folder / "two.md").write_text("---\ntitle: Garden show\nsection: Culture\n---\nNew text.")
    (folder / "five.txt").write_text("Fifth story\n\nIts text.")
    dry = runner.invoke(args=[*args, "--dry-run"])
    real = runner.invoke(args=args)
    assert outcome(dry) == outcome(real)
    [summary] = [line for line in outcome(real) if " created, " in line]
    assert summary == "1 created, 1 updated, 3 unchanged, 0 skipped, 1 failed"


def test_dry_run_writes_nothing(runner, settings, tmp_path):
    folder = folder_of_stories(tmp_path)
    runner.invoke(args=["import", str(folder), "--published", PUBLISHED])
    before = everything(settings)
    (folder / "two.md").write_text("---\ntitle: Garden show\n---\nChanged.")
    result = runner.invoke(args=["import", str(folder), "--dry-run"])
    assert "dry run: 0 created, 1 updated, 3 unchanged" in result.output
    assert everything(settings) == before


def test_reimport_without_options_keeps_what_the_options_gave(runner, settings, tmp_path):
    folder = folder_of_stories(tmp_path)
    options = ["--published", PUBLISHED, "--section", "Harbour", "--tag", "fire"]
    options += ["--author", "Bo Chen", "--publisher", "Northern News", "--status", "draft"]
    first = runner.invoke(args=["import", str(folder / "one.txt"), *options])
    assert "1 created" in first.output
    before = everything(settings)
    again = runner.invoke(args=["import", str(folder / "one.txt")])
    assert "0 created, 0 updated, 1 unchanged" in again.output
    assert everything(settings) == before
    [(story, _)] = before.values()
    assert (story["section"], story["tags"], story["status"]) == ("Harbour", ["fire"], "draft")
    assert [a["name"] for a in story["authors"]] == ["Ann Lee"]  # the file's byline won
    assert story["publisher"]["name"] == "Northern News"

    changed = runner.invoke(args=["import", str(folder / "one.txt"), "--section", "Fires"])
    assert "0 created, 1 updated" in changed.output
    [(story, _)] = everything(settings).values()
    assert (story["section"], story["tags"]) == ("Fires", ["fire"])


TITLES = st.text(
    alphabet=st.characters(categories=("L", "N", "Zs", "P")), min_size=1, max_size=40
).filter(lambda text: text.strip())


@hypothesis_settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    stories=st.lists(
        st.tuples(TITLES, st.sampled_from(["draft", "published", "withdrawn"]), st.integers(0, 3)),
        min_size=1,
        max_size=6,
    )
)
def test_any_archive_survives_export_and_import(tmp_path_factory, make_settings, stories):
    tmp_path = tmp_path_factory.mktemp("property")
    source = make_settings(archive={"path": str(tmp_path / "source.db"), "demo": False})
    with open_archive(source.archive_path, domain="news.example") as archive:
        for number, (title, status, edits) in enumerate(stories):
            moment = NOW - timedelta(days=len(stories) - number)
            saved = archive.save(
                Story(title=title, slug="", status="draft" if status == "draft" else "published"),
                now=moment,
            )
            for edit in range(edits):
                saved = archive.save(saved.replace(dek=f"Edit {edit}"), now=moment)
            if status == "withdrawn":
                archive.withdraw(saved.id, reason="Gone", now=moment)
    exported = tmp_path / "all.jsonl"
    assert (
        MastheadRunner(create_app(source))
        .invoke(args=["export", str(exported), "--all", "--revisions"])
        .exit_code
        == 0
    )
    copy, copy_runner, _ = fresh(make_settings, tmp_path, "copy.db")
    result = copy_runner.invoke(args=["import", str(exported)])
    assert result.exit_code == 0, result.output
    assert everything(copy) == everything(source)


def test_a_post_retried_after_a_restore_gets_the_story_its_key_created(
    client, runner, make_settings, tmp_path, api_tokens
):
    """Idempotency keys travel with `export --all`: the restored archive answers a CMS's retry
    with the story the key created, never a second one; a public export leaves them out."""
    write = {**api_tokens["write"], "Idempotency-Key": "cms-2026-11-30-0042"}
    sent = {
        "title": "Харків: мости знову відкриті",
        "status": "published",
        "published_at": "2026-11-23T07:15:00-05:00",
    }
    first = client.post("/api/stories", json=sent, headers=write)
    assert first.status_code == 201
    exported, public = tmp_path / "all.jsonl", tmp_path / "public.jsonl"
    assert runner.invoke(args=["export", str(exported), "--all"]).exit_code == 0
    assert runner.invoke(args=["export", str(public)]).exit_code == 0
    assert "idempotency_keys" not in public.read_text(encoding="utf-8")
    (line,) = [json.loads(text) for text in exported.read_text(encoding="utf-8").splitlines()]
    assert [entry["key"] for entry in line["idempotency_keys"]] == ["cms-2026-11-30-0042"]

    _copy, copy_runner, copy_client = fresh(make_settings, tmp_path)
    result = copy_runner.invoke(args=["import", str(exported)])
    assert "1 created" in result.output, result.output
    retried = copy_client.post("/api/stories", json=sent, headers=write)
    assert retried.status_code == 201
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.headers["Location"] == first.headers["Location"]
    other = copy_client.post("/api/stories", json={**sent, "title": "Another"}, headers=write)
    assert other.status_code == 422
    listed = copy_client.get("/api/stories?status=published", headers=api_tokens["read"])
    assert [story["id"] for story in listed.get_json()["stories"]] == [first.get_json()["id"]]
    # Importing the export again changes nothing; a key that names another story is refused.
    assert "1 unchanged" in copy_runner.invoke(args=["import", str(exported)]).output
    line.update(id=99, path=None, entry_id=None, slug="elsewhere", title="Elsewhere")
    clash = tmp_path / "clash.jsonl"
    clash.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    result = copy_runner.invoke(args=["import", str(clash)])
    assert "already names story" in result.output
    assert "1 failed" in result.output
