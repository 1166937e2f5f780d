"""The internal management API (filled in below)."""

from __future__ import annotations

from fastapi import FastAPI


def install_api(app: FastAPI) -> None:
    @app.get("/internal/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}
