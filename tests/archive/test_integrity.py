"""Archive integrity: what was never published stays private, no write renames what another wrote,
and one record that cannot be built never stops a feed, a page or the rest of the archive.

Each test starts from an ordinary editorial action or a hostile value that once broke the archive.
"""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import UTC, datetime

import feedparser
import pytest
import sqlite_utils
from lxml import etree

from archive import open_archive, story_from_dict
from archive.db.renditions import FeedScope
from archive.db.schema import migrations
from service.feeds import renditions, scheduler
from tests.support.api import assert_problem, story_json
from tests.support.archives import settings_mapping
from tests.support.feeds import ATOM, TOMBSTONES, atom_tree, build, parsed
from tests.support.live import LiveServer
from tests.support.stories import NOW

HISTORY = "{http://purl.org/syndication/history/1.0}"
# An embargo that has not passed whenever the tests run (the API reads the real clock).
LATER = "2099-01-01T00:00:00+00:00"


def post(client, headers, **fields):
    response = client.post("/api/stories", json=story_json(**fields), headers=headers["write"])
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def withdraw(client, headers, story_id, reason="Not running it"):
    return client.delete(
        f"/api/stories/{story_id}", json={"reason": reason}, headers=headers["write"]
    )


def rebuilt(settings):
    """What `masthead feeds build` does, then the archive to look at."""
    scheduler.rebuild_all(settings, now=NOW)
    return open_archive(settings.archive_path)


# Withdrawing what was never published


@pytest.mark.parametrize(
    "fields",
    [{"status": "draft"}, {"status": "scheduled", "embargo_at": LATER, "published_at": None}],
    ids=["draft", "embargoed"],
)
def test_a_withdrawn_unpublished_story_is_on_no_public_surface(
    client, api_tokens, settings, runner, tmp_path, fields
):
    public = post(client, api_tokens, slug="public-story", title="Public story")
    secret = post(client, api_tokens, slug="secret", title="Secret merger", **fields)
    assert withdraw(client, api_tokens, secret["id"]).status_code == 200

    # The API without a token: neither the story nor its withdrawal reason.
    assert client.get(f"/api/stories/{secret['id']}").status_code == 401
    listed = client.get("/api/stories?status=withdrawn").get_json()["stories"]
    assert [s["id"] for s in listed] == []
    assert client.get(f"/api/stories/{secret['id']}", headers=api_tokens["read"]).status_code == 200
    # Feeds build, carry no tombstone of it, and the next story still reaches them.
    with rebuilt(settings) as archive:
        tree = atom_tree(archive, "latest.atom")
        assert tree.findall(f"{TOMBSTONES}deleted-entry") == []
        assert [e.findtext(f"{ATOM}id") for e in tree.findall(f"{ATOM}entry")] == [
            public["entry_id"]
        ]
        assert not [s for s in archive.build_states() if s.error]
    assert client.get("/health").get_json()["status"] == "ok"
    # Export without --all leaves it out; with --all it is there, with its revisions.
    out = tmp_path / "export.jsonl"
    assert runner.invoke(args=["export", str(out), "--revisions"]).exit_code == 0
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == [public["id"]]
    assert runner.invoke(args=["export", str(out), "--all", "--force"]).exit_code == 0
    assert secret["id"] in [json.loads(line)["id"] for line in out.read_text().splitlines()]


def test_export_gives_only_the_published_revisions_of_a_public_story(
    client, api_tokens, runner, tmp_path
):
    draft = post(client, api_tokens, status="draft", title="First thoughts")
    etag = client.get(f"/api/stories/{draft['id']}", headers=api_tokens["read"]).headers["ETag"]
    client.patch(
        f"/api/stories/{draft['id']}",
        json={"status": "published", "title": "Harbour bridge reopens"},
        headers={**api_tokens["write"], "If-Match": etag},
    )
    out = tmp_path / "export.jsonl"
    assert runner.invoke(args=["export", str(out), "--revisions"]).exit_code == 0
    (exported,) = [json.loads(line) for line in out.read_text().splitlines()]
    titles = [r["snapshot"]["title"] for r in exported["revisions"]]
    assert titles == ["Harbour bridge reopens"]  # the draft's title was never public


# Hostile characters: refused at the gate, and harmless if an old archive holds them


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"media": [{"url": "https://x.example/a.jpg", "mime_type": "image/jpeg\u0001"}]}, "media"),
        ({"section": "Wor\u0001ld"}, "section"),
        ({"title": "Bell\u0007"}, "title"),
        ({"authors": [{"name": "Ann\u009b"}]}, "authors"),
        ({"tags": ["ok", "bad\u0000"]}, "tags"),
    ],
)
def test_control_characters_are_refused_naming_the_field(client, api_tokens, fields, field):
    response = client.post("/api/stories", json=story_json(**fields), headers=api_tokens["write"])
    problem = assert_problem(response, 422)
    assert any(error["field"].startswith(field) for error in problem["errors"]), problem


def test_a_withdrawal_reason_with_a_control_character_is_refused(client, api_tokens):
    story = post(client, api_tokens)
    response = withdraw(client, api_tokens, story["id"], reason="Legal\u0008 request")
    assert_problem(response, 422, "reason")
    assert client.get(f"/api/stories/{story['id']}").get_json()["status"] == "published"


def test_an_archive_already_holding_control_characters_still_builds_and_serves(
    archive, settings, client
):
    story = archive.save(story_from_dict(story_json(media=[{"url": "https://x.example/a.jpg"}])))
    archive.withdraw(story.id, reason="Legal request", now=NOW)
    archive.save(story_from_dict(story_json(slug="other", title="Other")), now=NOW)
    # Written before the gate refused them (no API takes these any more).
    with archive.db.conn:
        archive.db.execute("UPDATE media SET mime_type = 'image/jpeg\x01'")
        archive.db.execute(
            "UPDATE stories SET withdrawn_reason = 'Legal\x08', section = 'Wor\x01ld'"
        )
    build(archive, settings, now=NOW)
    for key in ("latest.atom", "latest.rss", "sections/city/latest.atom"):
        assert feedparser.parse(archive.rendition(key).body).bozo == 0, key
    opml = client.get("/feeds.opml")
    assert opml.status_code == 200
    etree.fromstring(opml.data)  # well-formed
    assert client.get("/sitemap.xml").status_code == 200


# One story that cannot be built


def test_a_story_that_cannot_be_built_is_left_out_and_named_while_its_feed_builds(
    archive, settings, client, runner
):
    good = archive.save(story_from_dict(story_json(slug="good", title="Good")), now=NOW)
    bad = archive.save(story_from_dict(story_json(slug="bad", title="Bad")), now=NOW)
    with archive.db.conn:  # damage no write can do today: a published story with no entry id
        archive.db.execute("UPDATE stories SET entry_id = NULL WHERE id = ?", [bad.id])
    build(archive, settings, now=NOW)
    assert [e.id for e in parsed(archive, "latest.atom").entries] == [good.entry_id]
    (state,) = [s for s in archive.build_states() if s.scope == "latest"]
    assert state.status == "partial"
    assert state.story_ids == (bad.id,)
    health = client.get("/health").get_json()
    problems = {problem["scope"]: problem for problem in health["problems"]}
    assert problems["latest"]["status"] == "partial"
    assert problems["latest"]["story_ids"] == [bad.id]
    listing = runner.invoke(args=["feeds", "list"]).output
    assert "partial" in listing
    assert f"stories: {bad.id}" in listing


def test_a_scope_that_fails_is_reported_stays_queued_and_the_others_build(
    archive, settings, client, runner
):
    sport = archive.save(story_from_dict(story_json(section="Sport", slug="a")), now=NOW)
    archive.save(story_from_dict(story_json(section="City", slug="b")), now=NOW)
    with archive.db.conn:  # a stored time no reader can parse: the whole scope fails to read
        archive.db.execute("UPDATE stories SET updated_at = 'soon' WHERE id = ?", [sport.id])
    changed = renditions.rebuild_pending(archive, settings, now=NOW)
    assert "sections/city/latest.atom" in changed
    assert "sections/sport/latest.atom" not in changed
    _, queued = archive.pending_feed_changes()
    assert FeedScope.parse("sections/sport") in queued
    assert FeedScope.parse("sections/city") not in queued
    assert client.get("/health").status_code == 200  # alive: pages and feeds are served
    response = client.get("/health/ready")
    assert response.status_code == 503
    (degraded,) = response.get_json()["degraded"]
    assert degraded.startswith("feeds: ")
    assert "sections/sport" in degraded
    failing = {p["scope"]: p for p in response.get_json()["problems"]}
    assert failing["sections/sport"]["status"] == "failing"
    assert "ValueError" in failing["sections/sport"]["error"]
    assert "failing" in runner.invoke(args=["feeds", "list"]).output
    # Repaired, it builds on the next run and the report clears.
    with archive.db.conn:
        archive.db.execute("UPDATE stories SET updated_at = published_at WHERE id = ?", [sport.id])
    assert "sections/sport/latest.atom" in renditions.rebuild_pending(archive, settings, now=NOW)
    assert client.get("/health/ready").status_code == 200


# A draft never changes what the public sees


def test_a_draft_never_renames_a_published_author_or_changes_their_link(client, api_tokens):
    published = post(client, api_tokens)
    etag = client.get(f"/api/stories/{published['id']}").headers["ETag"]
    post(
        client,
        api_tokens,
        slug="draft",
        status="draft",
        authors=[{"name": "HELEN MARSH", "url": "https://private.example/helen"}],
        tags=["TRANSPORT"],
    )
    again = client.get(f"/api/stories/{published['id']}")
    assert again.headers["ETag"] == etag
    assert again.get_json()["authors"] == published["authors"]
    page = client.get("/authors/helen-marsh/").get_data(as_text=True)
    assert "Stories by Helen Marsh" in page
    assert "private.example" not in page
    assert "HELEN" not in client.get(published["path"]).get_data(as_text=True)
    assert client.get("/authors/helen-marsh-2/").status_code == 404  # only a draft names them


def test_a_tag_feed_takes_its_title_from_public_stories_only(archive, settings, client, api_tokens):
    post(client, api_tokens, tags=["Transport"])
    post(client, api_tokens, slug="draft", status="draft", tags=["TRANSPORT"])
    build(archive, settings, now=NOW)
    assert parsed(archive, "tags/transport/latest.atom").feed.title.endswith(": Transport")


# Names in every script


def test_titles_in_every_script_get_distinct_readable_slugs(client, api_tokens):
    titles = {
        "Зимняя Казань открылась": "zimnyaya-kazan-otkrylas",
        "Зимняя Казань закрылась": "zimnyaya-kazan-zakrylas",
        "Αθήνα: νέο μετρό": "athina-neo-metro",
        "東京の天気": "dong-jing-no-tian-qi",
        "مهرجان الشتاء": "mhrjn-lsht",  # Arabic script writes no short vowels
        "שלום עולם": "slvm-vlm",
    }
    slugs = []
    for title in titles:
        response = client.post(
            "/api/stories", json=_without_slug(title), headers=api_tokens["write"]
        )
        assert response.status_code == 201, response.get_json()
        slugs.append(response.get_json()["slug"])
    assert slugs == list(titles.values())


def _without_slug(title: str) -> dict:
    shape = story_json(title=title)
    del shape["slug"]
    return shape


def test_the_same_title_twice_on_one_day_gets_a_second_slug_not_a_409(client, api_tokens):
    first = client.post(
        "/api/stories", json=_without_slug("Зимняя Казань"), headers=api_tokens["write"]
    )
    second = client.post(
        "/api/stories", json=_without_slug("Зимняя Казань"), headers=api_tokens["write"]
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.get_json()["slug"] == "zimnyaya-kazan"
    assert second.get_json()["slug"] == "zimnyaya-kazan-2"


def test_two_authors_never_share_a_record_whatever_their_script(client, api_tokens):
    vilf = post(client, api_tokens, slug="a", authors=[{"name": "Александр Вильф"}])
    post(client, api_tokens, slug="b", authors=[{"name": "Мария Иванова"}])
    post(client, api_tokens, slug="c", authors=[{"name": "Zoe Ball"}])
    post(client, api_tokens, slug="d", authors=[{"name": "Zoë Ball"}])
    assert client.get(f"/api/stories/{vilf['id']}").get_json()["authors"] == [
        {"name": "Александр Вильф", "url": None}
    ]
    pages = {
        slug: client.get(f"/authors/{slug}/").get_data(as_text=True)
        for slug in ("aleksandr-vil-f", "mariya-ivanova", "zoe-ball", "zoe-ball-2")
    }
    assert "Stories by Александр Вильф" in pages["aleksandr-vil-f"]
    assert "Stories by Мария Иванова" in pages["mariya-ivanova"]
    assert "Stories by Zoe Ball" in pages["zoe-ball"]
    assert "Stories by Zoë Ball" in pages["zoe-ball-2"]


def test_an_arabic_story_page_reads_right_to_left(client, api_tokens):
    story = post(client, api_tokens, title="مهرجان الشتاء", slug="winter", language="ar")
    page = etree.HTML(client.get(story["path"]).data)
    (article,) = page.xpath("//article[contains(@class, 'story')]")
    assert (article.get("lang"), article.get("dir")) == ("ar", "rtl")


def test_a_language_that_is_not_a_tag_is_refused(client, api_tokens):
    response = client.post(
        "/api/stories", json=story_json(language="en\u202e"), headers=api_tokens["write"]
    )
    assert_problem(response, 422, "language")


# Bounded work per story and per run


def test_a_story_with_ten_thousand_tags_is_refused_naming_tags(client, api_tokens, settings):
    tags = [f"tag {n}" for n in range(10_000)]
    response = client.post("/api/stories", json=story_json(tags=tags), headers=api_tokens["write"])
    problem = assert_problem(response, 422, "tags")
    assert "at most 50" in problem["detail"]


def test_a_huge_backlog_is_rebuilt_a_bounded_slice_at_a_time_site_feed_first(archive, settings):
    archive.save(story_from_dict(story_json(tags=["a", "b"])), now=NOW)
    with archive.db.conn:  # as an archive from before the limit may hold: thousands queued
        archive.db["feed_changes"].insert_all(
            {"scope": f"tags/old-{n}", "changed_at": NOW.isoformat()} for n in range(1_000)
        )
    _, before = archive.pending_feed_changes()
    changed = renditions.rebuild_pending(archive, settings, now=NOW)
    assert "latest.atom" in changed
    _, queued = archive.pending_feed_changes()
    assert len(queued) == len(before) - renditions.SCOPES_PER_RUN
    assert FeedScope.parse("latest") not in queued


def test_a_queue_row_that_names_no_feed_is_dropped_and_the_rest_builds(archive, settings, caplog):
    archive.save(story_from_dict(story_json()), now=NOW)
    with archive.db.conn:
        archive.db["feed_changes"].insert_all(
            {"scope": scope, "changed_at": NOW.isoformat()}
            for scope in ("archive/2026/13", "tags/", "tags/a b", "nonsense")
        )
    assert "latest.atom" in renditions.rebuild_pending(archive, settings, now=NOW)
    assert archive.pending_feed_changes()[1] == set()
    assert "archive/2026/13" in caplog.text


# The site's calendar, west and east of UTC


@pytest.mark.parametrize(
    ("zone", "path"),
    [
        ("America/Los_Angeles", "/2026/02/28/late/"),
        ("Europe/London", "/2026/03/01/late/"),
        ("Pacific/Auckland", "/2026/03/01/late/"),
    ],
)
def test_permalink_dates_follow_the_sites_zone(make_settings, zone, path):
    config = make_settings(site={"timezone": zone})
    with open_archive(config.archive_path, domain="news.example", timezone=zone) as archive:
        shape = story_json(slug="late", published_at="2026-03-01T05:00:00+00:00")
        assert archive.save(story_from_dict(shape), now=NOW).path == path


def test_a_month_is_an_archive_document_only_once_it_is_over_in_the_sites_zone(make_settings):
    config = make_settings(site={"timezone": "America/Los_Angeles"})
    with open_archive(
        config.archive_path, domain="news.example", timezone="America/Los_Angeles"
    ) as archive:
        archive.save(story_from_dict(story_json(published_at="2026-10-15T12:00:00Z")), now=NOW)
        # 20:00 on 31 October in Los Angeles: October is still in progress there.
        evening = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
        build(archive, config, now=evening)
        october = atom_tree(archive, "archive/2026/10.atom")
        assert october.find(f"{HISTORY}archive") is None
        # Midnight has passed in Los Angeles: the month closes, and says so.
        renditions.rebuild(archive, config, now=datetime(2026, 11, 1, 7, 1, tzinfo=UTC))
        assert atom_tree(archive, "archive/2026/10.atom").find(f"{HISTORY}archive") is not None


# Existing archives


def test_an_archive_from_before_identity_is_migrated_without_breaking_an_address(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    migrations.apply(db, stop_before="m005_identity_and_visibility")
    # As the old archive stored them: two bylines merged under one slug (the second name won),
    # two Cyrillic tags collapsed to "story", and a withdrawn draft.
    _old_story(db, 1, "Harbour", "published", author=("helen-marsh", "Helen Marsh"), tag="Спорт")
    _old_story(db, 2, "Ferry", "published", author=("helen-marsh", "HELEN MARSH"), tag="Наука")
    _old_story(db, 3, "Secret", "withdrawn", author=("helen-marsh", "HELEN MARSH"), tag="Наука")
    db.execute("UPDATE authors SET name = 'HELEN MARSH', url = 'https://private.example/'")
    db.conn.commit()
    db.close()

    with open_archive(path) as archive:
        first, second, withdrawn = (archive.get(n) for n in (1, 2, 3))
        assert [(a.name, a.slug) for a in first.authors] == [("Helen Marsh", "helen-marsh")]
        assert [(a.name, a.slug) for a in second.authors] == [("HELEN MARSH", "helen-marsh-2")]
        assert first.authors[0].url is None  # the private link was never this story's
        assert first.tag_slugs == ("story",)  # the first holder keeps the address it had
        assert second.tag_slugs == ("nauka",)
        assert not withdrawn.was_published
        assert first.was_published
        assert archive.names.author("helen-marsh").name == "Helen Marsh"


def test_the_identity_migration_names_as_it_did_whatever_todays_slug_rules_say(
    tmp_path, monkeypatch
):
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    migrations.apply(db, stop_before="m005_identity_and_visibility")
    _old_story(db, 1, "Harbour", "published", author=("a", "Ольга Петрова"), tag="東京")
    _old_story(db, 2, "Ferry", "published", author=("b", "نور"), tag="Наука")
    db.conn.commit()
    db.close()
    # Today's rules could change (another transliteration, shorter slugs): a migration that
    # shipped must still give the addresses it gave then.
    from archive.db import names as name_store
    from archive.story import names

    monkeypatch.setattr(names, "slugify", lambda text, fallback="story": "changed")
    monkeypatch.setattr(name_store, "slugify", lambda text, fallback="story": "changed")
    monkeypatch.setattr(names, "name_key", lambda kind, name: "one key for every name")
    monkeypatch.setattr(name_store, "name_key", lambda kind, name: "one key for every name")

    with open_archive(path) as archive:
        first, second = archive.get(1), archive.get(2)
    assert first.tag_slugs == ("story",)  # the slug it had is free, so it keeps it
    assert second.tag_slugs == ("nauka",)
    assert [a.slug for a in first.authors] == ["a"]
    assert [a.slug for a in second.authors] == ["b"]


def _old_story(db, story_id, title, status, *, author, tag):
    published = "2026-11-20T10:00:00+00:00"
    db["stories"].insert(
        {
            "id": story_id,
            "slug": title.lower(),
            "title": title,
            "status": status,
            "path": f"/2026/11/20/{title.lower()}/" if status == "published" else None,
            "published_at": published,
            "updated_at": published,
            "local_date": "2026-11-20",
            "revision": 1,
        }
    )
    db.execute("INSERT OR IGNORE INTO authors (slug, name) VALUES (?, ?)", author)
    db["story_authors"].insert({"story_id": story_id, "author_slug": author[0], "position": 0})
    db["story_tags"].insert({"story_id": story_id, "tag_slug": "story", "tag": tag, "position": 0})
    snapshot = {
        "status": "draft" if status == "withdrawn" else status,
        "title": title,
        "section": "",
        "tags": [tag],
        "authors": [{"name": author[1], "url": None}],
    }
    db["revisions"].insert(
        {
            "story_id": story_id,
            "revision": 1,
            "action": "create",
            "saved_at": published,
            "snapshot": json.dumps(snapshot, ensure_ascii=False),
        }
    )


# All of it at once, through the real server


# Rebuild runs a new story may wait for before it is in the site feed (every run builds the site
# feed first): the run already under way when it was written, the next one, and one to spare.
RUNS_TO_REACH_THE_SITE_FEED = 3
# Seconds the scheduler may go without building any feed before a wait gives up. Generous: a run
# over a backlog of 10,000 tag feeds is slow on a busy machine, and what the wait checks is the
# number of runs, not how long they take.
STALL_SECONDS = 180


def feed_progress(server) -> tuple[int, str | None]:
    """The scheduler's progress as /health reports it: feeds still queued, and the last build."""
    health = json.load(urllib.request.urlopen(f"{server.url}/health", timeout=30))
    return health["feeds_queued"], health["last_build_at"]


def wait_until_in_site_feed(server, title: str) -> None:
    """Wait until a story titled `title` is in the site feed; fail once the scheduler has
    finished RUNS_TO_REACH_THE_SITE_FEED rebuild runs without it (a run ends when the queue
    shrinks), or has built nothing for STALL_SECONDS."""
    runs = 0
    queued, built_at = feed_progress(server)
    progressed_at = time.monotonic()
    while True:
        feed = urllib.request.urlopen(f"{server.url}/feeds/latest.atom", timeout=30).read()
        if title in [e.title for e in feedparser.parse(feed).entries]:
            return
        now_queued, now_built_at = feed_progress(server)
        if now_queued < queued:
            runs += 1
        if (now_queued, now_built_at) != (queued, built_at):
            progressed_at = time.monotonic()
        queued, built_at = now_queued, now_built_at
        assert runs < RUNS_TO_REACH_THE_SITE_FEED, (
            f"{runs} rebuild runs and no {title!r} in the feed"
        )
        stalled = time.monotonic() - progressed_at
        assert stalled < STALL_SECONDS, f"no feed built for {stalled:.0f}s and no {title!r} yet"
        time.sleep(0.5)


def test_a_poisoned_archive_still_serves_builds_and_restarts(tmp_path, settings, api_tokens):
    with open_archive(settings.archive_path, domain="news.example") as archive:
        big = archive.save(story_from_dict(story_json(slug="big", title="Big")), now=NOW)
        draft = archive.save(story_from_dict(story_json(slug="d", status="draft")), now=NOW)
        archive.withdraw(draft.id, reason="Not running it", now=NOW)
        with archive.db.conn:  # what an archive from before the gate may hold
            archive.db.execute("DELETE FROM story_tags")
            archive.db["story_tags"].insert_all(
                {"story_id": big.id, "tag_slug": f"t-{n}", "tag": f"T {n}", "position": n}
                for n in range(10_000)
            )
            archive.db["feed_changes"].insert_all(
                {"scope": f"tags/t-{n}", "changed_at": NOW.isoformat()} for n in range(10_000)
            )
            archive.db.execute("UPDATE stories SET section = 'Wor\x01ld', dek = 'a\x08b'")
            archive.db.execute("UPDATE media SET mime_type = 'image/jpeg\x01'")
    mapping = settings_mapping(tmp_path)
    for _start in range(2):  # and once more: a restart over the same archive
        with LiveServer(tmp_path, mapping) as server:
            feed = urllib.request.urlopen(f"{server.url}/feeds/latest.atom", timeout=10).read()
            assert "Big" in [e.title for e in feedparser.parse(feed).entries]
            health = json.load(urllib.request.urlopen(f"{server.url}/health", timeout=10))
            assert health["status"] == "ok"
            for path in ("/feeds.opml", "/sitemap.xml", big.path, "/"):
                assert urllib.request.urlopen(server.url + path, timeout=10).status == 200
            # A new story still reaches the site feed while the backlog is worked through.
            request = urllib.request.Request(
                f"{server.url}/api/stories",
                data=json.dumps(story_json(slug="fresh", title="Fresh")).encode(),
                headers={**api_tokens["write"], "Content-Type": "application/json"},
                method="POST",
            )
            if _start == 0:
                assert urllib.request.urlopen(request, timeout=10).status == 201
            wait_until_in_site_feed(server, "Fresh")
        assert server.process.returncode == 0
