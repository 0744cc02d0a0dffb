"""A rebuild's stop, checked between stories: a stopping process never waits for a whole feed.

`rebuild` runs its scopes under `stop_on(event)`; the builders take a feed's stories through
`between_stories`, which raises RebuildStopped once the event is set. The stop is the calling
thread's alone (a context variable), so the scheduler's threads each have their own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_STOP: ContextVar[threading.Event | None] = ContextVar("masthead_rebuild_stop", default=None)


class RebuildStopped(BaseException):
    """The process is stopping: the feed in hand is left as it was stored.

    A BaseException, as GeneratorExit is: it passes every "one story never stops its feed"
    boundary (each catches Exception) on its way out to `rebuild`, which ends there."""


@contextmanager
def stop_on(stop: threading.Event | None) -> Iterator[None]:
    """Builds in this block end, between two stories, once `stop` is set."""
    token = _STOP.set(stop)
    try:
        yield
    finally:
        _STOP.reset(token)


def between_stories(items: Iterable[T]) -> Iterator[T]:
    """`items` one by one; raises RebuildStopped before the next once the stop is set."""
    stop = _STOP.get()
    for item in items:
        if stop is not None and stop.is_set():
            raise RebuildStopped
        yield item
