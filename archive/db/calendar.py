"""Reads for browsing by date: stories counted per month and per day, and the nearest dates
before and after a period that have stories. Dates are local (the site's zone), as permalinks.

Parameterised SQL only; nothing here writes. Every query is served by the index on
(status, local_date, published_at) (stories_status_local_date_published, migration m004).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from archive.story.visibility import LIVE, SYNDICATED


@dataclass(frozen=True)
class Neighbours:
    """The latest date with stories before a period and the earliest after it (YYYY-MM-DD)."""

    before: str | None
    after: str | None


def year_counts(db: sqlite_utils.Database) -> dict[int, int]:
    """Published stories per year ({year: count}, newest first, years with none left out)."""
    rows = db.execute(
        f"""SELECT CAST(substr(local_date, 1, 4) AS INTEGER), count(*) FROM stories
            WHERE {LIVE} GROUP BY substr(local_date, 1, 4) ORDER BY 1 DESC"""
    ).fetchall()
    return dict(rows)


def month_counts(db: sqlite_utils.Database, year: int) -> dict[int, int]:
    """Published stories per month of `year` ({month: count}, months with none left out)."""
    rows = db.execute(
        f"""SELECT CAST(substr(local_date, 6, 2) AS INTEGER), count(*) FROM stories
            WHERE {LIVE} AND local_date BETWEEN ? AND ? GROUP BY substr(local_date, 1, 7)""",
        [f"{year:04d}-01-01", f"{year:04d}-12-31"],
    ).fetchall()
    return dict(rows)


def day_counts(db: sqlite_utils.Database, year: int, month: int) -> dict[int, int]:
    """Published stories per day of a month ({day: count}, days with none left out)."""
    rows = db.execute(
        f"""SELECT CAST(substr(local_date, 9, 2) AS INTEGER), count(*) FROM stories
            WHERE {LIVE} AND local_date BETWEEN ? AND ? GROUP BY local_date""",
        [f"{year:04d}-{month:02d}-01", f"{year:04d}-{month:02d}-31"],
    ).fetchall()
    return dict(rows)


def neighbours(
    db: sqlite_utils.Database, first_day: str, last_day: str, *, syndicated: bool = False
) -> Neighbours:
    """The nearest local dates with published stories outside [first_day, last_day];
    `syndicated` counts only stories that go into feeds."""
    where = f"{LIVE} AND {SYNDICATED}" if syndicated else LIVE
    before = db.execute(
        f"SELECT max(local_date) FROM stories WHERE {where} AND local_date < ?", [first_day]
    ).fetchone()[0]
    after = db.execute(
        f"SELECT min(local_date) FROM stories WHERE {where} AND local_date > ?", [last_day]
    ).fetchone()[0]
    return Neighbours(before, after)
