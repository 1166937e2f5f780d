"""`/v1/assessments`: create, read, list, cancel, extend and (test mode) simulate."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel

from hub_contracts.assessment import AssessmentSnapshot, AssessmentStatus, Candidate
from hub_contracts.base import isoformat_z, new_id, utcnow
from hub_contracts.commands import CancelAssessment, CommandBase, CreateAssessment, ExtendAssessment, SimulateAssessment
from hub_contracts.ids import challenge_token, is_assessment_id, new_assessment_id
from hub_contracts.results import AgenticReadinessResults, Integrity, band_for
from hub_contracts.scenarios import SCENARIOS
from hub_contracts.views import AssessmentCreatedResponse, AssessmentView, assessment_view
from hub_gateway.auth import Principal
from hub_gateway.dependencies import Caller, Components, Parts, count_request, lean_caller
from hub_gateway.idempotent_post import idempotent, json_response
from hub_gateway.lean_route import LeanRoute, json_request_body, read_json_body
from hub_gateway.problems import FieldError, ProblemError, problem_responses
from hub_gateway.reads import ListFilter, encode_cursor
from hub_gateway.requests import (
    CallbackUrlError,
    CancelAssessmentRequest,
    CreateAssessmentRequest,
    ExtendAssessmentRequest,
    SimulateAssessmentRequest,
    check_callback_url,
    default_dimensions,
)

router = APIRouter(prefix="/v1/assessments", tags=["assessments"])

NOT_FOUND_DETAIL = "No assessment with that id."


class AssessmentList(BaseModel):
    object: Literal["list"] = "list"
    data: list[AssessmentView]
    has_more: bool
    next_cursor: str | None


ISO_DATETIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$"


def _parse_time(field: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ProblemError(400, "invalid_request", f"{field}: not an RFC 3339 timestamp",
                           errors=[FieldError(field=field, message="not an RFC 3339 timestamp")]) from None


def _not_found() -> ProblemError:
    return ProblemError(404, "not_found", NOT_FOUND_DETAIL)


def _seconds(value: datetime) -> datetime:
    return value.replace(microsecond=0)


def _traceparent(request: Request) -> str | None:
    return request.headers.get("traceparent")


async def create_assessment(request: Request) -> Response:
    """Create an assessment session for a candidate; returns the URL to send them.

    Answered only after the command is durably stored in Kafka. Send an `Idempotency-Key` header
    to retry safely: the same key and body within 24 h replays the first response."""
    principal, parts = await lean_caller(request)
    if "idempotency-key" in request.headers:
        await count_request(request, parts, principal)
        body = await read_json_body(request, CreateAssessmentRequest)

        async def run() -> Response:
            command, provisional = _prepare(body, principal, parts)
            return await _commit(command, provisional, request, parts, pending_written=False)

        return await idempotent(request, principal, parts, run)
    try:
        command, provisional = _prepare(await read_json_body(request, CreateAssessmentRequest), principal, parts)
    except (ProblemError, RequestValidationError):
        await count_request(request, parts, principal)  # a bad request counts too, and 429 comes first
        raise
    # One Redis round trip: the request is counted and, if allowed, its pending record written.
    await count_request(request, parts, principal, then_set=parts.reader.pending_record(provisional))
    return await _commit(command, provisional, request, parts, pending_written=True)


router.add_api_route(
    "", create_assessment, methods=["POST"], route_class_override=LeanRoute, status_code=201,
    response_model=AssessmentCreatedResponse, openapi_extra=json_request_body(CreateAssessmentRequest),
    responses=problem_responses(400, 401, 403, 409, 413, 415, 429, 500, 503),
)


def _prepare(body: CreateAssessmentRequest, principal: Principal,
             parts: Components) -> tuple[CreateAssessment, AssessmentSnapshot]:
    """The command and the provisional snapshot of a validated body (400 for an unknown scenario or a
    callback URL we will not call)."""
    settings = parts.settings
    if body.scenario_id not in SCENARIOS:
        raise ProblemError(400, "unknown_scenario", f"Unknown scenario_id {body.scenario_id!r}. "
                           "GET /v1/scenarios lists them.",
                           errors=[FieldError(field="scenario_id", message="unknown scenario")])
    if body.callback_url is not None:
        try:
            check_callback_url(body.callback_url, settings.allow_http_loopback_callbacks)
        except CallbackUrlError as exc:
            raise ProblemError(400, "invalid_callback_url", f"callback_url {exc}.",
                               errors=[FieldError(field="callback_url", message=str(exc))]) from None
    now = _seconds(utcnow())
    assessment_id = new_assessment_id()
    # The request body is validated already: build the command and snapshot without validating again
    # (EmailStr alone costs more than the rest of the request).
    command = CreateAssessment.model_construct(
        command_id=new_id("cmd"), assessment_id=assessment_id, account_id=principal.account_id,
        livemode=principal.livemode, issued_at=now, source="api",
        candidate=Candidate.model_construct(email=body.candidate_email, name=body.candidate_name),
        scenario_id=body.scenario_id, callback_url=body.callback_url, metadata=body.metadata,
        candidate_url=settings.candidate_app_url + challenge_token(assessment_id),
        created_at=now, expires_at=now + timedelta(days=body.expires_in_days),
    )
    provisional = AssessmentSnapshot.model_construct(
        id=assessment_id, account_id=command.account_id, livemode=command.livemode,
        status=AssessmentStatus.PENDING, version=1, candidate=command.candidate, scenario_id=command.scenario_id,
        callback_url=command.callback_url, metadata=command.metadata, candidate_url=command.candidate_url,
        source="api", created_at=now, updated_at=now, expires_at=command.expires_at, started_at=None,
        completed_at=None, cancelled_at=None, expired_at=None, cancellation_reason=None, results=None,
    )
    return command, provisional


async def _commit(command: CreateAssessment, provisional: AssessmentSnapshot, request: Request,
                  parts: Components, *, pending_written: bool) -> Response:
    """The durable command (and the pending record, unless written already), then the 201. If either
    fails, the pending record is removed and the caller gets the publisher's 503 (or the error)."""
    publish = parts.publisher.publish(command, _traceparent(request))
    if pending_written:
        try:
            await publish
        except BaseException:
            await parts.reader.forget_pending(command.assessment_id)
            raise
    else:
        pending, published = await asyncio.gather(parts.reader.remember_pending(provisional), publish,
                                                  return_exceptions=True)
        if isinstance(pending, BaseException) or isinstance(published, BaseException):
            await parts.reader.forget_pending(command.assessment_id)
            raise published if isinstance(published, BaseException) else pending  # type: ignore[misc]
    created = AssessmentCreatedResponse.model_construct(
        id=command.assessment_id, status="pending", candidate_url=command.candidate_url,
        expires_at=isoformat_z(command.expires_at), created_at=isoformat_z(command.created_at))
    response = json_response(created.to_json(), 201)
    response.headers["location"] = f"/v1/assessments/{command.assessment_id}"
    return response


async def _load(parts: Components, principal: Principal, assessment_id: str) -> AssessmentSnapshot:
    if not is_assessment_id(assessment_id):
        raise _not_found()
    snapshot = await parts.reader.get(principal.account_id, principal.livemode, assessment_id)
    if snapshot is None:
        raise _not_found()
    return snapshot


@router.get("/{assessment_id}", response_model=AssessmentView,
            responses=problem_responses(401, 403, 404, 429))
async def get_assessment(assessment_id: str, principal: Caller, parts: Parts) -> Response:
    """An assessment with its state, candidate, metadata and, once completed, its results."""
    snapshot = await _load(parts, principal, assessment_id)
    return json_response(assessment_view(snapshot).to_json(), 200)


@router.get("", response_model=AssessmentList, responses=problem_responses(400, 401, 403, 429))
async def list_assessments(
    principal: Caller, parts: Parts,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page")] = None,
    starting_after: Annotated[str | None, Query(description="An assessment id: the page after it")] = None,
    status: AssessmentStatus | None = None,
    scenario_id: str | None = None,
    candidate_email: str | None = None,
    created_after: Annotated[str | None, Query(pattern=ISO_DATETIME, examples=["2026-02-01T00:00:00Z"],
                                               json_schema_extra={"format": "date-time"})] = None,
    created_before: Annotated[str | None, Query(pattern=ISO_DATETIME, examples=["2026-03-01T00:00:00Z"],
                                                json_schema_extra={"format": "date-time"})] = None,
    metadata_key: Annotated[str | None, Query(max_length=40)] = None,
    metadata_value: Annotated[str | None, Query(max_length=500)] = None,
) -> AssessmentList:
    """Newest first, cursor-paginated, with filters. `metadata_value` needs `metadata_key`; non-string
    metadata values match their JSON text (`true`, `42`)."""
    if metadata_value is not None and metadata_key is None:
        raise ProblemError(400, "invalid_request", "metadata_value needs metadata_key.",
                           errors=[FieldError(field="metadata_value", message="needs metadata_key")])
    if starting_after is not None and cursor is None:
        try:
            anchor = await _load(parts, principal, starting_after)
        except ProblemError:
            raise ProblemError(400, "invalid_cursor", "starting_after names no assessment of this account.",
                               errors=[FieldError(field="starting_after", message="unknown id")]) from None
        cursor = encode_cursor(int(anchor.created_at.timestamp() * 1000), anchor.id)
    flt = ListFilter(status=status.value if status else None, scenario_id=scenario_id,
                     candidate_email=candidate_email, created_after=_parse_time("created_after", created_after),
                     created_before=_parse_time("created_before", created_before),
                     metadata_key=metadata_key, metadata_value=metadata_value)
    try:
        page = await parts.reader.list(principal.account_id, principal.livemode, limit, cursor, flt)
    except (ValueError, TypeError):
        raise ProblemError(400, "invalid_cursor", "The cursor is not valid.") from None
    return AssessmentList(data=[assessment_view(s) for s in page.items], has_more=page.has_more,
                          next_cursor=page.next_cursor)


async def _send_and_wait(parts: Components, request: Request, command: CommandBase) -> Response:
    """Publish a state-changing command and wait for its outcome: 200 with the new state, 409 when
    refused, 202 when the outcome did not arrive in time (it still will be applied or refused)."""
    await parts.publisher.publish(command, _traceparent(request))
    outcome = await parts.outcomes.wait(command.command_id)
    if outcome is None:
        snapshot = await parts.reader.get(command.account_id, command.livemode, command.assessment_id)
        if snapshot is None:
            raise _not_found()
        return json_response(assessment_view(snapshot).to_json(), 202)
    if outcome.outcome == "refused":
        if outcome.code == "not_found":
            raise _not_found()
        status = 409 if outcome.code == "invalid_state" else 400
        raise ProblemError(status, outcome.code or "refused", outcome.reason or "refused")
    snapshot = await parts.reader.get(command.account_id, command.livemode, command.assessment_id)
    if snapshot is None:
        raise _not_found()
    return json_response(assessment_view(snapshot).to_json(), 200)


def _refuse_terminal(snapshot: AssessmentSnapshot, action: str) -> None:
    if snapshot.status.is_terminal:
        raise ProblemError(409, "invalid_state",
                           f"cannot {action} an assessment that is {snapshot.status.value}")


@router.post("/{assessment_id}/cancel", response_model=AssessmentView,
             responses={202: {"model": AssessmentView, "description": "Accepted; outcome pending"},
                        **problem_responses(400, 401, 403, 404, 409, 429, 503)})
async def cancel_assessment(assessment_id: str, request: Request, principal: Caller, parts: Parts,
                            body: CancelAssessmentRequest | None = None) -> Response:
    """Cancel a pending or in-progress assessment."""
    async def run() -> Response:
        snapshot = await _load(parts, principal, assessment_id)
        _refuse_terminal(snapshot, "cancel")
        command = CancelAssessment(command_id=new_id("cmd"), assessment_id=assessment_id,
                                   account_id=principal.account_id, livemode=principal.livemode,
                                   issued_at=utcnow(), reason=body.reason if body else None)
        return await _send_and_wait(parts, request, command)

    return await idempotent(request, principal, parts, run)


@router.post("/{assessment_id}/extend", response_model=AssessmentView,
             responses={202: {"model": AssessmentView, "description": "Accepted; outcome pending"},
                        **problem_responses(400, 401, 403, 404, 409, 429, 503)})
async def extend_assessment(assessment_id: str, body: ExtendAssessmentRequest, request: Request,
                            principal: Caller, parts: Parts) -> Response:
    """Move `expires_at` of a pending or in-progress assessment to now + `expires_in_days`."""
    async def run() -> Response:
        snapshot = await _load(parts, principal, assessment_id)
        _refuse_terminal(snapshot, "extend")
        command = ExtendAssessment(command_id=new_id("cmd"), assessment_id=assessment_id,
                                   account_id=principal.account_id, livemode=principal.livemode,
                                   issued_at=utcnow(),
                                   expires_at=_seconds(utcnow()) + timedelta(days=body.expires_in_days))
        return await _send_and_wait(parts, request, command)

    return await idempotent(request, principal, parts, run)


@router.post("/{assessment_id}/simulate", response_model=AssessmentView,
             responses={202: {"model": AssessmentView, "description": "Accepted; outcome pending"},
                        **problem_responses(400, 401, 403, 404, 409, 429, 503)})
async def simulate_assessment(assessment_id: str, body: SimulateAssessmentRequest, request: Request,
                              principal: Caller, parts: Parts) -> Response:
    """Test mode only: drive an assessment as the candidate and the scoring engine would."""
    async def run() -> Response:
        if principal.livemode:
            raise ProblemError(403, "test_mode_only", "Only test-mode keys (lt_sk_test_…) can simulate.")
        snapshot = await _load(parts, principal, assessment_id)
        results = None
        if body.outcome == "completed":
            score = 75 if body.overall_score is None else body.overall_score
            results = AgenticReadinessResults(
                overall_score=score, band=band_for(score), dimensions=default_dimensions(score),
                percentile=float(min(99, score)), integrity=Integrity(),
                report_url=f"https://app.lextalent.ai/reports/{challenge_token(snapshot.id)}",
                duration_seconds=2700, completed_at=_seconds(utcnow()),
            )
        command = SimulateAssessment(command_id=new_id("cmd"), assessment_id=assessment_id,
                                     account_id=principal.account_id, livemode=False, issued_at=utcnow(),
                                     outcome=body.outcome, results=results)
        return await _send_and_wait(parts, request, command)

    return await idempotent(request, principal, parts, run)

