"""Permanence: a moved story answers 301, a withdrawn one 410 with a tombstone, drafts and
embargoed stories 404, and every published revision can be read with what changed.
"""

from __future__ import annotations

from datetime import timedelta

from tests.support.pages import STORY, html_of, texts
from tests.support.stories import NOW, full_story, make_story


def test_changed_slug_answers_301_at_the_old_permalink(archive, client):
    saved = archive.save(make_story(), now=NOW)
    archive.save(saved.replace(slug="bridge-reopens"), now=NOW + timedelta(hours=1))
    response = client.get(STORY)
    assert response.status_code == 301
    assert response.headers["Location"] == "/2014/02/24/bridge-reopens/"
    history = client.get(STORY + "revisions/")
    assert history.status_code == 301
    assert history.headers["Location"] == "/2014/02/24/bridge-reopens/revisions/"


def test_withdrawn_story_answers_410_with_a_tombstone_and_leaves_every_list(archive, client):
    saved = archive.save(full_story(), now=NOW)
    archive.withdraw(saved.id, reason="Legal request", now=NOW + timedelta(days=1))
    response = client.get(STORY)
    assert response.status_code == 410
    tree = html_of(response)
    assert texts(tree, "h1") == ["Harbour bridge reopens"]
    assert "Reason: Legal request" in texts(tree, ".reason")
    assert texts(tree, ".rights-statement") == ["© 2014 Gazette. Some rights reserved."]
    assert tree.cssselect("time")[0].get("datetime") == (NOW + timedelta(days=1)).isoformat()
    for url in ["/", "/sections/city/", "/tags/transport/", "/authors/helen-marsh/"]:
        assert "Harbour bridge reopens" not in client.get(url).get_data(as_text=True), url
    assert client.get("/2014/02/24/").status_code == 404
    assert client.get("/search?q=bridge").get_data(as_text=True).count("story-item") == 0
    assert "No stories match" in client.get("/search?q=bridge").get_data(as_text=True)
    assert client.get(STORY + "revisions/").status_code == 410
    assert client.get(STORY + "revisions/1/").status_code == 410


def test_drafts_and_embargoed_stories_are_not_found_until_published(archive, client):
    archive.save(make_story(status="draft"), now=NOW)
    embargo = NOW + timedelta(hours=2)
    archive.save(
        make_story(
            title="Budget", status="scheduled", published_at=None, embargo_at=embargo.isoformat()
        ),
        now=NOW,
    )
    assert client.get(STORY).status_code == 404
    assert client.get("/2026/11/24/budget/").status_code == 404
    assert "Budget" not in client.get("/").get_data(as_text=True)
    assert "Harbour" not in client.get("/search?q=harbour").get_data(as_text=True)
    archive.publish_due(now=embargo)
    assert client.get("/2026/11/24/budget/").status_code == 200


def test_revisions_list_every_revision_with_its_time_and_what_changed(archive, client):
    saved = archive.save(full_story(), now=NOW)
    edited = archive.save(
        saved.replace(
            title="Harbour bridge reopens at last",
            body_html="<p>The first bus crossed at dawn.</p><p>A second paragraph.</p>",
        ),
        now=NOW + timedelta(hours=1),
    )
    archive.save(edited.replace(tags=("transport", "bridges")), now=NOW + timedelta(hours=2))
    tree = html_of(client.get(STORY + "revisions/"))
    revisions = tree.cssselect("li.revision")
    assert [r.get("id") for r in revisions] == ["revision-3", "revision-2", "revision-1"]
    times = [r.cssselect("time")[0].get("datetime") for r in revisions]
    assert times == [(NOW + timedelta(hours=h)).isoformat() for h in (2, 1, 0)]
    second = revisions[1]
    assert texts(second, ".change h3") == ["Title", "Body"]
    assert texts(second, ".removed") == ["− Removed: Harbour bridge reopens"]
    # The changed words are named to screen readers ("inserted:"), the rest read as they are.
    assert "+ Added: Harbour bridge reopens inserted: at last" in texts(second, ".added")
    assert "+ Added: inserted: A second paragraph." in texts(second, ".added")
    assert texts(revisions[0], ".added") == ["+ Added: inserted: bridges"]


def test_each_revision_can_be_viewed_as_it_was(archive, client):
    saved = archive.save(full_story(), now=NOW)
    archive.save(saved.replace(title="Renamed"), now=NOW + timedelta(hours=1))
    first = html_of(client.get(STORY + "revisions/1/"))
    assert texts(first, "h1") == ["Harbour bridge reopens"]
    assert texts(first, "figcaption .credit") == ["Photo: Lena Ortiz / Masthead"]
    assert texts(first, ".rights-statement") == ["© 2014 Gazette. Some rights reserved."]
    assert texts(html_of(client.get(STORY + "revisions/2/")), "h1") == ["Renamed"]
    assert client.get(STORY + "revisions/3/").status_code == 404


def test_versions_from_before_publication_stay_private(archive, client):
    draft = archive.save(
        make_story(status="draft", title="Secret working title", slug="harbour-bridge-reopens"),
        now=NOW,
    )
    archive.save(
        draft.replace(status="published", title="Harbour bridge reopens"),
        now=NOW + timedelta(hours=1),
    )
    tree = html_of(client.get(STORY + "revisions/"))
    assert [r.get("id") for r in tree.cssselect("li.revision")] == ["revision-2"]
    assert "Secret working title" not in client.get(STORY + "revisions/").get_data(as_text=True)
    assert "before it was first published" in texts(tree, "main > p")[0]
    assert client.get(STORY + "revisions/1/").status_code == 404
    assert client.get(STORY + "revisions/2/").status_code == 200
