"""Fetching a source: one HTTP GET with an address guard, limits and conditional headers.

The guard resolves the host itself and decides on the resolved addresses before any connection
is made, then connects to the address it checked (a name that resolves again differently cannot
slip past it); every redirect is a new request, checked again. Private, loopback, link-local
and other non-global addresses are refused unless `[sources] allow_private` is on.
Limits: a connect and read timeout, a deadline for the whole fetch (a server that answers a
byte a second is cut off), a largest answer (counted after gzip is undone).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import urlencode, urljoin, urlsplit

# Redirects followed before a fetch gives up.
MAX_REDIRECTS = 5
# Bytes read from the socket at a time.
CHUNK = 65_536
REDIRECTS = (301, 302, 303, 307, 308)
PERMANENT = (301, 308)

# host, port -> the addresses the name resolves to
Resolver = Callable[[str, int], list[str]]
# (address, port), timeout -> a connected socket
Connector = Callable[[tuple[str, int], float], socket.socket]


class FetchFailed(Exception):
    """A fetch that brought no answer: the message says why (refused, timed out, too large)."""


class AddressRefused(FetchFailed):
    """The address guard refused the source's address before connecting."""


def system_resolver(host: str, port: int) -> list[str]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise FetchFailed(f"the name {host} does not resolve ({error.strerror})") from None
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def system_connector(address: tuple[str, int], timeout: float) -> socket.socket:
    return socket.create_connection(address, timeout=timeout)


def public_only(address: str) -> bool:
    """Whether an address is on the public internet (not private, loopback, link-local,
    multicast, reserved or unspecified)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def any_address(address: str) -> bool:
    return True


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Message
    body: bytes
    url: str  # where the answer came from, after redirects
    moved_to: str | None = None  # the new address when every redirect was permanent


@dataclass(frozen=True)
class Fetcher:
    """How sources are fetched; `permits`, `resolver` and `connector` are the guard's parts."""

    user_agent: str
    timeout: float = 10
    deadline: float = 60
    max_bytes: int = 10 * 1024 * 1024
    permits: Callable[[str], bool] = public_only
    resolver: Resolver = system_resolver
    connector: Connector = system_connector
    tls: ssl.SSLContext = field(default_factory=ssl.create_default_context)

    def get(self, url: str, headers: dict[str, str] | None = None) -> Answer:
        """GET `url`, following redirects (each one guarded). Raises FetchFailed naming why."""
        started = time.monotonic()
        moved_to, permanent = None, True
        for _hop in range(MAX_REDIRECTS + 1):
            answer = self._request(url, headers or {}, started)
            if answer.status not in REDIRECTS:
                return Answer(answer.status, answer.headers, answer.body, url, moved_to)
            location = answer.headers.get("Location")
            if not location:
                raise FetchFailed(f"{url} answered {answer.status} without a Location")
            url = urljoin(url, location.strip())
            permanent = permanent and answer.status in PERMANENT
            moved_to = url if permanent else None
        raise FetchFailed(f"more than {MAX_REDIRECTS} redirects")

    def post(self, url: str, form: dict[str, str]) -> Answer:
        """POST a form to `url` (a WebSub hub), guarded as a GET is; redirects are not followed.
        Raises FetchFailed naming why."""
        body = urlencode(form).encode("ascii")
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self._request(url, headers, time.monotonic(), method="POST", body=body)

    def _request(
        self,
        url: str,
        headers: dict[str, str],
        started: float,
        *,
        method: str = "GET",
        body: bytes | None = None,
    ) -> Answer:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchFailed(f"{url!r} is not an http(s) URL")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = self._checked_address(parts.hostname, port)
        connection = self._connection(parts.scheme, parts.hostname, port, address)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request(
                method,
                target,
                body=body,
                headers={
                    "User-Agent": self.user_agent,
                    "Accept-Encoding": "gzip",
                    "Accept": "application/atom+xml, application/rss+xml, application/feed+json, "
                    "application/json, application/xml;q=0.9, */*;q=0.5",
                    **headers,
                },
            )
            response = connection.getresponse()
            body = self._body(response, url, started, connection)
            return Answer(response.status, response.headers, body, url)
        except (OSError, http.client.HTTPException) as error:
            if isinstance(error, TimeoutError | socket.timeout):
                raise FetchFailed(f"{url}: no answer within {self.timeout:g} s") from None
            raise FetchFailed(f"{url}: {error or type(error).__name__}") from None
        finally:
            connection.close()

    def _checked_address(self, host: str, port: int) -> str:
        """The address to connect to, once the guard has accepted every address of `host`."""
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            addresses = self.resolver(host, port)
        if not addresses:
            raise FetchFailed(f"the name {host} resolves to no address")
        refused = [address for address in addresses if not self.permits(address)]
        if refused:
            raise AddressRefused(
                f"{host} resolves to {refused[0]}, which is not a public address: refused "
                "before connecting ([sources] allow_private is off)"
            )
        return addresses[0]

    def _connection(
        self, scheme: str, host: str, port: int, address: str
    ) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection
        if scheme == "https":
            connection = http.client.HTTPSConnection(
                host, port, timeout=self.timeout, context=self.tls
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=self.timeout)
        # Connect to the address the guard checked, never to a fresh resolution of the name
        # (TLS still checks the certificate against the name).
        connection._create_connection = lambda _address, timeout, *_rest: self.connector(  # type: ignore[attr-defined]
            (address, port), timeout
        )
        return connection

    def _body(self, response, url: str, started: float, connection) -> bytes:
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > self.max_bytes and response.status == 200:
            raise FetchFailed(
                f"{url}: the answer is {int(length):,} bytes (at most {self.max_bytes:,})"
            )
        gzipped = response.headers.get("Content-Encoding", "").lower() in ("gzip", "x-gzip")
        inflate = zlib.decompressobj(wbits=31) if gzipped else None
        chunks, size = [], 0
        while True:
            left = self.deadline - (time.monotonic() - started)
            if left <= 0:
                raise FetchFailed(f"{url}: the answer took longer than {self.deadline:g} s")
            if connection.sock is not None:
                connection.sock.settimeout(min(self.timeout, left))
            chunk = response.read1(CHUNK)
            if not chunk:
                break
            if inflate is not None:
                try:
                    chunk = inflate.decompress(chunk, self.max_bytes + 1 - size)
                except zlib.error as error:
                    raise FetchFailed(f"{url}: the gzip answer is broken ({error})") from None
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchFailed(f"{url}: the answer is larger than {self.max_bytes:,} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
