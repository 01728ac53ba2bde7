"""Who is asking: the client's address, believing X-Forwarded-For only from our own proxies.

Log-in throttling and play counting key visitors by address, so the address
must be one a client cannot choose. The connecting peer (REMOTE_ADDR) is the
answer unless that peer is one of TRUSTED_PROXIES; then the forwarded chain is
read from the right (each proxy appends the address it saw) and the first hop
that is not a trusted proxy is the client. Whatever a client writes into the
header itself sits to the left of that hop and is never read.

python-ipware, which django-axes can use, matches trusted proxies inside the
forwarded chain but never checks the connecting peer, so a client that reaches
the server directly could still forge its address; hence this small rule.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: list[str]) -> list[Network]:
    """Addresses or CIDR ranges ("10.0.0.0/8", "::1"); ValueError names the bad entry."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network") from None
    return networks


def _normalised(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def _is_proxy(address: str, proxies: list[Network]) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip.version == net.version and ip in net for net in proxies)


def client_address(request) -> str | None:
    """The client's IP address as text, or None when the server gave no usable peer."""
    peer = _normalised(request.META.get("REMOTE_ADDR") or "")
    proxies = parse_networks(settings.TRUSTED_PROXIES)
    if peer is None or not proxies or not _is_proxy(peer, proxies):
        return peer
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _normalised(hop)
        if address is None:
            return peer  # a trusted proxy never writes this: trust nothing further left
        if not _is_proxy(address, proxies):
            return address
    return peer
