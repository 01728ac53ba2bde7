"""The client's address: the peer, or what a trusted proxy says; never what a client says."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from musicweb.addresses import client_address, parse_networks
from tests.test_site import _manage


def _address(remote: str | None, forwarded: str | None = None) -> str | None:
    meta = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    request = RequestFactory().get("/", **meta)
    if remote is None:
        del request.META["REMOTE_ADDR"]
    else:
        request.META["REMOTE_ADDR"] = remote
    return client_address(request)


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        # No trusted proxy configured: the header is never read.
        ([], "198.51.100.1", "203.0.113.9", "198.51.100.1"),
        # A peer that is not a trusted proxy: its header is ignored too.
        (["10.0.0.0/8"], "198.51.100.1", "203.0.113.9", "198.51.100.1"),
        # Through the proxy: the hop it appended, whatever the client wrote before it.
        (["10.0.0.0/8"], "10.1.2.3", "1.1.1.1, 203.0.113.9", "203.0.113.9"),
        # Two proxies of ours (a load balancer, then nginx): skip both.
        (["10.0.0.0/8"], "10.0.0.2", "6.6.6.6, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
        # A proxy that forwarded nothing, or garbage where its own hop should be.
        (["10.0.0.0/8"], "10.0.0.2", None, "10.0.0.2"),
        (["10.0.0.0/8"], "10.0.0.2", "203.0.113.9, not-an-ip", "10.0.0.2"),
        # Single addresses, IPv6, and normalised spelling.
        (["127.0.0.1", "::1"], "::1", "2001:DB8::0001", "2001:db8::1"),
        ([], None, None, None),
        ([], "unix-socket", None, None),
    ],
)
def test_it_finds_the_client_address(settings, proxies, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = proxies
    assert _address(remote, forwarded) == expected


def test_it_names_a_bad_proxy_entry():
    with pytest.raises(ValueError, match="'10.0.0.300'"):
        parse_networks(["10.0.0.0/8", "10.0.0.300"])


def test_it_refuses_a_bad_trusted_proxies_setting_at_start(tmp_path):
    result = _manage("check", TRUSTED_PROXIES="10.0.0.1,proxy.example", VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "TRUSTED_PROXIES: 'proxy.example' is not an IP address or network" in result.stderr
