"""The gateway serves HTTPS with TLS 1.3 as the minimum: a TLS 1.2-only client is refused."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import httpx
import pytest
import trustme

from hub_devtools.brokers import free_port
from hub_gateway.server import build_server
from hub_gateway.settings import GatewaySettings

pytestmark = pytest.mark.kafka


async def test_tls13_minimum(gateway_settings: GatewaySettings, tmp_path: Path) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    port = free_port()
    settings = gateway_settings.model_copy(update={"http_port": port, "tls_certfile": certfile,
                                                   "tls_keyfile": keyfile})
    server = build_server(settings)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        modern = ssl.create_default_context()
        ca.configure_trust(modern)
        async with httpx.AsyncClient(verify=modern) as client:
            response = await client.get(f"https://127.0.0.1:{port}/healthz")
            assert response.status_code == 200
            assert response.extensions["network_stream"].get_extra_info("ssl_object").version() == "TLSv1.3"
        legacy = ssl.create_default_context()
        ca.configure_trust(legacy)
        legacy.maximum_version = ssl.TLSVersion.TLSv1_2
        async with httpx.AsyncClient(verify=legacy) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get(f"https://127.0.0.1:{port}/healthz")
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 20)
