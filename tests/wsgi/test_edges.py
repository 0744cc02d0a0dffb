"""The edges of HTTP: malformed headers, hostile numbers in addresses, forged Host headers,
stalled request bodies, proxies and the addresses the rate limit and the access log use."""

from __future__ import annotations

import hashlib
import os
import socket
import time
import urllib.request
from contextlib import ExitStack

import pytest
from werkzeug.test import Client

from service import create_app
from service.settings import SettingsError, settings_from_mapping
from service.wsgi.accesslog import AccessLog
from service.wsgi.proxies import TrustedProxies
from service.wsgi.ratelimit import RateLimiter
from tests.support.api import WRITE_TOKEN, assert_problem, create, snapshot, story_json
from tests.support.archives import settings_mapping
from tests.support.feeds import build
from tests.support.live import LiveServer

# --- If-Match ---------------------------------------------------------------------------------

METHODS = {
    "put": {"title": "Bridge reopens", "status": "published"},
    "patch": {"dek": "At dawn."},
    "delete": {"reason": "Legal request"},
}


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize(
    "if_match",
    ["W/", '"unterminated', ",", "", " ", "story-1-1", '*, "story-1-1"', 'W/"', '"a" "b"', '"a"x'],
)
def test_malformed_if_match_answers_400_naming_the_header(
    client, api_tokens, settings, method, if_match
):
    story = create(client, api_tokens).get_json()
    before = snapshot(settings)
    response = getattr(client, method)(
        f"/api/stories/{story['id']}",
        json=METHODS[method],
        headers={**api_tokens["write"], "If-Match": if_match},
    )
    problem = assert_problem(response, 400, "If-Match")
    assert problem["type"].endswith("invalid-if-match")
    assert "If-Match" in problem["detail"]
    assert snapshot(settings) == before


@pytest.mark.parametrize("method", sorted(METHODS))
# A comma may stand inside an entity tag's quotes: `"a,b"` is one tag, not two broken ones.
@pytest.mark.parametrize(
    "if_match", ['""', 'W/"story-1-1"', '"story-1-9", ""', 'W/"x", "", W/"C,n"', '"story-1-1,"']
)
def test_well_formed_if_match_that_matches_nothing_answers_412(
    client, api_tokens, settings, method, if_match
):
    # RFC 9110 8.8.3: "" is an entity tag (an empty one); a weak tag never matches strongly.
    story = create(client, api_tokens).get_json()
    before = snapshot(settings)
    response = getattr(client, method)(
        f"/api/stories/{story['id']}",
        json=METHODS[method],
        headers={**api_tokens["write"], "If-Match": if_match},
    )
    assert_problem(response, 412, "If-Match")
    assert snapshot(settings) == before


def test_a_list_holding_the_current_etag_still_updates(client, api_tokens):
    created = create(client, api_tokens)
    response = client.patch(
        f"/api/stories/{created.get_json()['id']}",
        json={"dek": "At dawn."},
        headers={**api_tokens["write"], "If-Match": f'"old", {created.headers["ETag"]} ,'},
    )
    assert response.status_code == 200, response.get_json()


# --- hostile numbers and newlines in addresses ------------------------------------------------


def test_a_slug_ending_in_a_newline_is_refused(client, api_tokens, settings):
    before = snapshot(settings)
    response = client.post(
        "/api/stories", json=story_json(slug="abc\n"), headers=api_tokens["write"]
    )
    assert_problem(response, 422, "slug")
    assert snapshot(settings) == before


HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "path",
    [
        "/2024/01/02/abc%0A/",
        "/2026/11/23/harbour-bridge-reopens%0A/",
        "/2024%0A/",
        "/2024/01%0A/",
        f"/{HUGE}/",
        f"/2024/{HUGE}/",
        f"/2024/01/{HUGE}/",
        "/-2024/",
        "/2024/-1/",
        f"/sitemaps/{HUGE}.xml",
        "/sitemaps/-1.xml",
        "/sitemaps/1%0A.xml",
        "/sitemaps/50001.xml",
        f"/api/stories/{HUGE}",
        "/api/stories/-1",
        "/api/stories/1%0A",
        f"/api/stories/{HUGE}/revisions",
        f"/2026/11/23/harbour-bridge-reopens/revisions/{HUGE}/",
        "/2026/11/23/harbour-bridge-reopens/revisions/-1/",
        "/2026/11/23/harbour-bridge-reopens/revisions/1%0A/",
        "/sections/city%0A/",
        "/tags/transport%0A/",
        "/authors/helen-marsh%0A/",
        f"/feeds/archive/{HUGE}/01.atom",
        f"/feeds/archive/2026/{HUGE}.atom",
        "/feeds/archive/2026/-1.atom",
    ],
)
def test_route_numbers_and_newlines_answer_404(client, api_tokens, path):
    create(client, api_tokens)
    response = client.get(path)
    assert response.status_code == 404, (path, response.status_code)


@pytest.mark.parametrize("page", [HUGE, "-1", "0", "1%0A", "1e3"])
def test_page_numbers_that_are_no_page_answer_400(client, page):
    assert client.get(f"/?page={page}").status_code == 400


# --- redirects --------------------------------------------------------------------------------


def test_trailing_slash_redirect_ignores_a_forged_host(client, api_tokens):
    create(client, api_tokens)
    response = client.get("/2026", headers={"Host": "evil.example"})
    assert response.status_code == 308
    assert response.headers["Location"] == "/2026/"


def raw_get(port: int, path: str, headers: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\n{headers}Connection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_a_real_redirect_never_names_a_forged_host(tmp_path):
    with LiveServer(tmp_path, settings_mapping(tmp_path)) as live:
        answer = raw_get(live.port, "/sections/city?page=2", "Host: evil.example\r\n")
    head = answer.split(b"\r\n\r\n")[0].decode("latin-1").lower()
    assert head.startswith("http/1.1 308")
    assert "location: /sections/city/?page=2\r\n" in head + "\r\n"
    assert "evil.example" not in head


# --- stalled request bodies -------------------------------------------------------------------

STALLED = 50


def timed_get(url: str) -> tuple[int, float]:
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=20) as response:
        response.read()
        return response.status, time.monotonic() - started


def test_stalled_request_bodies_leave_pages_and_feeds_answering(tmp_path, api_tokens):
    mapping = settings_mapping(tmp_path, archive={"demo": True})
    with LiveServer(tmp_path, mapping) as live, ExitStack() as stack:
        # Bodies that never finish arriving, from a client with a write token: each is read by
        # the API, so each would hold a worker thread while it waits.
        for _ in range(STALLED):
            sock = stack.enter_context(socket.create_connection(("127.0.0.1", live.port)))
            sock.sendall(
                (
                    f"POST /api/stories HTTP/1.1\r\nHost: x\r\n"
                    f"Authorization: Bearer {WRITE_TOKEN}\r\nContent-Type: application/json\r\n"
                    'Content-Length: 1000\r\n\r\n{"title": '
                ).encode()
            )
        answers = [timed_get(live.url + path) for path in ("/", "/feeds/latest.atom") * 4]
    assert [status for status, _ in answers] == [200] * 8
    # Generous: it answered at all (before, every one waited until the stalled clients left).
    assert max(seconds for _, seconds in answers) < 5


# --- the rate limit ---------------------------------------------------------------------------


def unkeyed_bucket(client: str) -> int:
    """The slot an address had when slots came from an unkeyed hash (8192 of them)."""
    digest = hashlib.blake2b(client.encode(), digest_size=8).digest()
    return int.from_bytes(digest) % 8192


def crafted_collision(victim: str) -> str:
    """An address anyone could compute that shared the victim's slot under the unkeyed hash."""
    target = unkeyed_bucket(victim)
    for n in range(1_000_000):
        candidate = f"198.51.{n // 256 % 256}.{n % 256}" if n < 65536 else f"2001:db8::{n:x}"
        if candidate != victim and unkeyed_bucket(candidate) == target:
            return candidate
    raise AssertionError("no collision found")


def test_a_crafted_address_cannot_spend_another_clients_budget():
    victim = "203.0.113.7"
    attacker = crafted_collision(victim)
    limiter = RateLimiter(3, clock=lambda: 1_000_000.0)
    assert [limiter.retry_after(attacker) for _ in range(5)][-1] > 0
    assert limiter.retry_after(victim) == 0


def test_many_addresses_never_share_a_count():
    limiter = RateLimiter(1, clock=lambda: 1_000_000.0)
    addresses = [f"10.{n // 65536}.{n // 256 % 256}.{n % 256}" for n in range(5000)]
    assert all(limiter.retry_after(a) == 0 for a in addresses)
    assert all(limiter.retry_after(a) > 0 for a in addresses)


def test_the_slot_key_is_secret_and_differs_between_tables():
    first, second = RateLimiter(1), RateLimiter(1)
    assert first.client_hash("203.0.113.7") != second.client_hash("203.0.113.7")


# --- trusted proxies --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.7", "198.51.100.1", "203.0.113.7"),  # not a proxy: its header means nothing
        ("10.0.0.2", None, "10.0.0.2"),
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.2", "1.2.3.4, 198.51.100.1", "198.51.100.1"),  # 1.2.3.4 the client wrote
        ("10.0.0.2", "198.51.100.1, 10.0.0.9", "198.51.100.1"),  # two trusted hops
        ("10.0.0.2", "10.0.0.8, 10.0.0.9", "10.0.0.8"),
        ("10.0.0.2", "not-an-address, 10.0.0.9", "10.0.0.9"),
        ("::1", "[2001:db8::5]:4711", "2001:db8::5"),
        ("::1", "198.51.100.1:4711", "198.51.100.1"),
    ],
)
def test_the_client_is_the_rightmost_address_no_trusted_proxy_added(peer, forwarded, client):
    assert TrustedProxies(["10.0.0.0/8", "::1"]).client(peer, forwarded) == client


def test_a_client_behind_a_trusted_proxy_is_limited_and_logged_as_itself(make_settings, tmp_path):
    app = create_app(
        make_settings(http={"rate_limit_per_minute": 2}, server={"trusted_proxies": ["10.0.0.0/8"]})
    )
    path = tmp_path / "access.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        logged = AccessLog(app, fd=fd)
        client = Client(logged)
        proxy = {"REMOTE_ADDR": "10.0.0.2"}

        def get(forwarded: str) -> int:
            headers = {"X-Forwarded-For": forwarded}
            return client.get("/feeds/", headers=headers, environ_base=proxy).status_code

        assert [get("198.51.100.1") for _ in range(3)] == [200, 200, 429]
        # Another reader behind the same proxy has a budget of its own...
        assert get("198.51.100.2") == 200
        # ...and a reader cannot borrow one by writing addresses into the header itself.
        assert get("192.0.2.99, 198.51.100.1") == 429
        # Straight to the service, X-Forwarded-For is nobody's word.
        direct = {"REMOTE_ADDR": "203.0.113.7"}
        spoofed = client.get(
            "/feeds/", headers={"X-Forwarded-For": "198.51.100.3"}, environ_base=direct
        )
        assert spoofed.status_code == 200
        logged.out.flush()
        hosts = [line.split(" ", 1)[0] for line in path.read_text().splitlines()]
    finally:
        os.close(fd)
    assert hosts == ["198.51.100.1"] * 3 + ["198.51.100.2", "198.51.100.1", "203.0.113.7"]


def test_trusted_proxies_come_from_the_environment_too(tmp_path):
    mapping = settings_mapping(tmp_path)
    settings = settings_from_mapping(
        mapping, {"MASTHEAD_SERVER_TRUSTED_PROXIES": "10.0.0.0/8, ::1"}
    )
    assert settings.server.trusted_proxies == ("10.0.0.0/8", "::1")
    with pytest.raises(SettingsError, match=r"trusted_proxies: 'ten' is not an IP address"):
        settings_from_mapping(mapping, {"MASTHEAD_SERVER_TRUSTED_PROXIES": "ten"})


# --- the access log ---------------------------------------------------------------------------


def test_the_referer_query_string_stays_out_of_the_log(app, tmp_path, archive, settings):
    build(archive, settings)
    path = tmp_path / "access.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        logged = AccessLog(app, fd=fd)
        referer = "https://news.example/search?q=my+private+words#top"
        Client(logged).get("/search?q=other+words", headers={"Referer": referer})
        logged.out.flush()
        line = path.read_text()
    finally:
        os.close(fd)
    assert '"GET /search HTTP/1.1"' in line
    assert '"https://news.example/search"' in line
    assert "private" not in line
    assert "words" not in line
