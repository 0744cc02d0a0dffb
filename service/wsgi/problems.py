"""RFC 9457 problem details: the one error shape of everything under /api/.

Archive errors and HTTP errors are converted here, once; views raise, they never build errors.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException, InternalServerError

from archive import (
    ArchiveBusy,
    ArchiveError,
    FieldProblem,
    InvalidStory,
    NotFound,
    RevisionConflict,
    SlugConflict,
    StoryNotFound,
)
from archive.db.storage import storage_failure
from service.wsgi.answers import cache_control

PROBLEM_JSON = "application/problem+json"
# Problem types of our own; plain HTTP errors use about:blank (RFC 9457 4.2.1).
TYPE_PREFIX = "urn:masthead:problem:"
# Seconds a client is asked to wait (Retry-After) when the archive's disk is full or failing.
STORAGE_RETRY_SECONDS = 60
# Seconds a client is asked to wait when another writer (an import's batch, say) held the
# archive's write lock past the busy timeout: a batch holds it for a second or two.
BUSY_RETRY_SECONDS = 2


class Problem(Exception):
    """An error answer under /api/: status, a one-line title, what happened and what to do.

    `errors` lists each bad field: {"field", "in" (body, query, header), "detail"}.
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        title: str | None = None,
        errors: Iterable[Mapping[str, str]] = (),
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.title = title
        self.errors = [dict(error) for error in errors]
        self.headers = dict(headers or {})


def field_error(field: str, detail: str, *, where: str = "body") -> dict[str, str]:
    """An entry of `errors` for a top-level field ("" is the whole body), a parameter or a
    header."""
    if where == "body":
        return problem_entry(FieldProblem.at((field,) if field else (), detail))
    return {"field": field, "in": where, "detail": detail}


def problem_entry(problem: FieldProblem) -> dict[str, str]:
    """An entry of `errors` from one problem the archive found in a story: its field, and its
    RFC 6901 JSON Pointer as a URI fragment (RFC 9457 3.1's example): #/authors/0/name."""
    return {
        "field": problem.field,
        "in": "body",
        "detail": problem.message,
        "pointer": "#" + problem.pointer,
    }


def problem_response(problem: Problem) -> Response:
    title = problem.title or _status_phrase(problem.status)
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + problem.kind if problem.kind else "about:blank",
        "title": title,
        "status": problem.status,
        "detail": problem.detail,
        "errors": problem.errors,
    }
    response = Response(json.dumps(body, ensure_ascii=False), status=problem.status)
    response.mimetype = PROBLEM_JSON
    response.headers.update(problem.headers)
    response.headers["Cache-Control"] = cache_control("error")
    return response


def _status_phrase(status: int) -> str:
    from werkzeug.http import HTTP_STATUS_CODES

    return HTTP_STATUS_CODES.get(status, "Error")


def top_level_key(problem: FieldProblem) -> str:
    """The key of the sent object a problem is about: "authors" for /authors/0/url."""
    first = problem.pointer.split("/")[1] if problem.pointer else ""
    return first.replace("~1", "/").replace("~0", "~")


@dataclass(frozen=True)
class ProblemKind:
    """How one class of archive error answers: its status, problem type and title, any extra
    headers, and what the answer says (`detail`) and lists (`errors`) of the error."""

    status: int
    kind: str
    title: str
    headers: Mapping[str, str] = field(default_factory=dict)
    detail: Callable[[Any], str] = str
    errors: Callable[[Any], list[dict[str, str]]] = lambda error: []


# Each archive error class and its answer; an error answers as the nearest class of its MRO
# listed here (ArchiveError, last, answers whatever else the archive refuses).
ARCHIVE_PROBLEMS: dict[type[ArchiveError], ProblemKind] = {
    ArchiveBusy: ProblemKind(
        503,
        "archive-busy",
        "The archive is busy",
        headers={"Retry-After": str(BUSY_RETRY_SECONDS)},
    ),
    InvalidStory: ProblemKind(
        422,
        "invalid-story",
        "The story is not valid",
        errors=lambda error: [problem_entry(problem) for problem in error.found],
    ),
    StoryNotFound: ProblemKind(404, "story-not-found", "No such story"),
    NotFound: ProblemKind(404, "not-found", "Not found"),
    SlugConflict: ProblemKind(
        409,
        "slug-conflict",
        "The permalink is taken",
        errors=lambda error: [field_error("slug", str(error))],
    ),
    RevisionConflict: ProblemKind(
        412,
        "revision-conflict",
        "The story changed meanwhile",
        detail=lambda error: (
            f"{error}; GET the story again, reapply your change and send it with the new ETag"
        ),
        errors=lambda error: [field_error("If-Match", str(error), where="header")],
    ),
    ArchiveError: ProblemKind(409, "archive-refused", "The archive refused the change"),
}


def from_archive_error(error: ArchiveError) -> Problem:
    """The problem an archive error means, with every bad field listed (ARCHIVE_PROBLEMS)."""
    answer = next(ARCHIVE_PROBLEMS[cls] for cls in type(error).__mro__ if cls in ARCHIVE_PROBLEMS)
    return Problem(
        answer.status,
        answer.detail(error),
        kind=answer.kind,
        title=answer.title,
        errors=answer.errors(error),
        headers=answer.headers,
    )


def from_storage_failure(cause: str) -> Problem:
    """The problem a failed disk under the archive means: nothing changed, try again later."""
    return Problem(
        503,
        f"the archive cannot be written now: {cause}; nothing was changed, try again later",
        kind="storage-unavailable",
        title="The archive cannot be written now",
        headers={"Retry-After": str(STORAGE_RETRY_SECONDS)},
    )


def _from_database_error(error: sqlite3.Error) -> Response:
    cause = storage_failure(error)
    if cause is None:
        return _from_unexpected(error)
    # A boundary: the cause is the disk, so one line says so, without a traceback.
    current_app.logger.error(
        "API %s %s: archive %s: %s (%s); answered 503",
        request.method,
        request.path,
        current_app.config["MASTHEAD"].archive_path,
        cause,
        error,
    )
    return problem_response(from_storage_failure(cause))


def _from_busy(error: ArchiveBusy) -> Response:
    # A boundary: one line says a write waited too long, without a traceback.
    current_app.logger.warning("API %s %s: %s; answered 503", request.method, request.path, error)
    return problem_response(from_archive_error(error))


def init_blueprint(bp: Blueprint) -> None:
    """Every error raised in the blueprint's views answers as a problem."""
    bp.register_error_handler(Problem, problem_response)
    bp.register_error_handler(ArchiveError, lambda e: problem_response(from_archive_error(e)))
    bp.register_error_handler(ArchiveBusy, _from_busy)
    bp.register_error_handler(sqlite3.Error, _from_database_error)
    bp.register_error_handler(HTTPException, _from_http_exception)
    bp.register_error_handler(Exception, _from_unexpected)


def _from_http_exception(error: HTTPException) -> Response:
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return problem_response(
        Problem(error.code or 500, error.description or error.name, headers=headers)
    )


def _from_unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return _from_http_exception(error)
    # A boundary: log with the request's method and path (never its headers: they hold tokens).
    current_app.logger.exception("API error on %s %s", request.method, request.path)
    return _from_http_exception(InternalServerError())


def init_app(app: Flask, prefix: str) -> None:
    """Routing errors (404, 405) under `prefix` answer as problems too, and so does any other
    error answer made outside the blueprint (such as the rate limit's 429).

    Flask raises routing errors before any blueprint is chosen, after before_request handlers.
    """

    @app.after_request
    def as_problem(response: Response) -> Response:
        if (
            request.path.startswith(prefix)
            and response.status_code >= 400
            and response.mimetype != PROBLEM_JSON
        ):
            text = (
                response.get_data(as_text=True).strip() if response.mimetype == "text/plain" else ""
            )
            headers = {
                k: v
                for k, v in response.headers.items()
                if k.lower() not in ("content-type", "content-length")
            }
            detail = text or _status_phrase(response.status_code)
            return problem_response(Problem(response.status_code, detail, headers=headers))
        return response

    @app.before_request
    def routing_problem():
        routing_error = request.routing_exception
        # Only errors: a RequestRedirect (308) is a routing exception too.
        is_error = isinstance(routing_error, HTTPException) and (routing_error.code or 0) >= 400
        if is_error and request.path.startswith(prefix):
            return _from_http_exception(routing_error)
        return None
