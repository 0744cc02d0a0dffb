"""The main page queries use indexes: EXPLAIN QUERY PLAN of the SQL each archive read really
runs (captured with a trace callback) never scans the stories table.
"""

from __future__ import annotations

import pytest

from tests.support.archives import plans_of
from tests.support.stories import NOW, make_story

PAGE_READS = {
    "permalink": lambda a: a.at("/2014/02/24/harbour-bridge-reopens/"),
    "latest": lambda a: a.latest(limit=20, offset=20),
    "date range": lambda a: a.between("2014-02-01", "2014-02-28", limit=20, offset=20),
    "section": lambda a: a.latest(section="city", limit=20),
    "tag": lambda a: a.latest(tag="transport", limit=20),
    "author": lambda a: a.latest(author="helen-marsh", limit=20),
    "year counts": lambda a: a.year_counts(),
    "month counts": lambda a: a.month_counts(2014),
    "day counts": lambda a: a.day_counts(2014, 2),
    "previous and next dates": lambda a: a.neighbours("2014-02-01", "2014-02-28"),
    "search": lambda a: a.search("bridge"),
    "filtered search": lambda a: a.search(
        "bridge", section="city", author="helen-marsh", first_day="2014-01-01"
    ),
    "section name": lambda a: a.names.section("city"),
    "tag name": lambda a: a.names.tag("transport"),
    "author name": lambda a: a.names.author("helen-marsh"),
    "sitemap": lambda a: a.sitemap_entries(1, size=50_000),
    "tag index": lambda a: a.names.index("tags"),
    "author index": lambda a: a.names.index("authors"),
    "feed directory checks": lambda a: [
        a.names.has_live_stories(kind, slug)
        for kind, slug in (("sections", "city"), ("tags", "transport"), ("authors", "ravi-patel"))
    ],
}


@pytest.mark.parametrize("name", PAGE_READS)
def test_page_query_never_scans_the_stories_table(archive, name):
    for slug in ("harbour-bridge-reopens", "second", "third"):
        archive.save(make_story(slug=slug), now=NOW)
    plans = plans_of(archive, PAGE_READS[name])
    assert plans, f"{name} ran no SQL on stories"
    for sql, plan in plans.items():
        scans = [
            step for step in plan if step.startswith("SCAN stories ") or step == "SCAN stories"
        ]
        assert not scans, f"{name} scans stories:\n{sql}\n{plan}"


@pytest.mark.parametrize("name", ["latest", "date range", "section", "author", "tag"])
def test_lists_are_read_in_index_order_without_sorting(archive, name):
    archive.save(make_story(), now=NOW)
    plans = plans_of(archive, PAGE_READS[name])
    assert plans, f"{name} ran no SQL on stories"
    for sql, plan in plans.items():
        assert "USE TEMP B-TREE FOR ORDER BY" not in plan, f"{name} sorts:\n{sql}\n{plan}"
