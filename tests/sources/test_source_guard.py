"""The address guard: a source whose name resolves to a private, loopback or link-local address
is refused before any connection is made, and so is every redirect that leads to one.

The resolver is stubbed so that names map to such addresses; no test connects anywhere but
127.0.0.1."""

from __future__ import annotations

import re
import socket

import pytest

from archive.db import sources as store
from service.archive_access import open_for
from service.sources import poller
from service.sources.fetch import AddressRefused, Fetcher, public_only
from tests.support.source_server import Page, SourceServer
from tests.support.stories import NOW


class Connections:
    """A connector that records every connection asked for, and makes only those to 127.0.0.1."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, int]] = []

    def __call__(self, address: tuple[str, int], timeout: float) -> socket.socket:
        self.asked.append(address)
        assert address[0] == "127.0.0.1", f"a test tried to connect to {address}"
        return socket.create_connection(address, timeout=timeout)


def resolver(table: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        return table[host]

    return resolve


@pytest.mark.parametrize(
    "addresses",
    [
        ["169.254.169.254"],  # the cloud metadata service
        ["10.1.2.3"],
        ["192.168.0.7"],
        ["172.16.5.4"],
        ["127.0.0.1"],
        ["::1"],
        ["fe80::1"],
        ["fd00::5"],
        ["::ffff:10.0.0.1"],  # a private IPv4 address written as IPv6
        ["0.0.0.0"],
        ["93.184.215.14", "10.0.0.9"],  # one public, one private: refused
    ],
)
def test_a_name_resolving_to_a_non_public_address_is_refused_before_connecting(addresses):
    connections = Connections()
    fetcher = Fetcher(
        user_agent="Masthead test",
        permits=public_only,
        resolver=resolver({"feed.partner.test": addresses}),
        connector=connections,
    )
    with pytest.raises(AddressRefused, match="not a public address"):
        fetcher.get("http://feed.partner.test/feed.atom")
    assert connections.asked == []


def test_an_address_literal_is_checked_as_well():
    connections = Connections()
    fetcher = Fetcher(user_agent="Masthead test", connector=connections)
    with pytest.raises(AddressRefused):
        fetcher.get("http://169.254.169.254/latest/meta-data/")
    assert connections.asked == []


def test_every_redirect_is_checked_again():
    """The first address is allowed (127.0.0.1 stands for the public internet here); its
    redirect to a name that resolves to the metadata address is refused before connecting."""
    connections = Connections()
    with SourceServer() as server:
        server.pages["/start"] = Page(
            status=302, headers={"Location": "http://metadata.test/latest/meta-data/"}
        )
        port = server.httpd.server_address[1]
        fetcher = Fetcher(
            user_agent="Masthead test",
            permits=lambda address: address == "127.0.0.1",
            resolver=resolver(
                {"partner.test": ["127.0.0.1"], "metadata.test": ["169.254.169.254"]}
            ),
            connector=connections,
        )
        with pytest.raises(
            AddressRefused, match=re.escape("metadata.test resolves to 169.254.169.254")
        ):
            fetcher.get(f"http://partner.test:{port}/start")
    assert connections.asked == [("127.0.0.1", port)]


def test_a_source_on_a_private_address_gets_a_clear_status_and_no_request(make_settings):
    settings = make_settings()  # [sources] allow_private is off by default
    assert settings.sources.allow_private is False
    with SourceServer() as server:
        server.pages["/feed.atom"] = Page(b"<feed/>")
        with open_for(settings) as archive:
            store.add_source(archive.db, server.url("/feed.atom"), now=NOW, interval_seconds=300)
            slug = store.list_sources(archive.db)[0].slug
        poller.poll_source(settings, slug, now=NOW)
        assert server.requests == []
    with open_for(settings) as archive:
        source = store.get_source(archive.db, slug)
    assert source.last_error.startswith("refused: 127.0.0.1 resolves to 127.0.0.1")
    assert "allow_private" in source.last_error
    assert source.failures == 1
