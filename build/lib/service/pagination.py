"""Paginated lists with stable URLs: ?page=N on the list's own address (page 1 has none).

A list fetches one item more than a page holds to know whether a next page exists, so no list
needs counting. A page number that is not a whole number from 1 is a 400; an empty page past
the first is a 404.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

from flask import abort, request

# Items per page of any list.
PAGE_SIZE = 20
# Longest page number read; anything longer is not a page of this archive.
MAX_PAGE_DIGITS = 7

Item = TypeVar("Item")


@dataclass(frozen=True)
class Page:
    number: int
    has_next: bool
    size: int = PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def previous_url(self) -> str | None:
        return page_url(self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return page_url(self.number + 1) if self.has_next else None


def page_number() -> int:
    """The ?page= of this request (1 when absent). Aborts 400 when it is not a page number."""
    text = request.args.get("page", "1")
    if not (text.isascii() and text.isdigit() and len(text) <= MAX_PAGE_DIGITS) or int(text) < 1:
        abort(400, description=f"page {text[:40]!r} is not a page number (1, 2, 3 ...)")
    return int(text)


def paginate(fetch: Callable[[int, int], Sequence[Item]]) -> tuple[Sequence[Item], Page]:
    """This request's page of a list: `fetch(limit, offset)` returns the items from offset.

    Aborts 404 for an empty page after the first.
    """
    number = page_number()
    items = fetch(PAGE_SIZE + 1, (number - 1) * PAGE_SIZE)
    return items[:PAGE_SIZE], page_of(number, found=len(items))


def page_of(number: int, *, found: int) -> Page:
    """Page `number`, given how many items a fetch of PAGE_SIZE + 1 found. Aborts 404 if empty."""
    if number > 1 and not found:
        abort(404, description=f"there is no page {number} of this list")
    return Page(number, has_next=found > PAGE_SIZE)


def page_url(number: int) -> str:
    """This request's URL with ?page= set to `number`, other parameters kept."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "page"]
    if number > 1:
        args.append(("page", str(number)))
    return request.path + ("?" + urlencode(args) if args else "")
