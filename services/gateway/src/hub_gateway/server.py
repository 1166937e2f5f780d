"""Serving the gateway: uvicorn, HTTPS with TLS 1.3 as the minimum when a certificate is set."""

from __future__ import annotations

import ssl

import uvicorn

from hub_contracts.runtime import tune_garbage_collector
from hub_gateway.app import create_app
from hub_gateway.settings import GatewaySettings


def build_server(settings: GatewaySettings) -> uvicorn.Server:
    tls = settings.tls_certfile is not None and settings.tls_keyfile is not None
    config = uvicorn.Config(
        create_app(settings), host=settings.http_host, port=settings.http_port, log_level="warning",
        access_log=False, lifespan="on", proxy_headers=True,
        ssl_certfile=str(settings.tls_certfile) if tls else None,
        ssl_keyfile=str(settings.tls_keyfile) if tls else None,
    )
    config.load()
    if config.ssl is not None:
        config.ssl.minimum_version = ssl.TLSVersion.TLSv1_3
    return uvicorn.Server(config)


def main() -> None:
    settings = GatewaySettings()
    server = build_server(settings)
    tune_garbage_collector(settings.gc_gen0_threshold)  # the process's own (tests build apps in theirs)
    server.run()
