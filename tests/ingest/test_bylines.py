"""Bylines read by their form wherever an article places them: a table of byline forms in many
languages, body sentences that must stay body text, and articles of the seed's kind in ten
languages with the byline under the title, after a caption, after the standfirst and at the end.
"""

from __future__ import annotations

import pytest

from archive.ingest import formats as ingest
from archive.ingest.byline import byline_authors
from archive.ingest.extract import blocks_of
from tests.support import paths

FIXTURES = paths.FIXTURES / "bylines"
ORG = "organization"

# (line, [(name, kind)]): every form is read wherever it stands (no label is guessed).
BYLINES = [
    # English
    ("By Ann Lee", [("Ann Lee", "person")]),
    ("By Ann Lee and Bo Chen", [("Ann Lee", "person"), ("Bo Chen", "person")]),
    ("BY ANN LEE", [("ANN LEE", "person")]),
    (
        "By Ann Lee, Bo Chen & Cai Wu",
        [("Ann Lee", "person"), ("Bo Chen", "person"), ("Cai Wu", "person")],
    ),
    ("Words: Ann Lee", [("Ann Lee", "person")]),
    ("Text and photos: Ann Lee", [("Ann Lee", "person")]),
    ("Text & photos: Ann Lee", [("Ann Lee", "person")]),
    ("Written by Ann Lee", [("Ann Lee", "person")]),
    ("Reporting by Ann Lee", [("Ann Lee", "person")]),
    ("By Ann Lee, Staff Writer", [("Ann Lee", "person")]),
    ("By Ann Lee, Reuters", [("Ann Lee", "person"), ("Reuters", ORG)]),
    ("— Reuters", [("Reuters", ORG)]),
    ("— AP", [("AP", ORG)]),
    ("-- Ann Lee", [("Ann Lee", "person")]),
    ("Reuters", [("Reuters", ORG)]),
    ("(AP)", [("AP", ORG)]),
    ("By The Associated Press", [("The Associated Press", ORG)]),
    ("Authors: Ann Lee, Bo Chen", [("Ann Lee", "person"), ("Bo Chen", "person")]),
    # Russian
    ("Автор: Мария Иванова", [("Мария Иванова", "person")]),
    (
        "Авторы: Мария Иванова и Анна Петрова",
        [("Мария Иванова", "person"), ("Анна Петрова", "person")],
    ),
    ("Текст и фото: Олег Смирнов", [("Олег Смирнов", "person")]),
    ("Автор：Мария Иванова", [("Мария Иванова", "person")]),
    ("— ТАСС", [("ТАСС", ORG)]),
    ("РИА Новости", [("РИА Новости", ORG)]),
    # Arabic
    ("بقلم: أحمد المصري", [("أحمد المصري", "person")]),
    ("بقلم أحمد المصري", [("أحمد المصري", "person")]),
    ("بقلم: أحمد المصري، ليلى حداد", [("أحمد المصري", "person"), ("ليلى حداد", "person")]),
    ("بقلم: أحمد المصري و ليلى حداد", [("أحمد المصري", "person"), ("ليلى حداد", "person")]),
    ("كتب: سامي خوري", [("سامي خوري", "person")]),
    ("— رويترز", [("رويترز", ORG)]),
    # Japanese
    ("文: 佐藤健", [("佐藤健", "person")]),
    ("文：佐藤健", [("佐藤健", "person")]),
    ("写真・文：山田太郎", [("山田太郎", "person")]),
    ("文：佐藤健、山田太郎", [("佐藤健", "person"), ("山田太郎", "person")]),
    ("共同通信", [("共同通信", ORG)]),
    # German
    ("Von Jana Becker", [("Jana Becker", "person")]),
    (
        "Von Jana Becker, Lukas Meier und Eva Roth",
        [("Jana Becker", "person"), ("Lukas Meier", "person"), ("Eva Roth", "person")],
    ),
    ("Text: Jana Becker", [("Jana Becker", "person")]),
    ("— dpa", [("dpa", ORG)]),
    # French
    ("Par Claire Dubois", [("Claire Dubois", "person")]),
    (
        "Textes : Claire Dubois et Jean Martin",
        [("Claire Dubois", "person"), ("Jean Martin", "person")],
    ),
    ("Texte et photos : Claire Dubois", [("Claire Dubois", "person")]),
    ("AFP", [("AFP", ORG)]),
    # Spanish
    ("Por Lucía Fernández", [("Lucía Fernández", "person")]),
    (
        "Texto: Lucía Fernández y Diego Ruiz",
        [("Lucía Fernández", "person"), ("Diego Ruiz", "person")],
    ),
    ("Por la Redacción", [("Redacción", ORG)]),
    # Italian
    ("Di Giulia Rossi", [("Giulia Rossi", "person")]),
    (
        "Testo: Giulia Rossi e Marco Bianchi",
        [("Giulia Rossi", "person"), ("Marco Bianchi", "person")],
    ),
    # Greek
    ("Γράφει η Άννα Πετρόβα", [("Άννα Πετρόβα", "person")]),
    ("Γράφουν: Άννα Πετρόβα και Νίκος Κ.", [("Άννα Πετρόβα", "person"), ("Νίκος Κ", "person")]),
    # Korean
    ("김민수 기자", [("김민수", "person")]),
    ("글: 김민수", [("김민수", "person")]),
    ("연합뉴스", [("연합뉴스", ORG)]),
    # Chinese
    ("记者 王伟", [("王伟", "person")]),
    ("作者：王伟、李娜", [("王伟", "person"), ("李娜", "person")]),
    ("新华社", [("新华社", ORG)]),
    # Polish, Dutch, Portuguese, Turkish, Indonesian, Hebrew, Ukrainian
    ("Tekst: Anna Nowak", [("Anna Nowak", "person")]),
    ("Door Pieter de Vries", [("Pieter de Vries", "person")]),
    ("Por Ana Souza e João Lima", [("Ana Souza", "person"), ("João Lima", "person")]),
    ("Yazan: Ayşe Yılmaz", [("Ayşe Yılmaz", "person")]),
    ("Oleh Budi Santoso", [("Budi Santoso", "person")]),
    ("מאת דנה לוי", [("דנה לוי", "person")]),
    ("Автори: Олена Коваль і Ігор Шевчук", [("Олена Коваль", "person"), ("Ігор Шевчук", "person")]),
]

# Sentences of a body that name people or agencies without being a byline.
BODY_SENTENCES = [
    "By the river, the town held its first market in years.",
    "By Monday, Ann Lee had left the city for good.",
    "By then the ferry had already sailed.",
    "Reuters reported that the talks had stalled.",
    "The AP was first to report the result.",
    "— Да, — сказала Анна.",
    "— Спасибо, Анна.",
    "— Нет.",
    "Автор проекта Иван Петров рассказал о планах.",
    "Авторы доклада считают, что цены вырастут.",
    "Von Berlin aus fuhr Anna Schmidt weiter nach Hamburg.",
    "Von dem Plan hält Jana Becker wenig.",
    "Par ailleurs, Marie Curie a reçu deux prix Nobel.",
    "Par la fenêtre on voyait la mer.",
    "Por la mañana, Lucía Fernández llegó al puerto.",
    "Por eso el alcalde pidió calma.",
    "Di recente Giulia Rossi ha lasciato il giornale.",
    "Di notte il porto resta chiuso.",
    "بقلم الرصاص كتب الأطفال أسماءهم على الجدار.",
    "كتب الرئيس رسالة إلى الصيادين يشكرهم فيها.",
    "文化祭は来週の土曜日に開かれる。",
    "記者会見は午後3時に始まった。",
    "김민수 씨는 오늘 아침 배를 탔다고 말했다.",
    "The mayor said: we will reopen the pier by June.",
    "Text messages were sent to every resident.",
    "Words cannot describe what we saw, said Ann Lee.",
    "Written by hand, the letter reached the council on Friday.",
    "Γράφει ιστορία η ομάδα του νησιού.",
    "Tekst ustawy trafi do Sejmu w piątek.",
    "Door de storm bleef de haven dicht.",
    "Oleh karena itu, kapal tidak berlayar.",
    "Photo: Ewan Bell / Orkney Press",
    "Source: Alexander Vilf / RIA Novosti",
    "Updated: 10 February 2024",
    "Москва: в городе открылся новый музей",
    "— Мы готовы, — сказал капитан Иван Петров.",
]

LANGUAGES = {
    "en": ["Helen Marsh", "Ravi Patel"],
    "ru": ["Мария Иванова"],
    "ar": ["أحمد المصري", "ليلى حداد"],
    "ja": ["佐藤健"],
    "de": ["Jana Becker", "Lukas Meier"],
    "fr": ["Claire Dubois", "Jean Martin"],
    "es": ["Lucía Fernández", "Diego Ruiz"],
    "it": ["Giulia Rossi", "Marco Bianchi"],
    "el": ["Άννα Πετρόβα"],
    "ko": ["김민수"],
}
# Where a newsroom puts the byline, as the index (among the article's blocks without it)
# before which it stands: the fixtures hold title, byline, caption twice, standfirst, body...,
# rights line.
POSITIONS = {
    "under the title": lambda blocks: 1,
    "after the caption": lambda blocks: 3,
    "after the standfirst": lambda blocks: 4,
    "at the end": lambda blocks: len(blocks) - 1,
    "after the rights line": lambda blocks: len(blocks),
}


def test_the_tables_cover_what_they_promise():
    assert len(BYLINES) >= 40
    assert len({line for line, _ in BYLINES}) == len(BYLINES)
    assert len(BODY_SENTENCES) >= 30


@pytest.mark.parametrize(("line", "authors"), BYLINES, ids=[line for line, _ in BYLINES])
def test_byline_forms_in_any_language(line, authors):
    found = byline_authors(line)
    assert found is not None, line
    assert [(a["name"], a.get("kind", "person")) for a in found] == authors


@pytest.mark.parametrize("sentence", BODY_SENTENCES)
def test_a_sentence_that_mentions_a_name_is_not_a_byline(sentence):
    assert byline_authors(sentence) is None


def _article(language: str, position: str) -> tuple[str, str]:
    """The fixture with its byline moved to `position`: (text, byline line)."""
    blocks = blocks_of((FIXTURES / f"{language}.txt").read_text(encoding="utf-8"))
    byline = blocks.pop(1)
    blocks.insert(POSITIONS[position](blocks), byline)
    return "\n\n".join(blocks), byline


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_byline_is_read_wherever_the_article_places_it(language, position):
    text, byline = _article(language, position)
    [story] = ingest.stories_from(text, "text")
    assert [a.name for a in story.authors] == LANGUAGES[language]
    assert all(a.kind == "person" for a in story.authors)
    assert byline not in story.body_html
    assert byline != story.dek
    # The rest of the article is read as before: captions, standfirst, rights.
    assert story.dek == blocks_of((FIXTURES / f"{language}.txt").read_text())[4]
    assert story.media[0].caption
    assert story.rights.holder


@pytest.mark.parametrize("sentence", BODY_SENTENCES[:12])
@pytest.mark.parametrize("where", ["after the standfirst", "at the end"])
def test_body_sentences_in_a_bylines_place_stay_body_text(sentence, where):
    blocks = blocks_of((FIXTURES / "en.txt").read_text(encoding="utf-8"))
    blocks.insert(
        POSITIONS[where](blocks) + (1 if where == "after the standfirst" else 0), sentence
    )
    [story] = ingest.stories_from("\n\n".join(blocks), "text")
    assert [a.name for a in story.authors] == LANGUAGES["en"]
    assert sentence in story.body_html


@pytest.mark.parametrize(
    ("closing", "authors"),
    [
        ("— Reuters", [("Reuters", ORG)]),
        ("— AP", [("AP", ORG)]),
        ("Reuters", [("Reuters", ORG)]),
        ("Text and photos: Ann Lee", [("Ann Lee", "person")]),
    ],
)
def test_wire_copy_closing_with_an_agency_credits_it_as_an_organisation(closing, authors):
    blocks = blocks_of((FIXTURES / "en.txt").read_text(encoding="utf-8"))
    del blocks[1]  # no byline under the title
    blocks.insert(len(blocks) - 1, closing)
    [story] = ingest.stories_from("\n\n".join(blocks), "text")
    assert [(a.name, a.kind) for a in story.authors] == authors
    assert closing not in story.body_html


def test_a_saved_page_with_its_byline_after_the_standfirst_names_its_author():
    paragraphs = blocks_of((FIXTURES / "ja.txt").read_text(encoding="utf-8"))
    title, byline, dek, body = paragraphs[0], paragraphs[1], paragraphs[4], paragraphs[5:8]
    page = (
        f'<html lang="ja"><head><title>{title}</title></head><body><article><h1>{title}</h1>'
        f"<p>{dek}</p><p>{byline}</p>" + "".join(f"<p>{p}</p>" for p in body) + "</article>"
        "</body></html>"
    )
    [story] = ingest.stories_from(page, "html")
    assert [a.name for a in story.authors] == ["佐藤健"]
    assert story.dek == dek
    assert byline not in story.body_html
