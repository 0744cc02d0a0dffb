"""The write API as tests use it: tokens, a story's JSON, creating one, and checks of problem
details and of answers against the OpenAPI document."""

from __future__ import annotations

from jsonschema import Draft202012Validator, FormatChecker

from archive import open_archive
from service.api.openapi import DOCUMENT

# Bearer tokens for the write API, set in the environment by the `api_tokens` fixture.
WRITE_TOKEN = "write-token-0123456789abcdef"


READ_TOKEN = "read-token-0123456789abcdef"


PROBLEM = "application/problem+json"


def story_json(**fields):
    shape = {
        "title": "Harbour bridge reopens",
        "slug": "harbour-bridge-reopens",
        "body": "<p>The first bus crossed at dawn.</p>",
        "section": "City",
        "tags": ["transport"],
        "authors": [{"name": "Helen Marsh", "url": "https://news.example/staff/helen"}],
        "media": [{"caption": "The bridge at dawn.", "credit": "Lena Ortiz / Masthead"}],
        "sources": [{"name": "Mara Quinn", "role": "chief engineer"}],
        "rights": {"holder": "Gazette", "statement": "© 2026 Gazette. All rights reserved."},
        "status": "published",
        "published_at": "2026-11-23T07:15:00+00:00",
    }
    shape.update(fields)
    return shape


def snapshot(settings):
    """Every row of every table the API writes: proof that a failed request changed nothing."""
    tables = ["stories", "story_authors", "story_tags", "media", "sources", "revisions"]
    with open_archive(settings.archive_path) as archive:
        return {
            t: list(archive.db.query(f"SELECT * FROM {t} ORDER BY rowid"))
            for t in [*tables, "api_idempotency", "redirects"]
        }


def create(client, headers, **fields):
    response = client.post("/api/stories", json=story_json(**fields), headers=headers["write"])
    assert response.status_code == 201, response.get_json()
    return response


def assert_problem(response, status, *fields):
    """A problem details answer with this status, naming each of `fields` in its errors."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    problem = response.get_json()
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    assert problem["type"]
    named = {error["field"] for error in problem["errors"]}
    for field in fields:
        assert field in named, problem
    return problem


def validate(response, path: str, method: str) -> None:
    """The answer's status is described for this operation and its body matches the schema."""
    described = DOCUMENT["paths"][path][method]["responses"]
    assert str(response.status_code) in described, (path, method, response.status_code)
    answer = described[str(response.status_code)]
    for name, header in answer.get("headers", {}).items():
        if header.get("required"):
            assert name in response.headers, (path, method, name)
    content = answer.get("content")
    if not content:
        assert not response.get_data()
        return
    assert response.mimetype in content
    schema = content[response.mimetype].get("schema")
    if schema:
        validator = Draft202012Validator(
            {**schema, "components": DOCUMENT["components"]}, format_checker=FormatChecker()
        )
        validator.validate(response.get_json())
