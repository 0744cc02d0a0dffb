"""Paginated lists with stable URLs. Lists page by path, `/sections/sport/page/2/` (page 1 is
the list's own address), as static site generators do, so every page is a file on any static
host; the query form `?page=N` of older links answers 301 there. Search results, which only the
service answers, page with `?page=N`.

A list fetches one item more than a page holds to know whether a next page exists, so no list
needs counting. A page number that is not a whole number from 1 is a 400 (a 404 in a path); an
empty page past the first is a 404.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

from flask import Blueprint, abort, g, redirect, request

# Items per page of any list.
PAGE_SIZE = 20
# Longest page number read; anything longer is not a page of this archive.
MAX_PAGE_DIGITS = 7
# The rule a list's pages after the first are at, under the list's own address.
PAGE_RULE = "page/<page>/"

Item = TypeVar("Item")


@dataclass(frozen=True)
class Page:
    number: int
    has_next: bool
    size: int = PAGE_SIZE
    by_path: bool = False

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def previous_url(self) -> str | None:
        return page_url(self.number - 1, by_path=self.by_path) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return page_url(self.number + 1, by_path=self.by_path) if self.has_next else None


def paged_routes(bp: Blueprint, rule: str) -> Callable:
    """Register a list view at `rule` and at `rule` + `page/N/`."""

    def register(view: Callable) -> Callable:
        bp.get(rule)(view)
        bp.get(rule + PAGE_RULE)(view)
        return view

    return register


def take_path_page(endpoint: str | None, values: dict | None) -> None:
    """A blueprint's url_value_preprocessor: the page number of a path, kept for page_number."""
    if values and "page" in values:
        g.path_page = values.pop("page")


def page_number(*, by_path: bool = False) -> int:
    """This request's page number (1 when absent). Aborts 400 when ?page= is not a page number;
    for a list paged by path, 404 for a path page that is not one, and 301 from `?page=N` or
    `page/1/` to the page's own address."""
    in_path = g.pop("path_page", None) if by_path else None
    if in_path is not None:
        if not _is_page_number(in_path):
            abort(404, description=f"page {in_path[:40]!r} is not a page number (1, 2, 3 ...)")
        if int(in_path) == 1:
            abort(redirect(page_url(1, by_path=True), code=301))
        return int(in_path)
    text = request.args.get("page")
    if text is None:
        return 1
    if not _is_page_number(text):
        abort(400, description=f"page {text[:40]!r} is not a page number (1, 2, 3 ...)")
    if by_path:
        abort(redirect(page_url(int(text), by_path=True), code=301))
    return int(text)


def _is_page_number(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= MAX_PAGE_DIGITS and int(text) >= 1


def paginate(fetch: Callable[[int, int], Sequence[Item]]) -> tuple[Sequence[Item], Page]:
    """This request's page of a list paged by path: `fetch(limit, offset)` returns the items
    from offset. Aborts 404 for an empty page after the first."""
    number = page_number(by_path=True)
    items = fetch(PAGE_SIZE + 1, (number - 1) * PAGE_SIZE)
    return items[:PAGE_SIZE], page_of(number, found=len(items), by_path=True)


def page_of(number: int, *, found: int, by_path: bool = False) -> Page:
    """Page `number`, given how many items a fetch of PAGE_SIZE + 1 found. Aborts 404 if empty."""
    if number > 1 and not found:
        abort(404, description=f"there is no page {number} of this list")
    return Page(number, has_next=found > PAGE_SIZE, by_path=by_path)


def page_url(number: int, *, by_path: bool = False) -> str:
    """The address of page `number` of this request's list: `page/N/` under the list's own
    address when paged by path, else this request's URL with ?page= set; other parameters
    kept."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "page"]
    path = request.path
    if by_path:
        rule = request.url_rule.rule if request.url_rule is not None else ""
        if rule.endswith(PAGE_RULE):
            path = path[: path.rstrip("/").rfind("/page/") + 1]
        if number > 1:
            path = f"{path}page/{number}/"
    elif number > 1:
        args.append(("page", str(number)))
    return path + ("?" + urlencode(args) if args else "")
