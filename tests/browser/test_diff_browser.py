"""A revision list as a reader sees it in Chromium: the changed words stand out (colour and a
line through or under them), screen readers hear "deleted:" / "inserted:", and each revision is
numbered once ("Revision 2", no "2." beside it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from archive import ChangeNote, open_archive
from tests.support.archives import settings_mapping
from tests.support.browser import open_page, screenshot
from tests.support.live import LiveServer
from tests.support.stories import NOW, SYNDICATED, make_story

TRANSPARENT = "rgba(0, 0, 0, 0)"


@pytest.fixture(scope="module")
def revisions_path(tmp_path_factory) -> Iterator[tuple[LiveServer, str]]:
    tmp_path = tmp_path_factory.mktemp("diff")
    mapping = settings_mapping(tmp_path)
    with open_archive(mapping["archive"]["path"], domain="news.example") as archive:
        story = archive.save(
            make_story(SYNDICATED, body="<p>The last ferry leaves at 22:10 from pier 4.</p>"),
            now=NOW,
        )
        archive.save(
            story.replace(body_html="<p>The last ferry leaves at 22:15 from pier 4.</p>"),
            now=NOW + timedelta(hours=1),
            change=ChangeNote("correction", "An earlier version gave the wrong time."),
        )
    with LiveServer(tmp_path, mapping) as live:
        yield live, f"{story.path}revisions/"


def style_of(page, selector: str) -> dict:
    return page.eval_on_selector(
        selector,
        """e => { const s = getComputedStyle(e); const p = getComputedStyle(e.parentElement);
                  const label = e.previousElementSibling;
                  return {line: s.textDecorationLine, background: s.backgroundColor,
                          parent: p.backgroundColor, hidden: label.textContent,
                          hiddenWidth: label.getBoundingClientRect().width}; }""",
    )


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 375])
def test_changed_words_are_visible_and_named(browser, revisions_path, width):
    server, path = revisions_path
    page, events = open_page(browser, server, viewport={"width": width, "height": 800})
    try:
        page.goto(server.url + path)
        deleted = style_of(page, ".diff .removed del")
        inserted = style_of(page, ".diff .added ins")
        assert page.inner_text(".diff .removed del") == "22:10"
        assert page.inner_text(".diff .added ins") == "22:15"
        assert "line-through" in deleted["line"]
        assert "underline" in inserted["line"]
        for mark in (deleted, inserted):
            # A colour of its own, set apart from the line's.
            assert mark["background"] not in (TRANSPARENT, mark["parent"])
            assert mark["hiddenWidth"] <= 1  # the spoken label takes no room on screen
        assert deleted["hidden"] == "deleted: "
        assert inserted["hidden"] == "inserted: "
        # One number per revision: its heading's, none from the list.
        styles = page.eval_on_selector_all(
            "ol.revisions > li", "items => items.map(e => getComputedStyle(e).listStyleType)"
        )
        assert styles == ["none", "none"]
        assert page.locator("ol.revisions h2").all_inner_texts() == ["Revision 2", "Revision 1"]
        screenshot(page, f"revisions-diff-{width}")
        assert events == []
    finally:
        page.context.close()
