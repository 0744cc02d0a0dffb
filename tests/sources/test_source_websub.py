"""WebSub subscriber: a source that names a hub is subscribed with a secret; the hub's check of
intent is answered for what was asked only; pushes are taken only when signed with the secret."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest

from archive.db import sources as store
from service import create_app
from service.archive_access import open_for
from service.sources import poller, websub
from tests.support.source_server import Page, SourceServer
from tests.support.stories import NOW

FEED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Hub Partner</title><id>urn:hub-partner</id><updated>2026-11-24T10:00:00Z</updated>
  <link rel="hub" href="{hub}"/><link rel="self" href="{self}"/>
  {entries}
</feed>"""
ENTRY = """<entry><title>{title}</title><id>urn:hub-partner:{key}</id>
  <updated>2026-11-24T10:00:00Z</updated><content type="text">{title}.</content></entry>"""


def feed(server, *titles: str) -> bytes:
    entries = "".join(ENTRY.format(title=t, key=t.lower().replace(" ", "-")) for t in titles)
    return FEED.format(
        hub=server.url("/hub"), self=server.url("/feed.atom"), entries=entries
    ).encode()


def signed(body: bytes, secret: str) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/atom+xml"}


@pytest.fixture
def subscribed(make_settings):
    settings = make_settings(sources={"allow_private": True, "timeout_seconds": 2})
    with SourceServer() as server:
        server.pages["/feed.atom"] = Page(feed(server, "First"), "application/atom+xml")
        with open_for(settings) as archive:
            store.add_source(
                archive.db, server.url("/feed.atom"), now=NOW, interval_seconds=300, slug="hub"
            )
        poller.poll_source(settings, "hub", now=NOW)
        yield settings, server, create_app(settings).test_client()


def test_a_source_with_a_hub_is_subscribed_with_a_secret(subscribed):
    settings, server, _client = subscribed
    [(path, _headers, body)] = server.posts
    form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
    assert path == "/hub"
    assert form["hub.mode"] == "subscribe"
    assert form["hub.topic"] == server.url("/feed.atom")
    assert form["hub.callback"] == "https://news.example/sources/hub/websub"
    assert len(form["hub.secret"]) >= 32
    with open_for(settings) as archive:
        assert store.get_source(archive.db, "hub").hub_secret == form["hub.secret"]


def test_intent_is_verified_only_for_the_topic_asked(subscribed):
    _settings, server, client = subscribed
    topic = server.url("/feed.atom")
    ok = client.get(
        "/sources/hub/websub",
        query_string={"hub.mode": "subscribe", "hub.topic": topic, "hub.challenge": "c-123",
                      "hub.lease_seconds": "3600"},
    )  # fmt: skip
    assert ok.status_code == 200
    assert ok.get_data(as_text=True) == "c-123"
    other = client.get(
        "/sources/hub/websub",
        query_string={"hub.mode": "subscribe", "hub.topic": "https://evil.example/",
                      "hub.challenge": "x"},
    )  # fmt: skip
    assert other.status_code == 404
    unsubscribe = client.get(
        "/sources/hub/websub",
        query_string={"hub.mode": "unsubscribe", "hub.topic": topic, "hub.challenge": "y"},
    )
    assert unsubscribe.status_code == 404  # the source is active: this site wants it


def test_a_push_with_the_wrong_secret_or_none_is_refused_and_a_signed_one_taken(subscribed, caplog):
    settings, server, client = subscribed
    body = feed(server, "First", "Pushed story")
    wrong = client.post("/sources/hub/websub", data=body, headers=signed(body, "wrong-secret"))
    assert wrong.status_code == 403
    unsigned = client.post("/sources/hub/websub", data=body)
    assert unsigned.status_code == 403
    assert "refused a push with a wrong signature" in caplog.text
    assert "refused a push without a signature" in caplog.text
    with open_for(settings) as archive:
        source = store.get_source(archive.db, "hub")
        assert source.entries_taken == 1
    right = client.post("/sources/hub/websub", data=body, headers=signed(body, source.hub_secret))
    assert right.status_code == 200
    assert "1 new" in right.get_data(as_text=True)
    with open_for(settings) as archive:
        source = store.get_source(archive.db, "hub")
        titles = {archive.get(i).title for i in store.story_ids_of(archive.db, source)}
    assert titles == {"First", "Pushed story"}
    assert source.last_status.startswith("pushed, ok: 1 new")


def test_a_lease_is_renewed_before_it_lapses_with_a_new_secret(subscribed):
    settings, server, client = subscribed
    first_secret = parse_qs(server.posts[0][2].decode())["hub.secret"][0]
    client.get(
        "/sources/hub/websub",
        query_string={"hub.mode": "subscribe", "hub.topic": server.url("/feed.atom"),
                      "hub.challenge": "c", "hub.lease_seconds": "7200"},
    )  # fmt: skip
    with open_for(settings) as archive:
        source = store.get_source(archive.db, "hub")
    now = datetime.now(UTC)
    assert source.lease_until > now + timedelta(seconds=7000)
    assert websub.needs_subscription(source, now)  # less than a day is left
    assert not websub.needs_subscription(
        source.__class__(**{**source.__dict__, "lease_until": now + timedelta(days=5)}), now
    )
    poller.poll_source(settings, "hub", now=now)  # 304, and the lease is renewed
    assert len(server.posts) == 2
    assert parse_qs(server.posts[1][2].decode())["hub.secret"][0] != first_secret
