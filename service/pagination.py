"""Paginated lists with stable URLs: ?page=N on the list's own address (page 1 has none).

A page number that is not a whole number from 1 is a 400; a page past the end is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import abort, request

# Stories per page of any list.
PAGE_SIZE = 20
# Largest page number read; anything longer is not a page of this archive.
MAX_PAGE_DIGITS = 7


@dataclass(frozen=True)
class Pagination:
    number: int
    size: int
    total: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def previous_url(self) -> str | None:
        return page_url(self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return page_url(self.number + 1) if self.number < self.pages else None


def page_number() -> int:
    """The ?page= of this request (1 when absent). Aborts 400 when it is not a page number."""
    text = request.args.get("page", "1")
    if not (text.isascii() and text.isdigit() and len(text) <= MAX_PAGE_DIGITS) or int(text) < 1:
        abort(400, description=f"page {text[:40]!r} is not a page number (1, 2, 3 ...)")
    return int(text)


def paginate(total: int, *, number: int | None = None, size: int = PAGE_SIZE) -> Pagination:
    """The requested page of a list of `total` items. Aborts 404 past the last page."""
    pagination = Pagination(page_number() if number is None else number, size, total)
    if pagination.number > pagination.pages:
        abort(404, description=f"this list has {pagination.pages} pages")
    return pagination


def page_url(number: int) -> str:
    """This request's URL with ?page= set to `number`, other parameters kept."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "page"]
    if number > 1:
        args.append(("page", str(number)))
    return request.path + ("?" + urlencode(args) if args else "")
