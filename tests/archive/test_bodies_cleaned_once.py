"""Story bodies are cleaned once, when saved: pages, revision pages and feeds trust what is
stored, migration m013 cleans bodies stored under older rules, and a restore cleans the bodies
of the revisions it brings."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from archive import ChangeNote, open_archive, story_from_dict
from archive.db import bodies_m013, schema
from archive.story.html import sanitise, to_text

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
HOSTILE = (
    '<p onclick="steal()">Hi<script>alert(1)</script>'
    '<a href="javascript:alert(2)">x</a> <img src="/pics/a.jpg" onerror="alert(3)"></p>'
)
SNIPPETS = st.sampled_from(
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)">link</a>',
        '<a href="/relative/path/" rel="nofollow">relative</a>',
        '<a href=" java\tscript:alert(1)">tabbed</a>',
        "<svg><script>alert(1)</script></svg>",
        "<p>unclosed <b>bold <i>italic",
        "</p></div></article></body></html>",
        "<table><tr><td>1</td></tr></table>",
        '<blockquote cite="javascript:x"><p>«Цитата»</p></blockquote>',
        "<!-- a comment --><style>p{}</style>",
        "<p>\x07bell\ufffe</p>",
    ]
)
BODIES = st.lists(st.one_of(SNIPPETS, st.text(max_size=12)), max_size=6).map("".join)


def _story(**fields):
    shape = {
        "title": "Harbour bridge reopens",
        "body": "<p>The first bus crossed at dawn.</p>",
        "published_at": "2026-11-20T09:00:00+00:00",
    }
    return story_from_dict({**shape, **fields})


@given(BODIES)
def test_a_cleaned_body_is_clean_for_good(body):
    # What is stored is final: cleaning it again (as feeds and revision pages used to) would
    # change nothing.
    once = sanitise(body)
    assert sanitise(once) == once


@given(BODIES)
def test_the_migration_cleans_as_the_live_rules_do_today(body):
    assert bodies_m013.sanitise_m013(body) == sanitise(body)
    clean = sanitise(body)
    assert bodies_m013.to_text_m013(clean) == to_text(clean)


def _tamper(archive, story_id: int) -> None:
    """Put hostile HTML in a story's stored body and in each revision's, as rules older than
    today's might have left them."""
    with archive.db.conn:
        archive.db.execute("UPDATE stories SET body_html = ? WHERE id = ?", [HOSTILE, story_id])
        for rowid, text in archive.db.execute(
            "SELECT rowid, snapshot FROM revisions WHERE story_id = ?", [story_id]
        ).fetchall():
            snapshot = {**json.loads(text), "body": HOSTILE}
            archive.db.execute(
                "UPDATE revisions SET snapshot = ? WHERE rowid = ?",
                [json.dumps(snapshot, ensure_ascii=False, sort_keys=True), rowid],
            )


def _rerun_m013(archive) -> None:
    with archive.db.conn:
        archive.db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm013_bodies_cleaned_once'")
    schema.migrate(archive.db)


def test_the_migration_cleans_every_stored_body(archive, client):
    saved = archive.save(_story(), now=NOW)
    archive.save(saved.replace(title="Harbour bridge reopens at last"), now=NOW)
    untouched = archive.save(_story(title="Otters return", slug="otters"), now=NOW)
    stored_before = archive.db.execute(
        "SELECT snapshot FROM revisions WHERE story_id = ?", [untouched.id]
    ).fetchall()
    _tamper(archive, saved.id)

    _rerun_m013(archive)

    body, text = archive.db.execute(
        "SELECT body_html, body_text FROM stories WHERE id = ?", [saved.id]
    ).fetchone()
    assert body == sanitise(HOSTILE)
    assert text == to_text(body)
    snapshots = [
        json.loads(row[0])
        for row in archive.db.execute(
            "SELECT snapshot FROM revisions WHERE story_id = ?", [saved.id]
        )
    ]
    assert len(snapshots) == 2
    for snapshot in snapshots:
        assert snapshot["body"] == sanitise(HOSTILE)
        assert snapshot["body_text"] == to_text(sanitise(HOSTILE))
    # A clean story is left byte for byte as it was.
    assert (
        archive.db.execute(
            "SELECT snapshot FROM revisions WHERE story_id = ?", [untouched.id]
        ).fetchall()
        == stored_before
    )
    for path in (saved.path, f"{saved.path}revisions/1/"):
        page = client.get(path).get_data(as_text=True)
        assert "alert(" not in page, path
        assert "onclick" not in page, path


def test_a_clean_archive_is_unchanged_by_the_migration(archive):
    saved = archive.save(_story(body=HOSTILE), now=NOW)
    archive.save(
        saved.replace(title="Harbour bridge reopens at last"),
        now=NOW,
        change=ChangeNote(kind="correction", note="The title was wrong."),
    )
    assert bodies_m013.clean_stored_bodies(archive.db) == (0, 0)


def test_a_restored_revision_has_its_body_cleaned(archive, runner, make_settings, tmp_path):
    saved = archive.save(_story(), now=NOW)
    archive.save(saved.replace(title="Harbour bridge reopens at last"), now=NOW)
    exported = tmp_path / "stories.jsonl"
    assert runner.invoke(args=["export", "--revisions", str(exported)]).exit_code == 0
    [shape] = [json.loads(line) for line in exported.read_text().splitlines()]
    shape["revisions"][0]["snapshot"]["body"] = HOSTILE

    other = make_settings(archive={"path": str(tmp_path / "other.db")})
    restored = open_archive(other.archive_path)
    try:
        restored.restore(shape, now=NOW)
        [first] = [
            json.loads(row[0])
            for row in restored.db.execute("SELECT snapshot FROM revisions WHERE revision = 1")
        ]
        [second] = [
            json.loads(row[0])
            for row in restored.db.execute("SELECT snapshot FROM revisions WHERE revision = 2")
        ]
    finally:
        restored.close()
    assert first["body"] == sanitise(HOSTILE)
    assert "alert(" not in first["body"]
    # A body exported clean comes back as it was.
    assert second == shape["revisions"][1]["snapshot"]
