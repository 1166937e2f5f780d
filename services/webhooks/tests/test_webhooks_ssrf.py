"""The SSRF guard: a table of address forms and names that are all refused, and DNS rebinding."""

from __future__ import annotations

import pytest
from webhook_harness import ScriptedResolver

from hub_webhooks.ssrf import BlockedTargetError, GuardedResolver, TargetPolicy, check_target

STRICT = TargetPolicy()


REFUSED_URLS = [
    "http://127.0.0.1/",
    "http://127.255.255.254:8080/x",
    "http://0.0.0.0/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://100.127.255.255/",
    "http://224.0.0.1/",
    "http://239.255.255.250/",
    "http://255.255.255.255/",
    "http://240.0.0.1/",
    "http://198.18.0.1/",
    "http://192.0.0.8/",
    "http://192.0.2.1/",
    "http://[::1]/",
    "http://[::]/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[fe80::1]/",
    "http://[fe80::1%25eth0]/",
    "http://[ff02::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[::127.0.0.1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:7f00:1::]/",
    "http://[2001:db8::1]/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://017700000001/",
    "http://0177.0.0.1/",
    "http://0x7f.0.0.1/",
    "http://127.1/",
    "http://127.0.1/",
    "http://0/",
    "http://0x0/",
    "http://3232235777/",
    "http://localhost/",
    "http://LOCALHOST./",
    "http://foo.localhost/",
    "http://printer.local/",
    "http://metadata.google.internal/",
    "http://intranet/",
    "ftp://example.com/",
    "file:///etc/passwd",
    "http://user:pw@example.com/",
    "gopher://127.0.0.1:25/",
    "http:///nohost",
]

# Names whose DNS answers are not public (checked through a scripted resolver).
REFUSED_NAMES = {
    "loopback.example.com": [["127.0.0.1"]],
    "metadata.example.com": [["169.254.169.254"]],
    "mixed.example.com": [["93.184.216.34", "10.1.2.3"]],  # one bad answer refuses the name
    "mapped.example.com": [["::ffff:10.0.0.1"]],
    "ula.example.com": [["fd00::1"]],
    "cgnat.example.com": [["100.100.100.100"]],
}


@pytest.mark.parametrize("url", REFUSED_URLS)
async def test_refused_urls(url: str) -> None:
    with pytest.raises(BlockedTargetError):
        await check_target(STRICT, GuardedResolver(STRICT, ScriptedResolver({})), url)


@pytest.mark.parametrize("name", sorted(REFUSED_NAMES))
async def test_names_resolving_to_private_addresses_are_refused(name: str) -> None:
    resolver = GuardedResolver(STRICT, ScriptedResolver(REFUSED_NAMES))
    with pytest.raises(BlockedTargetError):
        await check_target(STRICT, resolver, f"https://{name}/hook")
    with pytest.raises(BlockedTargetError):
        await resolver.resolve(name, 443)


def test_table_is_large_enough() -> None:
    assert len(REFUSED_URLS) + len(REFUSED_NAMES) >= 30


@pytest.mark.parametrize(
    "url",
    [
        "https://93.184.216.34/hook",
        "https://[2606:4700:4700::1111]/hook",
        "http://8.8.8.8:8080/x",
    ],
)
async def test_public_literals_pass(url: str) -> None:
    await check_target(STRICT, GuardedResolver(STRICT, ScriptedResolver({})), url)


async def test_public_name_passes() -> None:
    resolver = GuardedResolver(STRICT, ScriptedResolver({"hooks.example.com": [["93.184.216.34"]]}))
    await check_target(STRICT, resolver, "https://hooks.example.com/x")


async def test_rebinding_name_is_refused_at_send_time() -> None:
    """Public at registration, private at the connection's lookup: the connection lookup refuses it."""
    script = ScriptedResolver({"rebind.example.com": [["93.184.216.34"], ["169.254.169.254"]]})
    resolver = GuardedResolver(STRICT, script)
    await check_target(STRICT, resolver, "https://rebind.example.com/x")
    with pytest.raises(BlockedTargetError):
        await resolver.resolve("rebind.example.com", 443)


def test_allow_list_and_switch() -> None:
    dev = TargetPolicy(allowed_hosts=("127.0.0.1", "10.9.0.0/16", "receiver.dev"))
    dev.check_url("http://127.0.0.1:9000/x")
    dev.check_url("http://10.9.8.7/x")
    dev.check_url("http://receiver.dev/x")
    with pytest.raises(BlockedTargetError):
        dev.check_url("http://10.8.0.1/x")
    with pytest.raises(BlockedTargetError):
        dev.check_url("http://169.254.169.254/")
    TargetPolicy(allow_private=True).check_url("http://192.168.0.10/x")
    with pytest.raises(BlockedTargetError):
        TargetPolicy(require_https=True).check_url("http://93.184.216.34/")
