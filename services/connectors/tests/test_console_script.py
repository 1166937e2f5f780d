"""`hub-connectors` runs the whole service in one process from HUB_* settings (as the lead's runner does)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_console_script_serves_the_inbound_app_and_consumers(
    hub_env: dict[str, str],
    topics: str,
    tmp_path: Path,
) -> None:
    port = free_port()
    script = Path(sys.executable).parent / "hub-connectors"
    env = os.environ | hub_env | {"HUB_HTTP_PORT": str(port)}
    log_path = tmp_path / "hub-connectors.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(str(script), env=env, stdout=log, stderr=log)
    try:
        async with aiohttp.ClientSession() as session, asyncio.timeout(30):
            while True:
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                        body = await resp.json()
                        break
                except aiohttp.ClientConnectionError:
                    assert process.returncode is None, log_path.read_text()[-2000:]
                    await asyncio.sleep(0.2)
        assert body["status"] == "ok"
        assert {"greenhouse", "lever"} <= set(body["connectors"])
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()
