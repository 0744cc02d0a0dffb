"""The feed path in front of Flask (service.wsgi.feed_server.FeedServer): HTTP edge cases of a
poll."""

from __future__ import annotations

import gzip
import threading
from datetime import UTC, datetime, timedelta

import pytest

from archive import Rendition
from service import create_app
from service.archive_access import clock_for, thread_archive
from service.wsgi import feed_server as feeds
from tests.support.feeds import build
from tests.support.stories import NOW, SYNDICATED, make_story


@pytest.fixture
def stored(archive, settings):
    archive.save(make_story(SYNDICATED), now=NOW)
    build(archive, settings)
    return archive.rendition("latest.atom")


def rendition_of(scope: str) -> Rendition:
    """A stored Atom rendition of `scope`, as max_age sees one."""
    return Rendition(
        key=f"{scope}.atom",
        scope=scope,
        content_type="application/atom+xml; charset=utf-8",
        body=b"<feed/>",
        gzip_body=b"",
        etag="e",
        last_modified=None,
        built_at=NOW,
        entries=1,
        inputs="",
    )


def etag_of(rendition: Rendition, suffix: str = "") -> str:
    return f'"{rendition.etag}{suffix}"'


@pytest.mark.parametrize(
    "if_none_match",
    [
        "{etag}",
        "W/{etag}",  # 13.1.2: If-None-Match compares weakly
        '"older", {etag}',
        "*",
    ],
)
def test_if_none_match_matches_as_rfc_9110_says(client, stored, if_none_match):
    header = if_none_match.format(etag=etag_of(stored))
    response = client.get("/feeds/latest.atom", headers={"If-None-Match": header})
    assert (response.status_code, response.data) == (304, b"")
    assert response.headers["ETag"] == etag_of(stored)


def test_an_etag_of_the_other_encoding_does_not_match(client, stored):
    # The gzip bytes are another representation: their ETag never validates the plain bytes.
    response = client.get("/feeds/latest.atom", headers={"If-None-Match": etag_of(stored, "-gz")})
    assert response.status_code == 200
    assert response.data == stored.body
    zipped = client.get(
        "/feeds/latest.atom",
        headers={"If-None-Match": etag_of(stored, "-gz"), "Accept-Encoding": "gzip"},
    )
    assert zipped.status_code == 304
    assert zipped.headers["ETag"] == etag_of(stored, "-gz")


@pytest.mark.parametrize(
    ("accept_encoding", "gzipped"),
    [
        ("gzip", True),
        ("deflate, gzip;q=0.5", True),
        ("*", True),
        ("gzip;q=0", False),
        ("identity", False),
        ("br, deflate", False),
    ],
)
def test_gzip_follows_accept_encoding(client, stored, accept_encoding, gzipped):
    response = client.get("/feeds/latest.atom", headers={"Accept-Encoding": accept_encoding})
    assert response.status_code == 200
    assert set(response.vary) == {"Accept", "Accept-Encoding"}
    if gzipped:
        assert response.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(response.data) == stored.body
    else:
        assert "Content-Encoding" not in response.headers
        assert response.data == stored.body


def test_if_modified_since_compares_whole_seconds(client, stored):
    last_modified = stored.last_modified
    just_before = last_modified.replace(microsecond=0) - timedelta(seconds=1)
    for since, status in [(last_modified, 304), (just_before, 200)]:
        header = since.strftime("%a, %d %b %Y %H:%M:%S GMT")
        response = client.get("/feeds/latest.atom", headers={"If-Modified-Since": header})
        assert response.status_code == status
    # A date that cannot be read is ignored, as RFC 9110 13.1.3 asks: the full answer.
    bad = client.get("/feeds/latest.atom", headers={"If-Modified-Since": "last Tuesday"})
    assert bad.status_code == 200


def test_answers_carry_cors_and_security_headers_both_full_and_304(client, stored):
    full = client.get("/feeds/latest.atom")
    again = client.get("/feeds/latest.atom", headers={"If-None-Match": full.headers["ETag"]})
    for response in (full, again):
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == full.headers["Cache-Control"]
    assert again.headers["Last-Modified"] == full.headers["Last-Modified"]
    assert "Content-Type" not in again.headers


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_writing_to_a_feed_is_405_naming_the_allowed_methods(client, stored, method):
    response = client.open("/feeds/latest.atom", method=method, data=b"x")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert method in response.get_data(as_text=True)
    assert client.get("/feeds/latest.atom").data == stored.body  # nothing changed


def test_the_feed_directory_is_still_a_page(client, stored):
    response = client.get("/feeds/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "/feeds/latest.atom" in response.get_data(as_text=True)


def test_a_closed_month_is_cached_long_and_the_current_one_until_a_rebuild(settings):
    month = rendition_of("archive/2026/10")
    clock = clock_for(settings)
    during = datetime(2026, 10, 31, 23, 59, tzinfo=UTC)
    seconds, good_until = feeds.max_age(month, settings, during, clock)
    assert seconds == settings.feeds.rebuild_minutes * 60
    # The answer prepared in October is prepared again once November begins.
    assert good_until == datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    assert feeds.max_age(month, settings, NOW, clock) == (
        settings.http.archive_max_age,
        float("inf"),
    )


# (zone, a moment in UTC, whether October 2026 is over there at that moment)
MONTH_ENDS = [
    # 20:00 on 31 October in Los Angeles is 03:00 UTC on 1 November: October is still open.
    ("America/Los_Angeles", datetime(2026, 11, 1, 3, 0, tzinfo=UTC), False),
    ("America/Los_Angeles", datetime(2026, 11, 1, 7, 0, tzinfo=UTC), True),
    # Auckland's November (UTC+13) begins at 11:00 UTC on 31 October.
    ("Pacific/Auckland", datetime(2026, 10, 31, 10, 59, tzinfo=UTC), False),
    ("Pacific/Auckland", datetime(2026, 10, 31, 11, 0, tzinfo=UTC), True),
    ("Europe/London", datetime(2026, 10, 31, 23, 59, tzinfo=UTC), False),
    ("Europe/London", datetime(2026, 11, 1, 0, 0, tzinfo=UTC), True),
]


@pytest.mark.parametrize(("zone", "moment", "is_closed"), MONTH_ENDS)
def test_a_month_closes_when_it_ends_in_the_sites_zone(make_settings, zone, moment, is_closed):
    config = make_settings(site={"timezone": zone})
    seconds, good_until = feeds.max_age(
        rendition_of("archive/2026/10"), config, moment, clock_for(config)
    )
    assert (seconds == config.http.archive_max_age) == is_closed
    if not is_closed:
        # Prepared again as the month ends there, not at midnight UTC.
        assert good_until == clock_for(config).month_ends_at(2026, 10).timestamp()


def test_a_year_end_month_closes_on_the_first_of_january(settings):
    latest = rendition_of("latest")
    moment = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    _, good_until = feeds.max_age(latest, settings, moment, clock_for(settings))
    assert good_until == datetime(2027, 1, 1, tzinfo=UTC).timestamp()


def test_a_broken_archive_is_a_500_not_a_crash(app, client, stored, archive, caplog):
    archive.db.execute("ALTER TABLE renditions RENAME TO renditions_elsewhere")
    response = client.get("/feeds/latest.atom")
    assert response.status_code == 500
    assert response.mimetype == "text/plain"
    assert "serving /feeds/latest.atom failed" in caplog.text


def test_feed_polls_count_against_the_client_limit(make_settings, archive):
    archive.save(make_story(SYNDICATED), now=NOW)
    app_settings = make_settings(http={"rate_limit_per_minute": 2})
    build(archive, app_settings)
    client = create_app(app_settings).test_client()
    statuses = [client.get("/feeds/latest.atom").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = client.get("/feeds/latest.atom")
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "at most 2 a minute" in refused.get_data(as_text=True)


def test_the_cache_is_safe_to_share_between_a_workers_threads(app, archive, settings):
    for n in range(6):
        archive.save(make_story(SYNDICATED, slug=f"story-{n}", section=f"Section {n}"), now=NOW)
    build(archive, settings)
    keys = [info.key for info in archive.renditions()]
    # Room for about two feeds: threads keep evicting and preparing while others read.
    cache = feeds.RenditionCache(settings, limit=2 * len(archive.rendition("latest.atom").body))
    failures = []

    def poll(offset: int) -> None:
        reader = thread_archive(app)
        try:
            for n in range(300):
                key = keys[(n + offset) % len(keys)]
                assert cache.get(reader, key).feed.plain.etag == reader.rendition_etag(key)
        except Exception as error:  # reported below, with the thread's key
            failures.append(error)

    threads = [threading.Thread(target=poll, args=(offset,)) for offset in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert cache.size == sum(prepared.size for prepared in cache.kept.values())
    assert cache.size <= cache.limit
