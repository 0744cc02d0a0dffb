"""WebSub publishing: tell the hub which feeds changed, in the background, with retries.

A hub that is slow or down never slows serving or building: pings wait in a queue that one
daemon thread works through, retrying with exponential back-off, then giving up with a log line.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable

log = logging.getLogger("masthead.websub")

# Attempts per ping, and the first pause between them (doubling each time).
ATTEMPTS = 5
FIRST_BACKOFF_SECONDS = 2.0
# How long one request to the hub may take before it counts as a failed attempt.
TIMEOUT_SECONDS = 10


class Notifier:
    """Queues `hub.mode=publish` pings for a hub and sends them from a daemon thread."""

    def __init__(
        self,
        hub_url: str,
        *,
        attempts: int = ATTEMPTS,
        backoff: float = FIRST_BACKOFF_SECONDS,
        timeout: float = TIMEOUT_SECONDS,
    ):
        self.hub_url = hub_url
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        self.pending: queue.Queue[str] = queue.Queue()
        self.thread = threading.Thread(target=self._work, name="websub", daemon=True)
        self.thread.start()

    def publish(self, topic_urls: Iterable[str]) -> None:
        """Queue a ping for each changed feed URL; returns at once."""
        for url in topic_urls:
            self.pending.put(url)

    def _work(self) -> None:
        while True:
            self._send(self.pending.get())
            self.pending.task_done()

    def _send(self, topic_url: str) -> bool:
        data = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": topic_url}).encode()
        for attempt in range(1, self.attempts + 1):
            try:
                # The hub URL is checked to be http(s) when settings load.
                request = urllib.request.Request(self.hub_url, data=data, method="POST")  # noqa: S310
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    response.read()
                return True
            except (urllib.error.URLError, OSError) as error:
                log.warning(
                    "WebSub hub %s: ping for %s failed (attempt %d of %d): %s",
                    self.hub_url, topic_url, attempt, self.attempts, error,
                )  # fmt: skip
            if attempt < self.attempts:
                time.sleep(self.backoff * 2 ** (attempt - 1))
        log.error("WebSub hub %s: gave up on %s", self.hub_url, topic_url)
        return False
