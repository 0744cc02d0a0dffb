"""No lost update, no lost data: If-Match on PUT/PATCH, Idempotency-Key on POST, atomic checks."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import timedelta

import pytest

from archive import DuplicateRequest, RevisionConflict, open_archive, story_from_dict
from tests.support.api import assert_problem, create, snapshot, story_json
from tests.support.stories import NOW


def test_put_replaces_the_writable_fields_and_writes_a_revision(client, api_tokens):
    created = create(client, api_tokens)
    story = created.get_json()
    response = client.put(
        f"/api/stories/{story['id']}",
        json={"title": "Bridge reopens at last", "status": "published", "section": "Transport"},
        headers={**api_tokens["write"], "If-Match": created.headers["ETag"]},
    )
    assert response.status_code == 200, response.get_json()
    replaced = response.get_json()
    assert response.headers["ETag"] == f'"story-{story["id"]}-2"'
    assert replaced["revision"] == 2
    assert replaced["section"] == "Transport"
    assert replaced["tags"] == []  # left out of the PUT, so replaced by the default
    # A published story's permalink stays unless the editor sends another slug.
    assert replaced["slug"] == story["slug"]
    assert replaced["published_at"] == story["published_at"]  # first publication is a fact
    assert replaced["entry_id"] == story["entry_id"]
    renamed = client.put(
        f"/api/stories/{story['id']}",
        json={"title": "Bridge reopens", "slug": "bridge-reopens", "status": "published"},
        headers={**api_tokens["write"], "If-Match": response.headers["ETag"]},
    ).get_json()
    assert renamed["path"].endswith("/bridge-reopens/")
    # The old permalink answers 301 to the new one.
    assert client.get(story["path"]).headers["Location"].endswith(renamed["path"])


def test_patch_changes_only_the_fields_given(client, api_tokens):
    created = create(client, api_tokens)
    story = created.get_json()
    response = client.patch(
        f"/api/stories/{story['id']}",
        json={"dek": "Commuters crossed at dawn.", "tags": ["transport", "harbour"]},
        headers={**api_tokens["write"], "If-Match": created.headers["ETag"]},
    )
    patched = response.get_json()
    assert patched["dek"] == "Commuters crossed at dawn."
    assert patched["tags"] == ["transport", "harbour"]
    unchanged = ("title", "body", "authors", "media", "sources", "rights", "path", "slug")
    assert {k: patched[k] for k in unchanged} == {k: story[k] for k in unchanged}
    assert patched["revision"] == 2


def test_permalink_taken_by_another_story_answers_409_naming_the_slug(client, api_tokens, settings):
    create(client, api_tokens)
    before = snapshot(settings)
    response = client.post("/api/stories", json=story_json(), headers=api_tokens["write"])
    problem = assert_problem(response, 409, "slug")
    assert "/2026/11/23/harbour-bridge-reopens/" in problem["detail"]
    assert snapshot(settings) == before


def test_patch_that_changes_nothing_writes_no_revision(client, api_tokens, settings):
    created = create(client, api_tokens)
    before = snapshot(settings)
    response = client.patch(
        created.headers["Location"],
        json={"title": "Harbour bridge reopens"},
        headers={**api_tokens["write"], "If-Match": created.headers["ETag"]},
    )
    assert response.status_code == 200
    assert response.headers["ETag"] == created.headers["ETag"]
    assert snapshot(settings) == before


@pytest.mark.parametrize("method", ["put", "patch"])
def test_update_without_if_match_answers_428_and_changes_nothing(
    client, api_tokens, settings, method
):
    created = create(client, api_tokens)
    before = snapshot(settings)
    response = getattr(client, method)(
        created.headers["Location"], json=story_json(title="New"), headers=api_tokens["write"]
    )
    problem = assert_problem(response, 428, "If-Match")
    assert created.headers["ETag"] in problem["detail"]
    assert snapshot(settings) == before


@pytest.mark.parametrize("method", ["put", "patch"])
def test_two_clients_update_from_the_same_etag_and_the_second_gets_412(
    client, app, api_tokens, settings, method
):
    created = create(client, api_tokens)
    other = app.test_client()
    first_view = client.get(created.headers["Location"])
    second_view = other.get(created.headers["Location"])
    assert first_view.headers["ETag"] == second_view.headers["ETag"]
    won = getattr(client, method)(
        created.headers["Location"],
        json=story_json(title="First editor's title"),
        headers={**api_tokens["write"], "If-Match": first_view.headers["ETag"]},
    )
    assert won.status_code == 200
    before = snapshot(settings)
    lost = getattr(other, method)(
        created.headers["Location"],
        json=story_json(title="Second editor's title"),
        headers={**api_tokens["write"], "If-Match": second_view.headers["ETag"]},
    )
    problem = assert_problem(lost, 412, "If-Match")
    assert won.headers["ETag"] in problem["detail"]
    assert snapshot(settings) == before
    assert client.get(created.headers["Location"]).get_json()["title"] == "First editor's title"


@pytest.mark.parametrize("if_match", ['"story-1-9"', '"story-2-1"', 'W/"story-1-1"', '"garbage"'])
def test_if_match_that_is_not_the_current_strong_etag_answers_412(client, api_tokens, if_match):
    create(client, api_tokens)
    response = client.patch(
        "/api/stories/1",
        json={"dek": "x"},
        headers={**api_tokens["write"], "If-Match": if_match},
    )
    assert_problem(response, 412)


def test_if_match_list_and_star_match_the_current_story(client, api_tokens):
    create(client, api_tokens)
    write = api_tokens["write"]
    listed = client.patch(
        "/api/stories/1", json={"dek": "a"}, headers={**write, "If-Match": '"x", "story-1-1"'}
    )
    assert listed.status_code == 200
    star = client.patch("/api/stories/1", json={"dek": "b"}, headers={**write, "If-Match": "*"})
    assert star.status_code == 200
    assert star.get_json()["revision"] == 3


def test_retried_post_with_idempotency_key_returns_the_first_story(client, api_tokens, settings):
    headers = {**api_tokens["write"], "Idempotency-Key": "cms-7f3c1a"}
    first = client.post("/api/stories", json=story_json(), headers=headers)
    assert first.status_code == 201
    before = snapshot(settings)
    # Same JSON, other key order and spacing: the same request.
    retried = client.post(
        "/api/stories",
        data=json.dumps(dict(reversed(story_json().items())), indent=2),
        content_type="application/json",
        headers=headers,
    )
    assert retried.status_code == 201
    assert retried.get_json()["id"] == first.get_json()["id"]
    assert retried.headers["Location"] == first.headers["Location"]
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert snapshot(settings) == before


def test_idempotency_key_reused_with_another_body_answers_422(client, api_tokens, settings):
    headers = {**api_tokens["write"], "Idempotency-Key": "cms-7f3c1a"}
    client.post("/api/stories", json=story_json(), headers=headers)
    before = snapshot(settings)
    response = client.post("/api/stories", json=story_json(title="Other"), headers=headers)
    assert_problem(response, 422, "Idempotency-Key")
    assert snapshot(settings) == before


@pytest.mark.parametrize("key", ["", "has space", "é", "x" * 256])
def test_malformed_idempotency_key_answers_400(client, api_tokens, settings, key):
    headers = {**api_tokens["write"], "Idempotency-Key": key}
    response = client.post("/api/stories", json=story_json(), headers=headers)
    assert_problem(response, 400, "Idempotency-Key")
    assert snapshot(settings)["stories"] == []


def test_failed_post_does_not_use_up_its_idempotency_key(client, api_tokens):
    headers = {**api_tokens["write"], "Idempotency-Key": "cms-1"}
    assert (
        client.post("/api/stories", json=story_json(slug="Bad!"), headers=headers).status_code
        == 422
    )
    assert client.post("/api/stories", json=story_json(), headers=headers).status_code == 201


# The archive's own guarantees, which the API relies on.


def draft(**fields):
    return story_from_dict({"title": "Harbour bridge reopens", "status": "draft", **fields})


def test_save_with_a_stale_expected_revision_raises_and_changes_nothing(archive):
    saved = archive.save(draft(), now=NOW)
    archive.save(saved.replace(dek="Edited"), now=NOW + timedelta(minutes=1))
    with pytest.raises(RevisionConflict) as raised:
        archive.save(saved.replace(dek="Stale"), now=NOW, expected_revision=1)
    assert (raised.value.expected, raised.value.actual) == (1, 2)
    assert archive.get(saved.id).dek == "Edited"
    assert len(archive.history(saved.id)) == 2


@contextmanager
def another_editor_saves_at_begin(archive, settings, saved):
    """Within the block, another connection saves `saved` with dek "Other editor" exactly when
    `archive`'s next transaction begins (through SQLite's trace hook)."""
    other = open_archive(settings.archive_path)

    def write_meanwhile(statement: str) -> None:
        if statement.startswith("BEGIN"):
            archive.db.conn.set_trace_callback(None)
            other.save(saved.replace(dek="Other editor"), now=NOW)

    archive.db.conn.set_trace_callback(write_meanwhile)
    try:
        yield
    finally:
        archive.db.conn.set_trace_callback(None)
        other.close()


def test_revision_check_is_atomic_with_the_write(archive, settings):
    """A write that lands after the check read the story, but before our transaction, is seen.

    The other writer runs exactly when our transaction begins, through SQLite's trace hook.
    """
    saved = archive.save(draft(), now=NOW)
    with another_editor_saves_at_begin(archive, settings, saved), pytest.raises(RevisionConflict):
        archive.save(saved.replace(dek="Mine"), now=NOW, expected_revision=1)
    assert archive.get(saved.id).dek == "Other editor"
    assert [r.number for r in archive.history(saved.id)] == [1, 2]


def test_a_save_without_if_match_still_never_overwrites_a_write_it_did_not_see(archive, settings):
    """An import or a script sends no expected revision; the stored one is checked anyway."""
    saved = archive.save(draft(), now=NOW)
    with another_editor_saves_at_begin(archive, settings, saved), pytest.raises(RevisionConflict):
        archive.save(saved.replace(dek="Mine"), now=NOW)
    assert archive.get(saved.id).dek == "Other editor"
    assert [r.number for r in archive.history(saved.id)] == [1, 2]


def test_idempotency_key_is_stored_with_the_story_and_never_makes_a_second(archive):
    first = archive.save(draft(), now=NOW, idempotency=("key-1", "digest"))
    with pytest.raises(DuplicateRequest) as raised:
        archive.save(draft(slug="second"), now=NOW, idempotency=("key-1", "digest"))
    assert raised.value.story_id == first.id
    assert archive.count() == 1
    assert archive.idempotent_request("key-1")["story_id"] == first.id


def test_withdrawal_with_a_stale_if_match_answers_412(client, api_tokens, settings):
    created = create(client, api_tokens)
    client.patch(
        created.headers["Location"],
        json={"dek": "Edited"},
        headers={**api_tokens["write"], "If-Match": created.headers["ETag"]},
    )
    before = snapshot(settings)
    response = client.delete(
        created.headers["Location"],
        json={"reason": "Legal request"},
        headers={**api_tokens["write"], "If-Match": created.headers["ETag"]},
    )
    assert_problem(response, 412, "If-Match")
    assert snapshot(settings) == before


def test_withdrawal_racing_another_write_raises_and_changes_nothing_more(archive, settings):
    saved = archive.save(draft(), now=NOW)
    with another_editor_saves_at_begin(archive, settings, saved), pytest.raises(RevisionConflict):
        archive.withdraw(saved.id, reason="Legal request", now=NOW)
    assert archive.get(saved.id).status == "draft"
    assert [r.action for r in archive.history(saved.id)] == ["create", "update"]


@pytest.mark.parametrize(
    "options",
    [{}, {"after": 2}, {"since": NOW}, {"section": "city", "statuses": ["published"]}],
)
def test_sync_listing_reads_only_revisions_after_the_cursor_and_never_scans_stories(
    archive, options
):
    from tests.support.archives import plans_of

    for slug in ("one", "two", "three"):
        archive.save(draft(slug=slug), now=NOW)
    plans = plans_of(archive, lambda a: a.changes(**options))
    assert plans
    for sql, plan in plans.items():
        assert not [step for step in plan if step.startswith("SCAN stories")], (sql, plan)
        assert "SEARCH revisions USING INTEGER PRIMARY KEY (rowid>?)" in plan, (sql, plan)
