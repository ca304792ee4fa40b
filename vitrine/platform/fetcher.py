"""The one way this service downloads a file from an address someone else chose (image URLs of every store).

An image URL comes from a CSV row, a store's API or a redirect: whoever controls it could point it at our own
network (the cloud metadata service, Redis, an admin port). Every download therefore goes through
:func:`fetch`, which

* accepts ``https`` only (``http`` only where ``FETCH_ALLOW_HTTP`` is on: local development and tests);
* accepts only the caller's allowed hosts when it names some (a store's image CDN);
* resolves the host itself, refuses it unless *every* address is public (no loopback, private, link-local,
  shared, multicast, reserved or metadata ranges, IPv4 or IPv6, including IPv4 embedded in IPv6), and
  connects to exactly the address it checked (the check lives in the socket layer of the transport, so a
  second DNS answer can never be used: no rebinding);
* follows redirects itself, each hop checked again like the first;
* keeps one client (connection pool) per process and thread: a kept-alive connection goes on to the address that
  was checked when it opened, and the pool is dropped when the allowances below change, so a connection opened
  under looser rules is never reused;
* stops at a total deadline and a size cap;
* reports failures in words that never tell a closed internal port from an open one (a refused address is
  refused before any connection is tried, and network failures all read the same).

Host names listed in ``FETCH_ALLOW_PRIVATE_HOSTS`` may resolve to non-public addresses: a local stand-in
store in development and tests. Nothing is listed by default.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import socket
import ssl
import threading
import time
import typing
from collections.abc import Iterable, Sequence
from urllib.parse import urljoin

import httpcore
import httpx
from django.conf import settings

from vitrine.platform.intake import FileTooLarge, ImageRejected

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Named explicitly although the range checks below cover them: the addresses an attacker aims for.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class FetchRefused(ImageRejected):
    """The address is not one we download from (scheme, host or where it resolves). Nothing was sent."""

    code = "address_refused"


class FetchFailed(Exception):
    """The download was tried and did not succeed. ``status`` is the HTTP status when there was one;
    ``transient`` says whether trying again later may help."""

    def __init__(self, message: str, *, status: int | None = None, transient: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.transient = transient


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_is_public(address: IPAddress) -> bool:
    """Whether a download may connect to ``address``: a globally routable unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # the socket reaches the IPv4 address itself
            return address_is_public(address.ipv4_mapped)
        embedded = _embedded_ipv4(address)
        if embedded is not None and not address_is_public(embedded):
            return False
    if address in METADATA_ADDRESSES:
        return False
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_loopback or address.is_link_local
        or address.is_private or address.is_unspecified
    )


def host_matches(host: str, patterns: Iterable[str]) -> bool:
    """``cdn.example`` matches itself; ``*.example`` matches any name below ``example``."""
    host = host.lower().rstrip(".")
    for pattern in patterns:
        pattern = pattern.lower().rstrip(".")
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]):
                return True
        elif host == pattern:
            return True
    return False


def _refusal(url: str, why: str) -> FetchRefused:
    return FetchRefused(f"{url} is not an address images are downloaded from ({why})")


def resolve_checked(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, each checked; raises FetchRefused unless every one is allowed.

    An unresolvable name is refused with the same words as a private one: the message must not tell an
    internal name that exists from one that does not.
    """
    private_ok = host_matches(host, settings.FETCH_ALLOW_PRIVATE_HOSTS)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        infos = []
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        text = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone index
        if not private_ok and not address_is_public(ipaddress.ip_address(text)):
            addresses = []
            break
        if text not in addresses:
            addresses.append(text)
    if not addresses:
        raise _refusal(host, "it is not a public internet address")
    return addresses


class _CheckedBackend(httpcore.SyncBackend):
    """Resolves and checks the host, then connects to one of exactly the addresses it checked."""

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in resolve_checked(host, port):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    return httpx.create_ssl_context(trust_env=False)  # loading the CA bundle takes a while: once per process


class CheckedTransport(httpx.HTTPTransport):
    """httpx's transport with the checked socket layer; TLS still verifies the certificate for the name."""

    def __init__(self) -> None:
        super().__init__(verify=_ssl_context(), retries=0, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(), max_connections=10, retries=0, network_backend=_CheckedBackend(),
        )


_held = threading.local()


def _client() -> httpx.Client:
    """This process's and thread's client: one pool, so a store's CDN is not dialled and TLS-shaken anew for
    every image. Keyed by the process (a forked worker must not share its parent's sockets) and by the
    allowances that decide where a connection may go."""
    key = (os.getpid(), tuple(settings.FETCH_ALLOW_PRIVATE_HOSTS))
    held: tuple[tuple[int, tuple[str, ...]], httpx.Client] | None = getattr(_held, "client", None)
    if held is not None and held[0] == key:
        return held[1]
    if held is not None and held[0][0] == key[0]:
        held[1].close()  # only our own: a parent's client is left to the parent
    client = httpx.Client(transport=CheckedTransport(), trust_env=False, follow_redirects=False)
    _held.client = (key, client)
    return client


def _check_url(url: httpx.URL, allowed_hosts: Sequence[str] | None) -> None:
    allowed_schemes = ("https", "http") if settings.FETCH_ALLOW_HTTP else ("https",)
    if url.scheme not in allowed_schemes:
        raise _refusal(str(url), "only https addresses are downloaded")
    if not url.host:
        raise _refusal(str(url), "it names no host")
    if allowed_hosts is not None and not host_matches(url.host, allowed_hosts):
        raise _refusal(str(url), "its host is not one of the store's image hosts")


def fetch(url: str, *, allowed_hosts: Sequence[str] | None = None, max_bytes: int | None = None,
          deadline: float | None = None) -> bytes:
    """Download ``url`` (GET) under the rules above and return the body.

    Raises :class:`FetchRefused` (an address we do not download from), ``FileTooLarge`` (over
    ``max_bytes``, default ``IMAGE_MAX_BYTES``) or :class:`FetchFailed` (HTTP error, network failure,
    deadline passed).
    """
    limit = settings.IMAGE_MAX_BYTES if max_bytes is None else max_bytes
    total = settings.FETCH_DEADLINE if deadline is None else deadline
    started = time.monotonic()
    current = httpx.URL(url)
    client = _client()
    for _hop in range(settings.FETCH_MAX_REDIRECTS + 1):
        _check_url(current, allowed_hosts)
        remaining = total - (time.monotonic() - started)
        if remaining <= 0:
            raise FetchFailed(f"{url} took longer than {total:.0f} s to download", transient=True)
        timeout = httpx.Timeout(min(settings.FETCH_READ_TIMEOUT, remaining),
                                connect=min(settings.FETCH_CONNECT_TIMEOUT, remaining))
        try:
            with client.stream("GET", current, timeout=timeout) as response:
                if response.status_code in REDIRECT_STATUSES and "location" in response.headers:
                    current = httpx.URL(urljoin(str(current), response.headers["location"]))
                    continue
                _raise_for_status(url, response.status_code)
                return _read_capped(url, response, limit=limit, started=started, total=total)
        except httpx.TransportError:
            # One message for every network failure: which of them happened says what listens where.
            raise FetchFailed(f"{url} could not be downloaded (no usable answer)", transient=True) from None
    raise FetchFailed(f"{url} redirects more than {settings.FETCH_MAX_REDIRECTS} times")


def _raise_for_status(url: str, status: int) -> None:
    if status in (404, 410):
        raise FetchFailed(f"{url} does not exist (HTTP {status})", status=status)
    if status == 429 or status >= 500:
        raise FetchFailed(f"{url}: the server answered HTTP {status}", status=status, transient=True)
    if status >= 300:
        raise FetchFailed(f"{url} was refused (HTTP {status})", status=status)


def _read_capped(url: str, response: httpx.Response, *, limit: int, started: float, total: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FileTooLarge(f"{url} is {declared} bytes; the limit is {limit} bytes")
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise FileTooLarge(f"{url} is larger than the limit of {limit} bytes")
        if time.monotonic() - started > total:
            raise FetchFailed(f"{url} took longer than {total:.0f} s to download", transient=True)
        chunks.append(chunk)
    return b"".join(chunks)
