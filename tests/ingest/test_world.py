"""Stories in Russian, Greek, Arabic and Japanese, imported in every format an archivist meets.

Each fixture under tests/fixtures/world/<lang>/ is one article in the seed's shape (title,
caption with its credit, standfirst, quoted people, a rights line), written as .txt, .md, .html
and .json; the .txt and .html copies, taken from a web page, carry its consent banner too. The
archive must keep every word in its own script, give every title and name its own readable
slug, and serve pages and feeds that real consumers read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import feedparser
import jsonschema
import lxml.html
import pytest
from lxml import etree

from archive import open_archive
from service.feeds import scheduler
from tests.support.paths import FIXTURES, SCHEMAS
from tests.support.stories import NOW

WORLD = FIXTURES / "world"
FORMATS = ["txt", "md", "html", "json"]
# Copies of web pages, cleaned of page furniture on import. Markdown and JSON are the editor's
# structured input: their body is stored as written, so their fixtures carry no banner.
COPIED_FORMATS = ["txt", "html"]
STRUCTURED_FORMATS = ["md", "json"]
ATOM = "{http://www.w3.org/2005/Atom}"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Slugs that say nothing about their story or author: a fallback, not a name.
PLACEHOLDER_SLUG = re.compile(r"^(story|author|section|tag|untitled|item|post|n-a)(-\d+)?$|^\d+$")
QUOTE_MARKS = '«»"“”„「」『』 '
needs_schemas = pytest.mark.skipif(
    not (SCHEMAS / "atom.rng").exists(), reason="../shared/schemas is not beside this checkout"
)

# What each fixture says, as the archive must keep it.
ARTICLES = {
    "ru": {
        "title": "За кулисами фестиваля «Зимняя Казань»",
        "authors": ["Мария Иванова", "Анна Петрова"],
        "caption": "Участники ледового шоу на озере Кабан во время открытия фестиваля "
        "«Зимняя Казань».",
        "credit": "Александр Вильф / РИА Новости",
        "dek": "Зрители аплодировали стоя, когда над замёрзшим озером погасли последние огни "
        "праздничного салюта.",
        "sources": [
            ("Ольга Смирнова", "исполнительный продюсер фестиваля"),
            ("Рустам Хайруллин", "главный хореограф церемонии"),
        ],
        "said": "Я горжусь каждым из них",
        "body": "Подготовка заняла три месяца.",
        "rights": "© 2024 «Российская газета». Все права защищены.",
        "holder": "Российская газета",
        "banner": [
            "Этот сайт использует файлы cookie. Нажмите здесь, чтобы узнать больше.",
            "Принять cookie",
        ],
        "published": "2024-02-10T14:00:00+03:00",
        "section": "Культура",
        "word": "Казань",
        "dir": None,
    },
    "el": {
        "title": "Το πρώτο ηλεκτρικό πλοίο έδεσε στον Πειραιά",
        "authors": ["Άννα Πετρόβα"],
        "caption": "Το ηλεκτρικό πλοίο «Αιγαίο» μπαίνει στο λιμάνι του Πειραιά το πρωί του "
        "Σαββάτου.",
        "credit": "Νίκος Κωνσταντίνου / ΑΠΕ-ΜΠΕ",
        "dek": "Επιβάτες και λιμενεργάτες χειροκρότησαν το πλοίο που ταξίδεψε από την Αίγινα "
        "χωρίς ούτε ένα λίτρο πετρελαίου.",
        "sources": [
            ("Ελένη Γεωργίου", "διευθύντρια λειτουργίας του λιμανιού"),
            ("Κώστας Αλεξίου", "καπετάνιος του πλοίου"),
        ],
        "said": "Δεν ακούς μηχανή, ακούς μόνο τη θάλασσα.",
        "body": "Οι μπαταρίες του πλοίου ζυγίζουν 60 τόνους",
        "rights": "© 2024 Η Καθημερινή. Με επιφύλαξη παντός δικαιώματος.",
        "holder": "Η Καθημερινή",
        "banner": [
            "Αυτός ο ιστότοπος χρησιμοποιεί cookies. Κάντε κλικ εδώ για να μάθετε περισσότερα.",
            "Αποδοχή cookies",
        ],
        "published": "2024-02-10T13:30:00+02:00",
        "section": "Οικονομία",
        "word": "Πειραιά",
        "dir": None,
    },
    "ar": {
        "title": "معرض عمّان الدولي للكتاب يفتح أبوابه بمشاركة ٤٠٠ دار نشر",
        "authors": ["أحمد المصري"],
        "caption": "زوار يتجولون بين أجنحة معرض عمّان الدولي للكتاب في يومه الأول.",
        "credit": "ليلى حداد / بترا",
        "dek": "يتوقع المنظمون أكثر من نصف مليون زائر خلال عشرة أيام، في دورة هي الأكبر منذ "
        "انطلاق المعرض.",
        "sources": [
            ("سامي الخطيب", "مدير المعرض"),
            ("نور العبدالله", "طالبة في الجامعة الأردنية"),
        ],
        "said": "خصصنا جناحاً كاملاً لكتب الأطفال",
        "body": "ويضم برنامج المعرض أكثر من ستين ندوة وأمسية شعرية",
        "rights": "© 2024 صحيفة الغد. جميع الحقوق محفوظة.",
        "holder": "صحيفة الغد",
        "banner": [
            "يستخدم هذا الموقع ملفات تعريف الارتباط. انقر هنا لمعرفة المزيد.",
            "قبول ملفات تعريف الارتباط",
        ],
        "published": "2024-02-10T12:00:00+03:00",
        "section": "ثقافة",
        "word": "الكتاب",
        "dir": "rtl",
    },
    "ja": {
        "title": "さっぽろ雪まつり開幕\u3000大雪像の制作現場を訪ねて",
        "authors": ["佐藤健"],
        "caption": "大通公園に並ぶ大雪像と開幕を待つ見物客。",
        "credit": "高橋美咲／北海道新聞",
        "dek": "約２００人の隊員と市民ボランティアが１カ月かけて作り上げた雪像が、開幕を前に"
        "公開された。",
        "sources": [
            ("山田太郎", "大雪像制作チームの隊長"),
            ("リー・ミン", "台湾から訪れた観光客"),
        ],
        "said": "夜のライトアップも見に来たいです。",
        "body": "会場では、海外からの観光客の姿も目立った。",
        "rights": "© 2024 北海道新聞社\u3000無断転載を禁じます。",
        "holder": "北海道新聞社",
        "banner": [
            "このサイトはクッキーを使用しています。詳しくはこちらをクリックしてください。",
            "クッキーを受け入れる",
        ],
        "published": "2024-02-10T19:00:00+09:00",
        "section": "社会",
        "word": "雪まつり",
        "dir": None,
    },
}
LANGUAGES = list(ARTICLES)
# The same name in two scripts: two people as far as the archive can tell, never merged.
SAME_NAME = {"ru": "Анна Петрова", "el": "Άννα Πετρόβα"}


def fixture(lang: str, fmt: str) -> Path:
    return WORLD / lang / f"story.{fmt}"


def import_file(runner, path: Path, lang: str):
    """`masthead import` as a user runs it; the options fill only what the file leaves out."""
    article = ARTICLES[lang]
    return runner.invoke(
        args=[
            "import",
            str(path),
            "--published",
            article["published"],
            "--section",
            article["section"],
        ]
    )


def stored(settings, path: Path):
    with open_archive(settings.archive_path) as archive:
        return archive.by_origin(f"file:{path.resolve()}")


def import_world(runner, settings, fmt: str) -> dict:
    """Every language's fixture in one format, into one archive; lang -> (result, story)."""
    results = {lang: import_file(runner, fixture(lang, fmt), lang) for lang in LANGUAGES}
    return {lang: (results[lang], stored(settings, fixture(lang, fmt))) for lang in LANGUAGES}


def imported(runner, settings, lang: str, fmt: str):
    result = import_file(runner, fixture(lang, fmt), lang)
    assert result.exit_code == 0, result.output
    story = stored(settings, fixture(lang, fmt))
    assert story is not None
    return story


def unquoted(text: str | None) -> str:
    return (text or "").strip(QUOTE_MARKS + ".")


def effective_dir(element) -> str | None:
    """The `dir` an element inherits (HTML: the nearest ancestor-or-self with the attribute)."""
    for node in [element, *element.iterancestors()]:
        if node.get("dir"):
            return node.get("dir").lower()
    return None


def is_readable(slug: str) -> bool:
    return (
        bool(SLUG.match(slug))
        and not PLACEHOLDER_SLUG.match(slug)
        and bool(re.search(r"[a-z]{2}", slug))
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_world_story_is_saved_without_a_conflict(runner, settings, fmt):
    world = import_world(runner, settings, fmt)
    failed = {
        lang: result.output
        for lang, (result, story) in world.items()
        if result.exit_code != 0 or "1 created" not in result.output or story is None
    }
    assert not failed, failed


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_world_story_keeps_attribution_in_its_own_script(runner, settings, fmt, lang):
    article = ARTICLES[lang]
    story = imported(runner, settings, lang, fmt)
    lead = story.lead_image
    kept = {
        "title": story.title,
        "authors": [a.name for a in story.authors],
        "caption": lead.caption if lead else None,
        "credit": lead.credit if lead else None,
        "dek": story.dek,
        "sources": [(s.name, s.role) for s in story.sources],
        "rights": story.rights.statement if story.rights else None,
        "holder": unquoted(story.rights.holder) if story.rights else None,
    }
    expected = {key: article[key] for key in kept}
    wrong = {key: (kept[key], expected[key]) for key in kept if kept[key] != expected[key]}
    assert not wrong, "(stored, expected): " + json.dumps(wrong, ensure_ascii=False, indent=1)
    assert article["body"] in story.body_text
    assert article["said"] in story.body_text


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("fmt", COPIED_FORMATS)
def test_world_consent_banner_does_not_survive_import(runner, settings, client, fmt, lang):
    story = imported(runner, settings, lang, fmt)
    page = client.get(story.path).get_data(as_text=True) if story.path else ""
    for line in ARTICLES[lang]["banner"]:
        for where, text in {
            "body": story.body_html,
            "body_text": story.body_text,
            "dek": story.dek,
            "summary": story.summary,
            "page": page,
        }.items():
            assert line not in text, f"{where} keeps the consent banner {line!r}"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("fmt", STRUCTURED_FORMATS)
def test_world_structured_story_keeps_every_paragraph_the_editor_wrote(runner, settings, fmt, lang):
    story = imported(runner, settings, lang, fmt)
    source = fixture(lang, fmt).read_text(encoding="utf-8")
    if fmt == "json":
        source = lxml.html.fragment_fromstring(json.loads(source)["body"], "div").text_content()
    for paragraph in story.body_text.split("\n\n"):
        assert paragraph.strip() in source, paragraph
    assert ARTICLES[lang]["rights"] in story.body_text  # the editor's own line, kept as written


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_world_story_page_declares_its_language_and_direction(runner, settings, client, fmt, lang):
    article = ARTICLES[lang]
    story = imported(runner, settings, lang, fmt)
    assert story.language == lang
    for url in (story.path, f"{story.path}revisions/1/"):
        response = client.get(url)
        assert response.status_code == 200, url
        tree = lxml.html.document_fromstring(response.get_data(as_text=True))
        [body] = tree.xpath("//article[contains(concat(' ', @class, ' '), ' story ')]")
        assert body.get("lang") == lang, url
        assert effective_dir(body) in ({article["dir"]} if article["dir"] else {None, "ltr"})
        assert article["title"] in body.text_content()


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_world_story_is_found_by_a_word_of_its_title(runner, settings, client, fmt, lang):
    story = imported(runner, settings, lang, fmt)
    response = client.get("/search", query_string={"q": ARTICLES[lang]["word"]})
    assert response.status_code == 200
    assert f'href="{story.path}"' in response.get_data(as_text=True)


@pytest.mark.parametrize("fmt", FORMATS)
def test_world_titles_and_authors_get_distinct_readable_slugs(runner, settings, client, fmt):
    world = import_world(runner, settings, fmt)
    stories = [story for _, story in world.values() if story is not None]
    assert len(stories) == len(LANGUAGES), "a story was not saved"
    slugs = [story.slug for story in stories]
    assert all(is_readable(slug) for slug in slugs), slugs
    assert len(set(slugs)) == len(slugs), slugs
    authors = {a.name: a.slug for story in stories for a in story.authors}
    assert authors, "no bylines were kept"
    assert all(is_readable(slug) for slug in authors.values()), authors
    assert len(set(authors.values())) == len(authors), authors
    for name, slug in authors.items():
        page = client.get(f"/authors/{slug}/")
        assert page.status_code == 200, name
        assert name in page.get_data(as_text=True), (name, slug)


@pytest.mark.parametrize("fmt", FORMATS)
def test_world_sections_get_distinct_readable_slugs(runner, settings, client, fmt):
    import_world(runner, settings, fmt)
    with open_archive(settings.archive_path) as archive:
        rows = list(archive.db.query("SELECT DISTINCT section, section_slug FROM stories"))
    sections = {row["section"]: row["section_slug"] for row in rows}
    assert set(sections) == {article["section"] for article in ARTICLES.values()}
    assert all(is_readable(slug) for slug in sections.values()), sections
    assert len(set(sections.values())) == len(sections), sections
    for name, slug in sections.items():
        assert name in client.get(f"/sections/{slug}/").get_data(as_text=True), (name, slug)


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_name_in_two_scripts_stays_two_authors(runner, settings, fmt):
    world = import_world(runner, settings, fmt)
    bylines = {lang: [a.name for a in world[lang][1].authors] for lang in SAME_NAME}
    assert bylines == {lang: ARTICLES[lang]["authors"] for lang in SAME_NAME}
    slugs = {
        lang: next(a.slug for a in world[lang][1].authors if a.name == name)
        for lang, name in SAME_NAME.items()
    }
    assert slugs["ru"] != slugs["el"], slugs


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_authors_byline_never_changes_anothers(runner, settings, client, tmp_path, fmt):
    photo_story = tmp_path / "vilf.json"
    photo_story.write_text(
        json.dumps(
            {
                "title": "Фоторепортаж: огни над озером Кабан",
                "body": "<p>Снимки с генеральной репетиции.</p>",
                "language": "ru",
                "authors": [{"name": "Александр Вильф"}],
                "published_at": "2024-02-09T21:00:00+03:00",
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    first = runner.invoke(args=["import", str(photo_story)])
    assert first.exit_code == 0, first.output
    import_world(runner, settings, fmt)  # Мария Иванова's story among them
    vilf = stored(settings, photo_story)
    assert [a.name for a in vilf.authors] == ["Александр Вильф"]
    page = client.get(f"/authors/{vilf.authors[0].slug}/").get_data(as_text=True)
    assert "Александр Вильф" in page
    assert "Мария Иванова" not in page
    for lang in LANGUAGES:
        story = stored(settings, fixture(lang, fmt))
        assert story is not None, lang
        assert [a.name for a in story.authors] == ARTICLES[lang]["authors"], lang


@pytest.fixture
def world_feeds(runner, settings, client, request):
    """Every language in one format imported, then every feed built as the scheduler does."""
    world = import_world(runner, settings, request.param)
    scheduler.rebuild_all(settings, now=NOW)
    return world, {fmt: client.get(f"/feeds/latest.{fmt}") for fmt in ("atom", "rss", "json")}


@needs_schemas
@pytest.mark.parametrize("world_feeds", FORMATS, indirect=True)
def test_world_feeds_parse_and_validate(world_feeds):
    _, feeds = world_feeds
    titles = {article["title"] for article in ARTICLES.values()}
    assert all(response.status_code == 200 for response in feeds.values())
    for fmt in ("atom", "rss"):
        parsed = feedparser.parse(feeds[fmt].get_data())
        assert parsed.bozo == 0, (fmt, parsed.get("bozo_exception"))
        assert {entry.title for entry in parsed.entries} >= titles, fmt
    atom = etree.fromstring(feeds["atom"].get_data())
    schema = etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng")))
    assert schema.validate(atom), schema.error_log
    json_feed = json.loads(feeds["json"].get_data())
    json_schema = json.loads((SCHEMAS / "jsonfeed-1.1.schema.json").read_text())
    jsonschema.validate(json_feed, json_schema, format_checker=jsonschema.FormatChecker())
    assert {item["title"] for item in json_feed["items"]} >= titles


@pytest.mark.parametrize("world_feeds", FORMATS, indirect=True)
def test_world_feed_entries_carry_their_language(world_feeds):
    _, feeds = world_feeds
    atom = etree.fromstring(feeds["atom"].get_data())
    languages = {
        entry.findtext(f"{ATOM}title"): entry.get("{http://www.w3.org/XML/1998/namespace}lang")
        for entry in atom.iter(f"{ATOM}entry")
    }
    items = {item["title"]: item for item in json.loads(feeds["json"].get_data())["items"]}
    for lang, article in ARTICLES.items():
        # JSON Feed 1.1 `language` and Atom xml:lang say what a reader should hyphenate and
        # shape the text as; an Arabic title read as English shows unjoined letters.
        assert items[article["title"]].get("language") == lang, lang
        assert languages.get(article["title"]) == lang, lang
