"""A story that was published and is now not: the public sees only what was published.

Sent back to draft and edited (new slug, title, tags, authors, body), the story is to every
public surface the tombstone of its last published revision; none of the draft reaches a
redirect, a feed, a feed title, an export, a WARC, a tombstone or the anonymous API.
"""

from __future__ import annotations

import json
import warnings
from datetime import timedelta

import feedparser
import pytest
from lxml import etree

from archive import story_from_dict
from service import create_app
from service.feeds import renditions
from tests.support.commands import MastheadRunner
from tests.support.stories import NOW

TOMBSTONES = "{http://purl.org/atompub/tombstones/1.0}"
PERMALINK = "/2026/11/20/harbour-bridge-reopens/"
DRAFT_PERMALINK = "/2026/11/20/secret-draft-slug/"
# Every word the draft adds; none may reach the public.
SECRETS = ("secret", "Секрет", "سري", "秘密")
DRAFT = {
    "status": "draft",
    "slug": "secret-draft-slug",
    "title": "Secret draft title Секрет",
    "tags": ["Secret tag", "سري"],
    "authors": [{"name": "Secret Author 秘密"}],
    "section": "Secret section",
    "body": "<p>The secret draft body.</p>",
    "dek": "A secret dek.",
}


@pytest.fixture
def unpublished(archive, client, settings, api_tokens):
    """A published story (feeds built), then sent back to draft and edited through the API."""
    story = archive.save(
        story_from_dict(
            {
                "title": "Harbour bridge reopens",
                "body": "<p>The first bus crossed at dawn.</p>",
                "section": "City",
                "tags": ["Transport"],
                "authors": ["Helen Marsh"],
                "published_at": "2026-11-20T10:00:00+00:00",
            }
        ),
        now=NOW - timedelta(days=4),
    )
    renditions.rebuild(archive, settings, now=NOW - timedelta(days=4))
    response = client.patch(
        f"/api/stories/{story.id}",
        json=DRAFT,
        headers={**api_tokens["write"], "If-Match": f'"story-{story.id}-{story.revision}"'},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["title"] == DRAFT["title"]  # the editor sees the draft
    renditions.rebuild_pending(archive, settings, now=NOW, everything=True)
    return archive.get(story.id)


def assert_no_draft(text: str, where: str) -> None:
    for word in SECRETS:
        assert word.lower() not in text.lower(), f"{word!r} reached {where}"


def public_answers(client, story):
    """Every public page and answer that could name the story (path -> response)."""
    paths = [
        PERMALINK,
        DRAFT_PERMALINK,
        f"{PERMALINK}revisions/",
        f"{PERMALINK}revisions/1/",
        f"{PERMALINK}timemap/",
        "/",
        "/2026/11/",
        "/2026/11/20/",
        "/sections/secret-section/",
        "/tags/secret-tag/",
        "/authors/secret-author/",
        "/tags/",
        "/authors/",
        "/search?q=secret",
        "/sitemap.xml",
        "/feeds/",
        "/feeds.opml",
        f"/api/stories/{story.id}",
        "/api/stories",
        "/api/stories?status=withdrawn",
        "/api/stories?tag=secret-tag",
    ]
    return {path: client.get(path) for path in paths}


def test_story_back_in_draft_is_its_published_tombstone_everywhere(archive, client, unpublished):
    story = unpublished
    answers = public_answers(client, story)
    for path, response in answers.items():
        if "secret" not in path:  # a 404 page names the address asked for
            assert_no_draft(response.get_data(as_text=True), path)
        assert_no_draft(response.headers.get("Location", ""), f"{path} Location")
    # The permalink it had in public is a tombstone of what was published; the draft's slug
    # is nowhere (no redirect to it, no page at it).
    gone = answers[PERMALINK]
    assert gone.status_code == 410
    assert "Harbour bridge reopens" in gone.get_data(as_text=True)
    assert answers[DRAFT_PERMALINK].status_code == 404
    for page in ("/sections/secret-section/", "/tags/secret-tag/", "/authors/secret-author/"):
        assert answers[page].status_code == 404, page
    shown = answers[f"/api/stories/{story.id}"].get_json()
    assert shown["status"] == "withdrawn"
    assert (shown["title"], shown["path"], shown["tags"]) == (
        "Harbour bridge reopens",
        PERMALINK,
        ["Transport"],
    )
    assert shown["body"] == ""
    assert shown["withdrawn_reason"]
    listed = answers["/api/stories?status=withdrawn"].get_json()["stories"]
    assert [s["id"] for s in listed] == [story.id]
    assert answers["/api/stories?tag=secret-tag"].get_json()["stories"] == []


def test_story_back_in_draft_leaves_feeds_as_a_tombstone_of_what_was_published(
    archive, unpublished
):
    keys = [info.key for info in archive.renditions()]
    assert not [key for key in keys if "secret" in key], keys
    for key in keys:
        body = archive.rendition(key).body
        assert_no_draft(body.decode(), key)
        if key.endswith(".atom"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                assert feedparser.parse(body).bozo == 0, key
    for key in ("latest.atom", "tags/transport/latest.atom", "authors/helen-marsh/latest.atom"):
        tree = etree.fromstring(archive.rendition(key).body)
        (deleted,) = tree.iter(f"{TOMBSTONES}deleted-entry")
        assert deleted.get("ref") == unpublished.entry_id
        assert deleted.find("{http://www.w3.org/2005/Atom}link").get("href").endswith(PERMALINK)


def test_public_export_holds_a_tombstone_and_all_keeps_the_draft(runner, unpublished, tmp_path):
    public, everything = tmp_path / "public.jsonl", tmp_path / "all.jsonl"
    assert runner.invoke(args=["export", str(public), "--revisions"]).exit_code == 0
    assert runner.invoke(args=["export", str(everything), "--all"]).exit_code == 0
    text = public.read_text(encoding="utf-8")
    assert_no_draft(text, "the public export")
    [line] = [json.loads(line) for line in text.splitlines()]
    assert (line["id"], line["entry_id"], line["path"]) == (
        unpublished.id,
        unpublished.entry_id,
        PERMALINK,
    )
    assert line["status"] == "withdrawn"
    assert line["withdrawn_at"]
    assert line["withdrawn_reason"]
    assert line["body"] == ""
    assert "revisions" not in line
    [kept] = [json.loads(line) for line in everything.read_text(encoding="utf-8").splitlines()]
    assert kept["title"] == DRAFT["title"]
    assert "secret draft body" in kept["body"]


def test_warc_of_the_site_holds_no_draft(runner, unpublished, tmp_path):
    path = tmp_path / "site.warc"
    result = runner.invoke(args=["export", "--warc", str(path)])
    assert result.exit_code == 0, result.output
    assert_no_draft(path.read_bytes().decode("utf-8", "replace"), "the WARC")


def test_withdrawn_after_draft_shows_what_was_published(archive, client, settings, unpublished):
    archive.withdraw(unpublished.id, reason="Legal request", now=NOW + timedelta(hours=1))
    renditions.rebuild_pending(archive, settings, now=NOW + timedelta(hours=1))
    for path, response in public_answers(client, unpublished).items():
        if "secret" not in path:  # a 404 page names the address asked for
            assert_no_draft(response.get_data(as_text=True), path)
    page = client.get(PERMALINK).get_data(as_text=True)
    assert "Harbour bridge reopens" in page
    assert "Reason: Legal request" in page
    tree = etree.fromstring(archive.rendition("tags/transport/latest.atom").body)
    (deleted,) = tree.iter(f"{TOMBSTONES}deleted-entry")
    assert deleted.findtext(f"{TOMBSTONES}comment") == "Legal request"
    for info in archive.renditions():
        assert_no_draft(archive.rendition(info.key).body.decode(), info.key)


def test_published_again_under_a_new_slug_answers_301_and_returns_to_feeds(
    archive, client, settings, api_tokens, unpublished
):
    response = client.patch(
        f"/api/stories/{unpublished.id}",
        json={"status": "published", "title": "Harbour bridge reopens at last"},
        headers={
            **api_tokens["write"],
            "If-Match": f'"story-{unpublished.id}-{unpublished.revision}"',
        },
    )
    assert response.status_code == 200
    renditions.rebuild_pending(archive, settings, now=NOW + timedelta(hours=2))
    moved = client.get(PERMALINK)
    assert (moved.status_code, moved.headers["Location"]) == (301, DRAFT_PERMALINK)
    assert client.get(DRAFT_PERMALINK).status_code == 200
    parsed = feedparser.parse(archive.rendition("latest.atom").body)
    assert [entry.id for entry in parsed.entries] == [unpublished.entry_id]
    tree = etree.fromstring(archive.rendition("latest.atom").body)
    assert list(tree.iter(f"{TOMBSTONES}deleted-entry")) == []


def test_public_export_holds_a_withdrawn_story_as_its_tombstone(archive, runner, tmp_path):
    story = archive.save(
        story_from_dict(
            {
                "title": "Quarry plan",
                "body": "<p>Text that was withdrawn.</p>",
                "dek": "A dek that was withdrawn.",
                "published_at": "2026-10-02T09:00:00Z",
            }
        ),
        now=NOW - timedelta(days=50),
    )
    archive.withdraw(story.id, reason="Legal request", now=NOW)
    exported = tmp_path / "public.jsonl"
    assert runner.invoke(args=["export", str(exported), "--revisions"]).exit_code == 0
    [line] = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    assert (line["id"], line["entry_id"], line["path"]) == (story.id, story.entry_id, story.path)
    assert (line["withdrawn_at"], line["withdrawn_reason"]) == (NOW.isoformat(), "Legal request")
    assert "withdrawn." not in json.dumps(line)  # neither its text nor its dek
    assert "revisions" not in line


def test_scheduled_again_under_a_new_slug_comes_back_at_its_time_with_a_301(
    archive, client, settings, unpublished
):
    back_at = NOW + timedelta(days=2)
    archive.save(
        archive.get(unpublished.id).replace(
            status="scheduled", embargo_at=back_at, title="Harbour bridge reopens again"
        ),
        now=NOW + timedelta(days=1),
    )
    assert client.get(PERMALINK).status_code == 410  # still out until its time
    before = archive.get(unpublished.id)
    [published] = archive.publish_due(now=back_at)
    # Updated when it came back (or later, never earlier), not at its first publication.
    assert published.updated_at == max(back_at, before.updated_at)
    renditions.rebuild_pending(archive, settings, now=back_at)
    moved = client.get(PERMALINK)
    assert (moved.status_code, moved.headers["Location"]) == (301, DRAFT_PERMALINK)
    [entry] = feedparser.parse(archive.rendition("latest.atom").body).entries
    assert entry.title == "Harbour bridge reopens again"


def test_a_draft_restored_without_its_history_shows_no_draft(
    archive, runner, settings, make_settings, tmp_path, unpublished
):
    everything = tmp_path / "all.jsonl"
    assert runner.invoke(args=["export", str(everything), "--all"]).exit_code == 0
    copy = make_settings(archive={"path": str(tmp_path / "copy.db"), "demo": False})
    app = create_app(copy)
    result = MastheadRunner(app).invoke(args=["import", str(everything)])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    gone = client.get(PERMALINK)
    assert gone.status_code == 410
    assert_no_draft(gone.get_data(as_text=True), "the restored tombstone")
    shown = client.get(f"/api/stories/{unpublished.id}").get_json()
    assert_no_draft(json.dumps(shown, ensure_ascii=False), "the restored story in the API")
    assert shown["path"] == PERMALINK
