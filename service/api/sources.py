"""`/api/sources`: add, list, show, pause, resume and remove sources through the API.

Every call needs a token of the `sources` scope: one of those in the environment variable that
`[api] sources_tokens_env` names. Story tokens (read, read-write) are not enough: adding a source
makes the service fetch the address it names. Errors are the API's problem details.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, current_app, request

from archive.db import sources as store
from service.api.payloads import read_json
from service.archive_access import get_archive
from service.settings import Settings
from service.wsgi import problems, tokens
from service.wsgi.answers import cache_control
from service.wsgi.problems import Problem, field_error

bp = Blueprint("sources_api", __name__, url_prefix="/api/sources")
problems.init_blueprint(bp)

# Fields a new source may be given, and the type of each.
FIELDS = {
    "url": str,
    "slug": str,
    "section": str,
    "tags": list,
    "status": str,
    "policy": str,
    "rights": str,
    "publisher": str,
}
STATES = {"active", "paused"}


def _settings() -> Settings:
    return current_app.config["MASTHEAD"]


def require_scope() -> None:
    """Problem 401 without a valid token, 403 for a token of another scope."""
    config = _settings().api
    header = request.headers.get("Authorization")
    token = tokens.bearer_token(header) if header else None
    if token is None:
        raise tokens.unauthorized(
            "managing sources needs a bearer token of the sources scope "
            "(Authorization: Bearer <token>)"
        )
    given = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
    known = [
        t.strip()
        for t in os.environ.get(config.sources_tokens_env, "").split(",")
        if len(t.strip()) >= tokens.MIN_TOKEN_LENGTH
    ]
    if any(hmac.compare_digest(given, hashlib.sha256(k.encode()).digest()) for k in known):
        return
    role = tokens.role_of(token, tokens.configured_tokens(config, os.environ))
    if role is None:
        raise tokens.unauthorized("the bearer token is not valid", error="invalid_token")
    raise Problem(
        403,
        "this token may not manage sources; that needs a token of the sources scope",
        kind="insufficient-scope",
        title="The token may not manage sources",
        headers={"WWW-Authenticate": f'{tokens.REALM}, error="insufficient_scope"'},
    )


def source_json(source: store.Source) -> dict[str, Any]:
    def when(moment):
        return moment.isoformat() if moment else None

    return {
        "slug": source.slug,
        "url": source.url,
        "title": source.title,
        "section": source.section,
        "tags": list(source.tags),
        "status": source.story_status,
        "policy": source.policy,
        "rights": source.rights,
        "publisher": source.publisher,
        "state": source.state,
        "last_fetch_at": when(source.last_fetch_at),
        "next_poll_at": when(source.next_poll_at),
        "last_status": source.last_status,
        "last_error": source.last_error,
        "failures": source.failures,
        "entries_taken": source.entries_taken,
        "page": f"/sources/{source.slug}/",
    }


def _answer(value: Any, status: int = 200):
    response = current_app.json.response(value)
    response.status_code = status
    response.headers["Cache-Control"] = cache_control("no-store")
    return response


def _source(slug: str) -> store.Source:
    try:
        return store.get_source(get_archive().db, slug)
    except store.SourceNotFound as error:
        raise Problem(404, str(error), kind="not-found") from None


@bp.get("")
def list_sources():
    require_scope()
    return _answer({"sources": [source_json(s) for s in store.list_sources(get_archive().db)]})


@bp.post("")
def add_source():
    require_scope()
    sent = read_json(max_bytes=_settings().api.max_body_bytes)
    values = _checked(sent)
    try:
        source = store.add_source(
            get_archive().db,
            values["url"],
            now=datetime.now(UTC),
            interval_seconds=_settings().sources.min_minutes * 60,
            slug=values.get("slug", ""),
            section=values.get("section", ""),
            tags=tuple(values.get("tags", ())),
            story_status=values.get("status", "published"),
            policy=values.get("policy", "full"),
            rights=values.get("rights", ""),
            publisher=values.get("publisher", ""),
        )
    except store.SourceConflict as error:
        raise Problem(409, str(error), kind="conflict") from None
    return _answer(source_json(source), 201)


def _checked(sent: Any) -> dict[str, Any]:
    """The fields of a new source; Problem 422 naming every bad one."""
    if not isinstance(sent, dict):
        raise Problem(422, "a source must be a JSON object", kind="invalid-source",
                      errors=[field_error("", "a JSON object is expected")])  # fmt: skip
    errors = [field_error(k, f"{k} is not a field of a source") for k in sent if k not in FIELDS]
    errors += [
        field_error(k, f"{k} must be {'a list' if kind is list else 'a string'}")
        for k, kind in FIELDS.items()
        if k in sent and not isinstance(sent[k], kind)
    ]
    url = sent.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        errors.append(field_error("url", "url must be an absolute http(s) URL"))
    if isinstance(sent.get("tags"), list) and not all(
        isinstance(t, str) and t.strip() for t in sent["tags"]
    ):
        errors.append(field_error("tags", "tags must be non-empty strings"))
    if sent.get("status", "published") not in store.STORY_STATUSES:
        errors.append(field_error("status", "status must be published or draft"))
    if sent.get("policy", "full") not in store.POLICIES:
        errors.append(field_error("policy", "policy must be full, summary or link"))
    if errors:
        raise Problem(422, "the source is not valid", kind="invalid-source", errors=errors)
    return sent


@bp.get("/<slug>")
def show_source(slug: str):
    require_scope()
    return _answer(source_json(_source(slug)))


@bp.patch("/<slug>")
def change_source(slug: str):
    """Pause ({"state": "paused"}) or resume ({"state": "active"}) a source."""
    require_scope()
    source = _source(slug)
    sent = read_json(max_bytes=_settings().api.max_body_bytes, accept_header="Accept-Patch")
    if not isinstance(sent, dict) or set(sent) != {"state"} or sent["state"] not in STATES:
        raise Problem(
            422,
            'send {"state": "paused"} or {"state": "active"}',
            kind="invalid-source",
            errors=[field_error("state", "state must be paused or active")],
        )
    changed = store.set_state(get_archive().db, source.slug, sent["state"], now=datetime.now(UTC))
    return _answer(source_json(changed))


@bp.delete("/<slug>")
def remove_source(slug: str):
    """Forget a source; the stories it gave stay."""
    require_scope()
    return _answer(source_json(store.remove_source(get_archive().db, _source(slug).slug)))
