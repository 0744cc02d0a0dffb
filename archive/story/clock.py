"""The site's calendar: every time-zone rule (permalink dates, date archives, open and closed
months, month feeds) lives here, with the clock injected so tests can pin "now".

Stored times are UTC; the site's zone decides only which day, month or year a moment belongs to.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def system_now() -> datetime:
    return datetime.now(UTC)


class Clock:
    """What the archive needs to know about the site's time: its tag: authority, its zone and
    how to read the time now (`now`, injected in tests)."""

    def __init__(
        self, *, domain: str, timezone: str, now: Callable[[], datetime] = system_now
    ) -> None:
        self.domain = domain
        self.zone = ZoneInfo(timezone)
        self.now = now

    def local(self, moment: datetime) -> datetime:
        """The moment as the site's readers see it, in the site's zone."""
        return moment.astimezone(self.zone)

    def local_date(self, moment: datetime) -> str:
        """The site's date of a moment, YYYY-MM-DD: what permalinks and date archives use."""
        return self.local(moment).strftime("%Y-%m-%d")

    def path(self, story) -> str:
        # DESIGN.md: /YYYY/MM/DD/slug/ from the first-publication date in the site's zone.
        return "/" + self.local_date(story.published_at).replace("-", "/") + f"/{story.slug}/"

    def entry_id(self, story_id: int, published_at: datetime) -> str:
        # RFC 4151 tag: URI minted once at first publication; RFC 4287 4.2.6 says it never changes.
        return f"tag:{self.domain},{published_at.strftime('%Y-%m-%d')}:/stories/{story_id}"

    def month_ends_at(self, year: int, month: int) -> datetime:
        """When a month of the site's calendar ends: midnight starting the next month, local."""
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return datetime(year, month, 1, tzinfo=self.zone).astimezone(UTC)

    def is_month_closed(self, year: int, month: int, now: datetime | None = None) -> bool:
        """Whether a month is over in the site's zone: its stories can no longer grow in number,
        so its archive feed is an RFC 5005 archive document."""
        return (now or self.now()) >= self.month_ends_at(year, month)

    def current_month_ends_at(self, now: datetime | None = None) -> datetime:
        """When the month the site is in now ends."""
        local = self.local(now or self.now())
        return self.month_ends_at(local.year, local.month)
