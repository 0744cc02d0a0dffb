"""The OpenAPI 3.1 description of /api/, served at /api/openapi.json.

Tests hold it to the app: every /api/ route is described here, and answers match the schemas.
"""

from __future__ import annotations

from typing import Any

from archive.story.fields import REASON, STATUSES, TIME_YEARS, TIME_YEARS_PATTERN
from service.api import sources_description as sources_api
from service.api.story_schemas import (
    CHANGE_OUT,
    SCHEDULED_KEEPS_EMBARGO,
    SCHEDULED_NEEDS_EMBARGO,
    SLUG,
    STORY_OUT,
    TEXT,
    TIME_OUT,
    WRITABLE,
    WRITABLE_STATUSES,
    input_schema,
    nullable,
    object_of,
    whole,
)

# Largest story id a URL may name (SQLite's INTEGER range).
MAX_ID = 2**63 - 1
# Idempotency-Key: printable ASCII, as long as a UUID or a CMS's own request id needs.
IDEMPOTENCY_KEY = r"[\x21-\x7e]{1,255}"
STATUS_VALUES = list(STATUSES)
# A cursor is a change number from 0 to MAX_ID (19 digits): the pattern takes every number of
# up to 18 digits and those of 19 below 9 * 10**18, a regular expression short enough to read.
CURSOR_PATTERN = "[0-9]{1,18}|[0-8][0-9]{18}"
__all__ = ["DOCUMENT", "MAX_ID", "SCHEMAS", "WRITABLE_STATUSES"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS: dict[str, Any] = {
    "StoryInput": {
        "description": "A new story, or all writable fields of one (PUT). Needs title and "
        "status; a scheduled story needs embargo_at.",
        **object_of(WRITABLE, ["title", "status"]),
        **SCHEDULED_NEEDS_EMBARGO,
    },
    "StoryPatch": {
        "description": "The fields to change; objects and lists are replaced whole. A patch "
        "that makes a story scheduled says when it goes live (embargo_at).",
        **object_of(WRITABLE),
        **SCHEDULED_KEEPS_EMBARGO,
    },
    "Withdrawal": object_of({"reason": input_schema(REASON)}, ["reason"]),
    "Story": object_of(
        {
            "id": {"type": "integer"},
            "entry_id": nullable("string"),
            "path": nullable("string"),
            "url": nullable("string", format="uri"),
            "revision": {"type": "integer", "minimum": 1},
            **STORY_OUT,
            "body_text": TEXT,
            "withdrawn_at": TIME_OUT,
            "withdrawn_reason": TEXT,
        },
        [
            "id",
            "entry_id",
            "path",
            "url",
            "revision",
            "slug",
            "title",
            "body",
            "status",
            "published_at",
            "updated_at",
            "withdrawn_at",
            "withdrawn_reason",
        ],
    ),
    "StoryPage": object_of(
        {
            "stories": {"type": "array", "items": _ref("Story")},
            "cursor": {
                "type": "string",
                "description": "Pass as cursor= to get only stories changed after this page.",
            },
            "next": {
                **nullable("string", format="uri"),
                "description": "The next page; null when this page was the last one.",
            },
        },
        ["stories", "cursor", "next"],
    ),
    "Revisions": object_of(
        {
            "revisions": {
                "type": "array",
                "items": object_of(
                    {
                        "revision": {"type": "integer", "minimum": 1},
                        "action": {"enum": ["create", "update", "withdraw", "publish"]},
                        "saved_at": {"type": "string", "format": "date-time"},
                        "story": {"type": "object"},
                        **CHANGE_OUT,
                    },
                    ["revision", "action", "saved_at", "story"],
                ),
            }
        },
        ["revisions"],
    ),
    "Problem": {
        "description": "RFC 9457 problem details.",
        **object_of(
            {
                "type": {"type": "string", "format": "uri-reference"},
                "title": TEXT,
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "detail": TEXT,
                "errors": {
                    "type": "array",
                    "items": object_of(
                        {
                            "field": {"type": "string", "description": "e.g. authors[0].name"},
                            "in": {"enum": ["body", "query", "header"]},
                            "pointer": {"type": "string", "description": "RFC 6901, as #/a/0"},
                            "detail": TEXT,
                        },
                        ["field", "in", "detail"],
                    ),
                },
            },
            ["type", "title", "status", "detail", "errors"],
        ),
    },
}

PROBLEM_PHRASES = {
    "400": "The request is malformed: bad JSON or query parameters",
    "401": "No valid bearer token (a WWW-Authenticate challenge says why)",
    "403": "The token may only read",
    "404": "No such story",
    "405": "The method is not allowed here",
    "409": "The story is withdrawn, or its permalink is taken",
    "412": "The story changed since the ETag in If-Match",
    "413": "The body is larger than [api] max_body_bytes",
    "415": "The body is not application/json",
    "422": "The story (or withdrawal) is not valid; errors lists every bad field",
    "428": "If-Match is missing",
    "429": "Too many requests from this client; Retry-After says when to try again",
    "500": "The service failed; nothing was changed",
    "503": "Nothing was changed: the archive is busy (another writer held its write lock too "
    "long) or its disk is full; Retry-After says when to try again",
}


def _problems(*codes: int) -> dict[str, Any]:
    answers = {}
    for code in (*codes, 405, 429, 500):
        answer: dict[str, Any] = {
            "description": PROBLEM_PHRASES[str(code)],
            "content": {"application/problem+json": {"schema": _ref("Problem")}},
        }
        if code == 401:
            answer["headers"] = {"WWW-Authenticate": {"schema": TEXT, "required": True}}
        if code in (429, 503):
            answer["headers"] = {"Retry-After": {"schema": TEXT, "required": True}}
        answers[str(code)] = answer
    return answers


# OpenAPI links: what a client can do next with the story an answer carries (the id from the
# body, the ETag as If-Match). Schemathesis follows them to test sequences of calls.
STORY_LINKS = {
    "ShowStory": ("show_story", False),
    "ReplaceStory": ("replace_story", True),
    "UpdateStory": ("update_story", True),
    "WithdrawStory": ("withdraw_story", True),
    "ListRevisions": ("list_revisions", False),
}


def _links() -> dict[str, Any]:
    links = {}
    for name, (operation, needs_etag) in STORY_LINKS.items():
        parameters = {"story_id": "$response.body#/id"}
        if needs_etag:
            parameters["header.If-Match"] = "$response.header.ETag"
        links[name] = {"operationId": operation, "parameters": parameters}
    return links


def _story(description: str, code: str = "200", **headers: Any) -> dict[str, Any]:
    return {
        code: {
            "description": description,
            "headers": {
                "ETag": {"schema": TEXT, "required": True, "description": "story-<id>-<rev>"},
                **headers,
            },
            "content": {"application/json": {"schema": _ref("Story")}},
            "links": _links(),
        }
    }


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


STORY_ID = {
    "name": "story_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": "The ETag of the story as last read; 412 if it changed since.",
    "schema": TEXT,
}
READ_SECURITY: list[dict[str, list[str]]] = [{}, {"bearer": []}]
WRITE_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema, "description": description}


DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Masthead write API",
        "version": "1",
        "description": "Stories as JSON. Writes need a read-write bearer token; drafts and "
        "scheduled stories need a token to read. Errors are RFC 9457 problem details.",
    },
    "components": {
        "schemas": {**SCHEMAS, **sources_api.SCHEMAS},
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    },
    "paths": {
        "/api/openapi.json": {
            "get": {
                "operationId": "show_openapi",
                "summary": "This description",
                "responses": {
                    "200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}},
                    **_problems(),
                },
            }
        },
        "/api/stories": {
            "get": {
                "operationId": "list_stories",
                "summary": "Stories in the order they last changed, oldest change first",
                "security": READ_SECURITY,
                "parameters": [
                    _query(
                        "status",
                        {"enum": STATUS_VALUES},
                        "drafts and scheduled need a token; without one, published and "
                        "withdrawn are listed",
                    ),
                    _query("section", {"type": "string", "pattern": SLUG}, "a section slug"),
                    _query("tag", {"type": "string", "pattern": SLUG}, "a tag slug"),
                    _query("author", {"type": "string", "pattern": SLUG}, "an author slug"),
                    _query(
                        "since",
                        {"type": "string", "format": "date-time", "pattern": TIME_YEARS_PATTERN},
                        "only stories changed at or after this time (ISO 8601 with zone, years "
                        f"{TIME_YEARS[0]} to {TIME_YEARS[1]})",
                    ),
                    _query(
                        "cursor",
                        {"type": "string", "pattern": whole(CURSOR_PATTERN)},
                        "the cursor of an earlier page (a change number, 0 to "
                        f"{MAX_ID}): only stories changed after it",
                    ),
                    _query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": 200},
                        "stories per page (default 50)",
                    ),
                ],
                "responses": {
                    "200": {
                        "description": "A page of stories",
                        "content": {"application/json": {"schema": _ref("StoryPage")}},
                    },
                    **_problems(400, 401),
                },
            },
            "post": {
                "operationId": "create_story",
                "summary": "Create a story",
                "security": WRITE_SECURITY,
                "parameters": [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "description": "A retry with the same key returns the first story.",
                        "schema": {"type": "string", "pattern": whole(IDEMPOTENCY_KEY)},
                    }
                ],
                "requestBody": _body("StoryInput"),
                "responses": {
                    **_story(
                        "The story as stored",
                        "201",
                        Location={"schema": TEXT, "required": True},
                    ),
                    **_problems(400, 401, 403, 409, 413, 415, 422, 503),
                },
            },
        },
        "/api/stories/{story_id}": {
            "parameters": [STORY_ID],
            "get": {
                "operationId": "show_story",
                "summary": "One story (withdrawn ones as tombstones without a token)",
                "security": READ_SECURITY,
                "responses": {
                    **_story("The story"),
                    "304": {"description": "Not modified since the ETag in If-None-Match"},
                    **_problems(401, 404),
                },
            },
            "put": {
                "operationId": "replace_story",
                "summary": "Replace every writable field; writes a new revision",
                "security": WRITE_SECURITY,
                "parameters": [IF_MATCH],
                "requestBody": _body("StoryInput"),
                "responses": {
                    **_story("The story as stored"),
                    **_problems(400, 401, 403, 404, 409, 412, 413, 415, 422, 428, 503),
                },
            },
            "patch": {
                "operationId": "update_story",
                "summary": "Change the fields given; writes a new revision",
                "security": WRITE_SECURITY,
                "parameters": [IF_MATCH],
                "requestBody": _body("StoryPatch"),
                "responses": {
                    **_story("The story as stored"),
                    **_problems(400, 401, 403, 404, 409, 412, 413, 415, 422, 428, 503),
                },
            },
            "delete": {
                "operationId": "withdraw_story",
                "summary": "Withdraw the story: it stays as a tombstone with the reason",
                "security": WRITE_SECURITY,
                "parameters": [{**IF_MATCH, "required": False}],
                "requestBody": _body("Withdrawal"),
                "responses": {
                    **_story("The tombstone"),
                    **_problems(400, 401, 403, 404, 409, 412, 413, 415, 422, 503),
                },
            },
        },
        "/api/stories/{story_id}/revisions": {
            "parameters": [STORY_ID],
            "get": {
                "operationId": "list_revisions",
                "summary": "Every revision, oldest first (published ones only without a token)",
                "security": READ_SECURITY,
                "responses": {
                    "200": {
                        "description": "The revisions, each with a snapshot of the story",
                        "content": {"application/json": {"schema": _ref("Revisions")}},
                    },
                    **_problems(401, 404),
                },
            },
        },
        **sources_api.PATHS,
    },
}
