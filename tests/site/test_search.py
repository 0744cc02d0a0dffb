"""Search: /search?q= over the full-text index, highlighted and escaped snippets, filters,
pagination, and a friendly answer (never a 500) to any query at all.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from archive import open_archive
from archive.db.search import MAX_TERMS, parse_query
from tests.support.pages import html_of, texts
from tests.support.stories import NOW, make_story


@pytest.fixture
def stories(archive):
    archive.save(make_story(), now=NOW)
    archive.save(
        make_story(
            title="Ferry strike ends",
            slug="ferry-strike-ends",
            body="<p>The harbour ferries sail again after a week-long strike.</p>",
            section="Business",
            authors=["Jonas Berg"],
            published_at="2015-06-01T10:00:00+00:00",
        ),
        now=NOW,
    )
    archive.save(
        make_story(
            title="Bridge tolls rise",
            slug="bridge-tolls-rise",
            body="<p>Crossing the bridge will cost more from March.</p>",
            published_at="2016-01-10T10:00:00+00:00",
        ),
        now=NOW,
    )
    return archive


def hit_titles(response) -> list[str]:
    assert response.status_code == 200
    return texts(html_of(response), ".hit h2")


def test_search_highlights_matches_in_titles_and_snippets(stories, client):
    tree = html_of(client.get("/search?q=ferries"))
    assert texts(tree, ".hit h2") == ["Ferry strike ends"]
    assert [m.text for m in tree.cssselect(".hit h2 mark")] == ["Ferry"]
    assert [m.text for m in tree.cssselect(".snippet mark")] == ["ferries"]
    assert "sail again" in texts(tree, ".snippet")[0]
    assert texts(tree, ".message") == ["1 story matches."]


def test_story_text_in_snippets_cannot_inject_html(archive, client):
    archive.save(
        make_story(
            title="<img src=x onerror=alert(1)> bridge",
            slug="injected",
            body="<p>&lt;script&gt;alert(1)&lt;/script&gt; bridge &lt;b&gt;bold&lt;/b&gt;</p>",
        ),
        now=NOW,
    )
    response = client.get("/search?q=bridge")
    page = response.get_data(as_text=True)
    tree = html_of(response)
    assert not tree.cssselect("main img, main script, main b")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert texts(tree, ".hit h2") == ["<img src=x onerror=alert(1)> bridge"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("bridge", ["Bridge tolls rise", "Harbour bridge reopens"]),
        ('"bridge tolls"', ["Bridge tolls rise"]),
        ("bridge -tolls", ["Harbour bridge reopens"]),
        ("ferry OR tolls", ["Bridge tolls rise", "Ferry strike ends"]),
        ("strik*", ["Ferry strike ends"]),
        ("HARBOUR", ["Ferry strike ends", "Harbour bridge reopens"]),
    ],
)
def test_search_understands_phrases_or_exclusions_and_prefixes(stories, client, query, expected):
    assert sorted(hit_titles(client.get("/search", query_string={"q": query}))) == expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"section": "business"}, ["Ferry strike ends"]),
        ({"section": "City"}, ["Harbour bridge reopens"]),
        ({"author": "Jonas Berg"}, ["Ferry strike ends"]),
        ({"author": "helen-marsh"}, ["Harbour bridge reopens"]),
        ({"from": "2015-01-01"}, ["Ferry strike ends"]),
        ({"to": "2014-12-31"}, ["Harbour bridge reopens"]),
        ({"from": "2014-02-24", "to": "2014-02-24"}, ["Harbour bridge reopens"]),
        ({"section": "sport"}, []),
    ],
)
def test_search_filters_by_section_author_and_date_range(stories, client, filters, expected):
    response = client.get("/search", query_string={"q": "harbour", **filters})
    assert hit_titles(response) == expected


@pytest.mark.parametrize(
    ("filters", "problem"),
    [
        ({"from": "yesterday"}, "from 'yesterday' is not a date (YYYY-MM-DD expected)"),
        ({"to": "2014-02-30"}, "to '2014-02-30' is not a date (YYYY-MM-DD expected)"),
        ({"from": "2015-01-01", "to": "2014-01-01"}, "from 2015-01-01 is after to 2014-01-01"),
    ],
)
def test_bad_date_filter_is_a_400_naming_the_field(stories, client, filters, problem):
    response = client.get("/search", query_string={"q": "harbour", **filters})
    assert response.status_code == 400
    assert texts(html_of(response), ".problems li") == [problem]


def test_search_results_are_paginated(archive, client):
    for n in range(23):
        when = (NOW - timedelta(days=n)).isoformat()
        archive.save(make_story(slug=f"bridge-{n}", published_at=when), now=NOW)
    first = html_of(client.get("/search?q=bridge"))
    assert len(first.cssselect(".hit")) == 20
    [older] = first.cssselect(".pagination a[rel=next]")
    assert older.get("href") == "/search?q=bridge&page=2"
    second = html_of(client.get(older.get("href")))
    assert len(second.cssselect(".hit")) == 3
    assert second.cssselect("ol.hits")[0].get("start") == "21"
    assert client.get("/search?q=bridge&page=3").status_code == 404
    assert client.get("/search?q=bridge&page=x").status_code == 400


BRIDGES = ["Bridge tolls rise", "Harbour bridge reopens"]
CUT = f"That query was long: only its first {MAX_TERMS} words or phrases were used."


def nothing_in(query: str, *, only_excluded: bool = False) -> str:
    tail = ", not only excluded ones" if only_excluded else ""
    return f"There is nothing to search for in “{query}”. Try one or more words{tail}."


def no_match(query: str) -> str:
    return f"No stories match “{query}”. Try fewer or different words."


@pytest.mark.parametrize(
    ("query", "titles", "messages"),
    [
        ('"', [], [nothing_in('"')]),
        ('"unclosed phrase', [], [no_match('"unclosed phrase')]),
        # Operators other than OR are words like any other: no story says "AND" or "NOT".
        ("bridge AND", [], [no_match("bridge AND")]),
        ("OR", [], [nothing_in("OR")]),
        ("NOT bridge", [], [no_match("NOT bridge")]),
        ("AND OR NOT", [], [no_match("AND OR NOT")]),
        ("(", [], [nothing_in("(")]),
        ("bridge)", BRIDGES, ["2 stories match."]),
        ("*", [], [nothing_in("*")]),
        ("bridge**", BRIDGES, ["2 stories match."]),
        ("title:bridge", [], [no_match("title:bridge")]),
        ("NEAR(bridge harbour, 2)", [], [no_match("NEAR(bridge harbour, 2)")]),
        ("^bridge", BRIDGES, ["2 stories match."]),
        ("-", [], [nothing_in("-", only_excluded=True)]),
        ("--bridge", [], [nothing_in("--bridge", only_excluded=True)]),
        ("-bridge", [], [nothing_in("-bridge", only_excluded=True)]),
        ("bridge -", BRIDGES, ["2 stories match."]),
        ("' OR 1=1 --", [], [no_match("' OR 1=1 --")]),
        ("😀 bridge", BRIDGES, ["2 stories match."]),
        ("brücke", [], [no_match("brücke")]),
        ("_", [], [nothing_in("_")]),
        ("a" * 5000, [], [CUT, no_match("a" * 200)]),
        ("bridge " * 500, BRIDGES, [CUT, "2 stories match."]),
        ("%s %d {0}", [], [no_match("%s %d {0}")]),
        ("<script>alert(1)</script>", [], [no_match("<script>alert(1)</script>")]),
    ],
)
def test_any_query_gets_its_results_or_a_message_saying_why_not(
    stories, client, query, titles, messages
):
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    tree = html_of(response)
    assert sorted(texts(tree, ".hit h2")) == titles
    assert texts(tree, ".message") == messages
    assert not tree.cssselect("main script")


def test_control_characters_alone_are_nothing_to_search(stories, client):
    tree = html_of(client.get("/search", query_string={"q": "\x00\x01"}))
    assert not tree.cssselect(".hit")
    [message] = texts(tree, ".message")
    assert message.startswith("There is nothing to search for in “")
    assert message.endswith("”. Try one or more words.")


def test_empty_query_shows_the_form_with_a_hint(client):
    tree = html_of(client.get("/search?q="))
    assert tree.cssselect("form.search-form input[name=q]")
    assert texts(tree, ".message") == [
        "Type a word or a phrase to search every story in the archive."
    ]


def test_long_query_uses_its_first_terms_and_says_so(stories, client):
    query = "harbour " + " ".join(f"word{n}" for n in range(40))
    parsed = parse_query(query)
    assert parsed.was_cut
    assert parsed.match.count('"') == 2 * MAX_TERMS
    tree = html_of(client.get("/search", query_string={"q": query}))
    assert f"only its first {MAX_TERMS} words" in " ".join(texts(tree, ".message"))


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("harbour bridge", '("harbour") AND ("bridge")'),
        ('"harbour bridge" reopens', '("harbour bridge") AND ("reopens")'),
        ("ferry OR bridge tolls", '("ferry" OR "bridge") AND ("tolls")'),
        ('bridge -tolls -"x y"', '((("bridge")) NOT "tolls") NOT "x y"'),
        ("brid*", '("brid"*)'),
        ("title:bridge", '("title") AND ("bridge")'),
        ("-only -negative", ""),
        ("OR OR", ""),
        ("", ""),
    ],
)
def test_parse_query_builds_safe_fts5_expressions(text, match):
    assert parse_query(text).match == match


def test_punctuation_in_a_query_is_ignored_and_its_words_are_searched(stories):
    alphabet = "".join(chr(c) for c in range(32, 127))
    for start in range(0, len(alphabet), 3):
        window = alphabet[start : start + 7]
        results = stories.search(window + " bridge")
        # A window of punctuation leaves "bridge" alone; one with letters or digits adds a word
        # no story has, so nothing matches.
        expected = (
            []
            if re.search("[A-Za-z0-9]", window)
            else ["bridge-tolls-rise", "harbour-bridge-reopens"]
        )
        assert sorted(hit.story.slug for hit in results.hits) == expected, window
        assert results.total == len(expected), window


def test_search_counts_and_ranks_only_up_to_its_limit(archive):
    for n in range(5):
        archive.save(make_story(slug=f"bridge-{n}"), now=NOW)
    results = archive.search("bridge", max_counted=3, limit=10)
    assert results.is_capped
    # Ranked among the three most recently added matches.
    assert sorted(hit.story.slug for hit in results.hits) == ["bridge-2", "bridge-3", "bridge-4"]
    assert archive.search("bridge", max_counted=3, offset=3).hits == []
    exact = archive.search("bridge", max_counted=5)
    assert (exact.total, exact.is_capped) == (5, False)


# Every script: words without spaces between them, and words that carry their article.


@pytest.fixture
def world(archive):
    for slug, title, body in [
        (
            "sapporo",
            "さっぽろ雪まつり開幕\u3000大雪像の制作現場を訪ねて",
            "札幌市の大通公園で開幕した。",
        ),
        ("beijing", "北京大学举办春季书展", "书展吸引了许多学生和市民。"),
        ("amman", "معرض عمّان الدولي للكتاب يفتح أبوابه", "افتتح المعرض بمشاركة دور النشر."),
        ("bangkok", "กรุงเทพฯ เปิดสวนสาธารณะแห่งใหม่", "ชาวเมืองมาเที่ยวชมสวนในวันหยุด"),
        ("seoul", "서울시, 한강공원에 새 산책로 개통", "시민들이 주말마다 산책로를 찾았다."),
    ]:
        archive.save(make_story(title=title, slug=slug, body=f"<p>{body}</p>"), now=NOW)
    archive.save(make_story(), now=NOW)  # Harbour bridge reopens
    return archive


@pytest.mark.parametrize(
    ("query", "slugs"),
    [
        ("雪まつり", ["sapporo"]),  # Japanese: no spaces between words
        ("札幌", ["sapporo"]),  # two characters: shorter than a trigram
        ("北京", ["beijing"]),
        ("书展", ["beijing"]),
        ("الكتاب", ["amman"]),  # the title has للكتاب: "for the book"
        ("عمان", ["amman"]),  # the title writes عمّان, with a shadda
        ("عمّان", ["amman"]),
        ("สวนสาธารณะ", ["bangkok"]),  # Thai
        ("산책로", ["seoul"]),  # Korean: the particle is joined to the word
        ("北京 OR 札幌", ["beijing", "sapporo"]),
        ("北京 -书展", []),
        ("雪まつり bridge", []),  # every term must be found
        ("雪まつり Bridge OR 大通公園", ["sapporo"]),
    ],
)
def test_stories_in_every_script_are_found_by_a_word(world, query, slugs):
    results = world.search(query)
    assert sorted(hit.story.slug for hit in results.hits) == slugs
    assert results.total == len(slugs)


def test_substring_hits_mark_the_title_as_written(world, client):
    tree = html_of(client.get("/search", query_string={"q": "عمان"}))
    assert texts(tree, ".hit h2") == ["معرض عمّان الدولي للكتاب يفتح أبوابه"]
    assert [m.text for m in tree.cssselect(".hit h2 mark")] == ["عمّان"]
    tree = html_of(client.get("/search", query_string={"q": "大通公園"}))
    assert [m.text for m in tree.cssselect(".snippet mark")] == ["大通公園"]


def test_english_words_still_match_their_stems(world):
    assert [hit.story.slug for hit in world.search("reopening").hits] == ["harbour-bridge-reopens"]


def test_migration_indexes_stories_saved_before_it(settings, archive):
    archive.save(make_story(title="北京大学举办春季书展", slug="beijing"), now=NOW)
    db = archive.db
    # The archive as it was before m006: no substring index, no record of the migration.
    for trigger in ("stories_grams_ai", "stories_grams_ad", "stories_grams_au"):
        db.execute(f"DROP TRIGGER {trigger}")
    db.execute("DROP TABLE stories_grams")
    db.execute("DROP VIEW stories_folded")
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm006_search_in_every_script'")
    db.conn.commit()
    archive.close()
    with open_archive(settings.archive_path) as reopened:
        assert [hit.story.slug for hit in reopened.search("北京").hits] == ["beijing"]
        assert [hit.story.slug for hit in reopened.search("书展").hits] == ["beijing"]
