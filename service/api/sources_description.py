"""The OpenAPI description of `/api/sources` (service.api.sources), part of the API's document."""

from __future__ import annotations

from typing import Any

from archive.db.sources import POLICIES, STATES, STORY_STATUSES

TEXT = {"type": "string"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
PHRASES = {
    "400": "The body is not JSON",
    "401": "No valid bearer token",
    "403": "The token is not of the sources scope",
    "404": "No source has that slug",
    "405": "The method is not allowed here",
    "409": "A source with that URL exists already",
    "413": "The body is larger than [api] max_body_bytes",
    "415": "The body is not application/json",
    "422": "The source is not valid; errors lists every bad field",
    "429": "Too many requests from this client; Retry-After says when to try again",
    "500": "The service failed; nothing was changed",
}

SCHEMAS: dict[str, Any] = {
    "Source": {
        "type": "object",
        "required": ["slug", "url", "state", "status", "policy", "entries_taken"],
        "properties": {
            "slug": TEXT,
            "url": TEXT,
            "title": TEXT,
            "section": TEXT,
            "tags": {"type": "array", "items": TEXT},
            "status": {"enum": list(STORY_STATUSES)},
            "policy": {"enum": list(POLICIES)},
            "rights": TEXT,
            "publisher": TEXT,
            "state": {"enum": list(STATES)},
            "last_fetch_at": NULLABLE_TIME,
            "next_poll_at": NULLABLE_TIME,
            "last_status": TEXT,
            "last_error": TEXT,
            "failures": {"type": "integer", "minimum": 0},
            "entries_taken": {"type": "integer", "minimum": 0},
            "page": TEXT,
        },
    },
    "SourceInput": {
        "type": "object",
        "required": ["url"],
        "additionalProperties": False,
        "properties": {
            "url": {
                "type": "string",
                "pattern": "^https?://",
                "description": "RSS, Atom, JSON Feed or ninjs",
            },
            "slug": TEXT,
            "section": TEXT,
            "tags": {"type": "array", "items": {"type": "string", "pattern": r"\S"}},
            "status": {"enum": list(STORY_STATUSES)},
            "policy": {"enum": list(POLICIES)},
            "rights": TEXT,
            "publisher": TEXT,
        },
    },
    "SourceState": {
        "type": "object",
        "required": ["state"],
        "additionalProperties": False,
        "properties": {"state": {"enum": ["active", "paused"]}},
    },
}


def _problems(*codes: int) -> dict[str, Any]:
    answers = {}
    for code in (*codes, 401, 403, 405, 429, 500):
        answer: dict[str, Any] = {"description": PHRASES[str(code)], "content": PROBLEM}
        if code == 401:
            answer["headers"] = {"WWW-Authenticate": {"schema": TEXT, "required": True}}
        if code == 429:
            answer["headers"] = {"Retry-After": {"schema": TEXT, "required": True}}
        answers[str(code)] = answer
    return answers


def _source(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Source"}}},
    }


def _body(schema: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {"required": True, "content": {"application/json": {"schema": ref}}}


SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]
SLUG = {"name": "slug", "in": "path", "required": True, "schema": TEXT}
PATHS: dict[str, Any] = {
    "/api/sources": {
        "get": {
            "operationId": "list_sources",
            "summary": "Every source with its state (token of the sources scope)",
            "security": SECURITY,
            "responses": {
                "200": {
                    "description": "The sources",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["sources"],
                                "properties": {
                                    "sources": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Source"},
                                    }
                                },
                            }
                        }
                    },
                },
                **_problems(),
            },
        },
        "post": {
            "operationId": "add_source",
            "summary": "Add a source; it is polled by the scheduler",
            "security": SECURITY,
            "requestBody": _body("SourceInput"),
            "responses": {
                "201": _source("The source added"),
                **_problems(400, 409, 413, 415, 422),
            },
        },
    },
    "/api/sources/{slug}": {
        "parameters": [SLUG],
        "get": {
            "operationId": "show_source",
            "summary": "One source with its state",
            "security": SECURITY,
            "responses": {"200": _source("The source"), **_problems(404)},
        },
        "patch": {
            "operationId": "change_source",
            "summary": "Pause or resume a source",
            "security": SECURITY,
            "requestBody": _body("SourceState"),
            "responses": {
                "200": _source("The source"),
                **_problems(400, 404, 413, 415, 422),
            },
        },
        "delete": {
            "operationId": "remove_source",
            "summary": "Forget a source; the stories it gave stay",
            "security": SECURITY,
            "responses": {"200": _source("The source removed"), **_problems(404)},
        },
    },
}
