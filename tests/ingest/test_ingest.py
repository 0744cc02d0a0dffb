"""Ingestion of real-shaped articles: text, Markdown, saved HTML pages and JSON."""

from __future__ import annotations

import pytest

from archive import InvalidStory, open_archive
from archive.ingest.byline import author_names, parse_byline
from archive.ingest.extract import extract, parse_credit, parse_source
from archive.ingest.formats import IngestError, read_file, stories_from
from archive.ingest.furniture import is_furniture
from archive.ingest.language import detected_language
from archive.story.rights import creative_commons_url, parse_rights
from tests.support.paths import CORPUS, FIXTURES
from tests.support.stories import NOW

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


# Credits, bylines, quoted people and rights lines in any language and script.


@pytest.mark.parametrize(
    ("block", "caption", "credit"),
    [
        ("Толпа у ворот. Источник: Анна Ли / ТАСС", "Толпа у ворот.", "Анна Ли / ТАСС"),
        ("Το λιμάνι. Πηγή: Νίκος Κ. / ΑΠΕ-ΜΠΕ", "Το λιμάνι.", "Νίκος Κ. / ΑΠΕ-ΜΠΕ"),
        ("زوار في المعرض. المصدر: ليلى حداد / بترا", "زوار في المعرض.", "ليلى حداد / بترا"),
        ("大通公園の雪像。写真：高橋美咲／北海道新聞", "大通公園の雪像。", "高橋美咲／北海道新聞"),
        (
            "Des vélos sur le pont. Photo : Marc Petit / AFP",
            "Des vélos sur le pont.",
            "Marc Petit / AFP",
        ),
        ("서울의 봄. 사진: 김민수", "서울의 봄.", "김민수"),
        # A label in no list is still one when the credit names its agency.
        (
            "Kiev at dawn. Світлина: Ivan Petrenko / Ukrinform",
            "Kiev at dawn.",
            "Ivan Petrenko / Ukrinform",
        ),
    ],
)
def test_credit_forms_in_any_language(block, caption, credit):
    media = parse_credit(block)
    assert (media["caption"], media["credit"]) == (caption, credit)


@pytest.mark.parametrize(
    "block",
    [
        "Учёные заявили: источник утечки не найден",  # a colon inside a sentence
        "The minister said: Paris / Berlin",  # a caption ends as a sentence before its credit
        "Mitteilung des Ministeriums: Die Brücke bleibt bis Montag gesperrt.",
    ],
)
def test_prose_with_a_colon_is_not_a_credit(block):
    assert parse_credit(block) is None


@pytest.mark.parametrize(
    ("block", "names"),
    [
        ("By Ann Lee and Bo Chen", ["Ann Lee", "Bo Chen"]),
        ("Авторы: Мария Иванова и Анна Петрова", ["Мария Иванова", "Анна Петрова"]),
        ("Γράφει η Άννα Πετρόβα", ["Άννα Πετρόβα"]),
        ("بقلم: أحمد المصري", ["أحمد المصري"]),
        ("文：佐藤健", ["佐藤健"]),
        ("Par Claire Dubois et Jean Martin", ["Claire Dubois", "Jean Martin"]),
        ("Von Jana Becker, Lukas Meier und Eva Roth", ["Jana Becker", "Lukas Meier", "Eva Roth"]),
        ("Texto: Lucía Fernández", ["Lucía Fernández"]),
        ("By Ludwig van Beethoven", ["Ludwig van Beethoven"]),
    ],
)
def test_bylines_in_any_language(block, names):
    assert parse_byline(block) == names


@pytest.mark.parametrize(
    "block",
    [
        "Photo: Alexander Vilf / RIA Novosti",  # a credit, not a byline
        "By the river, the town held its first market in years.",
        "Updated: 10 February 2024",
        "Москва: в городе открылся новый музей",
    ],
)
def test_lines_that_are_not_bylines(block):
    assert parse_byline(block) is None


@pytest.mark.timeout(60)
def test_a_long_byline_that_fails_at_its_end_is_refused_without_backtracking():
    # A pattern with nested quantifiers takes exponential time here; ours reads each name once.
    block = "By " + " and ".join(["Ann"] * 36) + "!"
    assert parse_byline(block) is None
    assert parse_byline(block.rstrip("!")) == ["Ann"] * 36


def test_page_author_field_loses_its_byline_label():
    assert author_names("文：佐藤健") == ["佐藤健"]
    assert author_names("Мария Иванова; Анна Петрова") == ["Мария Иванова", "Анна Петрова"]


@pytest.mark.parametrize(
    ("intro", "quote", "source"),
    [
        ("Ольга Смирнова, продюсер:", "«Мы готовы».", ("Ольга Смирнова", "продюсер")),
        ("Ελένη Γεωργίου, διευθύντρια:", "«Ναι».", ("Ελένη Γεωργίου", "διευθύντρια")),
        ("سامي الخطيب، مدير المعرض:", "«نعم».", ("سامي الخطيب", "مدير المعرض")),
        ("山田太郎、隊長：", "「はい。」", ("山田太郎", "隊長")),
        ("リー・ミン：", "「はい。」", ("リー・ミン", "")),
        ("王小明，游客：", "「很好。」", ("王小明", "游客")),
        ("Anna and Dmitry, Russia:", '"Incredible!"', ("Anna and Dmitry", "Russia")),
    ],
)
def test_quoted_people_in_any_script(intro, quote, source):
    found = parse_source(intro, quote)
    assert (found["name"], found["role"]) == source


def test_a_lower_case_line_before_a_quote_is_not_a_person():
    assert parse_source("and then the mayor said:", "“Yes.”") is None
    assert parse_source("Ольга Смирнова, продюсер:", "Без кавычек.") is None


@pytest.mark.parametrize(
    ("line", "holder"),
    [
        ("© 2024 «Российская газета». Все права защищены.", "Российская газета"),
        ("© 2024 Η Καθημερινή. Με επιφύλαξη παντός δικαιώματος.", "Η Καθημερινή"),
        ("© 2024 صحيفة الغد. جميع الحقوق محفوظة.", "صحيفة الغد"),
        ("© 2024 北海道新聞社\u3000無断転載を禁じます。", "北海道新聞社"),
        ("© 2024 「朝日新聞」 無断転載を禁じます。", "朝日新聞"),
        ("© 2024 „Süddeutsche Zeitung“. Alle Rechte vorbehalten.", "Süddeutsche Zeitung"),
        ("© 2024 Stadtanzeiger GmbH. Alle Rechte vorbehalten.", "Stadtanzeiger GmbH"),
        ("Copyright © 2023 Le Monde. Tous droits réservés.", "Le Monde"),
        ("© 2022 조선일보. 무단 전재 및 재배포 금지", "조선일보"),
    ],
)
def test_rights_holders_in_any_language(line, holder):
    rights = parse_rights(line)
    assert rights == {"holder": holder, "statement": line}


def test_a_sentence_mentioning_reserved_rights_is_prose():
    line = "Он сказал, что все права защищены законом и никто их не отнимет у жителей."
    assert parse_rights(line) is None


# Page furniture: removed by rule from copies of web pages, in any language, wherever it stands.

FURNITURE = FIXTURES / "world" / "furniture"
COPIED_PAGES = {
    "de-stadtanzeiger.txt": {
        "furniture": [
            "Wir verwenden Cookies",
            "Alle akzeptieren",
            "Teilen: Facebook",
            "Newsletter abonnieren",
            "Anzeige",
        ],
        "kept": [
            "informierte seine Mitglieder per Newsletter",
            "ob Webseiten der Stadt Cookies ohne Einwilligung",
            "Die neuen Regeln gelten zunächst",
        ],
        "language": "de",
    },
    "es-diario-del-puerto.txt": {
        "furniture": [
            "Utilizamos cookies",
            "Aceptar y cerrar",
            "Configurar cookies",
            "Suscríbete",
            "Compartir en",
        ],
        "kept": [
            "un boletín por correo con los turnos",
            "con café y cookies caseras",
            "La empresa que gestiona la terminal",
        ],
        "language": "es",
    },
    "fr-le-quotidien.html": {
        "furniture": [
            "En poursuivant votre navigation",
            "Tout accepter",
            "Paramétrer les cookies",
            "Partager sur",
            "Recevez notre newsletter",
        ],
        "kept": [
            "une newsletter envoyée aux commerçants",
            "Les cookies de la boulangerie",
            "Les transporteurs espèrent",
        ],
        "language": "fr",
    },
}


@pytest.mark.parametrize("name", COPIED_PAGES)
def test_copied_page_loses_its_furniture_and_keeps_paragraphs_that_mention_it(name):
    expected = COPIED_PAGES[name]
    [story] = read_file(FURNITURE / name)
    for text in expected["furniture"]:
        for where in (story.title, story.dek, story.body_html):
            assert text not in where, f"{name} keeps {text!r}"
    for text in expected["kept"]:
        assert text in story.body_html, f"{name} dropped {text!r}"
    assert story.authors
    assert story.media
    assert story.rights.holder
    assert story.language == expected["language"]


@pytest.mark.parametrize(
    "block",
    [
        "Accept",
        "Принять cookie",
        "クッキーを受け入れる",
        "This website uses cookies. Click here to find out more.",
        "Мы используем файлы cookie, чтобы сайт работал лучше.",
        "Sign up for our newsletter: enter your email address",
        "Введите ваш email, чтобы получать рассылку",
        "اشترك في النشرة البريدية",
        "Share: Facebook | X | Telegram",
        "Поделиться: ВКонтакте, Telegram, WhatsApp",
        "Advertisement",
    ],
)
def test_furniture_in_any_language(block):
    assert is_furniture(block)


@pytest.mark.parametrize(
    "block",
    [
        "Regulators fined the retailer for setting tracking cookies without consent.",
        "The bakery sold out of cookies by noon.",
        "Subscribers to the council newsletter heard of the vote a day early.",
        "«Мы используем файлы cookie только с согласия посетителей», — сказал директор.",
        "Facebook and X both declined to comment on the ruling.",
        "Malcolm X",
    ],
)
def test_prose_that_mentions_furniture_is_kept(block):
    assert not is_furniture(block)


# Language: from the page, else from the text when the guess is confident.


def _stored_language(runner, settings, path, *args) -> str:
    result = runner.invoke(args=["import", str(path), *args])
    assert result.exit_code == 0, result.output
    with open_archive(settings.archive_path) as archive:
        return archive.by_origin(f"file:{path.resolve()}").language


@pytest.mark.parametrize(
    ("head", "language"),
    [
        ('<html lang="pt-BR">', "pt-BR"),
        ('<html><meta property="og:locale" content="uk_UA">', "uk-UA"),
        ('<html><meta http-equiv="Content-Language" content="nl">', "nl"),
    ],
)
def test_html_language_is_read_from_the_page(runner, settings, tmp_path, head, language):
    page = tmp_path / "page.html"
    page.write_text(
        f"{head}<head><title>Title</title></head><body><article><h1>Title</h1>"
        "<p>Short English words, but the page says otherwise and the page wins here.</p>"
        "<p>A second paragraph keeps the article long enough to be read as one.</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    assert _stored_language(runner, settings, page) == language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # Long enough to tell, in one language.
        (
            "Przegląd prasy\n\nRada miasta przyjęła w czwartek nowy plan zagospodarowania "
            "nabrzeża. Mieszkańcy od lat domagali się parku i ścieżek rowerowych wzdłuż rzeki.",
            "pl",
        ),
        # Too short to tell: the default stays.
        ("Привет\n\nКоротко.", "en"),
        # Two languages half and half: not confident, the default stays.
        (
            "Mixed\n\nThe council met on Thursday to discuss the harbour plan and the park. "
            "Совет собрался в четверг, чтобы обсудить план гавани и парка у реки.",
            "en",
        ),
    ],
)
def test_text_language_is_guessed_only_when_confident(runner, settings, tmp_path, text, language):
    path = tmp_path / "story.txt"
    path.write_text(text, encoding="utf-8")
    assert _stored_language(runner, settings, path) == language


def test_language_option_fills_what_the_file_does_not_say(runner, settings, tmp_path):
    path = tmp_path / "story.txt"
    path.write_text("Ciao\n\nBreve.", encoding="utf-8")
    assert _stored_language(runner, settings, path, "--language", "it") == "it"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Совет собрался в четверг, чтобы обсудить план гавани и парка у реки. " * 3, "ru"),
        (
            "اجتمع المجلس يوم الخميس لمناقشة الميناء والترام والمكتبات، واستمع إلى السكان "
            "الذين انتظروا عامين للحصول على إجابة. " * 2,
            "ar",
        ),
        (
            "理事会周四开会讨论港口、电车和图书馆问题，并听取了等待答复两年的居民的意见。" * 4,
            "zh-Hans",
        ),
        (
            "評議会は木曜日に会合を開き、港、路面電車、図書館について話し合い、"
            "2年間回答を待っていた住民の意見を聞いた。" * 3,
            "ja",
        ),
        (
            "Ο δήμαρχος συναντήθηκε την Πέμπτη με τους κατοίκους για να συζητήσουν το σχέδιο "
            "του λιμανιού. " * 2,
            "el",
        ),
        (
            "Der Rat traf sich am Donnerstag, um den Hafenplan und den Park zu besprechen. " * 3,
            "de",
        ),
        # Two parts English to one Russian: English (a guess from letters alone, by a model
        # that reads the Cyrillic as the stronger evidence, would say Russian).
        (
            "The council met on Thursday to discuss the harbour plan and the park. " * 2
            + "Совет собрался в четверг, чтобы обсудить план гавани и парка у реки. ",
            "en",
        ),
    ],
)
def test_detected_language_reads_many_scripts(text, language):
    assert detected_language(text) == language
