"""A per-client request limit shared by every worker: one-minute windows in shared memory,
checked in one place, the `RateLimit` layer of the pipeline (service/wsgi/__init__.py).

The table is created with the app, and `masthead serve` creates the app before its workers
fork, so every worker counts in the same table. A client's slot is found from a hash keyed with
a secret drawn when the table is made, so no one can choose an address that lands on another
client's slot; the slot also keeps that keyed hash, so two clients never share a count.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import secrets
import time
from collections.abc import Callable, Iterable

from service.settings import ApiSettings
from service.wsgi import problems, tokens
from service.wsgi.answers import SECURITY_HEADERS, StartResponse, WSGIApp, text_answer

# Slots in the shared table (1.5 MiB), three 64-bit integers each: client hash, window start,
# count. Far more than the clients of one minute, so that runs of taken slots stay short.
SLOTS = 65536
# Slots looked at for one client, from the one its hash names: a full run hands the oldest
# window to the newcomer (a flood of addresses can only ever reset a count, never add to one).
PROBES = 16
WINDOW_SECONDS = 60


class RateLimiter:
    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.time):
        self.per_minute = per_minute
        self.clock = clock
        self.key = secrets.token_bytes(32)  # forked workers inherit it with the table
        self.table = multiprocessing.RawArray("q", SLOTS * 3)
        self.lock = multiprocessing.Lock()

    def client_hash(self, client: str) -> int:
        """A non-zero 64-bit hash of `client`, keyed with this table's secret (0 is empty)."""
        digest = hashlib.blake2b(client.encode(), digest_size=8, key=self.key).digest()
        return int.from_bytes(digest, signed=True) or 1

    def retry_after(self, client: str) -> int:
        """Count a request from `client`: 0 when allowed, else seconds until its window ends."""
        if self.per_minute <= 0:
            return 0
        now = int(self.clock())
        tag = self.client_hash(client)
        table = self.table
        with self.lock:
            slot = self._slot(tag, now)
            # A client's window opens with its first request and lasts a minute.
            if table[slot] != tag or now >= table[slot + 1] + WINDOW_SECONDS:
                table[slot], table[slot + 1], table[slot + 2] = tag, now, 0
            table[slot + 2] += 1
            count, opened = table[slot + 2], table[slot + 1]
        if count <= self.per_minute:
            return 0
        return max(1, opened + WINDOW_SECONDS - now)

    def _slot(self, tag: int, now: int) -> int:
        """The slot holding `tag`, else a free or expired one, else the oldest; lock held."""
        table = self.table
        first = tag % SLOTS
        oldest, oldest_start = 0, None
        for step in range(PROBES):
            slot = 3 * ((first + step) % SLOTS)
            if table[slot] == tag:
                return slot
            start = table[slot + 1]
            if table[slot] == 0 or now >= start + WINDOW_SECONDS:
                oldest, oldest_start = slot, -1  # free: nothing is lost by taking it
            elif oldest_start is None or (oldest_start != -1 and start < oldest_start):
                oldest, oldest_start = slot, start
        return oldest


def has_valid_token(authorization: str, api: ApiSettings) -> bool:
    """Whether an Authorization value carries a configured API token: a known client."""
    token = tokens.bearer_token(authorization)
    if token is None:
        return False
    return tokens.role_of(token, tokens.configured_tokens(api, os.environ)) is not None


# The environ key an in-process caller (the exports) sets to INTERNAL_CALLER: not counted.
INTERNAL = "masthead.ratelimit.internal"
# Where refusals are RFC 9457 problems (service/wsgi/problems.py), as every error of the API is.
API_PREFIX = "/api/"


class InternalCaller:
    """The one marker of a request made by Masthead itself, in process
    (service/export/site_answers.py).

    A WSGI server fills the environ with strings only, from the request line and headers, so
    no request from outside can carry this object; a header never reaches this key.
    """

    __slots__ = ()


INTERNAL_CALLER = InternalCaller()


def is_internal(environ: dict) -> bool:
    return environ.get(INTERNAL) is INTERNAL_CALLER


class RateLimit:
    """WSGI: the one place a request is counted against its client, before anything answers it
    (feeds, kept pages and Flask alike); over the limit it answers 429 with Retry-After.

    Sits after the client's address is known (service/wsgi/proxies.py), so a reader behind a
    trusted proxy is counted as itself.
    """

    def __init__(self, app: WSGIApp, limiter: RateLimiter, api: ApiSettings):
        self.app = app
        self.limiter = limiter
        self.api = api

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        wait = self.wait(environ)
        if not wait:
            return self.app(environ, start_response)
        text = (
            f"Too many requests: at most {self.limiter.per_minute} a minute. "
            f"Try again in {wait} seconds."
        )
        retry = {"Retry-After": str(wait)}
        if environ.get("PATH_INFO", "").startswith(API_PREFIX):
            response = problems.problem_response(problems.Problem(429, text, headers=retry))
            for name, value in SECURITY_HEADERS:
                response.headers.setdefault(name, value)
            return response(environ, start_response)  # type: ignore[arg-type]
        return text_answer(start_response, "429 Too Many Requests", text + "\n", retry.items())

    def wait(self, environ: dict) -> int:
        """Count this request against its client: 0 to serve it, else seconds to wait."""
        if self.limiter.per_minute <= 0 or is_internal(environ):
            return 0
        # A newsroom's CMS pushing a batch through the API is not throttled like an anonymous
        # poller.
        authorization = environ.get("HTTP_AUTHORIZATION")
        if authorization and has_valid_token(authorization, self.api):
            return 0
        return self.limiter.retry_after(environ.get("REMOTE_ADDR") or "unknown")
