"""Serving feeds to aggregators over real HTTP: validators, 304s, gzip, HEAD, workers, WebSub."""

from __future__ import annotations

import contextlib
import gzip
import http.client
import http.server
import os
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest
from lxml import etree

from archive import open_archive, story_from_dict
from service import create_app
from service.feeds import websub
from tests.support.archives import copy_template_archive, settings_mapping
from tests.support.feeds import ATOM, links_of
from tests.support.live import LiveServer
from tests.support.stories import NOW


def seed(tmp_path, count: int = 6) -> None:
    copy_template_archive(tmp_path / "archive.db")
    with open_archive(tmp_path / "archive.db", domain="news.example") as archive:
        for n in range(count):
            month = 6 + n % 6
            archive.save(
                story_from_dict(
                    {
                        "title": f"Story {n}",
                        "published_at": f"2026-{month:02d}-{10 + n:02d}T10:00:00+00:00",
                    }
                ),
                now=NOW,
            )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One real server (Granian, 3 workers) for the module, over a seeded archive."""
    tmp_path = tmp_path_factory.mktemp("serving")
    seed(tmp_path)
    with LiveServer(tmp_path, settings_mapping(tmp_path, feeds={"size": 3}), workers=3) as live:
        yield live


def request(server, path, *, method="GET", headers=None):
    """One request on a fresh connection (so any worker may answer): (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_feed_answers_with_every_validator_and_cache_header(server):
    status, headers, body = request(server, "/feeds/latest.atom")
    assert status == 200
    assert headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert headers["ETag"].startswith('"')  # strong: no W/ prefix
    assert headers["Last-Modified"].endswith("GMT")
    assert headers["Cache-Control"] == "public, max-age=600"
    assert "Accept-Encoding" in headers["Vary"]
    assert etree.fromstring(body).tag == f"{ATOM}feed"


@pytest.mark.parametrize("fmt", ["atom", "rss", "json"])
def test_if_none_match_answers_304_with_the_same_validators(server, fmt):
    _, first, _ = request(server, f"/feeds/latest.{fmt}")
    status, headers, body = request(
        server, f"/feeds/latest.{fmt}", headers={"If-None-Match": first["ETag"]}
    )
    assert (status, body) == (304, b"")
    assert headers["ETag"] == first["ETag"]
    assert headers["Last-Modified"] == first["Last-Modified"]
    assert headers["Cache-Control"] == first["Cache-Control"]


def test_if_modified_since_answers_304_and_if_none_match_wins(server):
    _, first, _ = request(server, "/feeds/latest.rss")
    status, _, _ = request(
        server, "/feeds/latest.rss", headers={"If-Modified-Since": first["Last-Modified"]}
    )
    assert status == 304
    older = format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True)
    assert request(server, "/feeds/latest.rss", headers={"If-Modified-Since": older})[0] == 200
    # RFC 9110 13.2.2: a failing If-None-Match wins over a passing If-Modified-Since.
    status, _, body = request(
        server,
        "/feeds/latest.rss",
        headers={"If-None-Match": '"stale"', "If-Modified-Since": first["Last-Modified"]},
    )
    assert status == 200
    assert body


def test_gzip_is_served_from_the_stored_bytes(server):
    _, _, plain = request(server, "/feeds/latest.json")
    status, headers, zipped = request(
        server, "/feeds/latest.json", headers={"Accept-Encoding": "gzip"}
    )
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped) == plain
    _, again, rezipped = request(server, "/feeds/latest.json", headers={"Accept-Encoding": "gzip"})
    assert rezipped == zipped
    assert again["ETag"] == headers["ETag"]


def test_head_answers_headers_without_a_body(server):
    _, get_headers, body = request(server, "/feeds/latest.atom")
    status, headers, head_body = request(server, "/feeds/latest.atom", method="HEAD")
    assert (status, head_body) == (200, b"")
    assert headers["ETag"] == get_headers["ETag"]
    assert int(headers["Content-Length"]) == len(body)


def test_every_worker_answers_at_once_with_the_same_etag(server):
    """Thirty connections held open together are answered by all three worker processes, alike.

    Which process holds the server's end of each connection is read from /proc: a single
    worker, however many threads it had, would own them all.
    """
    workers = descendants(server.process.pid)
    # Workers still starting take no connections yet: try again until all three are serving.
    deadline = time.monotonic() + 30
    while True:
        answers, owners = answers_over_held_connections(server, workers, count=30)
        if len(set(owners)) == 3 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert len(owners) == 30  # every connection was open at once, each held by one worker
    assert len(set(owners)) == 3, f"only workers {set(owners)} of {workers} answered"
    assert {status for status, _, _ in answers} == {200}
    assert len({headers["ETag"] for _, headers, _ in answers}) == 1
    assert len({body for _, _, body in answers}) == 1


def answers_over_held_connections(server, workers: list[int], *, count: int):
    """`count` requests sent at once on connections kept open: the answers, and the pid of the
    worker holding each connection while all are still open."""
    connections = [
        http.client.HTTPConnection("127.0.0.1", server.port, timeout=10) for _ in range(count)
    ]
    try:
        with ThreadPoolExecutor(count) as pool:
            answers = list(pool.map(lambda c: ask(c, "/feeds/latest.atom"), connections))
        owners = connection_owners(server.port, connections, workers)
    finally:
        for connection in connections:
            connection.close()
    return answers, list(owners.values())


def ask(connection: http.client.HTTPConnection, path: str):
    """One request on a connection that stays open afterwards: (status, headers, body)."""
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.headers, response.read()


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").iterdir():
            children = [int(child) for child in (task / "children").read_text().split()]
            found += children
            todo += children
    return found


def connection_owners(port: int, connections, pids: list[int]) -> dict[int, int]:
    """{client port: pid} for each open connection, by the process holding the server's end."""
    client_ports = {connection.sock.getsockname()[1] for connection in connections}
    inode_of_port = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, remote, state, inode = (line.split()[i] for i in (1, 2, 3, 9))
        # State 01 is ESTABLISHED; the server's end has the server's port as its local one.
        if state == "01" and int(local.split(":")[1], 16) == port:
            inode_of_port[int(remote.split(":")[1], 16)] = f"socket:[{inode}]"
    owner_of_inode = {}
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):  # an fd closed while being read
                owner_of_inode[os.readlink(fd)] = pid
    return {
        client: owner_of_inode[inode_of_port[client]]
        for client in client_ports
        if inode_of_port.get(client) in owner_of_inode
    }


def test_unknown_feed_is_404(server):
    status, headers, body = request(server, "/feeds/tags/nothing/latest.atom")
    assert status == 404
    assert headers["Content-Type"].startswith("text/plain")
    assert len(body) < 200


def test_rfc5005_walk_over_http_reaches_the_first_story(server):
    _, _, body = request(server, "/feeds/latest.atom")
    links = links_of(etree.fromstring(body))
    seen = []
    url = links.get("prev-archive")
    while url:
        status, _, page = request(server, urllib.parse.urlsplit(url).path)
        assert status == 200
        document = etree.fromstring(page)
        seen += [entry.findtext(f"{ATOM}title") for entry in document.iter(f"{ATOM}entry")]
        links = links_of(document)
        url = links.get("prev-archive")
    assert sorted(seen) == [f"Story {n}" for n in range(6)]


def test_feed_directory_and_opml_list_only_feeds_that_exist(server):
    status, headers, opml = request(server, "/feeds.opml")
    assert status == 200
    assert headers["Content-Type"].startswith("text/x-opml")
    outlines = etree.fromstring(opml).iter("outline")
    urls = [o.get("xmlUrl") for o in outlines if o.get("xmlUrl")]
    assert "https://news.example/feeds/latest.atom" in urls
    for url in urls:
        assert request(server, urllib.parse.urlsplit(url).path)[0] == 200
    status, headers, page = request(server, "/feeds/")
    assert status == 200
    assert headers["ETag"]
    assert b"/feeds/latest.rss" in page
    assert b"/feeds/archive/" in page


class Hub(http.server.ThreadingHTTPServer):
    """A WebSub hub of the test's own on 127.0.0.1 that records pings and can fail on purpose."""

    def __init__(self, *, failures: int = 0):
        self.pings: list[dict] = []
        self.failures = failures
        self.pinged = threading.Event()
        super().__init__(("127.0.0.1", 0), HubHandler)
        # Checks for a stop every 20 ms: shutdown() waits that long, not the default 0.5 s.
        self.thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hub"

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class HubHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        hub = self.server
        if hub.failures > 0:
            hub.failures -= 1
            self.send_response(503)
        else:
            hub.pings.append({key: values[0] for key, values in form.items()})
            hub.pinged.set()
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        """Keep the test output quiet: the hub's requests are recorded in `pings` instead."""


def test_notifier_retries_a_failing_hub_with_backoff():
    hub = Hub(failures=2)
    try:
        notifier = websub.Notifier(hub.url, backoff=0.01)
        notifier.publish(["https://news.example/feeds/latest.atom"])
        assert hub.pinged.wait(timeout=10)
        assert hub.pings == [
            {"hub.mode": "publish", "hub.url": "https://news.example/feeds/latest.atom"}
        ]
    finally:
        hub.close()


def test_a_hung_hub_never_blocks_the_caller():
    release = threading.Event()

    class StuckHandler(HubHandler):
        def do_POST(self):
            release.wait(timeout=10)
            super().do_POST()

    hub = Hub()
    hub.RequestHandlerClass = StuckHandler
    try:
        notifier = websub.Notifier(hub.url, backoff=0.01)
        notifier.publish(["https://news.example/feeds/latest.atom"])
        # publish returned while the hub still holds the request: nothing waited for it.
        assert hub.pings == []
        release.set()
        assert hub.pinged.wait(timeout=10)
    finally:
        release.set()
        hub.close()


def test_running_server_pings_the_hub_and_advertises_it(tmp_path):
    hub = Hub()
    live = LiveServer(tmp_path, settings_mapping(tmp_path, feeds={"hub_url": hub.url}))
    try:
        live.start()
        _, headers, body = request(live, "/feeds/latest.atom")
        assert f'<{hub.url}>; rel="hub"' in headers["Link"]
        assert 'rel="self"' in headers["Link"]
        links = links_of(etree.fromstring(body))
        assert links["hub"] == hub.url
        with open_archive(tmp_path / "archive.db", domain="news.example") as archive:
            archive.save(story_from_dict({"title": "Fresh news"}))
        assert hub.pinged.wait(timeout=30), "the hub was never pinged"
        topics = {ping["hub.url"] for ping in hub.pings}
        assert "https://news.example/feeds/latest.atom" in topics
        assert all(ping["hub.mode"] == "publish" for ping in hub.pings)
    finally:
        live.stop()
        hub.close()


def test_a_client_over_its_limit_gets_429_with_retry_after(make_settings):
    app = create_app(make_settings(http={"rate_limit_per_minute": 3}))
    client = app.test_client()
    assert [client.get("/feeds/").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/feeds/")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    other = app.test_client().get("/feeds/", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200


def test_the_limit_is_shared_by_every_worker(tmp_path):
    mapping = settings_mapping(tmp_path, http={"rate_limit_per_minute": 8})
    with LiveServer(
        tmp_path, mapping, workers=3
    ) as live:  # its readiness probe counts as one request
        statuses = [request(live, "/feeds/")[0] for _ in range(12)]
    # Fresh connections spread over three workers, yet the client gets 8 in all, not 8 each.
    assert statuses.count(429) >= 4
    assert statuses.index(429) <= 8


def test_clients_with_an_api_token_are_not_throttled(make_settings, api_tokens):
    client = create_app(make_settings(http={"rate_limit_per_minute": 2})).test_client()
    statuses = [
        client.get("/api/stories", headers=api_tokens["write"]).status_code for _ in range(5)
    ]
    assert statuses == [200] * 5
    # A made-up token buys nothing: it is counted like any anonymous request.
    fake = {"Authorization": "Bearer not-a-configured-token-at-all"}
    assert [client.get("/feeds/", headers=fake).status_code for _ in range(3)][-1] == 429
