"""Demo stories for an empty archive, so a fresh `masthead serve` has something to show."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from archive import Archive, story_from_dict

STORIES = Path(__file__).with_name("stories.json")


def seed(archive: Archive, *, now: datetime) -> int:
    """Add the demo stories to an empty archive; returns how many were added (0 if not empty)."""
    if archive.count():
        return 0
    items = json.loads(STORIES.read_text(encoding="utf-8"))
    for item in items:
        archive.save(story_from_dict(item).replace(origin=f"demo:{item['slug']}"), now=now)
    return len(items)
