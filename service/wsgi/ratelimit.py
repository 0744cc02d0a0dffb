"""A per-client request limit shared by every worker: one-minute windows in shared memory.

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
from collections.abc import Callable

from flask import Flask, Response, current_app, request

from service.settings import ApiSettings
from service.wsgi import tokens

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


# Set in a request's environ once the request was counted, so it is never counted twice.
COUNTED = "masthead.ratelimit.counted"
# The environ key an in-process caller (the exports) sets to INTERNAL_CALLER: not counted.
INTERNAL = "masthead.ratelimit.internal"


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


def refusal(app: Flask, environ: dict) -> tuple[str, list[tuple[str, str]]] | None:
    """Count this request against its client: None to serve it, else the 429's text and headers."""
    limiter: RateLimiter = app.extensions["masthead.ratelimit"]
    if limiter.per_minute <= 0 or is_internal(environ):
        return None
    # A newsroom's CMS pushing a batch through the API is not throttled like an anonymous poller.
    authorization = environ.get("HTTP_AUTHORIZATION")
    if authorization and has_valid_token(authorization, app.config["MASTHEAD"].api):
        return None
    wait = limiter.retry_after(environ.get("REMOTE_ADDR") or "unknown")
    if not wait:
        return None
    text = f"Too many requests: at most {limiter.per_minute} a minute. Try again in {wait} seconds."
    return text + "\n", [("Retry-After", str(wait))]


def check_limit() -> Response | None:
    if request.environ.get(COUNTED):
        return None  # counted before Flask (service/wsgi/page_cache.py)
    refused = refusal(current_app, request.environ)
    if refused is None:
        return None
    text, headers = refused
    return Response(text, status=429, headers=headers, content_type="text/plain; charset=utf-8")


def init_app(app: Flask, per_minute: int) -> None:
    app.extensions["masthead.ratelimit"] = RateLimiter(per_minute)
    app.before_request(check_limit)
