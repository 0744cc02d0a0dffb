"""API bearer tokens: which role (read or write) a request's token grants.

Tokens come only from the environment variables that [api] names; they are never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping

from flask import request

from service.settings import ApiSettings
from service.wsgi.problems import Problem

READ, WRITE = "read", "write"
REALM = 'Bearer realm="masthead"'
# Shortest token accepted: shorter ones are guessable, so they are ignored (and a warning logged).
MIN_TOKEN_LENGTH = 16


def configured_tokens(api: ApiSettings, environ: Mapping[str, str]) -> dict[str, list[str]]:
    """Tokens by role from the environment: comma separated, blanks and short ones dropped."""
    return {
        role: [t for t in _split(environ.get(name, "")) if len(t) >= MIN_TOKEN_LENGTH]
        for role, name in ((READ, api.read_tokens_env), (WRITE, api.write_tokens_env))
    }


def short_token_variables(api: ApiSettings, environ: Mapping[str, str]) -> list[str]:
    """Names of the variables holding a token too short to be used (for a start-up warning)."""
    return [
        name
        for name in (api.read_tokens_env, api.write_tokens_env)
        if any(len(t) < MIN_TOKEN_LENGTH for t in _split(environ.get(name, "")))
    ]


def _split(value: str) -> list[str]:
    return [token.strip() for token in value.split(",") if token.strip()]


def role_of(token: str, tokens: dict[str, list[str]]) -> str | None:
    """The role this token grants, comparing against every token in constant time.

    Comparing SHA-256 digests keeps even the token's length from leaking through timing.
    """
    given = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
    role = None
    for name in (READ, WRITE):  # WRITE last: a token in both lists may write.
        for known in tokens[name]:
            if hmac.compare_digest(given, hashlib.sha256(known.encode()).digest()):
                role = name
    return role


def bearer_token(authorization: str) -> str | None:
    """The token of an Authorization value of the form 'Bearer <token>'; None for any other."""
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def caller_role(api: ApiSettings) -> str | None:
    """The role of the request's bearer token; None when it sends none.

    Raises Problem 401 for a malformed header or a token that is not configured.
    """
    header = request.headers.get("Authorization")
    if header is None:
        return None
    token = bearer_token(header)
    if token is None:
        raise unauthorized(
            "the Authorization header must be 'Bearer <token>'", error="invalid_request"
        )
    role = role_of(token, configured_tokens(api, os.environ))
    if role is None:
        raise unauthorized("the bearer token is not valid", error="invalid_token")
    return role


def require_role(api: ApiSettings, needed: str) -> str:
    """The caller's role when it is at least `needed`; else Problem 401 or 403."""
    role = caller_role(api)
    if role is None:
        action = "writing" if needed == WRITE else "reading this"
        raise unauthorized(f"{action} needs a bearer token (Authorization: Bearer <token>)")
    if needed == WRITE and role != WRITE:
        raise Problem(
            403,
            "this token may only read; writing needs a read-write token",
            kind="read-only-token",
            title="The token may not write",
            headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope"'},
        )
    return role


def unauthorized(detail: str, *, error: str | None = None) -> Problem:
    """The 401 problem of a request without a valid bearer token, its challenge included."""
    # RFC 6750 3: the challenge names the realm and, for a bad token, the error.
    challenge = f'{REALM}, error="{error}"' if error else REALM
    return Problem(
        401,
        detail,
        kind="unauthorized",
        title="A valid bearer token is needed",
        headers={"WWW-Authenticate": challenge},
        errors=[{"field": "Authorization", "in": "header", "detail": detail}],
    )
