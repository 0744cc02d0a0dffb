"""Memento (RFC 7089): the permalink as Original Resource and TimeGate, revision pages as
Mementos, and the TimeMap in link-format; only revisions saved while the story was published.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.http import http_date, parse_date

from tests.support.links import by_rel, parse_links
from tests.support.pages import html_of
from tests.support.stories import NOW, make_story

STORY = "/2014/02/24/harbour-bridge-reopens/"
BASE = "https://news.example"
ORIGINAL = BASE + STORY
TIMEMAP = ORIGINAL + "timemap/"

# When each revision is saved; 1 and 3 are drafts (never public), 2, 4 and 5 published.
SAVED = {
    1: datetime(2014, 2, 20, 9, 0, tzinfo=UTC),
    2: datetime(2014, 2, 24, 16, 0, tzinfo=UTC),
    3: datetime(2014, 2, 25, 10, 0, tzinfo=UTC),
    4: datetime(2014, 2, 26, 10, 0, tzinfo=UTC),
    5: datetime(2014, 2, 27, 10, 0, 30, 500_000, tzinfo=UTC),
}
PUBLISHED = [2, 4, 5]


def memento_url(number: int) -> str:
    return f"{ORIGINAL}revisions/{number}/"


def second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


@pytest.fixture
def history(archive):
    """A story drafted, published, unpublished to a draft, published again and edited."""
    story = archive.save(make_story(status="draft"), now=SAVED[1])
    story = archive.save(story.replace(status="published"), now=SAVED[2])
    story = archive.save(story.replace(status="draft", dek="Draft dek."), now=SAVED[3])
    story = archive.save(story.replace(status="published", dek="Dek."), now=SAVED[4])
    story = archive.save(story.replace(dek="Corrected dek."), now=SAVED[5])
    assert story.revision == 5
    return story


# The permalink as TimeGate


@pytest.mark.parametrize(
    ("accept_datetime", "expected"),
    [
        ("Sat, 01 Feb 2014 00:00:00 GMT", 2),  # before the first: the first
        ("Thu, 20 Feb 2014 09:00:00 GMT", 2),  # when the first draft was saved: still the first
        ("Mon, 24 Feb 2014 16:00:00 GMT", 2),  # exactly when revision 2 was saved
        ("Tue, 25 Feb 2014 12:00:00 GMT", 2),  # after the draft revision 3: never the draft
        ("Wed, 26 Feb 2014 09:59:59 GMT", 2),
        ("Wed, 26 Feb 2014 10:00:00 GMT", 4),
        ("Thu, 27 Feb 2014 10:00:29 GMT", 4),
        ("Thu, 27 Feb 2014 10:00:30 GMT", 5),  # saved at 10:00:30.5: HTTP-dates are whole seconds
        ("Fri, 01 Jan 2100 00:00:00 GMT", 5),  # after the last: the last
        ("Thursday, 27-Feb-14 10:00:30 GMT", 5),  # RFC 850 form, which recipients must accept
    ],
)
def test_permalink_with_accept_datetime_redirects_to_the_revision_in_force(
    history, client, accept_datetime, expected
):
    response = client.get(STORY, headers={"Accept-Datetime": accept_datetime})
    assert response.status_code == 302
    assert response.headers["Location"] == memento_url(expected)
    assert "accept-datetime" in response.vary
    links = by_rel(parse_links(response.headers["Link"]))
    assert [link["url"] for link in links["original"]] == [ORIGINAL]
    assert [link["url"] for link in links["timegate"]] == [ORIGINAL]
    [timemap] = links["timemap"]
    assert (timemap["url"], timemap["type"]) == (TIMEMAP, "application/link-format")
    target = client.get(response.headers["Location"].removeprefix(BASE))
    assert target.status_code == 200
    assert target.headers["Memento-Datetime"] == http_date(second(SAVED[expected]))


def test_every_memento_datetime_negotiates_back_to_its_memento(history, client):
    for number in PUBLISHED:
        sent = client.get(STORY + f"revisions/{number}/").headers["Memento-Datetime"]
        response = client.get(STORY, headers={"Accept-Datetime": sent})
        assert response.headers["Location"] == memento_url(number)


@pytest.mark.parametrize(
    "bad",
    [
        "yesterday",
        "2014-02-24T16:00:00Z",
        "Mon, 32 Feb 2014 16:00:00 GMT",
        "Sat, 29 Feb 2014 16:00:00 GMT",  # 2014 was no leap year
        "",
        "Mon, 24 Feb 2014 16:00:00 +0000",  # a numeric zone is no HTTP-date
        "Fri, 31 Dec 9999 23:59:59 -0100",  # nor this one, past the last representable time
        "mon, 24 feb 2014 16:00:00 gmt",
        "Mon,  24 Feb 2014 16:00:00 GMT",
        "Mon, 24 Feb 2014 16:00:00 GMT; more",
        "Пн, 24 фев 2014 16:00:00 GMT",
        "Mon, 24 Feb 2014 25:61:61 GMT",
    ],
)
def test_malformed_accept_datetime_answers_400_naming_it(history, client, bad):
    response = client.get(STORY, headers={"Accept-Datetime": bad})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Accept-Datetime" in text
    assert "HTTP-date" in text


def test_permalink_names_its_timegate_and_timemap_and_varies_on_accept_datetime(history, client):
    response = client.get(STORY)
    assert response.status_code == 200
    assert {"accept-datetime", "accept-encoding"} <= {v.lower() for v in response.vary}
    links = parse_links(response.headers["Link"])
    assert links == [
        {"url": ORIGINAL, "rel": "original timegate"},
        {"url": TIMEMAP, "rel": "timemap", "type": "application/link-format"},
    ]
    # A revalidation keeps the same Vary and Link, so caches keep the two variants apart.
    again = client.get(STORY, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert "accept-datetime" in again.vary
    assert again.headers["Link"] == response.headers["Link"]


def test_moved_permalink_still_answers_301_with_accept_datetime(history, archive, client):
    archive.save(history.replace(slug="bridge-reopens"), now=NOW)
    response = client.get(STORY, headers={"Accept-Datetime": "Mon, 24 Feb 2014 16:00:00 GMT"})
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/2014/02/24/bridge-reopens/")
    assert client.get(STORY + "timemap/").status_code == 301


# Revision pages as Mementos


def test_revision_pages_carry_memento_datetime_and_their_neighbours(history, client):
    for index, number in enumerate(PUBLISHED):
        response = client.get(STORY + f"revisions/{number}/")
        assert response.status_code == 200
        assert parse_date(response.headers["Memento-Datetime"]) == second(SAVED[number])
        links = by_rel(parse_links(response.headers["Link"]))
        assert [link["url"] for link in links["original"]] == [ORIGINAL]
        assert [link["url"] for link in links["timegate"]] == [ORIGINAL]
        assert [(link["url"], link["type"]) for link in links["timemap"]] == [
            (TIMEMAP, "application/link-format")
        ]
        expected = {
            "first": PUBLISHED[0] if index > 0 else None,
            "last": PUBLISHED[-1] if index < len(PUBLISHED) - 1 else None,
            "prev": PUBLISHED[index - 1] if index > 0 else None,
            "next": PUBLISHED[index + 1] if index < len(PUBLISHED) - 1 else None,
        }
        for rel, other in expected.items():
            found = links.get(rel, [])
            if other is None:
                assert found == [], (number, rel)
                continue
            [link] = found
            assert link["url"] == memento_url(other)
            assert "memento" in link["rel"].split()
            assert parse_date(link["datetime"]) == second(SAVED[other])


def test_middle_memento_links_first_and_prev_as_one(history, client):
    links = parse_links(client.get(STORY + "revisions/4/").headers["Link"])
    mementos = {link["url"]: set(link["rel"].split()) for link in links if "datetime" in link}
    assert mementos == {
        memento_url(2): {"first", "prev", "memento"},
        memento_url(5): {"last", "next", "memento"},
    }


@pytest.mark.parametrize("draft", [1, 3])
def test_draft_revisions_are_no_mementos(history, client, draft):
    assert client.get(STORY + f"revisions/{draft}/").status_code == 404
    for number in PUBLISHED:
        page = client.get(STORY + f"revisions/{number}/")
        assert memento_url(draft) not in page.headers["Link"]


# The TimeMap


def test_timemap_lists_exactly_the_published_revisions(history, client):
    response = client.get(STORY + "timemap/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/link-format"
    assert response.headers["ETag"]
    links = parse_links(response.get_data(as_text=True))
    rels = by_rel(links)
    assert [link["url"] for link in rels["original"]] == [ORIGINAL]
    assert [link["url"] for link in rels["timegate"]] == [ORIGINAL]
    [self_link] = rels["self"]
    assert self_link["url"] == TIMEMAP
    assert self_link["type"] == "application/link-format"
    assert parse_date(self_link["from"]) == second(SAVED[2])
    assert parse_date(self_link["until"]) == second(SAVED[5])
    mementos = rels["memento"]
    assert [link["url"] for link in mementos] == [memento_url(n) for n in PUBLISHED]
    assert [parse_date(link["datetime"]) for link in mementos] == [
        second(SAVED[n]) for n in PUBLISHED
    ]
    assert [link["url"] for link in rels["first"]] == [memento_url(2)]
    assert [link["url"] for link in rels["last"]] == [memento_url(5)]
    # Each datetime is the one its Memento answers with.
    for link in mementos:
        page = client.get(link["url"].removeprefix(BASE))
        assert page.headers["Memento-Datetime"] == link["datetime"]


def test_story_published_once_has_one_memento_first_and_last(archive, client):
    archive.save(make_story(), now=NOW)
    links = by_rel(parse_links(client.get(STORY + "timemap/").get_data(as_text=True)))
    [only] = links["memento"]
    assert set(only["rel"].split()) == {"first", "last", "memento"}
    page = client.get(STORY + "revisions/1/")
    assert [link for link in parse_links(page.headers["Link"]) if "datetime" in link] == []


# Withdrawn stories


def test_withdrawn_story_has_no_timegate_timemap_or_mementos(history, archive, client):
    archive.withdraw(history.id, reason="Legal request", now=NOW + timedelta(days=1))
    assert client.get(STORY).status_code == 410
    negotiated = client.get(STORY, headers={"Accept-Datetime": "Mon, 24 Feb 2014 16:00:00 GMT"})
    assert negotiated.status_code == 410
    assert client.get(STORY + "timemap/").status_code == 410
    assert client.get(STORY + "revisions/2/").status_code == 410


def test_unknown_story_has_no_timemap(client):
    assert client.get(STORY + "timemap/").status_code == 404
    response = client.get(STORY, headers={"Accept-Datetime": "Mon, 24 Feb 2014 16:00:00 GMT"})
    assert response.status_code == 404


def test_memento_list_agrees_with_the_published_history(history, archive):
    published = archive.history(history.id, published_only=True)
    assert archive.public_revision_times(history.id) == [(r.number, r.saved_at) for r in published]
    assert [number for number, _ in archive.public_revision_times(history.id)] == PUBLISHED


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_real_server_negotiates_and_caches_apart(history, live_server):
    opener = urllib.request.build_opener(NoRedirects)
    request = urllib.request.Request(
        live_server.url + STORY,
        headers={"Accept-Datetime": "Wed, 26 Feb 2014 12:00:00 GMT", "Accept-Encoding": "gzip"},
    )
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(request, timeout=10)
    assert redirect.value.code == 302
    assert redirect.value.headers["Location"] == memento_url(4)
    assert "accept-datetime" in redirect.value.headers["Vary"].lower()
    assert by_rel(parse_links(redirect.value.headers["Link"]))["timegate"][0]["url"] == ORIGINAL
    redirect.value.close()
    plain = urllib.request.Request(live_server.url + STORY, headers={"Accept-Encoding": "gzip"})
    with opener.open(plain, timeout=10) as response:
        assert response.status == 200
        vary = {value.strip().lower() for value in response.headers["Vary"].split(",")}
        assert {"accept-datetime", "accept-encoding"} <= vary
        assert parse_links(response.headers["Link"])[0]["rel"] == "original timegate"
    with opener.open(live_server.url + STORY + "revisions/4/", timeout=10) as response:
        assert parse_date(response.headers["Memento-Datetime"]) == second(SAVED[4])
    # Past the last representable time once in UTC: a clear 400 from the real server, not 500.
    out_of_range = urllib.request.Request(
        live_server.url + STORY, headers={"Accept-Datetime": "Fri, 31 Dec 9999 23:59:59 -0100"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(out_of_range, timeout=10)
    assert refused.value.code == 400
    assert "Accept-Datetime" in refused.value.read().decode()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Fri, 31 Dec 9999 23:59:59 GMT", 5),  # the last moment there is: the last revision
        ("Mon Feb 24 16:00:00 2014", 2),  # asctime
        ("Wed Feb  5 16:00:00 2014", 2),
    ],
)
def test_every_form_of_http_date_is_accepted_to_its_edges(history, client, value, expected):
    response = client.get(STORY, headers={"Accept-Datetime": value})
    assert response.status_code == 302
    assert response.headers["Location"] == memento_url(expected)


def test_timegate_names_the_published_revision_it_chose(history, client):
    # Between revision 2 and 4 the story was a draft (revision 3): revision 2 was in force.
    response = client.get(STORY, headers={"Accept-Datetime": "Tue, 25 Feb 2014 12:00:00 GMT"})
    links = parse_links(response.headers["Link"])
    chosen = [link for link in links if link["url"] == memento_url(2)]
    assert [link["rel"].split() for link in chosen] == [["first", "memento"]]
    assert chosen[0]["datetime"] == http_date(second(SAVED[2]))
    assert memento_url(3) not in response.headers["Link"]
    last = [link for link in links if "last" in link["rel"].split()]
    assert [link["url"] for link in last] == [memento_url(5)]


def test_revision_page_links_its_public_neighbours_and_the_timemap(history, client):
    page = html_of(client.get(STORY + "revisions/4/"))
    links = {a.get("rel"): a.get("href") for a in page.cssselect("p.notice a[rel]")}
    assert links == {"prev": STORY + "revisions/2/", "next": STORY + "revisions/5/"}
    [timemap] = page.cssselect("p.notice a[type='application/link-format']")
    assert timemap.get("href") == STORY + "timemap/"
    first = html_of(client.get(STORY + "revisions/2/"))
    assert [a.get("rel") for a in first.cssselect("p.notice a[rel]")] == ["next"]
