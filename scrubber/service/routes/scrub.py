"""``POST /v1/scrub``: one claim up to a small file, answered at once."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from scrubber.service import bodies, jobs
from scrubber.service.auth import Principal, require
from scrubber.service.idempotency import HEADER, REPLAYED, Answer, checked_key, fingerprint
from scrubber.service.problems import Problem, problem_responses
from scrubber.service.routes.common import Parts, ProfileName, parts

router = APIRouter(tags=["scrub"])
X12 = "application/edi-x12"
HTML = "text/html"
#: What the Accept header asks for: the cleaned 837, the worklist page, else JSON.
_ANSWERS = {X12: "x12", HTML: "html"}
SUMMARY_HEADER = "X-Scrubber-"


class ScrubResponse(BaseModel):
    """The scrub of one request: ``report`` is the ``S.report.json`` document,
    ``clean_x12`` the cleaned 837 (``null`` when no claim is accepted),
    ``ack_277ca`` the 277CA, ``exit_status`` 0 (all accepted) or 1."""

    report: dict[str, Any]
    clean_x12: str | None
    ack_277ca: str
    exit_status: int


_BODY = {
    "required": True,
    "content": {
        X12: {"schema": {"type": "string"}},
        "text/plain": {"schema": {"type": "string"}},
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["x12"],
                "properties": {"x12": {"type": "string"}},
            },
        },
    },
}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The scrub (a rejected claim is a result, not an error). With "
        "Accept: application/edi-x12, the cleaned 837 alone (empty when no claim is "
        "accepted) and the summary in X-Scrubber-* headers; with Accept: text/html, the "
        "worklist page (S.report.html).",
        "content": {
            "application/json": {"schema": ScrubResponse.model_json_schema()},
            X12: {"schema": {"type": "string"}},
            HTML: {"schema": {"type": "string"}},
        },
    },
    **problem_responses(401, 403, 409, 413, 415, 422, 503),
}


@router.post(
    "/v1/scrub",
    summary="Scrub an 837 and answer at once",
    responses=_RESPONSES,
    openapi_extra={"requestBody": _BODY},
    response_class=Response,
)
async def scrub(
    request: Request,
    principal: Annotated[Principal, Depends(require("scrub"))],
    app: Annotated[Parts, Depends(parts)],
    profile: ProfileName = ProfileName.clean,
    as_of: Annotated[
        dt.date | None, Query(description="decides course ends (default today)")
    ] = None,
    record: Annotated[
        bool, Query(description="false: check against the history, record nothing")
    ] = True,
    idempotency_key: Annotated[str | None, Header(alias=HEADER)] = None,
) -> Response:
    """Scrub the 837 in the body (limits: ``sync_max_claims`` claims and
    ``sync_max_bytes`` bytes; larger inputs go to ``POST /v1/batches``)."""
    config = app.config
    too_large = (
        f"POST /v1/scrub takes at most {config.sync_max_claims} claims and "
        f"{config.sync_max_bytes} bytes; send larger files to POST /v1/batches"
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > config.sync_max_bytes:
        raise Problem(413, too_large, "too-large")
    raw = await bodies.read_limited(request.stream(), config.sync_max_bytes, too_large)
    key = checked_key(idempotency_key) if idempotency_key is not None else None
    if key is not None:
        print_ = fingerprint(
            "POST", "/v1/scrub", request.url.query, request.headers, hashlib.sha256(raw).hexdigest()
        )
        kept = app.idempotency.begin(principal.name, key, print_)
        if kept is not None:
            return _replay(kept)
    try:
        answer = await _scrub(request, app, raw, profile.value, as_of, record, too_large)
    except Problem as problem:
        if key is not None:
            app.idempotency.abandon(principal.name, key)
        raise problem
    except BaseException:
        if key is not None:
            app.idempotency.abandon(principal.name, key)
        raise
    if key is not None:
        app.idempotency.finish(principal.name, key, answer)
    return _response(answer)


async def _scrub(
    request: Request,
    app: Parts,
    raw: bytes,
    profile: str,
    as_of: dt.date | None,
    record: bool,
    too_large: str,
) -> Answer:
    body = bodies.decode(raw, request.headers.get("content-type"))
    if bodies.claim_count(body) > app.config.sync_max_claims:
        raise Problem(413, too_large, "too-large")
    answer = _answer_for(request.headers.get("accept"))
    async with app.admission.slot():
        result = await app.pool.call(jobs.scrub_request, body, profile, as_of, record, answer, "-")
    if result.unusable:
        raise Problem(422, f"scrubber: -: {result.unusable}", "unusable-x12")
    if result.unavailable:
        raise Problem(503, result.unavailable, "history-unavailable", {"Retry-After": "5"})
    app.metrics.count_claims(result.summary)
    headers = {
        f"{SUMMARY_HEADER}{key.title()}": str(value) for key, value in result.summary.items()
    }
    headers[f"{SUMMARY_HEADER}Exit-Status"] = str(result.exit_status)
    headers[f"{SUMMARY_HEADER}Clean"] = "yes" if result.has_clean else "no"
    return Answer(200, result.media_type, headers, result.body)


def _answer_for(accept: str | None) -> str:
    """What the Accept header asks for first: ``x12``, ``html`` or ``json``
    (the default, also for ``*/*``)."""
    for part in (accept or "").split(","):
        wanted = _ANSWERS.get(bodies.media_type(part))
        if wanted is not None:
            return wanted
        if bodies.media_type(part) in ("application/json", "application/problem+json"):
            return "json"
    return "json"


def _response(answer: Answer) -> Response:
    return Response(answer.body, answer.status, answer.headers, media_type=answer.media_type)


def _replay(answer: Answer) -> Response:
    response = _response(answer)
    response.headers[REPLAYED] = "true"
    return response
