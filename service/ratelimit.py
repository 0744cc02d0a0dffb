"""A per-client request limit shared by every worker: one-minute windows in shared memory.

The table is created with the app; gunicorn loads the app before it forks its workers
(preload), so every worker counts in the same table. Clients are hashed into buckets: two
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


def has_valid_token() -> bool:
    """Whether the request carries a configured API token: a known client, not a stray poller."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    api = current_app.config["MASTHEAD"].api
    return tokens.role_of(token.strip(), tokens.configured_tokens(api, os.environ)) is not None


def check_limit() -> Response | None:
    limiter: RateLimiter = current_app.extensions["masthead.ratelimit"]
    # A newsroom's CMS pushing a batch through the API is not throttled like an anonymous poller.
    if limiter.per_minute <= 0 or has_valid_token():
        return None
    wait = limiter.retry_after(request.remote_addr or "unknown")
    if not wait:
        return None
    response = Response(
        f"Too many requests: at most {limiter.per_minute} a minute. Try again in {wait} seconds.\n",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response.headers["Retry-After"] = str(wait)
    return response


def init_app(app: Flask, per_minute: int) -> None:
    app.extensions["masthead.ratelimit"] = RateLimiter(per_minute)
    app.before_request(check_limit)
