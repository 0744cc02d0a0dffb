"""What a request may claim and what it may see: the Host it names, the address it comes from,
the environ it is given, and the health answers a load balancer reads."""

from __future__ import annotations

import os

import pytest
from granian.wsgi import _callback_wrapper
from werkzeug.test import Client, EnvironBuilder
from werkzeug.wrappers import Response

from service import create_app
from service.wsgi.accesslog import AccessLog
from service.wsgi.proxies import TrustedProxies
from service.wsgi.request_environ import WithoutProcessEnvironment
from tests.support.api import WRITE_TOKEN

# --- Host -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        *("EVIL.EXAMPLE", "evil.example", "Evil.Example:8080", "EVIL.EXAMPLE.", "Éвил.example"),
        *("", "evil example<b>", "evil.example\t"),  # no host at all: the site's own stands in
    ],
)
def test_a_forged_host_in_any_case_reaches_neither_location_nor_body(app, host):
    # Straight to the app: Werkzeug's test client reads the Host itself for its cookies.
    request = EnvironBuilder(path="/sections/city", query_string="page=2", headers={"Host": host})
    response = Response.from_app(app, request.get_environ())
    assert response.status_code == 308
    assert response.headers["Location"] == "/sections/city/?page=2"
    body = response.get_data(as_text=True)
    assert 'href="/sections/city/?page=2"' in body
    assert "evil" not in body.lower()
    assert not any("evil" in value.lower() for _, value in response.headers.items())


# --- client addresses -------------------------------------------------------------------------


def test_an_ipv4_mapped_address_is_one_client_with_the_ipv4_address(make_settings, tmp_path):
    app = create_app(make_settings(http={"rate_limit_per_minute": 2}))
    path = tmp_path / "access.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        logged = AccessLog(app, fd=fd)
        client = Client(logged)

        def get(address: str) -> int:
            return client.get("/feeds/", environ_base={"REMOTE_ADDR": address}).status_code

        assert [get("::ffff:10.0.4.1"), get("10.0.4.1"), get("::FFFF:10.0.4.1")] == [200, 200, 429]
        assert get("2001:db8::1") == 200  # a real IPv6 client is a client of its own
        logged.out.flush()
        hosts = [line.split(" ", 1)[0] for line in path.read_text().splitlines()]
    finally:
        os.close(fd)
    assert hosts == ["10.0.4.1"] * 3 + ["2001:db8::1"]


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("::ffff:10.0.0.2", "198.51.100.1", "198.51.100.1"),  # a mapped proxy is still trusted
        ("10.0.0.2", "::ffff:198.51.100.1", "198.51.100.1"),
        ("10.0.0.2", "198.51.100.1, ::ffff:10.0.0.9", "198.51.100.1"),
        ("::ffff:203.0.113.7", None, "203.0.113.7"),
        ("::ffff:203.0.113.7", "198.51.100.1", "203.0.113.7"),  # not a proxy: header ignored
    ],
)
def test_mapped_addresses_are_read_as_ipv4_behind_proxies_too(peer, forwarded, client):
    assert TrustedProxies(["10.0.0.0/8"]).client(peer, forwarded) == client


# --- the request environ ----------------------------------------------------------------------


class RecordedProtocol:
    """Granian's protocol object, as its WSGI runner calls it: the answer is kept."""

    def response_bytes(self, status, headers, body):
        self.answer = (status, headers, body)

    def response_iter(self, status, headers, body):
        self.answer = (status, headers, b"".join(body))


def test_the_request_environ_holds_no_process_environment(monkeypatch):
    monkeypatch.setenv("MASTHEAD_API_WRITE_TOKENS", WRITE_TOKEN)
    monkeypatch.setenv("MASTHEAD_SECRET_OF_SOMEONE_ELSE", "do-not-show")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("HTTP_X_TRACE", "process-value")
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    # Granian's own runner, which starts each environ from a copy of os.environ.
    runner = _callback_wrapper(WithoutProcessEnvironment(app), {})
    scope = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_X_TRACE": "sent-by-the-client",  # a request header of a process variable's name
    }
    assert runner(RecordedProtocol(), scope) == 200
    values = " ".join(str(value) for value in seen.values())
    assert WRITE_TOKEN not in values
    assert "do-not-show" not in values
    assert not [name for name in seen if name.startswith("MASTHEAD_")]
    assert "HTTP_PROXY" not in seen  # the process's, not a header the client sent
    assert seen["HTTP_X_TRACE"] == "sent-by-the-client"
    assert seen["REQUEST_METHOD"] == "GET"
    assert seen["SCRIPT_NAME"] == ""
    assert not set(os.environ) - {"HTTP_X_TRACE"} & set(seen) - set(scope) - {"SCRIPT_NAME"}


# --- health -----------------------------------------------------------------------------------


def test_health_is_alive_and_ready_on_a_sound_archive(client):
    alive, ready = client.get("/health"), client.get("/health/ready")
    assert (alive.status_code, ready.status_code) == (200, 200)
    assert ready.get_json()["ready"] is True
    assert ready.get_json()["degraded"] == []
    assert ready.headers["Cache-Control"] == "no-store"
