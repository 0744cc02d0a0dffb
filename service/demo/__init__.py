"""Demo stories for an empty archive, so a fresh `masthead serve` has something to show, with
their pictures served by the site itself (service/static/demo-*.png)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from archive import Archive, story_from_dict
from service import urls

STORIES = Path(__file__).with_name("stories.json")


def seed(archive: Archive, *, now: datetime, base_url: str = "http://127.0.0.1:8000") -> int:
    """Add the demo stories to an empty archive; returns how many were added (0 if not empty).

    Their pictures are the site's own files: each site-relative image address is made absolute
    with `base_url`, as every stored URL is."""
    if archive.count():
        return 0
    items = json.loads(STORIES.read_text(encoding="utf-8"))
    for item in items:
        for media in item.get("media", []):
            media["url"] = urls.on_base(base_url, "/" + media["url"].lstrip("/"))
        archive.save(story_from_dict(item).replace(origin=f"demo:{item['slug']}"), now=now)
    return len(items)
