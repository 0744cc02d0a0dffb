"""Ingestion of real-shaped articles: text, Markdown, saved HTML pages and JSON."""

from __future__ import annotations

import pytest

from archive import InvalidStory
from archive.extract import creative_commons_url, extract, parse_credit, parse_rights
from archive.ingest import IngestError, read_file, stories_from
from tests.conftest import CORPUS, FIXTURES, NOW

CEREMONY = CORPUS / "closing-ceremony.txt"
needs_corpus = pytest.mark.skipif(
    not CEREMONY.exists(), reason="../shared/corpus is not beside this checkout"
)


@needs_corpus
def test_corpus_article_yields_title_dek_image_sources_and_rights():
    [story] = read_file(CEREMONY)
    assert story.title == "Behind the scenes at the Closing Ceremony"
    assert story.dek == (
        "Spectators cried as the flame was extinguished on the Sochi 2014 Olympic Winter Games."
    )
    assert [(m.caption, m.credit) for m in story.media] == [
        (
            "The closing ceremony of the XXII Olympic Winter Games in Sochi.",
            "Alexander Vilf / RIA Novosti",
        )
    ]
    assert [(s.name, s.role) for s in story.sources] == [
        ("Andrei Nasovsky", "executive producer of the ceremony"),
        ("Anastasiya Titkova", "vice president of the Russian Union of Dancesport"),
        ("Te-jung", "spectator, Republic of Korea"),
        ("Anna and Dmitry", "Russia"),
        ("Charles", "France"),
        ("Phil", "United States"),
    ]
    assert story.rights.statement == "All rights reserved by Rossiyskaya Gazeta."
    assert story.rights.holder == "Rossiyskaya Gazeta"


@needs_corpus
def test_corpus_article_keeps_body_in_order_and_drops_the_cookie_banner():
    [story] = read_file(CEREMONY)
    body = story.body_html
    assert "cookie" not in body.lower()
    assert "Source:" not in body
    assert "All rights reserved" not in body
    assert "Spectators cried" not in body  # the dek is not repeated in the body
    order = [
        "On the evening of Feb. 23",
        "Andrei Nasovsky, executive producer",
        "In preparing the final show",
        "At the end of the closing ceremony",
        "I am absolutely delighted",
        "It was a brilliant idea!",
    ]
    positions = [body.index(text) for text in order]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    ("name", "title", "credit", "holder", "license_url", "sources"),
    [
        (
            "harbour-fire.txt",
            "Fire crews contain blaze at the old harbour warehouse",
            "Jane Roe/AP",
            "Coastal Herald",
            None,
            [("Maria Lopez", "fire chief")],
        ),
        (
            "council-vote.txt",
            "Council votes to pedestrianise the market square",
            "Sam Lee / Reuters",
            "Northern News Ltd",
            None,
            [("Peter Grant", "chairman of the traders' association")],
        ),
        (
            "open-data.txt",
            "City publishes its tree census as open data",
            "Open City Project",
            "",
            "https://creativecommons.org/licenses/by-sa/4.0/",
            [("Dr Amara Osei", "urban ecologist at the university")],
        ),
    ],
)
def test_text_articles_of_the_same_kind(name, title, credit, holder, license_url, sources):
    [story] = read_file(FIXTURES / name)
    assert story.title == title
    assert [m.credit for m in story.media] == [credit]
    assert story.rights.holder == holder
    assert story.rights.license_url == license_url
    assert [(s.name, s.role) for s in story.sources] == sources
    furniture = ("cookie", "newsletter", "share on", "twitter", "all rights reserved")
    assert not [word for word in furniture if word in story.body_html.lower()]


def test_byline_line_becomes_authors_in_order():
    [story] = read_file(FIXTURES / "harbour-fire.txt")
    assert [a.name for a in story.authors] == ["Jane Roe", "John Doe"]


def test_credit_on_its_own_line_takes_the_caption_above_it():
    [story] = read_file(FIXTURES / "council-vote.txt")
    assert story.media[0].caption == "Councillors applaud after the vote."
    assert "Councillors applaud" not in story.body_html


@pytest.mark.parametrize(
    ("block", "caption", "credit"),
    [
        ("Crowds at the gate. Source: Anna Li / TASS", "Crowds at the gate.", "Anna Li / TASS"),
        ("Protesters gather. Photo: Jane Roe/AP", "Protesters gather.", "Jane Roe/AP"),
        ("Credit: Getty Images", "", "Getty Images"),
        ("The harbour. Image: John Smith / Reuters", "The harbour.", "John Smith / Reuters"),
        ("A fox in the snow (Photo: © Kim Ode)", "A fox in the snow", "© Kim Ode"),
    ],
)
def test_credit_forms(block, caption, credit):
    media = parse_credit(block)
    assert (media["caption"], media["credit"]) == (caption, credit)


def test_source_in_the_middle_of_a_sentence_is_not_a_credit():
    assert parse_credit("Officials said the data source: was not named in the report") is None


@pytest.mark.parametrize(
    ("line", "holder"),
    [
        ("© 2019 Publisher. All rights reserved.", "Publisher"),
        ("Copyright 2021 X Ltd. All rights reserved.", "X Ltd"),
        ("All rights reserved by Rossiyskaya Gazeta.", "Rossiyskaya Gazeta"),
        ("© Daily Planet 2020", "Daily Planet 2020"),
    ],
)
def test_rights_lines(line, holder):
    rights = parse_rights(line)
    assert rights["holder"] == holder
    assert rights["statement"] == line


@pytest.mark.parametrize(
    ("sentence", "url"),
    [
        (
            "Licensed under a Creative Commons Attribution 4.0 International License.",
            "https://creativecommons.org/licenses/by/4.0/",
        ),
        (
            "Creative Commons Attribution-NonCommercial-NoDerivatives 4.0",
            "https://creativecommons.org/licenses/by-nc-nd/4.0/",
        ),
        (
            "Republished under CC BY-NC-SA 3.0.",
            "https://creativecommons.org/licenses/by-nc-sa/3.0/",
        ),
        ("Released under CC0.", "https://creativecommons.org/publicdomain/zero/1.0/"),
    ],
)
def test_creative_commons_sentences_give_the_licence_url(sentence, url):
    assert creative_commons_url(sentence) == url


def test_caption_printed_twice_is_stored_once():
    text = "Title\n\nA cat. Photo: Ann\n\nA cat. Photo: Ann\n\nBody one is here.\n\nBody two."
    assert len(extract(text).media) == 1


def test_markdown_front_matter_fills_the_story():
    [story] = read_file(FIXTURES / "garden-show.md")
    assert story.slug == "garden-show-returns"
    assert story.section == "Culture"
    assert story.tags == ("gardening", "shows")
    assert story.media[0].credit == "Marco Bellini / Masthead"
    assert story.published_at.isoformat() == "2026-06-12T09:30:00+01:00"
    assert "<strong>garden show</strong>" in story.body_html


def test_saved_html_page_loses_its_furniture_and_keeps_the_article():
    [story] = read_file(FIXTURES / "saved-page.html")
    assert story.title == "Tram line extension opens to passengers"
    assert [a.name for a in story.authors] == ["Nadia Karim"]
    assert story.publisher.name == "The Valley Courier"
    assert story.media[0].credit == "Ola Berg / Valley Courier"
    assert story.rights.holder == "The Valley Courier"
    assert story.published_at.isoformat() == "2024-09-14T08:30:00+01:00"
    body = story.body_html.lower()
    for furniture in ("cookie", "most read", "subscribe", "follow us", "tracking"):
        assert furniture not in body


def test_json_list_gives_each_story_its_own_origin():
    stories = read_file(FIXTURES / "two-stories.json")
    assert [s.slug for s in stories] == ["ferry-timetable-changes", "lighthouse-open-day"]
    assert len({s.origin for s in stories}) == 2
    assert stories[1].status == "draft"


def test_defaults_fill_only_what_the_file_leaves_out():
    raw = "A title\n\nOne paragraph of body text that is long enough.\n\nAnother."
    defaults = {"section": "sport", "tags": ["olympics"], "authors": ["Ann Lee"]}
    [story] = stories_from(raw, "text", defaults=defaults)
    assert (story.section, story.tags, story.authors[0].name) == ("sport", ("olympics",), "Ann Lee")
    [story] = stories_from(
        '{"title": "T", "section": "world"}', "json", defaults={"section": "sport"}
    )
    assert story.section == "world"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "the file is empty"),
        (b"   \n\n  ", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        (b"caf\xe9 au lait\n\nbody", "not UTF-8"),
        (b"This website uses cookies.\n\nAccept cookies", "no title"),
    ],
)
def test_bad_text_files_are_refused_with_the_reason(tmp_path, content, problem):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(IngestError, match=problem):
        read_file(path)


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("story.json", "{not json", "not valid JSON"),
        ("story.json", "[]", "holds no stories"),
        ("story.json", '{"title": "T", "colour": "red"}', "colour is not a story field"),
        ("story.json", '{"title": "T", "published_at": "2014-02-31T10:00:00Z"}', "2014-02-31"),
        ("story.json", '{"title": "T", "published_at": "2014-02-24T10:00:00"}', "no time zone"),
        ("story.docx", "whatever", "unknown format '.docx'"),
        ("story.md", "---\ntitle: [unclosed\n---\nbody", "front matter is not valid YAML"),
    ],
)
def test_bad_files_name_the_problem(tmp_path, name, content, problem):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidStory, match=problem):
        read_file(path)


def test_every_json_problem_is_listed_at_once(tmp_path):
    path = tmp_path / "story.json"
    path.write_text(
        '{"title": 5, "tags": "x", "published_at": "yesterday", "syndication": 1}', encoding="utf-8"
    )
    with pytest.raises(InvalidStory) as raised:
        read_file(path)
    assert len(raised.value.problems) == 4


def test_saved_bodies_are_sanitised(archive):
    [ferry, _draft] = read_file(FIXTURES / "two-stories.json")
    saved = archive.save(ferry, now=NOW)
    assert "javascript:" not in saved.body_html
    assert "onclick" not in saved.body_html
    [garden] = read_file(FIXTURES / "garden-show.md")
    assert "<script" not in archive.save(garden, now=NOW).body_html
