"""A per-client request limit shared by every worker: one-minute windows in shared memory.

The table is created with the app, and `masthead serve` creates the app before its workers
fork, so every worker counts in the same table. Clients are hashed into buckets: two
clients that share a bucket share a budget, which only ever errs towards answering 429 early.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from collections.abc import Callable

from flask import Flask, Response, current_app, request

from service import tokens
from service.settings import ApiSettings

# Buckets in the shared table (two 64-bit integers each: window start, count).
BUCKETS = 8192
WINDOW_SECONDS = 60


class RateLimiter:
    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.time):
        self.per_minute = per_minute
        self.clock = clock
        self.table = multiprocessing.RawArray("q", BUCKETS * 2)
        self.lock = multiprocessing.Lock()

    def retry_after(self, client: str) -> int:
        """Count a request from `client`: 0 when allowed, else seconds until its window ends."""
        if self.per_minute <= 0:
            return 0
        now = int(self.clock())
        slot = 2 * (
            int.from_bytes(hashlib.blake2b(client.encode(), digest_size=8).digest()) % BUCKETS
        )
        with self.lock:
            # A client's window opens with its first request and lasts a minute.
            if now >= self.table[slot] + WINDOW_SECONDS:
                self.table[slot], self.table[slot + 1] = now, 0
            self.table[slot + 1] += 1
            count, opened = self.table[slot + 1], self.table[slot]
        if count <= self.per_minute:
            return 0
        return max(1, opened + WINDOW_SECONDS - now)


def has_valid_token(authorization: str, api: ApiSettings) -> bool:
    """Whether an Authorization value carries a configured API token: a known client."""
    token = tokens.bearer_token(authorization)
    if token is None:
        return False
    return tokens.role_of(token, tokens.configured_tokens(api, os.environ)) is not None


# Set in a request's environ once the request was counted, so it is never counted twice.
COUNTED = "masthead.ratelimit.counted"


def refusal(app: Flask, environ: dict) -> tuple[str, list[tuple[str, str]]] | None:
    """Count this request against its client: None to serve it, else the 429's text and headers."""
    limiter: RateLimiter = app.extensions["masthead.ratelimit"]
    if limiter.per_minute <= 0:
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
        return None  # counted before Flask (service/page_cache.py)
    refused = refusal(current_app, request.environ)
    if refused is None:
        return None
    text, headers = refused
    return Response(text, status=429, headers=headers, content_type="text/plain; charset=utf-8")


def init_app(app: Flask, per_minute: int) -> None:
    app.extensions["masthead.ratelimit"] = RateLimiter(per_minute)
    app.before_request(check_limit)
