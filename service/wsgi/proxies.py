"""The client's address behind reverse proxies: decided once per request, before anything reads it.

Only a peer in `[server] trusted_proxies` is believed about who it forwards for. Its
X-Forwarded-For is read from the right, each hop a trusted proxy appended, and the first
address that is not a trusted proxy is the client: an address a client writes into the header
itself stands left of it and is never reached. The rate limit and the access log both read the
REMOTE_ADDR this sets (the peer's own address is kept under PEER_KEY).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

StartResponse = Callable[..., object]
WSGIApp = Callable[[dict, StartResponse], Iterable[bytes]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# The connecting peer's address, as the server saw it, when REMOTE_ADDR has been replaced.
PEER_KEY = "masthead.peer_addr"
# Hops of X-Forwarded-For looked at: no proxy chain in front of a site is longer.
MAX_HOPS = 20


class TrustedProxies:
    """Which addresses are trusted proxies, and so who a request is from."""

    def __init__(self, networks: Sequence[str]):
        self.networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(n, strict=False) for n in networks
        )
        self.is_trusted = lru_cache(maxsize=4096)(self._is_trusted)
        self.normal = lru_cache(maxsize=4096)(normal_address)

    def _is_trusted(self, address: str) -> bool:
        parsed = _address(address)
        return parsed is not None and any(parsed in network for network in self.networks)

    def client(self, peer: str, forwarded_for: str | None) -> str:
        """The client's address: the peer itself unless it is a trusted proxy.

        Written one way only: an IPv4 address reached over IPv6 (`::ffff:10.0.4.1`, as a
        dual-stack listener sees it) is the IPv4 address, one client with `10.0.4.1`.
        """
        peer = self.normal(peer)
        if not forwarded_for or not self.is_trusted(peer):
            return peer
        client = peer
        for hop in reversed(forwarded_for.split(",")[-MAX_HOPS:]):
            parsed = _address(hop.strip())
            if parsed is None:
                break  # a trusted proxy wrote nothing readable here: the last hop read stands
            client = str(parsed)
            if not self.is_trusted(client):
                break
        return client


def normal_address(text: str) -> str:
    """An address written one way (`::ffff:10.0.4.1` is `10.0.4.1`); anything else as it is."""
    parsed = _address(text)
    return text if parsed is None else str(parsed)


def _address(text: str) -> Address | None:
    """An IP address from an X-Forwarded-For hop or REMOTE_ADDR (also "[::1]:80", "1.2.3.4:80")."""
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else text
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


class ClientAddress:
    """WSGI middleware setting REMOTE_ADDR to the client's address, in the server's environ.

    Like Werkzeug's ProxyFix, but trusting by address rather than by a count of hops: a request
    that reaches the service directly cannot claim another address.
    """

    def __init__(self, app: WSGIApp, proxies: TrustedProxies):
        self.app = app
        self.proxies = proxies

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        peer = environ.get("REMOTE_ADDR") or ""
        client = self.proxies.client(peer, environ.get("HTTP_X_FORWARDED_FOR"))
        if client != peer:
            environ[PEER_KEY] = peer
            environ["REMOTE_ADDR"] = client
        return self.app(environ, start_response)
