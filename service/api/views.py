"""The write API under /api/: stories as JSON (archive/story/shape.py's shape), token protected.

Views parse input, call the archive and answer; errors become problem details in problems.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request, url_for

from archive import (
    ChangeNote,
    DuplicateRequest,
    FieldProblem,
    InvalidStory,
    SavedStory,
    Story,
    story_from_dict,
    story_to_dict,
)
from archive.story.fields import REASON
from archive.story.models import STATUSES, change_problems, field_problems, validate, with_language
from archive.story.shape import change_from_dict
from archive.story.visibility import is_public
from service import urls
from service.api import openapi
from service.api.openapi import MAX_ID, WRITABLE_STATUSES
from service.api.payloads import QueryReader, read_json
from service.archive_access import get_archive, settings
from service.wsgi import problems, tokens
from service.wsgi.answers import Answer, cache_control
from service.wsgi.http import MalformedEntityTags, respond, strong_entity_tags
from service.wsgi.problems import Problem, field_error

# Where the API lives: every path under it answers problems as JSON (RFC 9457).
PREFIX = "/api"
bp = Blueprint("api", __name__, url_prefix=PREFIX)
problems.init_blueprint(bp)

# Stories per page of GET /api/stories unless limit= asks otherwise, and the most it may ask.
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# What anyone may read without a token: published stories and the tombstones of stories that
# were published (archive.story.visibility decides which withdrawn stories those are).
PUBLIC_STATUSES = ("published", "withdrawn")
LIST_PARAMETERS = ("status", "section", "tag", "author", "since", "cursor", "limit")
IDEMPOTENCY_KEY = re.compile(openapi.IDEMPOTENCY_KEY)
STORY_ETAG = re.compile(r"story-(\d+)-(\d+)")


@bp.get("/openapi.json")
def show_openapi():
    return _json(openapi.DOCUMENT)


@bp.get("/stories")
def list_stories():
    role = tokens.caller_role(settings().api)
    query = QueryReader(LIST_PARAMETERS)
    status = query.choice("status", STATUSES)
    section, tag, author = query.slug("section"), query.slug("tag"), query.slug("author")
    since = query.time("since")
    after = query.integer("cursor", default=0, low=0, high=MAX_ID)
    limit = query.integer("limit", default=PAGE_SIZE, low=1, high=MAX_PAGE_SIZE)
    query.done()
    visible = STATUSES if role else PUBLIC_STATUSES
    if status and status not in visible:
        tokens.require_role(settings().api, tokens.READ)
    found = get_archive().changes(
        after=after,
        since=since,
        statuses=[status] if status else visible,
        section=section,
        tag=tag,
        author=author,
        limit=limit,
        public_only=role is None,
    )
    cursor = found[-1][0] if found else after
    next_url = None
    if len(found) == limit:
        args = {k: v for k, v in request.args.items() if k != "cursor"}
        next_url = _url(url_for("api.list_stories", **args, cursor=cursor))
    return _json(
        {
            "stories": [_shape(story, role) for _, story in found],
            "cursor": str(cursor),
            "next": next_url,
        }
    )


@bp.post("/stories")
def create_story():
    api = settings().api
    tokens.require_role(api, tokens.WRITE)
    sent = read_json(max_bytes=api.max_body_bytes)
    key = _idempotency_key()
    story, change = _story_from(sent)
    if key is None:
        return _story_answer(get_archive().save(story, now=_now(), change=change), status=201)
    digest = hashlib.sha256(json.dumps(sent, sort_keys=True).encode()).hexdigest()
    earlier = get_archive().idempotent_request(key)
    if earlier is not None:
        return _replay(key, digest, earlier["story_id"], earlier["digest"])
    try:
        saved = get_archive().save(story, now=_now(), idempotency=(key, digest), change=change)
    except DuplicateRequest as race:
        return _replay(key, digest, race.story_id, race.digest)
    return _story_answer(saved, status=201)


@bp.get(f"/stories/<int(max={MAX_ID}):story_id>")
def show_story(story_id: int):
    story, role = _readable(story_id)
    # Sent as every cached answer is (service/wsgi/answers.py): 304 on a matching If-None-Match
    # (weak comparison, RFC 9110 13.1.2); never kept by shared caches.
    answer = Answer(
        json.dumps(_shape(story, role), ensure_ascii=False).encode(),
        content_type="application/json",
        etag=_etag(story, role=role),
        last_modified=None,
        headers=[("Cache-Control", PRIVATE)],
        vary=("Authorization",),
        compress=False,  # a story's JSON is small, and every API answer is sent alike
    )
    return respond(answer)


@bp.put(f"/stories/<int(max={MAX_ID}):story_id>")
def replace_story(story_id: int):
    return _update(story_id, lambda sent, current: _story_from(sent, story_id=current.id))


@bp.patch(f"/stories/<int(max={MAX_ID}):story_id>")
def update_story(story_id: int):
    return _update(story_id, lambda sent, current: _story_from(sent, base=current))


@bp.delete(f"/stories/<int(max={MAX_ID}):story_id>")
def withdraw_story(story_id: int):
    api = settings().api
    tokens.require_role(api, tokens.WRITE)
    story = get_archive().get(story_id)
    reason = _withdrawal_reason(read_json(max_bytes=api.max_body_bytes, accept_header=None))
    if story.is_withdrawn:
        raise _already_withdrawn(story)
    # If-Match is optional here: with it, a withdrawal applies only to the version seen.
    expected = _expected_revision(story) if "If-Match" in request.headers else story.revision
    withdrawn = get_archive().withdraw(
        story_id, reason=reason, now=_now(), expected_revision=expected
    )
    return _story_answer(withdrawn)


@bp.get(f"/stories/<int(max={MAX_ID}):story_id>/revisions")
def list_revisions(story_id: int):
    story, role = _readable(story_id, public=("published",))
    revisions = [
        {
            "revision": r.number,
            "action": r.action,
            "saved_at": r.saved_at.isoformat(),
            "change_kind": r.change_kind,
            "change_note": r.change_note,
            "imported": r.is_import,
            "story": {**r.snapshot, "url": _url(r.snapshot.get("path"))},
        }
        # Readers without a token see what was public only (archive.story.visibility).
        for r in get_archive().history(story.id, published_only=not role)
    ]
    return _json({"revisions": revisions})


def _update(
    story_id: int, build: Callable[[Any, Story], tuple[Story, ChangeNote | None]]
) -> Response:
    """PUT and PATCH: check the token, the precondition and the body, then save atomically."""
    api = settings().api
    tokens.require_role(api, tokens.WRITE)
    current = get_archive().get(story_id)
    expected = _expected_revision(current)
    sent = read_json(
        max_bytes=api.max_body_bytes,
        accept_header="Accept-Patch" if request.method == "PATCH" else None,
    )
    if current.is_withdrawn:
        raise _already_withdrawn(current)
    story, change = build(sent, current)
    saved = get_archive().save(story, now=_now(), expected_revision=expected, change=change)
    return _story_answer(saved)


def _withdrawal_reason(sent: Any) -> str:
    """The reason from a DELETE body, {"reason": "..."}; 422 naming what is wrong."""
    if not isinstance(sent, dict):
        errors = [field_error("", 'the body must be a JSON object: {"reason": "..."}')]
    else:
        errors = [
            field_error(key, f"{key} is not a field here (known: reason)")
            for key in sent
            if key != "reason"
        ]
        errors += map(
            problems.problem_entry, field_problems(REASON, sent.get("reason"), ("reason",))
        )
    if errors:
        raise Problem(
            422,
            "; ".join(e["detail"] for e in errors),
            kind="invalid-withdrawal",
            title="The withdrawal is not valid",
            errors=errors,
        )
    return sent["reason"]


def _story_from(
    sent: Any, *, base: Story | None = None, story_id: int | None = None
) -> tuple[Story, ChangeNote | None]:
    """A story from the sent JSON, with the API's own rules over the archive's, and the
    write's change note (change_kind, change_note) sent beside its fields.

    Raises one 422 listing every problem: fields of the wrong type or unknown are set aside
    so that the rest can still be checked.
    """
    try:
        sent, change = change_from_dict(sent)
    except InvalidStory as error:
        raise problems.from_archive_error(error) from None
    story, found = _fields_from(sent, base=base)
    found += change_problems(change) if change is not None else []
    if found:
        raise problems.from_archive_error(InvalidStory(found, story=story.slug or None))
    return (story.replace(id=story_id) if story_id is not None else story), change


def _fields_from(sent: Any, *, base: Story | None) -> tuple[Story, list[FieldProblem]]:
    """The story from the sent fields and every problem found with them."""
    try:
        story, found, bad = story_from_dict(sent, base=base), [], set()
    except InvalidStory as error:
        if not isinstance(sent, dict):
            raise problems.from_archive_error(error) from None
        found, bad = error.found, {problems.top_level_key(p) for p in error.found}
        try:
            story = story_from_dict({k: v for k, v in sent.items() if k not in bad}, base=base)
        except InvalidStory:
            raise problems.from_archive_error(error) from None
    later = []
    if base is None and "status" not in sent:
        later.append(
            FieldProblem.at(
                ("status",),
                f"status is missing (one of {', '.join(WRITABLE_STATUSES)}: a story goes live "
                "only when a request says so)",
            )
        )
    elif story.status not in WRITABLE_STATUSES:
        later.append(
            FieldProblem.at(
                ("status",),
                f"status {story.status!r} cannot be written (one of "
                f"{', '.join(WRITABLE_STATUSES)}; withdraw a story with DELETE and a reason)",
            )
        )
    try:
        validate(with_language(story, settings().site.language))
    except InvalidStory as error:
        later = error.found + later
    return story, found + [p for p in later if problems.top_level_key(p) not in bad]


def _expected_revision(current: Story) -> int:
    """The revision the client last saw, from If-Match (RFC 9110 13.1.1): 428 or 412 if none."""
    if_match = request.headers.get("If-Match")
    if if_match is None:
        raise Problem(
            428,
            f'send If-Match with the story\'s ETag ("{_etag(current)}" now) so that no one '
            "else's change is overwritten",
            kind="if-match-required",
            errors=[field_error("If-Match", "expected the story's ETag", where="header")],
        )
    try:
        tags = strong_entity_tags(if_match)
    except MalformedEntityTags as error:
        # RFC 9110 13.1.1: If-Match is "*" or a list of quoted entity tags; anything else is a
        # malformed request (400), not a precondition that failed (412).
        raise Problem(
            400,
            f"If-Match {if_match[:60]!r} is not an entity tag list: {error}; send the story's "
            f'ETag as it was given, quotes included ("{_etag(current)}" now), or *',
            kind="invalid-if-match",
            errors=[field_error("If-Match", 'expected e.g. "story-1-2" or *', where="header")],
        ) from None
    if tags is None:
        return current.revision
    revisions = {
        int(m.group(2))
        for tag in tags
        if (m := STORY_ETAG.fullmatch(tag)) and int(m.group(1)) == current.id
    }
    if current.revision not in revisions:
        raise Problem(
            412,
            f'story {current.id} is at revision {current.revision} (ETag "{_etag(current)}"), '
            f"not {if_match}: GET it again, reapply your change and send the new ETag",
            kind="revision-conflict",
            title="The story changed meanwhile",
            errors=[field_error("If-Match", f'expected "{_etag(current)}"', where="header")],
        )
    return current.revision


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        raise Problem(
            400,
            "Idempotency-Key must be 1 to 255 printable ASCII characters without spaces",
            kind="invalid-idempotency-key",
            errors=[field_error("Idempotency-Key", "expected e.g. a UUID", where="header")],
        )
    return key


def _replay(key: str, digest: str, story_id: int, first_digest: str) -> Response:
    """A retried POST: the story the key created, or 422 if the key came with another body."""
    if digest != first_digest:
        raise Problem(
            422,
            f"Idempotency-Key {key!r} was used for a different request (story {story_id}); "
            "use a new key for a new story",
            kind="idempotency-key-reused",
            errors=[field_error("Idempotency-Key", "expected a new key", where="header")],
        )
    response = _story_answer(get_archive().get(story_id), status=201)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _readable(
    story_id: int, *, public: tuple[str, ...] = PUBLIC_STATUSES
) -> tuple[SavedStory, str | None]:
    """The story and the caller's role; what was never public needs a token (401)."""
    role = tokens.caller_role(settings().api)
    story = get_archive().get(story_id)
    if role is not None:
        return story, role
    # The public sees a story as archive.story.visibility says: live, or the tombstone of what was
    # published (never a draft written since).
    if is_public(story):
        story = get_archive().public_face(story)
    if not (is_public(story) and story.status in public):
        tokens.require_role(settings().api, tokens.READ)
    return story, role


def _already_withdrawn(story: Story) -> Problem:
    return Problem(
        409,
        f"story {story.id} was withdrawn ({story.withdrawn_reason}); a tombstone stays as it is",
        kind="story-withdrawn",
        title="The story is withdrawn",
    )


def _shape(story: Story, role: str | None) -> dict[str, Any]:
    shape = story_to_dict(story, base_url=settings().site.base_url)
    if story.is_withdrawn and role is None:
        # A tombstone for the public: what it was and why it went, not its text.
        shape.update(dek="", summary="", body="", body_text="", media=[], sources=[])
    return shape


# Answers depend on the token: shared caches must not keep them; clients revalidate.
PRIVATE = cache_control("private")


def _etag(story: Story, *, role: str | None = "write") -> str:
    tombstone = "-tombstone" if story.is_withdrawn and role is None else ""
    return f"story-{story.id}-{story.revision}{tombstone}"


def _story_answer(story: Story, *, status: int = 200, role: str | None = "write") -> Response:
    response = _json(_shape(story, role), status=status)
    # Strong ETag from id and revision: every write, publication and withdrawal adds a revision.
    response.set_etag(_etag(story, role=role))
    if status == 201:
        response.headers["Location"] = url_for("api.show_story", story_id=story.id)
    return response


def _json(value: Any, *, status: int = 200) -> Response:
    response = current_app.response_class(
        json.dumps(value, ensure_ascii=False), status=status, mimetype="application/json"
    )
    # Answers depend on the token: shared caches must not keep them; clients revalidate.
    response.headers["Cache-Control"] = PRIVATE
    response.vary.add("Authorization")
    return response


def _url(path: str | None) -> str | None:
    return urls.site_url(settings().site, path) if path else None


def _now() -> datetime:
    return datetime.now(UTC)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    problems.init_app(app, prefix=PREFIX + "/")
    for name in tokens.short_token_variables(app.config["MASTHEAD"].api, os.environ):
        app.logger.warning(
            "%s holds a token shorter than %d characters; it is ignored",
            name,
            tokens.MIN_TOKEN_LENGTH,
        )
