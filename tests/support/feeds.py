"""Feed renditions as tests read them: built as the scheduler builds them, then parsed by
feedparser, lxml or json."""

from __future__ import annotations

import json
from datetime import timedelta

import feedparser
import pytest
from lxml import etree

from archive import ChangeNote
from service.feeds import renditions
from tests.support.paths import SCHEMAS
from tests.support.stories import NOW, SYNDICATED, make_story

ATOM = "{http://www.w3.org/2005/Atom}"


TOMBSTONES = "{http://purl.org/atompub/tombstones/1.0}"


needs_schemas = pytest.mark.skipif(
    not (SCHEMAS / "atom.rng").exists(), reason="../shared/schemas is not beside this checkout"
)


def build(archive, settings, now=NOW):
    """What the scheduler does: publish what is due, then rebuild queued and all feeds once."""
    archive.publish_due(now=now)
    return renditions.rebuild_pending(archive, settings, now=now, everything=True)


def links_of(tree) -> dict[str, str]:
    """An Atom element's links, by relation."""
    return {link.get("rel"): link.get("href") for link in tree.findall(f"{ATOM}link")}


def body(archive, key):
    return archive.rendition(key).body


def parsed(archive, key):
    feed = feedparser.parse(body(archive, key))
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


def json_feed(archive, key):
    return json.loads(body(archive, key))


def atom_tree(archive, key):
    return etree.fromstring(body(archive, key))


# What a browser's navigation asks for (Chromium's Accept).
BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
)
ARABIC_TITLE = "افتتاح جسر الميناء"


def fill(archive) -> None:
    """Stories in English and Arabic, a withdrawn one and a correction."""
    archive.save(make_story(SYNDICATED, slug="older", published_at="2026-11-19T09:00:00Z"), now=NOW)
    archive.save(make_story(SYNDICATED, title=ARABIC_TITLE, slug="jisr", language="ar"), now=NOW)
    tram = archive.save(make_story(SYNDICATED, title="Tram line opens", slug="tram"), now=NOW)
    withdrawn = archive.save(make_story(SYNDICATED, title="Ferry cancelled", slug="ferry"), now=NOW)
    archive.withdraw(withdrawn.id, reason="Published in error.", now=NOW)
    archive.save(
        tram.replace(title="Tram line opens to riders"),
        now=NOW + timedelta(hours=1),
        change=ChangeNote("correction", "An earlier version gave the wrong opening hour."),
    )
