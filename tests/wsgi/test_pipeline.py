"""The one pipeline in front of Flask: its order, one rate-limit check, one Cache-Control policy."""

from __future__ import annotations

import io
import os
import re

import pytest

from archive import story_from_dict
from service import create_app
from service.feeds import renditions
from service.feeds.document import EntryCache
from service.wsgi import (
    accesslog,
    bodies,
    feed_server,
    http,
    page_cache,
    proxies,
    ratelimit,
    request_environ,
)
from service.wsgi.answers import CACHE_CONTROL, cache_control
from tests.support.paths import ROOT
from tests.support.stories import NOW

SERVICE = ROOT / "service"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def story(archive, settings):
    """One published story, and every feed built."""
    saved = archive.save(
        story_from_dict(
            {
                "title": "Ferry timetable changes",
                "body": "<p>The winter timetable starts on Monday.</p>",
                "section": "City",
                "published_at": "2026-11-20T09:00:00Z",
            }
        ),
        now=NOW,
    )
    renditions.rebuild(archive, settings, now=NOW)
    return saved


def stages_of(app) -> list[type]:
    """The classes of the pipeline's stages, from the app's WSGI entry inwards to Flask."""
    found, stage = [], app.wsgi_app
    while not callable(getattr(stage, "__self__", None)):  # Flask's own wsgi_app is a method
        found.append(type(stage))
        # Layers in front of Flask's own name it `inner` (they keep the Flask app as `app`).
        stage = getattr(stage, "inner", None) or stage.app
    return found


def test_every_request_passes_the_stages_in_one_order(app):
    assert stages_of(app) == [
        request_environ.WithoutProcessEnvironment,
        http.ReadableHost,
        proxies.ClientAddress,
        accesslog.AccessLog,
        ratelimit.RateLimit,
        bodies.BodyReaders,
        feed_server.FeedServer,
        page_cache.PageServer,
    ]


@pytest.mark.usefixtures("story")
def test_a_request_is_counted_once_whichever_stage_answers_it(make_settings):
    client = create_app(make_settings(http={"rate_limit_per_minute": 4})).test_client()
    statuses = [
        client.get("/feeds/latest.atom").status_code,  # the feed server
        client.get("/").status_code,  # rendered by Flask, then kept
        client.get("/").status_code,  # the page cache
        client.get("/feeds/latest.atom", headers=BROWSER).status_code,  # Flask's feed page
        client.get("/feeds/latest.atom").status_code,
    ]
    assert statuses == [200, 200, 200, 200, 429]


def test_a_refusal_is_a_problem_under_the_api_and_text_elsewhere(make_settings):
    client = create_app(make_settings(http={"rate_limit_per_minute": 1})).test_client()
    assert client.get("/api/stories").status_code == 200
    api = client.get("/api/stories")
    page = client.get("/")
    assert (api.status_code, api.mimetype) == (429, "application/problem+json")
    assert api.get_json()["detail"].startswith("Too many requests: at most 1 a minute.")
    assert api.headers["Cache-Control"] == "no-store"
    assert (page.status_code, page.mimetype) == (429, "text/plain")
    assert page.get_data(as_text=True).startswith("Too many requests: at most 1 a minute.")
    for refused in (api, page):
        assert 0 < int(refused.headers["Retry-After"]) <= 60
        assert refused.headers["X-Content-Type-Options"] == "nosniff"


def test_the_access_log_names_the_client_behind_a_proxy_and_its_refusals(make_settings, tmp_path):
    config = make_settings(
        http={"rate_limit_per_minute": 1}, server={"trusted_proxies": ["10.0.0.0/8"]}
    )
    app = create_app(config)
    path = tmp_path / "access.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        log = app.extensions["masthead.access_log"]
        log.write_to(fd)
        client = app.test_client()
        proxied = {"REMOTE_ADDR": "10.0.0.2"}
        forwarded = {"X-Forwarded-For": "198.51.100.4"}
        for _ in range(2):
            client.get("/robots.txt", headers=forwarded, environ_base=proxied)
        log.out.flush()
    finally:
        os.close(fd)
    lines = path.read_text().splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["198.51.100.4"] * 2
    assert [line.split('" ', 1)[1].split(" ")[0] for line in lines] == ["200", "429"]


def test_the_test_client_writes_no_access_log(app):
    assert app.extensions["masthead.access_log"].out is None


def test_a_bodiless_read_gets_no_body_reader_and_a_write_does():
    seen = {}

    def inner(environ, start_response):
        seen[environ["REQUEST_METHOD"]] = environ["wsgi.input"]
        return []

    limits = bodies.BodyLimits(max_bytes=100, timeout_seconds=5, min_bytes_per_second=10)
    guarded = bodies.BodyReaders(inner, readers=3, limits=limits)
    raw = io.BytesIO(b"")
    guarded({"REQUEST_METHOD": "GET", "wsgi.input": raw}, None)
    guarded({"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "2", "wsgi.input": raw}, None)
    assert seen["GET"] is raw
    assert isinstance(seen["POST"], bodies.WholeBody)
    assert not bodies.is_bodiless_read({"REQUEST_METHOD": "GET", "CONTENT_LENGTH": "5"})
    assert not bodies.is_bodiless_read({"REQUEST_METHOD": "GET", "HTTP_TRANSFER_ENCODING": "x"})


# Cache-Control ------------------------------------------------------------------------------


def test_each_kind_of_answer_carries_its_policy(client, story, settings):
    page_age = settings.http.page_max_age
    expected = {
        "/": cache_control("page", page_age),
        story.path: cache_control("page", page_age),
        "/feeds/latest.atom": cache_control("feed", settings.feeds.rebuild_minutes * 60),
        "/favicon.ico": cache_control("asset"),
        "/health": cache_control("no-store"),
        "/api/nothing-here": cache_control("error"),
    }
    for path, value in expected.items():
        assert client.get(path).headers["Cache-Control"] == value, path
    feed_page = client.get("/feeds/latest.atom", headers=BROWSER)
    assert feed_page.headers["Cache-Control"] == cache_control("page", page_age)
    stylesheet = re.search(r'href="(/assets/[^"]+\.css)"', client.get("/").get_data(as_text=True))
    immutable = client.get(stylesheet.group(1)).headers["Cache-Control"]
    assert immutable == "public, max-age=31536000, immutable" == cache_control("immutable asset")


def test_the_policy_refuses_unknown_kinds_and_ages_left_out():
    assert cache_control("page", 60) == "public, max-age=60"
    assert cache_control("private") == "private, no-cache"
    with pytest.raises(KeyError):
        cache_control("forever")
    with pytest.raises(ValueError, match="feed answer needs its max_age"):
        cache_control("feed")


def test_no_module_writes_a_cache_control_value_by_hand():
    """Every value comes from CACHE_CONTROL (service/wsgi/answers.py)."""
    by_hand = re.compile(r"max-age=|\"no-store\"|\"private, no-cache\"")
    asked = re.compile(r"cache_control\(\"[^\"]*\"")  # the policy asked for a kind
    found = [
        f"{path.relative_to(SERVICE)}:{number}"
        for path in SERVICE.rglob("*.py")
        if path.name != "answers.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if by_hand.search(asked.sub("", line.split("#", 1)[0]))
    ]
    # Readers of the header, not writers: the partner-feed poller reads other sites', the page
    # cache reads Flask's answers, the proxy configuration speaks of it in the nginx file.
    readers = ("sources/poller.py", "wsgi/page_cache.py", "commands/proxy_config.py")
    assert [f for f in found if not f.startswith(readers)] == []
    assert any(f.startswith("wsgi/page_cache.py") for f in found)  # the walk reached the code
    assert set(CACHE_CONTROL) >= {"page", "feed", "asset", "error", "no-store"}


# Bounded caches -----------------------------------------------------------------------------


def test_feed_entries_leave_least_recently_used_first(make_settings, archive):
    config = make_settings(cache={"feed_entries": 2})
    stories = []
    for n in range(3):
        shape = {"title": f"Tide table {n}", "published_at": f"2026-11-0{n + 1}T09:00:00Z"}
        stories.append(archive.save(story_from_dict(shape), now=NOW))
    entries = EntryCache()
    first = entries.entry(stories[0], config)
    entries.entry(stories[1], config)
    assert entries.entry(stories[0], config) is first  # used again: now the most recent
    entries.entry(stories[2], config)
    assert {story.id for story, _ in entries.kept} == {stories[0].id, stories[2].id}


def test_no_feed_entries_are_kept_when_the_limit_is_zero(make_settings, archive):
    shape = {"title": "Tide table", "published_at": "2026-11-01T09:00:00Z"}
    story = archive.save(story_from_dict(shape), now=NOW)
    entries = EntryCache()
    entries.entry(story, make_settings(cache={"feed_entries": 0}))
    assert len(entries.kept) == 0
