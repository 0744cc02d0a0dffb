"""/corrections/: every correction with its date, note, story and the revision that made it."""

from __future__ import annotations

from datetime import timedelta

from lxml import html

from archive import ChangeNote
from service.site.pagination import PAGE_SIZE
from tests.support.feeds import build
from tests.support.stories import NOW, SYNDICATED, make_story

RUSSIAN_NOTE = "В предыдущей версии статьи неверно указана цена билета: £4.80, а не £4.50."
ARABIC_TITLE = "افتتاح جسر الميناء"


def page_of(client, path: str):
    response = client.get(path)
    assert response.status_code == 200, response.data[:300]
    return html.fromstring(response.data)


def test_every_correction_is_listed_with_its_note_story_and_revision(client, archive, settings):
    tram = archive.save(make_story(SYNDICATED, title="Tram line opens", slug="tram"), now=NOW)
    arabic = archive.save(
        make_story(SYNDICATED, title=ARABIC_TITLE, slug="jisr", language="ar"), now=NOW
    )
    ferry = archive.save(make_story(SYNDICATED, title="Ferry sails", slug="ferry"), now=NOW)
    tram2 = archive.save(
        tram.replace(body_html="<p>Tickets cost £4.80.</p>"),
        now=NOW + timedelta(hours=1),
        change=ChangeNote("correction", RUSSIAN_NOTE),
    )
    archive.save(
        arabic.replace(dek="غدا"),
        now=NOW + timedelta(hours=2),
        change=ChangeNote("correction", "An earlier version gave the wrong day."),
    )
    # An update is no correction; a withdrawn story's corrections leave with it.
    archive.save(
        tram2.replace(dek="Night buses too."),
        now=NOW + timedelta(hours=3),
        change=ChangeNote("update", "Adds night buses."),
    )
    ferry2 = archive.save(
        ferry.replace(dek="Late."),
        now=NOW + timedelta(hours=4),
        change=ChangeNote("correction", "Wrong harbour."),
    )
    archive.withdraw(ferry2.id, reason="Published in error.", now=NOW + timedelta(hours=5))

    page = page_of(client, "/corrections/")
    items = page.cssselect("li.correction-item")
    assert [li.cssselect("h2 a")[0].text_content() for li in items] == [
        ARABIC_TITLE,
        "Tram line opens",
    ]
    arabic_item, tram_item = items
    assert arabic_item.cssselect("h2")[0].get("dir") == "rtl"
    assert tram_item.cssselect(".change-note")[0].text_content() == RUSSIAN_NOTE
    assert tram_item.cssselect("time")[0].get("datetime") == (NOW + timedelta(hours=1)).isoformat()
    links = [a.get("href") for a in tram_item.iter("a")]
    assert links == [tram.path, f"{tram.path}revisions/2/", f"{tram.path}revisions/"]
    # The linked revision exists and is the one that made the correction.
    assert client.get(f"{tram.path}revisions/2/").status_code == 200
    # The page offers the corrections feed.
    alternates = {a.get("href") for a in page.cssselect("p.feeds a")}
    assert "https://news.example/feeds/corrections.atom" in alternates


def test_corrections_are_paged_by_path(client, archive):
    story = archive.save(make_story(SYNDICATED, title="Budget", slug="budget"), now=NOW)
    for number in range(PAGE_SIZE + 1):
        story = archive.save(
            story.replace(dek=f"Figure {number}."),
            now=NOW + timedelta(minutes=number + 1),
            change=ChangeNote("correction", f"Figure {number} was wrong."),
        )
    first = page_of(client, "/corrections/")
    assert len(first.cssselect("li.correction-item")) == PAGE_SIZE
    assert first.cssselect(".change-note")[0].text_content() == f"Figure {PAGE_SIZE} was wrong."
    assert first.cssselect("a[rel=next]")[0].get("href") == "/corrections/page/2/"
    second = page_of(client, "/corrections/page/2/")
    assert [p.text_content() for p in second.cssselect(".change-note")] == ["Figure 0 was wrong."]
    moved = client.get("/corrections/?page=2")
    assert (moved.status_code, moved.headers["Location"]) == (301, "/corrections/page/2/")
    assert client.get("/corrections/page/3/").status_code == 404
    assert client.get("/corrections/?page=x").status_code == 400


def test_an_empty_archive_says_so(client):
    page = page_of(client, "/corrections/")
    assert page.cssselect("li.correction-item") == []
    assert "No story has been corrected yet." in page.text_content()


def test_the_feeds_page_links_the_corrections_page(client, archive, settings):
    story = archive.save(make_story(SYNDICATED), now=NOW)
    archive.save(
        story.replace(dek="Fixed."),
        now=NOW + timedelta(hours=1),
        change=ChangeNote("correction", "A name was misspelt."),
    )
    build(archive, settings, now=NOW + timedelta(hours=2))
    page = page_of(client, "/feeds/")
    hrefs = [a.get("href") for a in page.iter("a")]
    assert "/corrections/" in hrefs
    # The directory's "Corrections" line names the corrections page, not the home page.
    [line] = [li for li in page.cssselect("ul.feeds li") if "Corrections" in li.text_content()]
    assert line.cssselect("a")[0].get("href") == "https://news.example/corrections/"
