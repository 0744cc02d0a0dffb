"""Direction and language of parts: an Arabic story on an English site reads right to left in a
real browser (its quote bar on the right), while the site's own words inside it ("Permalink:",
"This story is from …") keep their language and read left to right; the feed preview gives each
entry its own lang and dir.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from archive import open_archive, story_from_dict
from service.feeds import renditions
from tests.support.archives import settings_mapping
from tests.support.browser import open_page
from tests.support.live import LiveServer
from tests.support.pages import html_of
from tests.support.stories import NOW

ARABIC = {
    "title": "مهرجان الشتاء في عمّان",
    "slug": "winter-festival",
    "dek": "آلاف الزوار في وسط المدينة.",
    "body": (
        "<p>افتتح المهرجان مساء الجمعة في وسط المدينة.</p>"
        "<blockquote><p>«كانت ليلة لا تنسى»</p></blockquote>"
        "<ul><li>الموسيقى</li><li>الطعام</li></ul>"
    ),
    "language": "ar",
    "section": "ثقافة",
    "tags": ["مهرجانات"],
    "authors": [{"name": "ليلى حداد"}],
    "sources": [{"name": "سامي خوري", "role": "منظم المهرجان"}],
    "media": [{"caption": "الحشود في الساحة.", "credit": "سامي خوري / بترا"}],
    "rights": {"holder": "صحيفة الشمال", "statement": "جميع الحقوق محفوظة لصحيفة الشمال."},
    "published_at": "2024-08-02T18:00:00+03:00",
}
PATH = "/2024/08/02/winter-festival/"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    tmp_path = tmp_path_factory.mktemp("direction")
    mapping = settings_mapping(tmp_path)
    with open_archive(mapping["archive"]["path"], domain="news.example") as archive:
        archive.save(story_from_dict(ARABIC), now=NOW)
    with LiveServer(tmp_path, mapping) as live:
        yield live


def test_the_sites_words_in_an_arabic_story_carry_their_own_language(archive, client):
    archive.save(story_from_dict(ARABIC), now=NOW)
    page = html_of(client.get(PATH))
    [article] = page.cssselect("article.story")
    assert (article.get("lang"), article.get("dir")) == ("ar", "rtl")
    for selector in (".dated", ".byline", ".tags", ".permalink", ".history", "footer"):
        [element] = page.cssselect(f"article.story {selector}")
        assert (element.get("lang"), element.get("dir")) == ("en", "ltr"), selector
    # The story's own words inside the site's keep the story's language.
    for selector in (".voices .voice", ".rights-statement"):
        [element] = page.cssselect(selector)
        assert (element.get("lang"), element.get("dir")) == ("ar", "rtl"), selector


def test_a_story_in_the_sites_language_has_no_extra_marks(archive, client):
    archive.save(story_from_dict({**ARABIC, "language": "en"}), now=NOW)
    page = html_of(client.get(PATH))
    assert page.cssselect("article.story [lang]") == []


@pytest.mark.parametrize("fmt", ["atom", "rss", "json"])
def test_the_feed_page_gives_each_entry_its_lang_and_dir(archive, settings, client, fmt):
    archive.save(story_from_dict(ARABIC), now=NOW)
    archive.save(
        story_from_dict({**ARABIC, "slug": "en", "language": "en", "title": "In English"}), now=NOW
    )
    renditions.rebuild_pending(archive, settings, now=NOW, everything=True)
    page = html_of(client.get(f"/feeds/latest.{fmt}", headers={"Accept": "text/html"}))
    entries = {
        heading.findtext("a"): (heading.get("lang"), heading.get("dir"))
        for heading in page.cssselect("li.story-item h3")
    }
    assert entries == {ARABIC["title"]: ("ar", "rtl"), "In English": ("en", "ltr")}


# Where the characters of an element's first text fall on screen: (left of the first
# character, left of the last), in CSS pixels.
TEXT_ENDS = """(selector) => {
    const element = document.querySelector(selector);
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    let node = walker.nextNode();
    while (node && !node.data.trim()) node = walker.nextNode();
    const text = node.data.trim();
    const start = node.data.indexOf(text);
    const at = (i) => {
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        return range.getBoundingClientRect().left;
    };
    return [text, at(start), at(start + text.length - 1)];
}"""
SIDES = """(selector) => {
    const style = getComputedStyle(document.querySelector(selector));
    return [style.borderLeftWidth, style.borderRightWidth, style.paddingLeft, style.paddingRight];
}"""


def test_an_arabic_story_reads_right_to_left_with_its_labels_in_order(browser, server, tmp_path):
    page, events = open_page(browser, server, viewport={"width": 900, "height": 1400})
    page.goto(server.url + PATH)
    # The quote bar and the list's indent stand on the right of a right-to-left story.
    left, right, _, padding_right = page.evaluate(SIDES, ".body blockquote")
    assert (left, right) == ("0px", "3px")
    assert padding_right != "0px"
    assert page.evaluate(SIDES, ".body ul")[3] != "0px"
    quote = page.locator(".body blockquote").bounding_box()
    body = page.locator(".body").bounding_box()
    assert quote["x"] + quote["width"] == pytest.approx(body["x"] + body["width"], abs=1)
    # "Permalink:" on screen starts with its P, its colon last (not ":Permalink").
    text, first, last = page.evaluate(TEXT_ENDS, ".permalink")
    assert text == "Permalink:"
    assert first < last
    text, first, last = page.evaluate(TEXT_ENDS, ".dated strong")
    assert text.startswith("This story is from")
    assert text.endswith(".")
    assert first < last
    # The title reads from the right.
    title = page.locator("h1").bounding_box()
    assert title["x"] + title["width"] == pytest.approx(body["x"] + body["width"], abs=2)
    page.screenshot(path=str(tmp_path / "arabic-story.png"), full_page=True)
    assert (tmp_path / "arabic-story.png").stat().st_size > 0
    assert events == []
    page.context.close()
