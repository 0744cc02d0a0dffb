"""The story the citation tests cite: its permalink, when it was saved and edited, and the day a
citation is taken."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tests.support.pages import STORY
from tests.support.stories import make_story

PERMALINK = "https://news.example" + STORY


SAVED = datetime(2014, 2, 24, 16, 5, tzinfo=UTC)


EDITED = datetime(2014, 3, 2, 9, 30, tzinfo=UTC)


def today() -> tuple[int, int, int]:
    """Today in the site's zone (Europe/London): the day a citation is taken."""
    moment = datetime.now(ZoneInfo("Europe/London"))
    return moment.year, moment.month, moment.day


def cited_story(**fields):
    shape = {"publisher": {"name": "Agence Demo", "url": "https://agence.example/"}}
    return make_story(**{**shape, **fields})
