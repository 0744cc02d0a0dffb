"""A deposit package for libraries and national archives: a BagIt bag (RFC 8493, the `bagit`
library) holding the public site as WARC, every public story with its public revisions as JSON
Lines, and a README of what is inside, with SHA-256 and SHA-512 manifests.

Fills a folder it is given with the payload and makes it a bag; the command writes the payload
(service/commands/cli.py) and puts the bag in place once it validates.
"""

from __future__ import annotations

from datetime import datetime
from importlib.metadata import version
from pathlib import Path

import bagit

from service import urls
from service.settings import Settings

# The payload's files, as the README names them.
WARC_NAME = "site.warc.gz"
STORIES_NAME = "stories.jsonl"
README_NAME = "README.txt"
CHECKSUMS = ["sha256", "sha512"]


def readme(settings: Settings, *, now: datetime, stories: int, captures: int) -> str:
    site = settings.site
    return f"""{site.title}: the public archive of {urls.home_url(site)}, as deposited on
{now:%Y-%m-%d} by Masthead {version("masthead")}.

{WARC_NAME}
    The public site as WARC/1.1 (ISO 28500), {captures} captures: every page, feed, sitemap,
    citation and TimeMap with its HTTP headers. Each published revision of a story is a
    capture of its permalink dated when it was published; moved stories answer 301 and
    withdrawn ones 410, as the site does. Replay it with pywb or any WARC tool.

{STORIES_NAME}
    Every public story ({stories}), one JSON object a line, as `masthead export --revisions`
    writes it: ids, entry ids, permalinks, attribution, rights, and every revision the public
    saw. `masthead import` restores it.

The manifests (SHA-256 and SHA-512) cover every file; check the bag with
`bagit.py --validate` (RFC 8493).
"""


def make_package(folder: Path, settings: Settings, *, now: datetime) -> bagit.Bag:
    """Make `folder` (holding the payload) a bag, and check it as a depositor would.

    Raises bagit.BagError (or BagValidationError) naming what is wrong."""
    home = urls.home_url(settings.site)
    info = {
        "Source-Organization": settings.site.title,
        "External-Identifier": home,
        "External-Description": f"The public archive of {home}: site (WARC) "
        "and stories with their revisions (JSON Lines).",
        "Bagging-Date": now.date().isoformat(),
        "Bag-Software-Agent": f"Masthead {version('masthead')} (bagit {version('bagit')})",
    }
    bag = bagit.make_bag(str(folder), info, checksums=CHECKSUMS)
    bag.validate()
    return bag
