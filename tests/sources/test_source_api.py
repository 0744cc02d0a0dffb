"""`/api/sources`: sources managed through the API with a token of the sources scope; story
tokens are refused; every answer matches the API's description."""

from __future__ import annotations

import pytest

from tests.support.api import validate

SOURCES_TOKEN = "sources-scope-token-0123456789"


@pytest.fixture
def scoped(monkeypatch, api_tokens):
    monkeypatch.setenv("MASTHEAD_API_SOURCES_TOKENS", SOURCES_TOKEN)
    return {**api_tokens, "sources": {"Authorization": f"Bearer {SOURCES_TOKEN}"}}


def test_sources_are_added_listed_paused_resumed_and_removed(client, scoped):
    headers = scoped["sources"]
    sent = {
        "url": "https://partner.example/feed.atom",
        "section": "World",
        "tags": ["partner"],
        "policy": "summary",
        "publisher": "Partner Gazette",
        "rights": "© 2026 Partner Gazette",
    }
    added = client.post("/api/sources", json=sent, headers=headers)
    validate(added, "/api/sources", "post")
    assert added.status_code == 201
    source = added.get_json()
    assert source["slug"] == "partner-gazette"
    assert source["state"] == "active"
    assert source["policy"] == "summary"
    again = client.post("/api/sources", json=sent, headers=headers)
    validate(again, "/api/sources", "post")
    assert again.status_code == 409
    listed = client.get("/api/sources", headers=headers)
    validate(listed, "/api/sources", "get")
    assert [s["slug"] for s in listed.get_json()["sources"]] == ["partner-gazette"]
    one = "/api/sources/{slug}"
    paused = client.patch("/api/sources/partner-gazette", json={"state": "paused"}, headers=headers)
    validate(paused, one, "patch")
    assert paused.get_json()["state"] == "paused"
    shown = client.get("/api/sources/partner-gazette", headers=headers)
    validate(shown, one, "get")
    assert shown.get_json()["state"] == "paused"
    resumed = client.patch(
        "/api/sources/partner-gazette", json={"state": "active"}, headers=headers
    )
    assert resumed.get_json()["state"] == "active"
    removed = client.delete("/api/sources/partner-gazette", headers=headers)
    validate(removed, one, "delete")
    assert removed.status_code == 200
    gone = client.get("/api/sources/partner-gazette", headers=headers)
    validate(gone, one, "get")
    assert gone.status_code == 404


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"url": "javascript:alert(1)"}, {"url"}),
        ({"url": "http://a.example/", "policy": "all"}, {"policy"}),
        ({"url": "http://a.example/", "tags": [""], "colour": "red"}, {"tags", "colour"}),
        ([], {""}),
    ],
)
def test_a_bad_source_is_refused_naming_each_field(client, scoped, body, fields):
    answer = client.post("/api/sources", json=body, headers=scoped["sources"])
    validate(answer, "/api/sources", "post")
    assert answer.status_code == 422
    assert {e["field"] for e in answer.get_json()["errors"]} == fields


def test_story_tokens_and_no_token_may_not_manage_sources(client, scoped):
    for name, status in (("write", 403), ("read", 403)):
        answer = client.get("/api/sources", headers=scoped[name])
        validate(answer, "/api/sources", "get")
        assert answer.status_code == status
    anonymous = client.post("/api/sources", json={"url": "http://a.example/"})
    validate(anonymous, "/api/sources", "post")
    assert anonymous.status_code == 401
    wrong = client.get("/api/sources", headers={"Authorization": "Bearer not-a-real-token-000"})
    assert wrong.status_code == 401
