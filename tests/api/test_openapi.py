"""The OpenAPI description stays true: every route described, every answer matches its schema."""

from __future__ import annotations

import itertools
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from archive.story.fields import CHANGE_FIELDS, REASON, STORY_FIELDS, TIME_YEARS
from archive.story.fields import CONTROL_CHARACTERS as CONTROL
from archive.story.models import is_web_url
from service import create_app
from service.api.openapi import DOCUMENT, SCHEMAS, WRITABLE_STATUSES
from tests.support.api import create, story_json, validate

METHODS = {"get", "put", "post", "patch", "delete"}
# Generated requests per schemathesis run: enough to reach every operation and status,
# few enough that the suite stays fast.
EXAMPLES = 150
# Stories made before generating requests, so that updates find something to update.
STORIES = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def described_operations() -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, item in DOCUMENT["paths"].items()
        for method in item
        if method in METHODS
    }


def test_every_api_route_is_described_and_every_description_is_a_route(app):
    routes = {
        (re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == described_operations()


def test_openapi_document_is_served_as_json(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == DOCUMENT
    assert response.get_json()["openapi"] == "3.1.0"


def test_answers_of_a_whole_session_match_the_description(client, api_tokens):
    write, read = api_tokens["write"], api_tokens["read"]
    one, revisions = "/api/stories/{story_id}", "/api/stories/{story_id}/revisions"
    created = create(client, api_tokens)
    story = created.get_json()
    url = created.headers["Location"]
    etag = created.headers["ETag"]
    checks = [
        (created, "/api/stories", "post"),
        (client.get("/api/openapi.json"), "/api/openapi.json", "get"),
        (client.get(url), one, "get"),
        (client.get(url, headers={"If-None-Match": etag}), one, "get"),
        (client.get("/api/stories/404"), one, "get"),
        (client.get("/api/stories"), "/api/stories", "get"),
        (client.get("/api/stories?limit=0"), "/api/stories", "get"),
        (client.get("/api/stories?status=draft"), "/api/stories", "get"),
        (client.get("/api/stories", headers={"Authorization": "Bearer x"}), "/api/stories", "get"),
        (client.post("/api/stories", json=story_json()), "/api/stories", "post"),
        (client.post("/api/stories", json=story_json(), headers=read), "/api/stories", "post"),
        (client.post("/api/stories", json=story_json(), headers=write), "/api/stories", "post"),
        (client.post("/api/stories", json={"x": 1}, headers=write), "/api/stories", "post"),
        (client.post("/api/stories", data="{", headers=write), "/api/stories", "post"),
        (
            client.post("/api/stories", data="{", headers=write, content_type="application/json"),
            "/api/stories",
            "post",
        ),
        (client.patch(url, json={"dek": "x"}, headers=write), one, "patch"),
        (client.patch(url, json={"dek": "x"}, headers={**write, "If-Match": '"x"'}), one, "patch"),
        (client.patch(url, json={"dek": "x"}, headers={**write, "If-Match": etag}), one, "patch"),
        (client.put(url, json=story_json(), headers={**write, "If-Match": "*"}), one, "put"),
        (client.get(revisions.format(story_id=story["id"])), revisions, "get"),
        (client.get(revisions.format(story_id=404), headers=read), revisions, "get"),
        (client.delete(url, json={}, headers=write), one, "delete"),
        (client.delete(url, json={"reason": "Legal"}, headers=write), one, "delete"),
        (client.get(url), one, "get"),
        (client.delete(url, json={"reason": "Legal"}, headers=write), one, "delete"),
        (client.put("/api/stories", json={}), "/api/stories", "post"),  # 405
    ]
    for response, path, method in checks:
        validate(response, path, method)
    statuses = {response.status_code for response, _, _ in checks}
    assert statuses >= {200, 201, 304, 400, 401, 403, 404, 405, 409, 412, 415, 422, 428}


@pytest.fixture
def api_schema(app, api_tokens):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_generated_requests_never_fail_and_always_match_the_description(
    app, api_schema, api_tokens, mode
):
    """schemathesis sends generated requests, with and without a token, straight to the app.

    A few stories exist first, and some requests name them with If-Match: * so that updates
    and withdrawals get past 404 and 412 to the archive.
    """
    client = app.test_client()
    for n in range(STORIES):
        create(client, api_tokens, slug=f"story-{n}", status=("draft", "published")[n % 2])
    generation = schemathesis.GenerationMode(mode)
    strategy = st.one_of(
        api_schema.as_strategy(generation_mode=generation),
        *(
            api_schema.as_strategy(
                generation_mode=generation,
                path_parameters={"story_id": story_id},
                headers={"If-Match": "*"},
            )
            for story_id in range(1, STORIES + 1)
        ),
    )
    # Mostly the write token; sometimes the read-only one or none.
    tokens = [api_tokens["write"], api_tokens["write"], api_tokens["read"], {}]
    checks = [*CHECKS, negative_data_rejection] if mode == "negative" else CHECKS
    if mode == "negative":
        # Deliberate: a body past [api] max_body_bytes is refused before it is read (413).
        rejection = api_schema.config.checks.negative_data_rejection
        if "413" not in rejection.expected_statuses:
            rejection.expected_statuses = [*rejection.expected_statuses, "413"]
    sent = []

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        sent.append(case)
        case.call_and_validate(headers=tokens[len(sent) % len(tokens)], checks=checks)

    run()


# Steps of the stateful phase: scenarios of linked calls (create, then read, update, replace,
# withdraw the story created), each scenario at most STEPS calls.
SCENARIOS = 30
STEPS = 6


def test_linked_calls_never_fail_and_always_match_the_description(
    api_schema, api_tokens, make_settings, tmp_path
):
    """The stateful phase: schemathesis follows the description's links from a created story
    to its reads, updates, replacements, withdrawal and revisions, with every check.

    Each scenario starts from an empty archive of its own, so that scenarios replay alike.
    """
    calls = []
    scenarios = itertools.count()
    # The write token, as an explicit header: the auth checks then also try each write
    # without it and with a wrong one.
    api_schema.config.update(headers=api_tokens["write"])
    # Deliberate: If-Match of another revision answers 412, whatever the body (RFC 9110 13.2.1:
    # preconditions are evaluated before the request content is processed).
    checks = api_schema.config.checks
    # Deliberate: DELETE withdraws a story and its tombstone stays readable (status withdrawn,
    # with the reason), as DESIGN.md's permanence asks; so no use_after_free 404.
    checks.update(excluded_check_names=["use_after_free"])
    for check in (checks.positive_data_acceptance, checks.negative_data_rejection):
        check.expected_statuses = [*check.expected_statuses, "412"]

    class Sequences(api_schema.as_state_machine()):
        def setup(self):
            path = tmp_path / f"scenario-{next(scenarios)}.db"
            self.app = create_app(make_settings(archive={"path": str(path)}))

        def get_call_kwargs(self, case):
            return {"app": self.app}

        def before_call(self, case):
            calls.append(case.operation.label)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # Deliberate: a schema-valid update whose updated_at is earlier than the stored
            # one is 422 (an update time never goes back), a rule of the stored story that no
            # schema can state; any other 422 to valid data still fails.
            if response.status_code == 422 and all(
                error["field"] == "updated_at" and "never goes back" in error["detail"]
                for error in response.json()["errors"]
            ):
                return
            # Every check schemathesis has; the token is named so that the auth checks know
            # it is a real one.
            case.validate_response(
                response,
                headers=api_tokens["write"],
                transport_kwargs=kwargs or None,
                recorder=getattr(self, "recorder", None),
            )

    Sequences.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    print(f"{len(calls)} calls", sorted(set(calls)))
    assert {"PATCH /api/stories/{story_id}", "DELETE /api/stories/{story_id}"} <= set(calls)


# Values each kind of pattern is tried on: the table's rule and the schema's must agree.
SAMPLES = [
    "a", "a-b", "harbour-bridge", "a--b", "-a", "a-", "A", "a\n", "a b", "", "en", "pt-BR",
    "zh-Hant-TW", "english", "e", "en-", "x\x00", "tab\tok", "line\nok", " ", "\u00a0", "é\x85",
    "\ufffe", "ok\x7f",
]  # fmt: skip
URLS = {
    "https://example.com/a": True,
    "http://example.com": True,
    "HTTPS://EXAMPLE.COM/": True,
    "javascript:alert(1)": False,
    "mailto:desk@example.com": False,
    "ftp://example.com/": False,
    "data:text/html,x": False,
    "//example.com/": False,
}


def check_field(spec, schema, where):
    """The generated schema of one field says what archive.story.fields says."""
    if spec.kind == "object":
        if spec.nullable:
            assert schema["oneOf"][0] == {"type": "null"}, where
            schema = schema["oneOf"][1]
        assert set(schema["properties"]) == set(spec.parts), where
        assert set(schema["required"]) == {k for k, p in spec.parts.items() if p.required}, where
        assert schema["additionalProperties"] is False, where
        for key, part in spec.parts.items():
            check_field(part, schema["properties"][key], f"{where}.{key}")
        return
    if spec.kind == "list":
        assert schema["type"] == "array", where
        assert schema["maxItems"] == spec.max_items, where
        items = schema["items"]
        if "oneOf" in items:  # a byline may be sent as a bare name
            check_field(spec.item.parts["name"], items["oneOf"][0], f"{where}[].name")
            items = items["oneOf"][1]
        check_field(spec.item, items, f"{where}[]")
        return
    kinds = {
        "text": "string",
        "url": "string",
        "html": "string",
        "time": "string",
        "flag": "boolean",
        "integer": "integer",
    }
    if spec.kind in kinds:
        expected = [kinds[spec.kind], "null"] if spec.nullable else kinds[spec.kind]
        assert schema["type"] == expected, where
    if spec.max_length is not None:
        assert schema["maxLength"] == spec.max_length, where
    if spec.kind == "text":
        assert schema.get("minLength", 0) == (1 if spec.required else 0), where
        for sample in SAMPLES:
            by_schema = re.search(schema["pattern"], sample) is not None
            by_table = sample.strip() != "" if spec.required else True
            by_table = by_table and not CONTROL.search(sample)
            if spec.pattern is not None:
                by_table = spec.pattern.fullmatch(sample) is not None or (
                    sample == "" and not spec.required
                )
                by_schema = by_schema or (sample == "" and not spec.required)
            assert by_schema == by_table, (where, sample)
    if spec.kind == "url":
        assert schema["format"] == "uri", where
        for url, allowed in URLS.items():
            assert (re.search(schema["pattern"], url) is not None) == allowed, (where, url)
            assert is_web_url(url) == allowed, url
    if spec.kind == "html":
        assert str(spec.max_depth) in schema["description"], where
    if spec.kind == "choice":
        assert set(schema["enum"]) - {None} <= set(spec.choices), where
        assert (None in schema["enum"]) == spec.nullable, where
    if spec.kind == "integer":
        assert (schema["minimum"], schema["maximum"]) == (spec.minimum, spec.maximum), where
    if spec.kind == "time":
        assert schema["format"] == "date-time", where
        for year in range(10000):
            written = f"{year:04d}-06-01T12:00:00+00:00"
            in_range = TIME_YEARS[0] <= year <= TIME_YEARS[1]
            assert (re.search(schema["pattern"], written) is not None) == in_range, year


def test_story_schemas_say_what_the_field_table_says():
    """StoryInput and StoryPatch carry every field of archive/story/fields.py with its limits,
    characters, patterns and URL rule; a limit changed on one side only fails here."""
    for name in ("StoryInput", "StoryPatch"):
        properties = SCHEMAS[name]["properties"]
        assert set(properties) == set(STORY_FIELDS) | set(CHANGE_FIELDS), name
        for key, spec in {**STORY_FIELDS, **CHANGE_FIELDS}.items():
            check_field(spec, properties[key], f"{name}.{key}")
        assert properties["status"]["enum"] == list(WRITABLE_STATUSES)
    assert set(SCHEMAS["StoryInput"]["required"]) == {"title", "status"}
    check_field(REASON, SCHEMAS["Withdrawal"]["properties"]["reason"], "Withdrawal.reason")
    # Answers carry every field of the table (and what the archive sets besides).
    assert set(STORY_FIELDS) <= set(SCHEMAS["Story"]["properties"])


def test_cursor_pattern_takes_the_change_numbers_the_api_takes(client):
    parameters = DOCUMENT["paths"]["/api/stories"]["get"]["parameters"]
    pattern = next(p["schema"]["pattern"] for p in parameters if p["name"] == "cursor")
    for cursor in ["0", "7", "123456789012345678", "8999999999999999999", "0000000000000000001"]:
        assert re.search(pattern, cursor), cursor
        assert client.get("/api/stories", query_string={"cursor": cursor}).status_code == 200
    for cursor in ["", "-1", "1.5", "12\n", "99999999999999999999", "9223372036854775808"]:
        assert not re.search(pattern, cursor), cursor
        assert client.get("/api/stories", query_string={"cursor": cursor}).status_code == 400
