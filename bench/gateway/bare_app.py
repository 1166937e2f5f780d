"""The baseline: a bare FastAPI endpoint that parses the same body and answers a 201 like ours,
with no auth, rate limit, Redis or Kafka. Served by uvicorn exactly as the gateway is."""

from __future__ import annotations

import secrets

from fastapi import FastAPI
from pydantic import BaseModel, EmailStr


class Body(BaseModel):
    candidate_email: EmailStr
    candidate_name: str
    scenario_id: str
    callback_url: str | None = None
    metadata: dict[str, str] = {}


app = FastAPI()


@app.post("/v1/assessments", status_code=201)
async def create(body: Body) -> dict[str, str]:
    token = secrets.token_urlsafe(9)
    return {"id": f"asmt_{token}", "status": "pending", "candidate_url": f"https://app.lextalent.ai/challenge/{token}",
            "expires_at": "2026-03-02T00:00:00Z", "created_at": "2026-02-23T10:30:00Z"}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
