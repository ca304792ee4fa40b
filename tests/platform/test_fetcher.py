"""The guarded fetcher against real HTTP servers on loopback: internal addresses, redirects to them, rebinding,
size and time limits, and an allowed host that works."""

from __future__ import annotations

import ipaddress
import re
import socket
import time

import pytest

from tests.factories import png_bytes
from tests.fakes.files import FileServer
from vitrine.platform import fetcher
from vitrine.platform.fetcher import FetchFailed, FetchRefused, address_is_public, fetch
from vitrine.platform.intake import FileTooLarge

IMAGE = png_bytes(64, 64, seed=3)


@pytest.fixture
def no_allowances(settings):  # type: ignore[no-untyped-def]
    """Production rules, except that plain http may be used (the servers here speak no TLS)."""
    settings.FETCH_ALLOW_HTTP = True
    settings.FETCH_ALLOW_PRIVATE_HOSTS = []
    return settings


@pytest.fixture
def internal() -> FileServer:
    """An internal service: something an attacker would like the fetcher to read."""
    with FileServer() as server:
        server.serve("/secret", b"internal data")
        server.serve("/image.png", IMAGE)
        yield server


def test_a_loopback_server_is_refused_without_being_contacted(no_allowances, internal: FileServer) -> None:
    with pytest.raises(FetchRefused, match="not a public internet address"):
        fetch(internal.base_url + "/secret")
    assert internal.hits == []


def test_an_allowed_host_configured_for_the_test_is_downloaded(no_allowances, internal: FileServer) -> None:
    no_allowances.FETCH_ALLOW_PRIVATE_HOSTS = ["127.0.0.1"]
    assert fetch(internal.base_url + "/image.png") == IMAGE
    assert internal.hits == ["/image.png"]


def test_downloads_from_one_host_reuse_one_checked_connection(no_allowances, internal: FileServer,
                                                             monkeypatch) -> None:  # type: ignore[no-untyped-def]
    no_allowances.FETCH_ALLOW_PRIVATE_HOSTS = ["127.0.0.1"]
    checked: list[str] = []
    resolve = fetcher.resolve_checked
    monkeypatch.setattr(fetcher, "resolve_checked", lambda host, port: checked.append(host) or resolve(host, port))
    assert fetch(internal.base_url + "/image.png") == IMAGE
    assert fetch(internal.base_url + "/image.png") == IMAGE
    assert internal.hits == ["/image.png", "/image.png"]
    assert checked == ["127.0.0.1"]  # one connection, checked when it opened, kept for the second download


def test_a_connection_opened_under_looser_rules_is_not_reused(no_allowances, internal: FileServer) -> None:
    no_allowances.FETCH_ALLOW_PRIVATE_HOSTS = ["127.0.0.1"]
    assert fetch(internal.base_url + "/image.png") == IMAGE
    no_allowances.FETCH_ALLOW_PRIVATE_HOSTS = []  # the pooled connection to loopback must not serve this
    with pytest.raises(FetchRefused, match="not a public internet address"):
        fetch(internal.base_url + "/secret")
    assert internal.hits == ["/image.png"]


@pytest.mark.parametrize("target", [
    "http://127.0.0.2:{port}/secret",  # another loopback address
    "http://[::ffff:127.0.0.2]:{port}/secret",  # the same, as IPv4-mapped IPv6
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",  # cloud metadata
    "http://[::1]:{port}/secret",
    "http://10.0.0.5/",
])
def test_a_redirect_to_an_internal_address_is_refused(no_allowances, target: str) -> None:
    no_allowances.FETCH_ALLOW_PRIVATE_HOSTS = ["127.0.0.1"]  # the redirecting server itself is allowed
    with FileServer(host="127.0.0.2") as hidden, FileServer() as redirector:
        hidden.serve("/secret", b"internal data")
        url = redirector.redirect("/photo.png", target.format(port=hidden.port))
        with pytest.raises(FetchRefused):
            fetch(url)
        assert redirector.hits == ["/photo.png"] and hidden.hits == []


def test_each_redirect_hop_is_followed_when_allowed(no_allowances, internal: FileServer) -> None:
    no_allowances.FETCH_ALLOW_PRIVATE_HOSTS = ["127.0.0.1"]
    internal.redirect("/old.png", "/moved.png", status=301)
    internal.redirect("/moved.png", internal.base_url + "/image.png", status=307)
    assert fetch(internal.base_url + "/old.png") == IMAGE
    assert internal.hits == ["/old.png", "/moved.png", "/image.png"]


def test_a_redirect_loop_stops(no_allowances, internal: FileServer) -> None:
    no_allowances.FETCH_ALLOW_PRIVATE_HOSTS = ["127.0.0.1"]
    internal.redirect("/loop.png", "/loop.png")
    with pytest.raises(FetchFailed, match="redirects more than 5 times"):
        fetch(internal.base_url + "/loop.png")


def test_plain_http_needs_the_development_setting(settings, internal: FileServer) -> None:
    settings.FETCH_ALLOW_HTTP = False
    with pytest.raises(FetchRefused, match="only https"):
        fetch(internal.base_url + "/image.png")
    assert internal.hits == []


def test_only_the_callers_hosts_are_fetched(settings, internal: FileServer) -> None:
    with pytest.raises(FetchRefused, match="not one of the store's image hosts"):
        fetch(internal.base_url + "/image.png", allowed_hosts=["cdn.shopify.com", "*.alicdn.com"])
    assert internal.hits == []
    assert fetch(internal.base_url + "/image.png", allowed_hosts=["127.0.0.1"]) == IMAGE


def test_refusals_do_not_tell_an_open_port_from_a_closed_one(no_allowances, internal: FileServer) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    messages = []
    for port in (internal.port, closed):
        with pytest.raises(FetchRefused) as refused:
            fetch(f"http://127.0.0.1:{port}/secret")
        messages.append(re.sub(r":\d+/", ":PORT/", refused.value.message))
    assert messages[0] == messages[1]
    with pytest.raises(FetchRefused) as unknown:
        fetch("http://no-such-host.invalid/secret")
    assert "not a public internet address" in unknown.value.message  # same words for a name that does not exist


def test_the_connection_goes_to_the_address_that_was_checked(no_allowances, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """DNS rebinding: the name answers a different address the second time it is asked."""
    no_allowances.FETCH_ALLOW_PRIVATE_HOSTS = ["rebind.test"]
    with FileServer() as checked:
        checked.serve("/image.png", IMAGE)
        with FileServer(host="127.0.0.2", port=checked.port) as other:
            other.serve("/image.png", b"not what was checked")
            real = socket.getaddrinfo
            answers = iter(["127.0.0.1"])
            asked: list[str] = []

            def rebinding(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
                if host != "rebind.test":
                    return real(host, port, *args, **kwargs)
                asked.append(host)
                return real(next(answers, "127.0.0.2"), port, *args, **kwargs)

            monkeypatch.setattr(socket, "getaddrinfo", rebinding)
            assert fetch(f"http://rebind.test:{checked.port}/image.png") == IMAGE
            assert asked == ["rebind.test"] and other.hits == []


def test_a_body_over_the_size_cap_is_refused(settings, internal: FileServer) -> None:
    internal.serve("/big.png", b"x" * 5000)
    internal.serve("/undeclared.png", b"x" * 3000, drip=0.0001)  # no Content-Length: counted while read
    with pytest.raises(FileTooLarge):
        fetch(internal.base_url + "/big.png", max_bytes=1000)
    with pytest.raises(FileTooLarge):
        fetch(internal.base_url + "/undeclared.png", max_bytes=1000)


def test_a_trickling_download_stops_at_the_total_deadline(settings, internal: FileServer) -> None:
    internal.serve("/drip.png", b"x" * 200, drip=0.1)  # every read succeeds, the whole takes 20 s
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="took longer than 1 s"):
        fetch(internal.base_url + "/drip.png", deadline=1.0)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.100.100.200", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255", "::", "::1", "fe80::1", "fc00::1", "fd00:ec2::254",
    "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "2002:7f00:1::1", "64:ff9b::a00:1",
    "2001:db8::1",
])
def test_non_public_addresses(address: str) -> None:
    assert not address_is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "::ffff:1.1.1.1"])
def test_public_addresses(address: str) -> None:
    assert address_is_public(ipaddress.ip_address(address))
