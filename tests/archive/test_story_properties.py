"""Properties of the archive's one gate, over hostile stories in the write API's JSON shape.

Whatever the archive accepts renders everywhere (three feed formats, its page, its revisions,
the OPML list, the sitemap, search) without an error; whatever it refuses is an InvalidStory
(a 422 from the API) naming the field; distinct titles and names keep distinct identities.
Each example builds its own archive and app in a fresh temp dir, so a bad story fails alone.
"""

from __future__ import annotations

import json
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import feedparser
import jsonschema
import lxml.html
import pytest
from hypothesis import HealthCheck, Phase, example, given, note, reject, settings
from hypothesis import strategies as st
from lxml import etree

from archive import InvalidStory, open_archive, story_from_dict
from archive.story.fields import MAX_PIXELS
from archive.story.names import slugify
from archive.story.shape import PART_FIELDS, WRITABLE_FIELDS
from service import create_app
from service.feeds import scheduler
from service.settings import settings_from_mapping
from tests.support.api import WRITE_TOKEN
from tests.support.archives import settings_mapping
from tests.support.paths import SCHEMAS
from tests.support.stories import NOW

# Examples per property: the whole file stays under a minute on two cores.
PROFILE = settings(
    max_examples=30,
    deadline=None,
    database=None,
    # No explain phase: it reruns a failure many times over, each run with a fresh archive.
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
ATOM_SCHEMA = SCHEMAS / "atom.rng"
JSON_FEED_SCHEMA = SCHEMAS / "jsonfeed-1.1.schema.json"
needs_schemas = pytest.mark.skipif(
    not ATOM_SCHEMA.exists(), reason="../shared/schemas is not beside this checkout"
)
WRITE = {"Authorization": f"Bearer {WRITE_TOKEN}"}

# Hostile text, piece by piece.
CONTROLS = st.characters(min_codepoint=0x00, max_codepoint=0x1F) | st.sampled_from(
    ["\x7f", *map(chr, range(0x80, 0xA0))]
)
SPECIALS = st.sampled_from(
    [
        "\ud800",  # lone high surrogate
        "\udfff",  # lone low surrogate
        "\U0001f600",
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # family: a ZWJ sequence
        "\U0001f1fa\U0001f1e6",  # a flag: two regional indicators
        "\U0001d54f",  # mathematical double-struck X (astral)
        "\u202e",  # right-to-left override
        "\u200f",  # right-to-left mark
        "\u200b",  # zero-width space
        "\ufeff",
        "\ufffe",
        "\uffff",
        "e\u0301",
        "\u0301\u0302\u0303",  # combining marks with nothing to combine with
        "\ufdfa",
        "\u3000",
        "\u2028",
        "\u2029",
        "]]>",
        "&amp;",
        "&#0;",
        "&#xD800;",
        "&nbsp;",
        "<![CDATA[x]]>",
        "<!--",
        "{{ 7 * 7 }}",
        "%s%n",
        "\\",
    ]
)
WORDS = st.sampled_from(
    [
        "Москва",
        "Ёлка",
        "Αθήνα",
        "Ωμέγα",
        "القاهرة",
        "مُحَمَّد",
        "עברית",
        "東京",
        "雪まつり",
        "한국어",
        "ไทย",
        "हिन्दी",
        "Zoë",
        "İstanbul",
        "straße",
        "ﬁnance",
        "Harbour",
        "news",
    ]
)
LONG_WORDS = st.builds(
    lambda letter, count: letter * count,
    st.sampled_from(["a", "Ж", "ب", "字", "\U0001f600", "e\u0301"]),
    st.integers(min_value=100, max_value=500),
)
PIECES = st.one_of(
    st.text(CONTROLS, min_size=1, max_size=3),
    SPECIALS,
    WORDS,
    st.text(max_size=8),
    LONG_WORDS,
    st.just(" "),
)
HOSTILE_TEXT = st.lists(PIECES, max_size=6).map("".join)
# Text that names something: a real word somewhere in the hostile text.
NAMING_TEXT = st.builds(lambda a, word, b: f"{a}{word}{b}", HOSTILE_TEXT, WORDS, HOSTILE_TEXT)

BODY_SNIPPETS = st.sampled_from(
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)">link</a>',
        '<a href="/relative/path/">relative</a>',
        '<a href="https://例え.テスト/パス?q=1&amp;r=2">idn</a>',
        "<iframe src='https://evil.example/'></iframe>",
        "<style>body{display:none}</style>",
        "<svg><script>alert(1)</script></svg>",
        '<p class="voice">Мария Иванова, фотограф:</p>',
        "<blockquote><p>«Цитата»</p></blockquote>",
        "<table><tr><td>1</td></tr></table>",
        "<p>unclosed <b>bold <i>italic",
        "</p></div></article></body></html>",
        "<math><mi>x</mi></math>",
        '<p dir="rtl">مرحبا</p>',
    ]
)
BODY = st.lists(
    st.one_of(BODY_SNIPPETS, HOSTILE_TEXT.map(lambda text: f"<p>{text}</p>"), HOSTILE_TEXT),
    max_size=6,
).map("\n".join)
ODD_URLS = st.sampled_from(
    [
        "https://images.example/photo.jpg",
        "https://example.com/a b",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "//evil.example/x",
        "http://[::1]/",
        "http://[::1",
        "https://例え.テスト/パス",
        "https://xn--r8jz45g.xn--zckzah/",
        "data:text/html,<script>alert(1)</script>",
        "https://example.com/\x00",
        "https://example.com/\u202e",
        "mailto:someone@example.com",
        "",
        " ",
        "ftp://files.example/x",
        "https://example.com/" + "a" * 3000,
        "http://user:pw@host:99999/",
        "https://example.com/?q=<script>",
        'https://example.com/"onmouseover="alert(1)',
        "relative/path.jpg",
    ]
)
# Zones west of UTC (and the far east, for the other edge of the calendar).
ZONES = st.sampled_from(
    [
        UTC,
        timezone(timedelta(hours=-12)),
        timezone(timedelta(hours=-9, minutes=-30)),
        timezone(timedelta(hours=-3, minutes=-30)),
        timezone(timedelta(hours=14)),
        ZoneInfo("America/Los_Angeles"),
        ZoneInfo("America/St_Johns"),
        ZoneInfo("Pacific/Pago_Pago"),
        ZoneInfo("Pacific/Honolulu"),
    ]
)
MOMENTS = st.datetimes(
    min_value=datetime(1000, 1, 2), max_value=datetime(9998, 12, 30), timezones=ZONES
)
TIMES = st.one_of(
    MOMENTS.map(lambda moment: moment.isoformat()),
    st.sampled_from(
        [
            "1000-01-01T00:00:00-12:00",
            "9998-12-31T23:59:59-12:00",
            "2014-02-24T20:00:00-03:30",
            "2026-03-08T02:30:00-08:00",  # a wall time that does not exist in Los Angeles
            "2026-11-01T01:30:00-07:00",  # one that happens twice
        ]
    ),
)
LANGUAGES = st.sampled_from(
    ["en", "ru", "ar", "he", "ja", "zh-Hant", "sr-Latn-RS", "", "EN", "x" * 40, "en\n", '"><x']
)
AUTHORS = st.lists(
    st.one_of(
        NAMING_TEXT,
        st.fixed_dictionaries({"name": NAMING_TEXT}, optional={"url": ODD_URLS}),
    ),
    max_size=3,
)
# Image sizes and what is no size: a bool, a fraction, text, zero, past the limit.
PIXELS = st.sampled_from(
    [None, 1, 640, 1600.0, MAX_PIXELS, MAX_PIXELS + 1, 0, -5, 3.5, True, "640"]
)
MEDIA = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "url": ODD_URLS,
            "caption": HOSTILE_TEXT,
            "credit": HOSTILE_TEXT,
            "copyright": HOSTILE_TEXT,
            "alt": HOSTILE_TEXT,
            "mime_type": st.sampled_from(["image/jpeg", "video/mp4", "", "text/html", "x/\x00"]),
            "width": PIXELS,
            "height": PIXELS,
        },
    ),
    max_size=2,
)
SOURCES = st.lists(
    st.fixed_dictionaries({"name": NAMING_TEXT}, optional={"role": HOSTILE_TEXT}), max_size=2
)
PUBLISHER = st.none() | st.fixed_dictionaries({"name": NAMING_TEXT}, optional={"url": ODD_URLS})
RIGHTS = st.none() | st.fixed_dictionaries(
    {},
    optional={"holder": HOSTILE_TEXT, "statement": HOSTILE_TEXT, "license_url": ODD_URLS},
)
STORIES = st.fixed_dictionaries(
    {
        "title": NAMING_TEXT,
        "body": BODY,
        "status": st.sampled_from(["published"] * 4 + ["draft", "scheduled"]),
        "published_at": TIMES,
    },
    optional={
        "dek": HOSTILE_TEXT,
        "summary": HOSTILE_TEXT,
        "language": LANGUAGES,
        "section": NAMING_TEXT,
        "tags": st.lists(NAMING_TEXT, max_size=3),
        "authors": AUTHORS,
        "media": MEDIA,
        "sources": SOURCES,
        "publisher": PUBLISHER,
        "rights": RIGHTS,
        "syndication": st.sampled_from(["full", "summary", "none"]),
        "embargo_at": TIMES,
        "updated_at": TIMES,
    },
)

# A story every check accepts, and single changes that make it wrong, each with its field.
GOOD = {
    "title": "Harbour bridge reopens",
    "body": "<p>The first bus crossed at dawn.</p>",
    "status": "published",
    "published_at": "2026-11-20T09:00:00-05:00",
    "authors": [{"name": "Helen Marsh"}],
    "media": [{"url": "https://images.example/bridge.jpg", "credit": "Lena Ortiz"}],
    "publisher": {"name": "Agence Demo", "url": "https://agence.example/"},
    "rights": {"holder": "Masthead", "statement": "© 2026 Masthead."},
}
# Stands for a body past the archive's limit, made only when used (its repr would be 2 MB).
OVERSIZE = "<a body of 2,000,001 characters>"
NOT_STRINGS = st.one_of(
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)
BAD_CHANGES = st.one_of(
    st.tuples(
        st.sampled_from(["title", "dek", "summary", "body", "language", "section"]), NOT_STRINGS
    ),
    st.tuples(st.just("title"), st.sampled_from(["", " ", "\u3000", "\n\t"])),
    st.tuples(
        st.just("slug"),
        st.sampled_from(["Bad Slug", "a" * 121, "-x", "x--y", "ünï", "слаг", "a/b"]),
    ),
    st.tuples(st.just("status"), st.sampled_from(["live", "PUBLISHED", "", "withdrawn "])),
    st.tuples(st.just("syndication"), st.sampled_from(["some", "Full", ""])),
    st.tuples(
        st.sampled_from(["published_at", "embargo_at", "updated_at"]),
        st.one_of(
            NOT_STRINGS,
            st.sampled_from(
                [
                    "2026-02-31T00:00:00Z",
                    "2026-11-20T09:00:00",
                    "2026-11-20",
                    "0999-12-31T00:00:00+00:00",
                    "9999-12-31T23:59:59-12:00",
                    "yesterday",
                    "",
                ]
            ),
            MOMENTS.map(lambda moment: moment.replace(tzinfo=None).isoformat()),
        ),
    ),
    st.tuples(
        st.just("tags"),
        st.sampled_from([[""], ["  "], "transport", [1], [None], {"a": 1}]),
    ),
    st.tuples(
        st.sampled_from(list(PART_FIELDS)),
        st.sampled_from(
            [
                [{"nonsense": "x"}],
                [{"name": 7}],
                ["just text", 5],
                {"name": "x", "bogus": True},
                [{"url": 7}],
                7,
            ]
        ),
    ),
    st.tuples(st.just("authors"), st.sampled_from([[{"url": "https://x.example/"}], [{}]])),
    st.tuples(
        st.just("media"),
        st.sampled_from([[{"width": 640}], [{"height": 480}], [{"width": 0, "height": 480}]]),
    ),
    st.tuples(st.just("sources"), st.sampled_from([[{"role": "engineer"}], [{"name": None}]])),
    st.tuples(st.just("publisher"), st.sampled_from([{"url": "https://x.example/"}, {}])),
    st.tuples(st.just("body"), st.just(OVERSIZE)),
    st.tuples(
        st.text(min_size=1, max_size=12).filter(lambda key: key not in WRITABLE_FIELDS),
        st.text(max_size=5),
    ),
)


@contextmanager
def fresh_site() -> Iterator[tuple]:
    """A new archive file and app in a temp dir, for one example."""
    with tempfile.TemporaryDirectory() as folder:
        config = settings_from_mapping(settings_mapping(Path(folder)))
        archive = open_archive(
            config.archive_path, domain=config.site.domain, timezone=config.site.timezone
        )
        try:
            yield config, archive, create_app(config).test_client()
        finally:
            archive.close()


def bad_story(field: str, value) -> dict:
    return {**GOOD, field: "x" * 2_000_001 if value == OVERSIZE else value}


def names_a_field(problem: str, data: dict) -> bool:
    """Whether an archive message names a story field (or a key the client sent)."""
    known = {*WRITABLE_FIELDS, *data}
    return any(name in problem for name in known) or problem.startswith("a story must be")


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def get_ok(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


def check_xml_feed(client, url: str):
    data = get_ok(client, url).get_data()
    tree = etree.fromstring(data)
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
    return tree, parsed


def check_renders_everywhere(config, client, saved) -> None:
    scheduler.rebuild_all(config, now=NOW)
    atom, _ = check_xml_feed(client, "/feeds/latest.atom")
    schema = etree.RelaxNG(etree.parse(str(ATOM_SCHEMA)))
    assert schema.validate(atom), schema.error_log
    check_xml_feed(client, "/feeds/latest.rss")
    feed = json.loads(get_ok(client, "/feeds/latest.json").get_data())
    jsonschema.validate(
        feed,
        json.loads(JSON_FEED_SCHEMA.read_text()),
        format_checker=jsonschema.FormatChecker(),
    )
    etree.fromstring(get_ok(client, "/feeds.opml").get_data())
    index = etree.fromstring(get_ok(client, "/sitemap.xml").get_data())
    for loc in index.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc"):
        if loc.text.endswith(".xml"):
            etree.fromstring(get_ok(client, path_of(loc.text)).get_data())
    words = saved.title.split()
    search = client.get("/search", query_string={"q": words[0] if words else saved.title})
    assert search.status_code == 200, search.status_code
    if saved.path:
        page = lxml.html.document_fromstring(get_ok(client, saved.path).get_data(as_text=True))
        assert not page.xpath("//article//script | //article//*[@onerror]")
        get_ok(client, f"{saved.path}revisions/")


@needs_schemas
@settings(PROFILE, max_examples=60)
@given(data=STORIES)
@example(data={**GOOD, "body": "<p>\ud800</p>"})
@example(data={**GOOD, "title": "Harbour\udfff"})
@example(data={**GOOD, "section": "City\x1f", "media": [{"url": "https://example.com/\x00"}]})
def test_every_accepted_story_renders_in_every_feed_and_page(data):
    note(json.dumps(data, ensure_ascii=True)[:2000])
    with fresh_site() as (config, archive, client):
        try:
            story = story_from_dict(data)
            saved = archive.save(story, now=NOW)
        except InvalidStory as refused:
            unnamed = [p for p in refused.problems if not names_a_field(p, data)]
            assert not unnamed, unnamed
            return
        check_renders_everywhere(config, client, saved)


@PROFILE
@given(change=BAD_CHANGES)
def test_refused_story_names_the_offending_field(change):
    note(repr(change)[:500])
    data = bad_story(*change)
    field = change[0]
    with fresh_site() as (_, archive, _client):
        with pytest.raises(InvalidStory) as refused:
            archive.save(story_from_dict(data), now=NOW)
        assert any(field in problem for problem in refused.value.problems), refused.value.problems
        assert archive.count() == 0


@PROFILE
@given(change=BAD_CHANGES)
@example(change=(".", ""))  # a key that is itself a dot is named as it was sent
def test_api_answers_422_naming_the_offending_field(change, api_tokens):
    note(repr(change)[:500])
    data = bad_story(*change)
    field = change[0]
    with fresh_site() as (_, archive, client):
        response = client.post("/api/stories", json=data, headers=WRITE)
        if change[1] == OVERSIZE:  # past [api] max_body_bytes: refused before it is read
            assert response.status_code == 413
            return
        assert response.status_code == 422, response.get_data(as_text=True)
        named = {error["field"] for error in response.get_json()["errors"]}
        assert any(name == field or name.startswith((f"{field}[", f"{field}.")) for name in named)
        assert archive.count() == 0


@PROFILE
@given(data=STORIES)
def test_api_and_archive_keep_one_gate(data, api_tokens):
    """DESIGN.md "One gate": a story the archive accepts from a script, the API accepts too."""
    note(json.dumps(data, ensure_ascii=True)[:2000])
    data = {**data, "status": "published" if data["status"] == "scheduled" else data["status"]}
    with fresh_site() as (_, archive, client):
        try:
            archive.save(story_from_dict(data), now=NOW)
            accepted = True
        except InvalidStory:
            accepted = False
    with fresh_site() as (_, _archive, client):
        response = client.post("/api/stories", json=data, headers=WRITE)
        assert response.status_code != 500, response.get_data(as_text=True)
        assert (response.status_code == 201) == accepted, response.get_data(as_text=True)


def save_or_reject(archive, data: dict):
    """Save a story whose validity is not the question; a story the gate refuses is skipped."""
    try:
        return archive.save(story_from_dict(data), now=NOW)
    except InvalidStory as refused:
        note(f"refused: {refused}")
        reject()


def letters_of(text: str) -> str:
    """What tells two names apart to a reader: their letters and digits, case folded."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in folded if unicodedata.category(c)[0] in "LN")


# Names and titles as people write them: any letters, marks, digits, spaces and punctuation.
WRITTEN = st.lists(
    st.one_of(WORDS, st.text(st.characters(categories=["L", "M", "N", "P", "S"]), max_size=8)),
    min_size=1,
    max_size=4,
).map(" ".join)
TWO_NAMES = st.tuples(WRITTEN, WRITTEN).filter(
    lambda pair: letters_of(pair[0]) != letters_of(pair[1])
)
SCRIPT_NAMES = st.lists(
    st.builds(
        lambda first, last: f"{first} {last}",
        st.sampled_from(["Анна", "Άννα", "Anna", "آنا", "アンナ", "안나", "Ana", "Ânna"]),
        st.sampled_from(["Петрова", "Πετρόβα", "Petrova", "بتروفا", "ペトロワ", "Petrová"]),
    ),
    min_size=2,
    max_size=2,
    unique=True,
)


@PROFILE
@given(titles=st.one_of(TWO_NAMES, SCRIPT_NAMES.map(tuple)))
def test_distinct_titles_on_one_day_get_distinct_readable_permalinks(titles):
    note(repr(titles))
    with fresh_site() as (_, archive, client):
        saved = [
            save_or_reject(archive, {"title": title, "published_at": "2026-11-20T09:00:00-08:00"})
            for title in titles
        ]
        assert saved[0].path != saved[1].path
        # A title that can be written in an address gets a slug of its own words: "story"
        # stands only for a title that cannot (only punctuation, say).
        for title, story in zip(titles, saved, strict=True):
            readable = slugify(title, fallback="")
            assert story.slug != "story" or readable in ("", "story"), (title, story.slug)
        for story in saved:
            assert get_ok(client, story.path).get_data(as_text=True)


@PROFILE
@given(names=st.one_of(TWO_NAMES, SCRIPT_NAMES.map(tuple)))
def test_one_authors_byline_never_changes_anothers(names):
    note(repr(names))
    with fresh_site() as (_, archive, client):
        first = save_or_reject(
            archive, {"title": "First", "authors": [names[0]], "published_at": "2026-11-20T09:00Z"}
        )
        second = save_or_reject(
            archive, {"title": "Second", "authors": [names[1]], "published_at": "2026-11-21T09:00Z"}
        )
        assert [a.name for a in archive.get(first.id).authors] == [names[0]]
        assert [a.name for a in second.authors] == [names[1]]
        assert first.authors[0].slug != second.authors[0].slug
        page = get_ok(client, f"/authors/{first.authors[0].slug}/").get_data(as_text=True)
        assert first.path in page
        assert second.path not in page
