"""Display names: a section or tag is shown as its first spelling, whatever later saves write."""

from __future__ import annotations

import pytest

from archive.story.names import slugify
from tests.support.pages import html_of, texts
from tests.support.stories import NOW, make_story


@pytest.mark.parametrize(
    ("first", "later", "slug"),
    [("Sport", "sport", "sport"), ("Спорт", "спорт", "sport"), ("Kultur", "KULTUR", "kultur")],
)
def test_a_section_keeps_its_first_spelling_on_its_page(archive, client, first, later, slug):
    archive.save(make_story(title="First", slug="first", section=first), now=NOW)
    # Published earlier, saved later: the first spelling written wins, not the oldest story's.
    archive.save(
        make_story(
            title="Second", slug="second", section=later, published_at="2014-01-01T09:00:00+00:00"
        ),
        now=NOW,
    )
    tree = html_of(client.get(f"/sections/{slug}/"))
    assert texts(tree, "h1") == [first]
    assert first in tree.findtext(".//title")
    assert texts(tree, f".story-item a[href$='/sections/{slug}/']") == [first, first]
    story_page = html_of(client.get("/2014/01/01/second/"))
    assert texts(story_page, ".section a") == [first]


def test_a_tag_keeps_its_first_spelling_in_any_script(archive, client):
    archive.save(make_story(title="First", slug="first", tags=["الرياضة"]), now=NOW)
    archive.save(
        make_story(
            title="Second",
            slug="second",
            tags=["الرياضة"],
            published_at="2014-01-01T09:00:00+00:00",
        ),
        now=NOW,
    )
    archive.save(make_story(title="Third", slug="third", tags=["Football"]), now=NOW)
    archive.save(
        make_story(
            title="Fourth",
            slug="fourth",
            tags=["FOOTBALL"],
            published_at="2014-01-01T09:00:00+00:00",
        ),
        now=NOW,
    )
    assert texts(html_of(client.get("/tags/football/")), "h1") == ["Tagged Football"]
    arabic = html_of(client.get(f"/tags/{slugify('الرياضة')}/"))
    assert texts(arabic, "h1") == ["Tagged الرياضة"]
