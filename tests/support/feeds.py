"""Feed renditions as tests read them: built as the scheduler builds them, then parsed by
feedparser, lxml or json."""

from __future__ import annotations

import json

import feedparser
import pytest
from lxml import etree

from service.feeds import renditions
from tests.support.paths import SCHEMAS
from tests.support.stories import NOW

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
