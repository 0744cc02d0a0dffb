"""The test clock and the story factories: one `make_story`, over a base shape, with any field
replaced."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from archive import Story, story_from_dict

# A fixed "now" for tests: time is injected, never read deep inside.
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


# The story most tests start from: a bridge reopening in 2014, with bylines, a section, a tag,
# a credited image, a source and a rights statement.
BRIDGE = {
    "title": "Harbour bridge reopens",
    "body": "<p>The first bus crossed at dawn.</p>",
    "section": "City",
    "tags": ["transport"],
    "authors": ["Helen Marsh", "Ravi Patel"],
    "media": [{"caption": "The bridge at dawn.", "credit": "Lena Ortiz / Masthead"}],
    "sources": [{"name": "Mara Quinn", "role": "chief engineer"}],
    "rights": {"holder": "Gazette", "statement": "© 2026 Gazette. All rights reserved."},
    "published_at": "2014-02-24T20:00:00+04:00",
}
# The story the feed tests start from: published days before NOW, with a summary, a relative
# link in its body, an image with a URL, a publisher and a licence, so every feed field is set.
SYNDICATED = {
    "title": "Harbour bridge reopens",
    "summary": "The bridge reopened after two years.",
    "body": '<p>The first bus crossed at dawn. <a href="/2014/01/01/earlier/">Earlier</a></p>',
    "section": "City",
    "tags": ["transport"],
    "authors": [{"name": "Helen Marsh"}, {"name": "Ravi Patel"}],
    "media": [
        {
            "url": "https://images.example/bridge.jpg",
            "caption": "The bridge at dawn.",
            "credit": "Lena Ortiz / Masthead",
            "copyright": "© 2026 Masthead",
        }
    ],
    "publisher": {"name": "Agence Demo", "url": "https://agence.example/"},
    "rights": {
        "holder": "Masthead",
        "statement": "This work is licensed under CC BY 4.0.",
        "license_url": "https://creativecommons.org/licenses/by/4.0/",
    },
    "published_at": "2026-11-20T09:00:00+00:00",
}


def make_story(base: Mapping[str, object] = BRIDGE, /, **fields: object) -> Story:
    """A story (not saved) of the `base` shape with `fields` replaced."""
    return story_from_dict({**base, **fields})


def full_story(**fields):
    return make_story(
        dek="Commuters crossed at dawn.",
        media=[
            {
                "url": "https://images.example/bridge.jpg",
                "caption": "The bridge at dawn.",
                "credit": "Lena Ortiz / Masthead",
                "copyright": "© 2014 Masthead",
            }
        ],
        publisher={"name": "Agence Demo", "url": "https://agence.example/"},
        rights={
            "holder": "Gazette",
            "statement": "© 2014 Gazette. Some rights reserved.",
            "license_url": "https://creativecommons.org/licenses/by/4.0/",
        },
        **fields,
    )


def add_days(archive, count: int, *, start="2014-02-01T09:00:00+00:00", step_hours=24, **fields):
    """`count` stories, one every `step_hours` from `start`, with slugs story-0, story-1 ..."""
    saved = []
    first = make_story(published_at=start).published_at
    for n in range(count):
        when = (first + timedelta(hours=step_hours * n)).isoformat()
        shape = {"title": f"Story number {n}", "slug": f"story-{n}", "published_at": when}
        saved.append(archive.save(make_story(**{**shape, **fields}), now=NOW))
    return saved
