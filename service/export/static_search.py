"""Search for an exported site, without a server: a Pagefind index of the story pages and a
`search/` page the pages' own search form leads to (`/search?q=` is `search/index.html` on any
static host), which runs the query in the browser (service/static/static-search.js).

Builds files for service/export/static_site.py from answers of the app; runs the `pagefind` program
of the `pagefind-bin` package on copies of the story pages, each under its own language.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pagefind_bin
from lxml import html

from service.export.site_answers import Site

# Where the search page and the index are in an export.
SEARCH_PAGE = "search/index.html"
INDEX_FOLDER = "pagefind"
SCRIPT = "/static/static-search.js"
# The story pages (permalinks) are what is searched; lists and revisions would repeat them.
STORY_PAGES = "[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]/*/index.html"
# Longest a Pagefind run may take, in seconds, whatever the size of the site.
INDEX_TIMEOUT = 3600


class SearchIndexFailed(Exception):
    """Pagefind could not index the export; its output says why."""


def search_files(site: Site, exported: Path) -> dict[str, bytes]:
    """The search page and the Pagefind index of the story pages under `exported`, by the name
    each is written to."""
    files = {SEARCH_PAGE: search_page(site)}
    if next(exported.glob(STORY_PAGES), None) is None:
        return files  # no story to search: the page says none matches
    with tempfile.TemporaryDirectory(prefix="masthead-search-") as work:
        pages, index = Path(work) / "pages", Path(work) / INDEX_FOLDER
        for story in exported.glob(STORY_PAGES):
            relative = story.relative_to(exported)
            (pages / relative).parent.mkdir(parents=True, exist_ok=True)
            (pages / relative).write_bytes(in_its_language(story.read_bytes()))
        _run_pagefind(pages, index)
        for path in sorted(index.rglob("*")):
            if path.is_file():
                files[f"{INDEX_FOLDER}/{path.relative_to(index).as_posix()}"] = path.read_bytes()
    return files


def search_page(site: Site) -> bytes:
    """The site's own search page, made to search in the browser: its words-only form, a place
    for the results, and the script that finds them."""
    answer = site.ask("/search")
    tree = html.fromstring(answer.body)
    for unused in tree.xpath("//details[@class='filters'] | //p[@class='hint']"):
        unused.getparent().remove(unused)
    for message in tree.xpath("//p[@class='message']"):
        message.set("id", "static-search-status")
        message.set("role", "status")
        results = html.Element("ol", {"class": "hits", "id": "static-search-results"})
        message.addnext(results)
    [head] = tree.xpath("//head")
    head.append(html.Element("script", {"type": "module", "src": SCRIPT}))
    return html.tostring(tree, doctype="<!doctype html>", encoding="utf-8")


def in_its_language(page: bytes) -> bytes:
    """A story page marked for Pagefind: the story alone is indexed, under its own language
    (the page's `<html lang>` is the site's; the story's is on its article)."""
    tree = html.fromstring(page)
    article = tree.xpath("//article[@class='story']")
    if article:
        article[0].set("data-pagefind-body", "")
        language = article[0].get("lang")
        if language:
            tree.set("lang", language)
    return html.tostring(tree, doctype="<!doctype html>", encoding="utf-8")


def _run_pagefind(pages: Path, index: Path) -> None:
    program = str(pagefind_bin.get_executable())
    ran = subprocess.run(
        [program, "--site", str(pages), "--output-path", str(index), "--glob", STORY_PAGES],
        capture_output=True,
        text=True,
        timeout=INDEX_TIMEOUT,
        check=False,
    )
    if ran.returncode != 0:
        raise SearchIndexFailed(f"pagefind failed ({ran.returncode}): {ran.stderr or ran.stdout}")
