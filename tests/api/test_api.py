"""The write API: create, read, list, update, withdraw; tokens; errors as problem details."""

from __future__ import annotations

import json

import pytest

from archive import open_archive
from service import create_app
from tests.support.api import READ_TOKEN, WRITE_TOKEN, assert_problem, create, snapshot, story_json

# Creating and reading


def test_created_story_is_answered_with_location_etag_and_the_stored_shape(client, api_tokens):
    response = create(client, api_tokens)
    story = response.get_json()
    assert response.headers["Location"] == f"/api/stories/{story['id']}"
    assert response.headers["ETag"] == f'"story-{story["id"]}-1"'
    assert story["revision"] == 1
    assert story["path"] == "/2026/11/23/harbour-bridge-reopens/"
    assert story["url"] == "https://news.example/2026/11/23/harbour-bridge-reopens/"
    assert story["authors"] == [{"name": "Helen Marsh", "url": "https://news.example/staff/helen"}]
    assert client.get(response.headers["Location"]).get_json() == story


def test_created_story_is_at_once_in_pages_search_and_the_api(client, api_tokens, settings):
    story = create(client, api_tokens).get_json()
    page = client.get(story["path"])
    assert page.status_code == 200
    assert "Lena Ortiz / Masthead" in page.get_data(as_text=True)
    assert "Harbour bridge reopens" in client.get("/").get_data(as_text=True)
    with open_archive(settings.archive_path) as archive:
        assert [s.id for s in archive.search("bridge dawn").stories] == [story["id"]]
    assert story["path"] in client.get("/search?q=bridge+dawn").get_data(as_text=True)
    listed = client.get("/api/stories").get_json()["stories"]
    assert [s["id"] for s in listed] == [story["id"]]


def test_body_html_is_sanitised(client, api_tokens):
    body = '<p onclick="steal()">Hi<script>alert(1)</script> <a href="javascript:x()">a</a></p>'
    story = create(client, api_tokens, body=body).get_json()
    assert "script" not in story["body"]
    assert "onclick" not in story["body"]
    assert "javascript:" not in story["body"]
    assert story["body_text"].startswith("Hi")


def test_story_answers_304_to_its_own_etag_and_head_like_get(client, api_tokens):
    created = create(client, api_tokens)
    head = client.head(created.headers["Location"])
    assert (head.status_code, head.headers["ETag"], head.get_data()) == (
        200,
        created.headers["ETag"],
        b"",
    )
    again = client.get(
        created.headers["Location"], headers={"If-None-Match": created.headers["ETag"]}
    )
    assert again.status_code == 304


def test_unknown_story_and_unknown_api_path_answer_404_problems(client, api_tokens):
    assert_problem(client.get("/api/stories/999"), 404)
    assert_problem(client.get("/api/stories/99999999999999999999999"), 404)
    assert_problem(client.get("/api/nothing-here"), 404)
    assert_problem(client.patch("/api/stories/999", json={}, headers=api_tokens["write"]), 404)


def test_wrong_method_answers_405_problem_with_allow(client):
    problem = client.delete("/api/stories")
    assert_problem(problem, 405)
    assert "POST" in problem.headers["Allow"]


def test_failure_inside_the_service_answers_500_problem(settings, api_tokens):
    broken = create_app(settings)
    settings.archive_path.unlink()
    settings.archive_path.mkdir()  # the archive is now a folder, not a file
    response = broken.test_client().get("/api/stories")
    problem = assert_problem(response, 500)
    assert "Traceback" not in problem["detail"]


def test_too_many_requests_answer_429_problem_with_retry_after(make_settings):
    client = create_app(make_settings(http={"rate_limit_per_minute": 2})).test_client()
    assert client.get("/api/stories").status_code == 200
    assert client.get("/api/stories").status_code == 200
    response = client.get("/api/stories")
    problem = assert_problem(response, 429)
    assert "at most 2 a minute" in problem["detail"]
    assert int(response.headers["Retry-After"]) > 0


# Tokens


def test_write_without_token_answers_401_with_challenge(client, api_tokens, settings):
    before = snapshot(settings)
    response = client.post("/api/stories", json=story_json())
    assert_problem(response, 401, "Authorization")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="masthead"'
    assert snapshot(settings) == before


@pytest.mark.parametrize(
    "header",
    [
        f"Bearer {WRITE_TOKEN}x",
        f"Basic {WRITE_TOKEN}",
        "Bearer ",
        WRITE_TOKEN,
        f"Bearer {READ_TOKEN[:-1]}",
    ],
)
def test_bad_or_unknown_token_answers_401_even_for_public_reads(client, api_tokens, header):
    for response in (
        client.post("/api/stories", json=story_json(), headers={"Authorization": header}),
        client.get("/api/stories", headers={"Authorization": header}),
    ):
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="masthead", error=')


def test_no_token_works_when_none_is_configured(client, monkeypatch, settings):
    monkeypatch.delenv("MASTHEAD_API_WRITE_TOKENS", raising=False)
    monkeypatch.setenv("MASTHEAD_API_READ_TOKENS", "")
    for header in ("Bearer ", "Bearer x", f"Bearer {WRITE_TOKEN}", "Bearer ,"):
        response = client.post("/api/stories", json=story_json(), headers={"Authorization": header})
        assert_problem(response, 401)
    assert snapshot(settings)["stories"] == []


def test_short_tokens_are_ignored(client, monkeypatch):
    monkeypatch.setenv("MASTHEAD_API_WRITE_TOKENS", "short")
    response = client.post(
        "/api/stories", json=story_json(), headers={"Authorization": "Bearer short"}
    )
    assert_problem(response, 401)


def test_tokens_are_read_from_the_variables_the_settings_name(make_settings, monkeypatch):
    app = create_app(make_settings(api={"write_tokens_env": "NEWSROOM_CMS_TOKENS"}))
    monkeypatch.setenv("NEWSROOM_CMS_TOKENS", WRITE_TOKEN)
    monkeypatch.setenv("MASTHEAD_API_WRITE_TOKENS", "default-variable-token-123")
    headers = {"Authorization": f"Bearer {WRITE_TOKEN}"}
    assert (
        app.test_client().post("/api/stories", json=story_json(), headers=headers).status_code
        == 201
    )
    headers = {"Authorization": "Bearer default-variable-token-123"}
    assert_problem(app.test_client().post("/api/stories", json=story_json(), headers=headers), 401)


def test_read_only_token_reads_drafts_but_may_not_write(client, api_tokens, settings):
    draft = create(client, api_tokens, status="draft").get_json()
    read = api_tokens["read"]
    assert client.get(f"/api/stories/{draft['id']}", headers=read).get_json()["status"] == "draft"
    listed = client.get("/api/stories?status=draft", headers=read).get_json()["stories"]
    assert [s["id"] for s in listed] == [draft["id"]]
    before = snapshot(settings)
    etag = {"If-Match": f'"story-{draft["id"]}-1"'}
    for response in (
        client.post("/api/stories", json=story_json(slug="other"), headers=read),
        client.patch(f"/api/stories/{draft['id']}", json={"title": "X"}, headers={**read, **etag}),
        client.put(f"/api/stories/{draft['id']}", json=story_json(), headers={**read, **etag}),
        client.delete(f"/api/stories/{draft['id']}", json={"reason": "x"}, headers=read),
    ):
        assert_problem(response, 403)
        assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert snapshot(settings) == before


def test_drafts_and_embargoed_stories_need_a_token_to_read(client, api_tokens):
    draft = create(client, api_tokens, status="draft", slug="draft").get_json()
    embargoed = create(
        client, api_tokens, status="scheduled", slug="later", embargo_at="2099-01-01T00:00:00Z"
    ).get_json()
    published = create(client, api_tokens).get_json()
    for story in (draft, embargoed):
        assert_problem(client.get(f"/api/stories/{story['id']}"), 401)
        assert_problem(client.get(f"/api/stories/{story['id']}/revisions"), 401)
    for status in ("draft", "scheduled"):
        assert_problem(client.get(f"/api/stories?status={status}"), 401)
    public = client.get("/api/stories").get_json()["stories"]
    assert [s["id"] for s in public] == [published["id"]]
    assert client.get(f"/api/stories/{published['id']}").status_code == 200
    everything = client.get("/api/stories", headers=api_tokens["read"]).get_json()["stories"]
    assert len(everything) == 3


# Validation: every mistake comes back naming the field, and changes nothing.


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"colour": "red", "wordcount": 3}, ["colour", "wordcount"]),
        ({"id": 5, "revision": 9}, ["id", "revision"]),
        ({"published_at": "2026-11-23T07:15:00"}, ["published_at"]),
        ({"embargo_at": "next tuesday", "status": "scheduled"}, ["embargo_at"]),
        ({"slug": "Not A Slug!"}, ["slug"]),
        ({"published_at": "0001-01-01T00:00:00Z"}, ["published_at"]),
        ({"updated_at": "9999-12-31T23:00:00-05:00"}, ["updated_at"]),
        ({"title": "  "}, ["title"]),
        ({"status": "withdrawn"}, ["status"]),
        ({"status": "scheduled"}, ["status"]),
        ({"syndication": "everything"}, ["syndication"]),
        ({"tags": "transport"}, ["tags"]),
        ({"authors": [{"name": "A", "email": "a@example"}]}, ["authors[0].email"]),
        ({"media": [{"url": "javascript:alert(1)"}]}, ["media[0].url"]),
        ({"publisher": {"name": "Agence", "url": "agence.example"}}, ["publisher.url"]),
        ({"title": 7, "section": None}, ["title", "section"]),
        ({"sources": [{"role": "engineer"}]}, ["sources[0].name"]),
        ({"publisher": {"url": "https://agence.example/"}}, ["publisher.name"]),
        ({"authors": [{"url": "https://news.example/staff/helen"}]}, ["authors[0].name"]),
    ],
)
def test_invalid_story_answers_422_naming_every_bad_field(
    client, api_tokens, settings, fields, named
):
    before = snapshot(settings)
    response = client.post("/api/stories", json=story_json(**fields), headers=api_tokens["write"])
    problem = assert_problem(response, 422, *named)
    assert all(error["in"] == "body" for error in problem["errors"])
    assert snapshot(settings) == before


def test_every_problem_of_a_story_is_reported_at_once(client, api_tokens):
    sent = story_json(colour="red", slug="Bad Slug", published_at="2026-11-23 07:15", title=7)
    sent["tags[0]"] = "x"
    del sent["status"]
    response = client.post("/api/stories", json=sent, headers=api_tokens["write"])
    problem = assert_problem(
        response, 422, "colour", "tags[0]", "slug", "published_at", "status", "title"
    )
    assert len(problem["errors"]) == 6  # not also "title is empty"
    pointers = {e["field"]: e["pointer"] for e in problem["errors"]}
    assert pointers["published_at"] == "#/published_at"


def test_error_names_the_nested_field_with_a_json_pointer(client, api_tokens):
    sent = story_json(sources=[{"name": "Mara Quinn"}, {"name": "X", "rank": 1}])
    problem = assert_problem(
        client.post("/api/stories", json=sent, headers=api_tokens["write"]), 422, "sources[1].rank"
    )
    assert problem["errors"][0]["pointer"] == "#/sources/1/rank"


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"title": "x",', "application/json", 400),
        (b'{"title": "a", "title": "b"}', "application/json", 400),
        (b'{"title": NaN}', "application/json", 400),
        (b"", "application/json", 400),
        (b'{"title": "\xff"}', "application/json", 400),
        (b'{"title": "\\ud800"}', "application/json", 400),
        (b"[" * 100_000, "application/json", 400),
        (b'{"title": "x"}', "text/plain", 415),
        (b'{"title": "x"}', None, 415),
        (b'{"title": "x"}', "application/json; charset=latin-1", 415),
        (b"title=x", "application/x-www-form-urlencoded", 415),
    ],
)
def test_malformed_or_mistyped_body_is_refused(
    client, api_tokens, settings, body, content_type, status
):
    before = snapshot(settings)
    headers = dict(api_tokens["write"])
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post("/api/stories", data=body, headers=headers)
    assert_problem(response, status)
    assert snapshot(settings) == before


def test_json_that_is_not_an_object_answers_422(client, api_tokens):
    assert_problem(client.post("/api/stories", json=["a"], headers=api_tokens["write"]), 422)


def test_body_over_the_limit_answers_413_before_it_is_read(make_settings, api_tokens):
    app = create_app(make_settings(api={"max_body_bytes": 200}))
    client = app.test_client()
    big = json.dumps(story_json(body="<p>" + "x" * 300 + "</p>"))
    response = client.post(
        "/api/stories", data=big, content_type="application/json", headers=api_tokens["write"]
    )
    assert_problem(response, 413)
    # A body without Content-Length (chunked) is cut off at the limit while it is read.
    response = client.post(
        "/api/stories",
        input_stream=__import__("io").BytesIO(big.encode()),
        content_type="application/json",
        headers=api_tokens["write"],
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert_problem(response, 413)
    with open_archive(app.config["MASTHEAD"].archive_path) as archive:
        assert archive.count() == 0


# Listing and sync


def test_list_filters_by_status_section_tag_and_author(client, api_tokens):
    read = api_tokens["read"]
    sport = create(
        client,
        api_tokens,
        slug="final",
        section="Sport",
        tags=["Rugby Union"],
        authors=["Ravi Patel"],
    ).get_json()
    city = create(client, api_tokens, slug="bridge", status="draft").get_json()

    def ids(query):
        found = client.get(f"/api/stories?{query}", headers=read).get_json()["stories"]
        return [s["id"] for s in found]

    assert ids("section=sport") == [sport["id"]]
    assert ids("tag=rugby-union") == [sport["id"]]
    assert ids("author=ravi-patel") == [sport["id"]]
    assert ids("author=helen-marsh") == [city["id"]]
    assert ids("status=draft") == [city["id"]]
    assert ids("status=published&section=city") == []


def test_list_pages_follow_next_links_in_order_of_last_change(client, api_tokens):
    write = api_tokens["write"]
    made = [create(client, api_tokens, slug=f"story-{n}").get_json() for n in range(5)]
    client.patch(
        f"/api/stories/{made[0]['id']}",
        json={"dek": "Edited"},
        headers={**write, "If-Match": f'"story-{made[0]["id"]}-1"'},
    )
    seen, url = [], "/api/stories?limit=2"
    while url:
        page = client.get(url, headers=write).get_json()
        seen += [s["id"] for s in page["stories"]]
        url = page["next"]
        # Links are absolute, from the site's base URL (not the request's host).
        assert url is None or url.startswith("https://news.example/api/stories?limit=2&cursor=")
    assert seen == [s["id"] for s in made[1:]] + [made[0]["id"]]
    # Sync: the last cursor asks only for what changed after it.
    cursor = page["cursor"]
    assert client.get(f"/api/stories?cursor={cursor}", headers=write).get_json()["stories"] == []
    client.patch(
        f"/api/stories/{made[2]['id']}",
        json={"dek": "Again"},
        headers={**write, "If-Match": f'"story-{made[2]["id"]}-1"'},
    )
    changed = client.get(f"/api/stories?cursor={cursor}", headers=write).get_json()["stories"]
    assert [s["dek"] for s in changed] == ["Again"]


def test_since_lists_stories_changed_at_or_after_a_time(client, api_tokens, settings):
    from datetime import timedelta

    from tests.support.stories import NOW

    write = api_tokens["write"]
    old = create(client, api_tokens, slug="old").get_json()
    new = create(client, api_tokens, slug="new").get_json()
    with open_archive(settings.archive_path) as archive:
        # Revisions record when they were saved; date them so the test does not depend on now.
        archive.db.execute(
            "UPDATE revisions SET saved_at = ? WHERE story_id = ?",
            [(NOW - timedelta(hours=2)).isoformat(), old["id"]],
        )
        archive.db.execute(
            "UPDATE revisions SET saved_at = ? WHERE story_id = ?", [NOW.isoformat(), new["id"]]
        )
        archive.db.conn.commit()
    since = (NOW - timedelta(hours=1)).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    found = client.get("/api/stories", query_string={"since": since.isoformat()}, headers=write)
    assert [s["id"] for s in found.get_json()["stories"]] == [new["id"]]
    future = client.get("/api/stories?since=2099-01-01T00:00:00Z", headers=write)
    assert future.get_json()["stories"] == []


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("since=2026-11-23T07:15:00", ["since"]),
        ("since=yesterday", ["since"]),
        ("since=0001-01-01T00:00:00%2B01:00", ["since"]),
        ("limit=0", ["limit"]),
        ("limit=500", ["limit"]),
        ("cursor=-1", ["cursor"]),
        ("status=lost", ["status"]),
        ("section=Not%20a%20slug", ["section"]),
        ("sectoin=sport&tag=A", ["sectoin", "tag"]),
        ("limit=1&limit=2", ["limit"]),
    ],
)
def test_bad_query_parameters_answer_400_naming_each(client, api_tokens, query, named):
    problem = assert_problem(
        client.get(f"/api/stories?{query}", headers=api_tokens["read"]), 400, *named
    )
    assert {e["in"] for e in problem["errors"]} == {"query"}


# Withdrawal and revisions


def test_delete_withdraws_the_story_as_a_tombstone_with_its_reason(client, api_tokens, settings):
    story = create(client, api_tokens).get_json()
    response = client.delete(
        f"/api/stories/{story['id']}", json={"reason": "Legal request"}, headers=api_tokens["write"]
    )
    assert response.status_code == 200
    tombstone = response.get_json()
    assert tombstone["status"] == "withdrawn"
    assert tombstone["withdrawn_reason"] == "Legal request"
    assert tombstone["revision"] == 2
    assert client.get(story["path"]).status_code == 410
    public = client.get(f"/api/stories/{story['id']}").get_json()
    assert public["status"] == "withdrawn"
    assert public["body"] == ""
    assert public["media"] == []
    full = client.get(f"/api/stories/{story['id']}", headers=api_tokens["read"]).get_json()
    assert full["body"] == story["body"]
    before = snapshot(settings)
    again = client.delete(
        f"/api/stories/{story['id']}", json={"reason": "Twice"}, headers=api_tokens["write"]
    )
    assert_problem(again, 409)
    edit = client.patch(
        f"/api/stories/{story['id']}",
        json={"title": "Back"},
        headers={**api_tokens["write"], "If-Match": '"story-1-2"'},
    )
    assert_problem(edit, 409)
    assert snapshot(settings) == before


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({}, ["reason"]),
        ({"reason": "  "}, ["reason"]),
        ({"reason": 3}, ["reason"]),
        ({"reason": "Legal", "by": "x"}, ["by"]),
        (["Legal"], [""]),
    ],
)
def test_withdrawal_needs_a_reason(client, api_tokens, settings, body, named):
    story = create(client, api_tokens).get_json()
    before = snapshot(settings)
    response = client.delete(f"/api/stories/{story['id']}", json=body, headers=api_tokens["write"])
    assert_problem(response, 422, *named)
    assert snapshot(settings) == before


def test_withdrawal_without_a_body_is_refused(client, api_tokens):
    story = create(client, api_tokens).get_json()
    assert_problem(client.delete(f"/api/stories/{story['id']}", headers=api_tokens["write"]), 415)


def test_revisions_list_every_write_and_hide_drafts_from_the_public(client, api_tokens):
    write = api_tokens["write"]
    story = create(client, api_tokens, status="draft").get_json()
    client.patch(
        f"/api/stories/{story['id']}",
        json={"status": "published"},
        headers={**write, "If-Match": '"story-1-1"'},
    )
    full = client.get(f"/api/stories/{story['id']}/revisions", headers=api_tokens["read"])
    assert [
        (r["revision"], r["action"], r["story"]["status"]) for r in full.get_json()["revisions"]
    ] == [
        (1, "create", "draft"),
        (2, "update", "published"),
    ]
    public = client.get(f"/api/stories/{story['id']}/revisions").get_json()["revisions"]
    assert [r["revision"] for r in public] == [2]
    assert public[0]["story"]["url"] == "https://news.example" + public[0]["story"]["path"]


def test_api_writes_reach_the_feeds_when_the_scheduler_rebuilds(client, api_tokens, settings):
    import feedparser

    from service.feeds.scheduler import rebuild_pending
    from tests.support.stories import NOW

    story = create(client, api_tokens).get_json()
    rebuild_pending(settings, now=NOW)
    for url in ("/feeds/latest.atom", "/feeds/sections/city/latest.atom"):
        feed = feedparser.parse(client.get(url).get_data())
        assert [e.title for e in feed.entries] == ["Harbour bridge reopens"], url
        assert feed.entries[0].id == story["entry_id"]
    client.delete(
        f"/api/stories/{story['id']}", json={"reason": "Legal request"}, headers=api_tokens["write"]
    )
    rebuild_pending(settings, now=NOW)
    feed = feedparser.parse(client.get("/feeds/latest.atom").get_data())
    assert feed.entries == []
