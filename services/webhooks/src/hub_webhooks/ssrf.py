"""SSRF guard: only public addresses are webhook targets, checked at registration and at send time.

Names are resolved and *every* address is checked; aiohttp then connects to exactly the checked
addresses (`GuardedResolver` is the connector's resolver), so a name that rebinds between the check
and the connection cannot reach a private address. Numeric host forms that browsers and libc
accept but humans misread (`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`) are refused outright.
Development and tests name their loopback receivers in an explicit allow-list (off by default).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_NUMERIC_PART = r"(0[xX][0-9a-fA-F]*|[0-9]+)"
_LEGACY_NUMERIC_HOST = re.compile(rf"^{_NUMERIC_PART}(\.{_NUMERIC_PART}){{0,3}}\.?$")
_BLOCKED_NAME_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")
_BLOCKED_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})

# Ranges `is_global` lets through but no webhook should reach.
_EXTRA_BLOCKED: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "224.0.0.0/4",  # IPv4 multicast
        "192.0.0.0/24",  # IETF protocol assignments (incl. 192.0.0.9/10, which is_global allows)
        "192.88.99.0/24",  # 6to4 relay anycast
        "255.255.255.255/32",
        "ff00::/8",  # IPv6 multicast
        "2002::/16",  # 6to4 (embedded IPv4 checked separately; the relay is refused anyway)
        "64:ff9b::/96",
        "64:ff9b:1::/48",  # NAT64
        "100::/64",  # discard
        "2001:db8::/32",  # documentation
        "5f00::/16",  # SRv6 SIDs
    )
)


class BlockedTargetError(OSError):
    """The target is not a public address (or not an acceptable URL); the reason is safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    packed = address.packed
    if packed[:12] == b"\x00" * 12 and address not in (
        ipaddress.IPv6Address("::"),
        ipaddress.IPv6Address("::1"),
    ):
        return ipaddress.IPv4Address(packed[12:])  # deprecated IPv4-compatible form ::a.b.c.d
    if ipaddress.IPv6Address(int.from_bytes(packed[:12] + b"\x00" * 4, "big")) == ipaddress.IPv6Address(
        "64:ff9b::"
    ):
        return ipaddress.IPv4Address(packed[12:])
    return None


def is_public_address(address: IPAddress) -> bool:
    """True only for a globally routable unicast address (IPv4-in-IPv6 forms judged by their IPv4)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return False
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return False if address.ipv4_mapped is None else is_public_address(embedded)
    if address.is_multicast or address.is_unspecified or address.is_loopback or address.is_link_local:
        return False
    if address.is_private or address.is_reserved or not address.is_global:
        return False
    return not any(address in net for net in _EXTRA_BLOCKED if net.version == address.version)


def parse_legacy_numeric_host(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address libc's `inet_aton` would read from a numeric host (`127.1`, `0x7f.0.0.1`…)."""
    if not _LEGACY_NUMERIC_HOST.match(host):
        return None
    parts = host.rstrip(".").split(".")
    try:
        values = [
            int(p, 16)
            if p.lower().startswith("0x")
            else int(p, 8)
            if len(p) > 1 and p.startswith("0")
            else int(p)
            for p in parts
        ]
    except ValueError:
        return None
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = 0
    for v in head:
        number = number * 256 + v
    number = number * 256 ** (4 - len(head)) + last
    return ipaddress.IPv4Address(number)


@dataclass(frozen=True)
class TargetPolicy:
    allow_private: bool = False
    allowed_hosts: tuple[str, ...] = ()
    require_https: bool = False
    _names: frozenset[str] = field(init=False, repr=False)
    _networks: tuple[IPNetwork, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        names: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in self.allowed_hosts:
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                names.add(entry.lower().rstrip("."))
        object.__setattr__(self, "_names", frozenset(names))
        object.__setattr__(self, "_networks", tuple(networks))

    def address_allowed(self, address: IPAddress) -> bool:
        if self.allow_private or any(
            address in net for net in self._networks if net.version == address.version
        ):
            return True
        return is_public_address(address)

    def name_allowed(self, host: str) -> bool:
        return host.lower().rstrip(".") in self._names

    def check_url(self, url: str) -> URL:
        """Everything that can be judged without DNS; returns the parsed URL or raises BlockedTargetError."""
        try:
            parsed = URL(url)
        except (ValueError, TypeError):
            raise BlockedTargetError("not a valid URL") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise BlockedTargetError("the URL must be http:// or https:// with a host")
        if self.require_https and parsed.scheme != "https":
            raise BlockedTargetError("the URL must use https://")
        if parsed.user is not None or parsed.password is not None:
            raise BlockedTargetError("credentials in the URL are not allowed")
        if len(url) > 2048:
            raise BlockedTargetError("the URL is longer than 2048 characters")
        self.check_host(parsed.raw_host or parsed.host)
        return parsed

    def check_host(self, host: str) -> None:
        bare = host.strip("[]").lower()
        if self.name_allowed(bare):
            return
        if "%" in bare:
            raise BlockedTargetError("IPv6 zone identifiers are not allowed")
        literal = _ip_literal(bare)
        if literal is not None:
            if not self.address_allowed(literal):
                raise BlockedTargetError(f"requests to {literal} are blocked (not a public address)")
            return
        if parse_legacy_numeric_host(bare) is not None or bare.replace(".", "").isdigit():
            raise BlockedTargetError("numeric host forms other than dotted-quad IPv4 are not allowed")
        name = bare.rstrip(".")
        if name in _BLOCKED_NAMES or name.endswith(_BLOCKED_NAME_SUFFIXES) or "." not in name:
            raise BlockedTargetError(f"the host name {name!r} is not a public name")

    def check_addresses(self, host: str, addresses: Iterable[str]) -> None:
        if self.name_allowed(host):
            return
        found = False
        for raw in addresses:
            found = True
            address = _ip_literal(raw)
            if address is None or not self.address_allowed(address):
                raise BlockedTargetError(f"{host} resolves to {raw}, which is not a public address")
        if not found:
            raise BlockedTargetError(f"{host} does not resolve")


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


class GuardedResolver(AbstractResolver):
    """Resolves with the inner resolver and refuses the whole name if any address is not allowed.

    aiohttp connects to the addresses returned here, so the checked address is the one connected to.
    """

    def __init__(self, policy: TargetPolicy, inner: AbstractResolver | None = None) -> None:
        from aiohttp.resolver import ThreadedResolver

        self.policy = policy
        self.inner = inner or ThreadedResolver()

    async def resolve(
        self,
        host: str,
        port: int = 0,
        family: socket.AddressFamily = socket.AF_INET,
    ) -> list[ResolveResult]:
        self.policy.check_host(host)
        results = await self.inner.resolve(host, port, family)
        self.policy.check_addresses(host, (r["host"] for r in results))
        return results

    async def close(self) -> None:
        await self.inner.close()


async def check_target(policy: TargetPolicy, resolver: AbstractResolver, url: str) -> None:
    """Registration-time check: the URL's form, and every address its host resolves to now."""
    parsed = policy.check_url(url)
    host = (parsed.raw_host or "").strip("[]")
    if _ip_literal(host) is not None or policy.name_allowed(host):
        return
    try:
        results: list[Any] = await resolver.resolve(host, parsed.port or 0, socket.AF_UNSPEC)
    except BlockedTargetError:
        raise
    except OSError:
        raise BlockedTargetError(f"{host} does not resolve") from None
    policy.check_addresses(host, (r["host"] for r in results))
