"""Cite this: the citation block of story and revision pages, and its CSL-JSON and BibTeX
downloads, read back with a JSON Schema validator and a BibTeX parser.
"""

from __future__ import annotations

import json
from datetime import timedelta

import bibtexparser
import jsonschema
import pytest
from bibtexparser.middlewares import LatexDecodingMiddleware, SeparateCoAuthors

from tests.support.citations import EDITED, PERMALINK, SAVED, cited_story, today
from tests.support.pages import html_of, texts
from tests.support.stories import NOW, make_story

STORY = "/2014/02/24/harbour-bridge-reopens/"
ENTRY_ID = "tag:news.example,2014-02-24:/stories/1"

# The parts of the CSL-JSON schema (citation-style-language/schema, csl-data.json) that our
# items use: an array of items, each with an id and a known type; names as objects with
# `literal` or family/given; dates as date-parts; every other variable a string.
NAME = {
    "type": "object",
    "properties": {"literal": {"type": "string"}, "family": {}, "given": {}},
    "anyOf": [{"required": ["literal"]}, {"required": ["family"]}],
    "additionalProperties": False,
}
DATE = {
    "type": "object",
    "properties": {
        "date-parts": {
            "type": "array",
            "minItems": 1,
            "maxItems": 2,
            "items": {"type": "array", "minItems": 1, "maxItems": 3, "items": {"type": "integer"}},
        }
    },
    "required": ["date-parts"],
}
CSL_ITEM_TYPES = ["article", "article-magazine", "article-newspaper", "post", "webpage"]
CSL_DATA_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["id", "type"],
        "properties": {
            "id": {"type": "string"},
            "type": {"enum": CSL_ITEM_TYPES},
            "author": {"type": "array", "items": NAME},
            "issued": DATE,
            "accessed": DATE,
        },
        "additionalProperties": {"type": "string"},
        "propertyNames": {
            "enum": [
                "id",
                "type",
                "title",
                "author",
                "container-title",
                "publisher",
                "archive",
                "archive_location",
                "issued",
                "accessed",
                "URL",
                "version",
                "language",
                "note",
                "abstract",
            ]
        },
    },
}


def bib_entries(text: str) -> list:
    library = bibtexparser.parse_string(
        text, append_middleware=[LatexDecodingMiddleware(), SeparateCoAuthors()]
    )
    assert library.failed_blocks == []
    return library.entries


def fields_of(entry) -> dict:
    return {field.key: field.value for field in entry.fields}


@pytest.fixture
def edited(archive):
    """A story published on 24 February and retitled on 2 March (revisions 1 and 2)."""
    story = archive.save(cited_story(), now=SAVED)
    return archive.save(story.replace(title="Harbour bridge reopens at last"), now=EDITED)


# The block on the page


def test_story_page_shows_a_citation_block_with_a_copyable_text(edited, client):
    tree = html_of(client.get(STORY))
    [block] = tree.cssselect("section.cite")
    assert texts(block, ".cite-title") == ["Harbour bridge reopens at last"]
    assert texts(block, ".cite-bylines") == ["Helen Marsh and Ravi Patel"]
    assert texts(block, ".cite-publisher") == ["Agence Demo"]
    [published] = block.cssselect(".cite-published time")
    assert published.get("datetime") == "2014-02-24"
    assert [a.get("href") for a in block.cssselect(".cite-permalink a")] == [PERMALINK]
    assert texts(block, ".cite-entry-id") == [ENTRY_ID]
    [saved] = block.cssselect(".cite-revision time")
    assert texts(block, ".cite-revision")[0].startswith("2, ")
    assert saved.get("datetime") == EDITED.isoformat()
    [copy] = block.cssselect("textarea.cite-text")
    assert copy.get("readonly") is not None
    assert block.cssselect(f"label[for={copy.get('id')}]")
    assert copy.text == (
        "Helen Marsh and Ravi Patel. “Harbour bridge reopens at last.” Masthead Demo Gazette,"
        " 24 February 2014 (originally published by Agence Demo). Revision 2, saved 2 March"
        f" 2014, 09:30 GMT. {PERMALINK}. Entry id {ENTRY_ID}."
    )
    downloads = {a.text: a.get("href") for a in block.cssselect(".cite-downloads a")}
    assert downloads == {
        "CSL-JSON": STORY + "cite.json",
        "BibTeX": STORY + "cite.bib",
        "RIS": STORY + "cite.ris",
    }
    # The rights notice still closes the story: the citation is outside the article.
    assert not tree.cssselect("article section.cite")


def test_revision_page_cites_that_revision(edited, client):
    tree = html_of(client.get(STORY + "revisions/1/"))
    [block] = tree.cssselect("section.cite")
    assert texts(block, "h2") == ["Cite this revision"]
    assert texts(block, ".cite-title") == ["Harbour bridge reopens"]
    assert [a.get("href") for a in block.cssselect(".cite-permalink a")] == [PERMALINK]
    assert [a.get("href") for a in block.cssselect(".cite-revision a")] == [
        PERMALINK + "revisions/1/"
    ]
    assert block.cssselect(".cite-revision time")[0].get("datetime") == SAVED.isoformat()
    text = block.cssselect("textarea.cite-text")[0].text
    assert "Revision 1, saved 24 February 2014, 16:05 GMT." in text
    assert f"{PERMALINK}revisions/1/ (permalink {PERMALINK})." in text
    downloads = [a.get("href") for a in block.cssselect(".cite-downloads a")]
    assert downloads == [STORY + f"revisions/1/cite.{fmt}" for fmt in ("json", "bib", "ris")]


def test_story_without_bylines_or_publisher_cites_the_title_first(archive, client):
    archive.save(make_story(authors=[]), now=SAVED)
    block = html_of(client.get(STORY)).cssselect("section.cite")[0]
    assert block.cssselect(".cite-bylines, .cite-publisher") == []
    assert block.cssselect("textarea")[0].text.startswith("“Harbour bridge reopens.” Masthead")


# CSL-JSON


def test_csl_json_downloads_validate_and_name_the_story(edited, client):
    response = client.get(STORY + "cite.json")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.citationstyles.csl+json"
    assert response.headers["ETag"]
    items = json.loads(response.get_data(as_text=True))
    jsonschema.validate(items, CSL_DATA_SCHEMA)
    [item] = items
    assert item == {
        "id": ENTRY_ID,
        "type": "article-newspaper",
        "title": "Harbour bridge reopens at last",
        "author": [{"literal": "Helen Marsh"}, {"literal": "Ravi Patel"}],
        "container-title": "Masthead Demo Gazette",
        "publisher": "Agence Demo",
        "issued": {"date-parts": [[2014, 2, 24]]},
        "accessed": {"date-parts": [list(today())]},
        "URL": PERMALINK,
        "version": "2",
        "language": "en",
        "note": f"Revision 2, saved 2 March 2014, 09:30 GMT. Permalink {PERMALINK}. "
        f"Entry id {ENTRY_ID}.",
    }


def test_csl_json_of_a_revision_points_at_that_revision(edited, client):
    [item] = client.get(STORY + "revisions/1/cite.json").get_json(force=True)
    jsonschema.validate([item], CSL_DATA_SCHEMA)
    assert item["id"] == ENTRY_ID + "#revision-1"
    assert item["title"] == "Harbour bridge reopens"
    assert item["URL"] == PERMALINK + "revisions/1/"
    assert item["version"] == "1"
    # A revision's own date: when it was saved (revision 2's is 2 March).
    assert item["issued"] == {"date-parts": [[2014, 2, 24]]}
    [second] = client.get(STORY + "revisions/2/cite.json").get_json(force=True)
    assert second["issued"] == {"date-parts": [[2014, 3, 2]]}
    assert second["URL"] == PERMALINK + "revisions/2/"


def test_csl_json_schema_subset_rejects_what_it_should(edited, client):
    [item] = client.get(STORY + "cite.json").get_json(force=True)
    for broken in (
        {**item, "type": "newspaper-article"},
        {**item, "author": [{"name": "Helen Marsh"}]},
        {**item, "issued": "2014-02-24"},
        {key: value for key, value in item.items() if key != "id"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate([broken], CSL_DATA_SCHEMA)


# BibTeX


@pytest.mark.parametrize(
    ("title", "authors"),
    [
        ("Мост открыт после ремонта", ["Мария Иванова", "Пётр Смирнов"]),
        ("إعادة افتتاح الجسر", ["ليلى حسن"]),
        ("港の橋が再開", ["山田 太郎", "李明"]),
        (r"50% off {braces} & #1_best $5 ~tilde^ back\slash", ["Ann & Bob {Jr}", "C_D"]),
    ],
)
def test_bibtex_escapes_special_characters_and_keeps_any_script(archive, client, title, authors):
    archive.save(
        cited_story(title=title, slug="harbour-bridge-reopens", authors=authors), now=SAVED
    )
    response = client.get(STORY + "cite.bib")
    assert response.status_code == 200
    assert response.mimetype == "application/x-bibtex"
    text = response.get_data(as_text=True)
    # Non-ASCII stays as UTF-8 text, not as LaTeX accents or escapes.
    for name in authors:
        if not name.isascii():
            assert name in text
    [entry] = bib_entries(text)
    assert entry.entry_type == "article"
    assert entry.key == "harbour-bridge-reopens-2014-02-24"
    fields = fields_of(entry)
    # pylatexenc reads \textasciicircum as U+02C6; LaTeX prints it as "^".
    assert fields["title"] == title.replace("^", "\u02c6")
    assert fields["author"] == authors
    if "^" in title:  # each special character written as LaTeX reads it, not as markup
        assert (
            r"{{50\% off \{braces\} \& \#1\_best \$5 \textasciitilde{}tilde\textasciicircum{}"
            r" back\textbackslash{}slash}}" in text
        )
        assert r"{Ann \& Bob \{Jr\}} and {C\_D}" in text
    assert fields["journal"] == "Masthead Demo Gazette"
    assert (fields["year"], fields["date"]) == ("2014", "2014-02-24")
    assert fields["url"] == PERMALINK
    assert fields["version"] == "1"
    assert ENTRY_ID in fields["note"]
    assert "Originally published by Agence Demo." in fields["note"]


def test_bibtex_of_a_revision_has_its_own_key_and_url(edited, client):
    [entry] = bib_entries(client.get(STORY + "revisions/1/cite.bib").get_data(as_text=True))
    fields = fields_of(entry)
    assert entry.key == "harbour-bridge-reopens-2014-02-24-r1"
    assert fields["title"] == "Harbour bridge reopens"
    assert fields["url"] == PERMALINK + "revisions/1/"
    assert "Revision 1, saved 24 February 2014, 16:05 GMT." in fields["note"]


# What is not cited


def test_citations_follow_the_story_visibility(edited, archive, client):
    draft = archive.save(edited.replace(status="draft"), now=EDITED + timedelta(hours=1))
    archive.save(draft.replace(status="published"), now=EDITED + timedelta(hours=2))
    assert client.get(STORY + "revisions/3/cite.json").status_code == 404  # saved as a draft
    assert client.get(STORY + "revisions/4/cite.bib").status_code == 200
    # Saved from the story as it is now: `edited` still carries an older updated_at.
    current = archive.get(edited.id)
    archive.save(current.replace(slug="bridge-reopens"), now=NOW, expected_revision=4)
    moved = client.get(STORY + "revisions/1/cite.bib")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith("/2014/02/24/bridge-reopens/revisions/1/cite.bib")
    archive.withdraw(edited.id, reason="Legal request", now=NOW)
    for path in ("cite.json", "cite.bib", "revisions/1/cite.json"):
        assert client.get("/2014/02/24/bridge-reopens/" + path).status_code == 410
