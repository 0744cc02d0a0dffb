"""Times as the story knew them: the offset a story was published with, shown on its page and
in its JSON-LD while its permalink stays in the site's zone; its dateline; updated times that
never go back, on import too.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from archive import InvalidStory
from archive.story.fields import MAX_DATELINE_LENGTH
from tests.support.api import assert_problem, create
from tests.support.pages import STORY, html_of, texts
from tests.support.paths import FIXTURES
from tests.support.stories import NOW, make_story

# 01:00 in Sochi is still the 24th in the site's zone (Europe/London, 21:00).
SOCHI_TIME = "2014-02-25T01:00:00+04:00"


def json_ld(page) -> dict:
    [script] = page.cssselect('script[type="application/ld+json"]')
    return json.loads(script.text)


def imported(runner, archive, tmp_path, *options):
    source = tmp_path / "story.txt"
    if not source.exists():
        source.write_text((FIXTURES / "harbour-fire.txt").read_text(), encoding="utf-8")
    result = runner.invoke(args=["import", str(source), *options])
    assert result.exit_code == 0, result.output
    [story] = archive.latest(limit=1)
    return story


def test_an_imported_story_shows_the_time_it_was_published_with(runner, archive, client, tmp_path):
    story = imported(runner, archive, tmp_path, "--published", SOCHI_TIME, "--dateline", "SOCHI")
    # Stored in UTC, with the offset it was written with; the permalink in the site's zone.
    assert story.published_at.isoformat() == "2014-02-24T21:00:00+00:00"
    assert story.published_offset == "+04:00"
    assert story.path.startswith("/2014/02/24/")
    page = html_of(client.get(story.path))
    [published] = page.cssselect("time.published")
    assert published.text_content() == "25 February 2014, 01:00 +04:00"
    assert published.get("datetime") == SOCHI_TIME
    assert page.cssselect("a.date")[0].get("href") == "/2014/02/24/"
    assert json_ld(page)["datePublished"] == SOCHI_TIME
    # The dateline opens the first paragraph, as newspapers print it.
    first = page.cssselect(".body p")[0]
    assert texts(first, ".dateline") == ["SOCHI —"]
    assert first.text_content().startswith("SOCHI — ")
    # The revision says it came from an import.
    history = html_of(client.get(story.path + "revisions/"))
    # Revision 1 of an imported story: when the archive got it, then when it was published (its
    # own day, in the offset it was written with), each a <time datetime>.
    [first] = history.cssselect("li.revision")
    [meta] = first.cssselect(".meta")
    times = meta.cssselect("time")
    assert [t.get("datetime") for t in times][1] == SOCHI_TIME
    assert " ".join(meta.text_content().split()) == (
        f"First archived {times[0].text_content()} (published 25 February 2014)"
    )
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}", times[0].text_content())
    assert not history.cssselect(".received")


def test_a_story_written_in_utc_is_shown_with_its_offset(archive, client):
    archive.save(make_story(published_at="2014-02-24T16:00:00Z"), now=NOW)
    page = html_of(client.get(STORY))
    [published] = page.cssselect("time.published")
    assert published.text_content() == "24 February 2014, 16:00 +00:00"
    assert json_ld(page)["datePublished"] == "2014-02-24T16:00:00+00:00"


def test_the_offset_survives_a_round_trip_through_the_api(client, api_tokens):
    created = create(client, api_tokens, published_at=SOCHI_TIME).get_json()
    assert created["published_at"] == "2014-02-24T21:00:00+00:00"
    assert created["published_offset"] == "+04:00"
    sent = {k: v for k, v in created.items() if k in ("title", "slug", "body", "status")}
    replaced = client.put(
        f"/api/stories/{created['id']}",
        json={**sent, "published_at": created["published_at"], "dek": "Same moment, in UTC"},
        headers={**api_tokens["write"], "If-Match": f'"story-{created["id"]}-1"'},
    ).get_json()
    assert replaced["revision"] == 2
    assert replaced["published_offset"] == "+04:00"
    moved = client.patch(
        f"/api/stories/{created['id']}",
        json={"published_at": "2014-02-24T15:30:00-05:00"},
        headers={**api_tokens["write"], "If-Match": f'"story-{created["id"]}-2"'},
    ).get_json()
    assert moved["published_offset"] == "-05:00"


def test_a_dateline_is_checked_by_the_field_table(client, api_tokens, archive):
    answer = client.post(
        "/api/stories",
        json={"title": "T", "status": "draft", "dateline": "X" * (MAX_DATELINE_LENGTH + 1)},
        headers=api_tokens["write"],
    )
    assert "at most 100" in assert_problem(answer, 422, "dateline")["detail"]
    with pytest.raises(InvalidStory, match="dateline contains the control character U\\+001B"):
        archive.save(make_story(dateline="SOCHI\x1b"), now=NOW)


def test_a_dateline_is_escaped_and_stands_alone_when_the_body_opens_otherwise(archive, client):
    archive.save(make_story(dateline="<b>ΣΟΧΙ</b>", body="<ul><li>One</li></ul>"), now=NOW)
    response = client.get(STORY)
    assert "<b>ΣΟΧΙ</b>" not in response.get_data(as_text=True)
    page = html_of(response)
    assert texts(page, ".body p.dateline") == ["<b>ΣΟΧΙ</b> —"]


def test_an_import_cannot_move_updated_at_back(runner, archive, tmp_path):
    source = tmp_path / "story.json"
    shape = {
        "title": "Ferry timetable",
        "status": "published",
        "published_at": "2026-11-20T09:00:00+00:00",
        "updated_at": "2026-11-22T09:00:00+00:00",
    }
    source.write_text(json.dumps(shape), encoding="utf-8")
    assert runner.invoke(args=["import", str(source)]).exit_code == 0
    shape.update(dek="Older", updated_at="2026-11-21T09:00:00+00:00")
    source.write_text(json.dumps(shape), encoding="utf-8")
    result = runner.invoke(args=["import", str(source)])
    assert result.exit_code == 1
    assert "updated_at '2026-11-21T09:00:00+00:00' is earlier than the stored" in result.output
    [story] = archive.latest(limit=1)
    assert (story.revision, story.dek) == (1, "")


def test_an_import_can_carry_a_correction(runner, archive, client, tmp_path):
    story = imported(runner, archive, tmp_path, "--published", SOCHI_TIME)
    source = tmp_path / "story.txt"
    source.write_text(source.read_text().replace("six hours", "seven hours"), encoding="utf-8")
    note = "Une version précédente indiquait six heures."
    imported(runner, archive, tmp_path, "--change-kind", "correction", "--change-note", note)
    [correction] = archive.notes(story.id)
    assert (correction.kind, correction.note) == ("correction", note)
    page = html_of(client.get(story.path))
    assert texts(page, ".corrections .change-note")[0].endswith(note)


def test_the_first_published_time_stays_when_an_edit_leaves_it_out(archive):
    saved = archive.save(make_story(published_at=SOCHI_TIME), now=NOW)
    edited = archive.save(saved.replace(dek="New", published_at=None), now=NOW + timedelta(hours=1))
    assert (edited.published_at, edited.published_offset) == (saved.published_at, "+04:00")
