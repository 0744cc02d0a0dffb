"""Memento (RFC 7089) over the archive's own revisions: which revision was in force at a time,
and the Link headers and TimeMap that tell clients where a story's past states are.

The permalink is the Original Resource and its own TimeGate; each published revision's page is a
Memento; `.../timemap/` lists them in application/link-format (RFC 6690). Only revisions saved
while the story was published take part (the archive's public_revision_times). Builds values;
serves nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from werkzeug.exceptions import BadRequest
from werkzeug.http import http_date, parse_date

from service.urls import on_base

# RFC 7089 5: the TimeMap's media type.
LINK_FORMAT = "application/link-format"
# The request header a client names a past moment with, and the one responses vary on.
ACCEPT_DATETIME = "Accept-Datetime"
VARY = "accept-datetime"


# RFC 9110 5.6.7: the three forms of an HTTP-date, all in GMT.
_DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_LONG_DAY = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_TIME = "[0-9]{2}:[0-9]{2}:[0-9]{2}"
HTTP_DATE_FORMS = (
    re.compile(rf"{_DAY}, [0-9]{{2}} {_MONTH} [0-9]{{4}} {_TIME} GMT"),  # IMF-fixdate
    re.compile(rf"{_LONG_DAY}, [0-9]{{2}}-{_MONTH}-[0-9]{{2}} {_TIME} GMT"),  # RFC 850
    re.compile(rf"{_DAY} {_MONTH} (?:[0-9]{{2}}| [0-9]) {_TIME} [0-9]{{4}}"),  # asctime
)


@dataclass(frozen=True)
class Memento:
    """One published revision as a Memento: its number, its page's URL and when it was saved."""

    number: int
    url: str
    saved_at: datetime

    @property
    def datetime_value(self) -> str:
        """The Memento-Datetime (RFC 7089 2.1.1): an HTTP-date, to the second, in GMT."""
        return http_date(self.saved_at)


def story_urls(path: str, base_url: str) -> dict[str, str]:
    """The absolute URLs of a story's Original Resource, TimeGate and TimeMap, from its
    permalink path."""
    original = on_base(base_url, path)
    return {"original": original, "timegate": original, "timemap": f"{original}timemap/"}


def mementos_of(
    path: str, revision_times: Sequence[tuple[int, datetime]], base_url: str
) -> list[Memento]:
    """The published revisions, as (number, saved_at) oldest first, as Mementos."""
    original = story_urls(path, base_url)["original"]
    return [
        Memento(number, f"{original}revisions/{number}/", _to_second(saved_at))
        for number, saved_at in revision_times
    ]


def parse_accept_datetime(value: str) -> datetime:
    """An Accept-Datetime value as an aware UTC datetime. Raises BadRequest naming the value.

    RFC 7089 2.1.1 takes an HTTP-date: RFC 9110 5.6.7's IMF-fixdate, or the obsolete RFC 850
    and asctime forms, always in GMT. Anything else (a numeric zone such as +0000 or -0100, an
    empty value, a date that does not exist) is refused, never guessed at.
    """
    if not any(form.fullmatch(value) for form in HTTP_DATE_FORMS):
        raise BadRequest(
            f"Accept-Datetime {value[:100]!r} is not an HTTP-date (RFC 7089 2.1.1: an "
            "IMF-fixdate in GMT); expected for example 'Mon, 24 Feb 2014 16:00:00 GMT'"
        )
    try:
        moment = parse_date(value)
        if moment is None:
            raise ValueError(value)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise BadRequest(
            f"Accept-Datetime {value[:100]!r} is not an HTTP-date that exists (RFC 7089 2.1.1)"
        ) from None


def memento_at(mementos: Sequence[Memento], moment: datetime) -> Memento:
    """The Memento in force at `moment`: the last saved at or before it; the first for a moment
    before any (RFC 7089 4.1.1 leaves the choice to the TimeGate; the first is the nearest)."""
    if not mementos:
        raise ValueError("a story that can be negotiated has at least one published revision")
    chosen = mementos[0]
    for memento in mementos:
        if memento.saved_at <= moment:
            chosen = memento
    return chosen


def original_links(path: str, base_url: str) -> str:
    """The Link header of the permalink: it is the Original Resource and its own TimeGate."""
    urls = story_urls(path, base_url)
    return _join(
        [
            _link(urls["original"], "original timegate"),
            _link(urls["timemap"], "timemap", type=LINK_FORMAT),
        ]
    )


def timegate_links(path: str, mementos: Sequence[Memento], chosen: Memento, base_url: str) -> str:
    """The Link header of a TimeGate's answer (RFC 7089 4.1.1): the original and the TimeMap,
    and the Memento chosen (a published revision: revisions saved while the story was not
    public are never chosen) with the first and last, each with its datetime."""
    urls = story_urls(path, base_url)
    relations: dict[int, list[str]] = {}
    for position, relation in ((0, "first"), (len(mementos) - 1, "last")):
        relations.setdefault(position, []).append(relation)
    relations.setdefault(mementos.index(chosen), [])
    links = [
        _link(urls["original"], "original timegate"),
        _link(urls["timemap"], "timemap", type=LINK_FORMAT),
    ]
    return _join([*links, *_memento_links(mementos, relations)])


def _memento_links(mementos: Sequence[Memento], relations: dict[int, list[str]]) -> list[str]:
    """One link per Memento named in `relations` (by position), its relations together."""
    return [
        _link(
            mementos[p].url,
            " ".join([*relations[p], "memento"]),
            datetime=mementos[p].datetime_value,
        )
        for p in sorted(relations)
    ]


def memento_links(path: str, mementos: Sequence[Memento], number: int, base_url: str) -> str:
    """The Link header of one Memento: original, timegate, timemap, and the first, last, previous
    and next Mementos where they exist (one link per Memento, its relations together)."""
    urls = story_urls(path, base_url)
    index = next(i for i, m in enumerate(mementos) if m.number == number)
    relations: dict[int, list[str]] = {}
    for position, relation in (
        (0, "first"),
        (index - 1, "prev"),
        (index + 1, "next"),
        (len(mementos) - 1, "last"),
    ):
        if 0 <= position < len(mementos) and position != index:
            relations.setdefault(position, []).append(relation)
    links = [
        _link(urls["original"], "original"),
        _link(urls["timegate"], "timegate"),
        _link(urls["timemap"], "timemap", type=LINK_FORMAT),
    ]
    return _join([*links, *_memento_links(mementos, relations)])


def timemap(path: str, mementos: Sequence[Memento], base_url: str) -> str:
    """The TimeMap of a story (RFC 7089 5, link-format): original, itself with from/until,
    the TimeGate, and every Memento with its datetime, oldest first, one link a line."""
    urls = story_urls(path, base_url)
    links = [
        _link(urls["original"], "original"),
        _link(
            urls["timemap"],
            "self",
            type=LINK_FORMAT,
            **(
                {"from": mementos[0].datetime_value, "until": mementos[-1].datetime_value}
                if mementos
                else {}
            ),
        ),
        _link(urls["timegate"], "timegate"),
    ]
    for position, memento in enumerate(mementos):
        rel = " ".join(
            [
                *(["first"] if position == 0 else []),
                *(["last"] if position == len(mementos) - 1 else []),
                "memento",
            ]
        )
        links.append(_link(memento.url, rel, datetime=memento.datetime_value))
    return ",\n".join(links) + "\n"


def _link(url: str, rel: str, **params: str) -> str:
    """One link-value (RFC 8288 3): `<url>; rel="..."; name="value"`."""
    quoted = "".join(f'; {name}="{value}"' for name, value in params.items())
    return f'<{url}>; rel="{rel}"{quoted}'


def _join(links: list[str]) -> str:
    return ", ".join(links)


def _to_second(moment: datetime) -> datetime:
    """HTTP-dates carry whole seconds: a client sending back a Memento-Datetime must get that
    same Memento, so revisions are compared at the second."""
    return moment.astimezone(UTC).replace(microsecond=0)
