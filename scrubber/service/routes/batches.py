"""``/v1/batches``: files of any size, scrubbed in the background; poll for the outputs."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel
from starlette.responses import FileResponse, Response

from scrubber.service.auth import Principal, require
from scrubber.service.batches import OUTPUTS
from scrubber.service.idempotency import HEADER, REPLAYED, Answer, checked_key, fingerprint
from scrubber.service.problems import Problem, problem_responses
from scrubber.service.routes.common import Parts, ProfileName, parts

router = APIRouter(tags=["batches"])
_OUTPUT_TYPES = {
    "clean.x12": "application/edi-x12",
    "277ca.x12": "application/edi-x12",
    "report.json": "application/json",
    "report.html": "text/html; charset=utf-8",
}


class BatchLinks(BaseModel):
    self: str
    clean_x12: str | None = None
    ack_277ca: str | None = None
    report: str | None = None
    report_html: str | None = None


class BatchStatus(BaseModel):
    """A batch: ``state`` is queued, running, done or failed; ``summary`` (the
    report's) once done; ``error`` (one line) when failed."""

    id: str
    state: str
    profile: str
    as_of: str | None = None
    input_bytes: int
    created: str
    started: str | None = None
    finished: str | None = None
    summary: dict[str, Any] | None = None
    exit_status: int | None = None
    error: str | None = None
    links: BatchLinks


_X12_BODY = {
    "required": True,
    "content": {
        "application/edi-x12": {"schema": {"type": "string"}},
        "text/plain": {"schema": {"type": "string"}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
    },
}


@router.post(
    "/v1/batches",
    summary="Queue an 837 of any size",
    status_code=202,
    response_model=BatchStatus,
    responses={
        202: {"headers": {"Location": {"schema": {"type": "string"}}}},
        **problem_responses(401, 403, 409, 413, 415, 422, 503),
    },
    openapi_extra={"requestBody": _X12_BODY},
)
async def create_batch(
    request: Request,
    principal: Annotated[Principal, Depends(require("batches"))],
    app: Annotated[Parts, Depends(parts)],
    profile: ProfileName = ProfileName.clean,
    as_of: Annotated[
        dt.date | None, Query(description="decides course ends (default today)")
    ] = None,
    idempotency_key: Annotated[str | None, Header(alias=HEADER)] = None,
) -> Response:
    """The body (the 837 itself) is streamed to disk; answered 202 with
    ``Location: /v1/batches/{id}`` to poll."""
    kind = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if kind not in (
        "",
        "application/edi-x12",
        "application/x12",
        "application/edi",
        "text/plain",
        "application/octet-stream",
    ):
        raise Problem(415, "send the 837 itself (application/edi-x12)", "unsupported-media-type")
    key = checked_key(idempotency_key) if idempotency_key is not None else None
    if len(app.spool.queued()) >= app.config.batch_max_queued:
        raise Problem(
            503, "too many batches are queued; retry later", "saturated", {"Retry-After": "30"}
        )
    state = {
        "state": "queued",
        "owner": principal.name,
        "profile": profile.value,
        "as_of": as_of.isoformat() if as_of else None,
        "created": time.time(),
    }
    batch_id, folder, digest = await app.spool.receive(
        request.stream(), app.config.batch_max_bytes, state
    )
    if key is not None:
        print_ = fingerprint("POST", "/v1/batches", request.url.query, request.headers, digest)
        try:
            kept = app.idempotency.begin(principal.name, key, print_)
        except Problem:
            app.spool.discard(folder)
            raise
        if kept is not None:
            app.spool.discard(folder)
            response = _answer(kept)
            response.headers[REPLAYED] = "true"
            return response
    app.spool.commit(folder)
    app.runner.wake.set()
    document = status_of({**state, "id": batch_id, "input_bytes": folder_size(app, batch_id)})
    answer = Answer(
        202,
        "application/json",
        {"Location": f"/v1/batches/{batch_id}"},
        json.dumps(document, separators=(",", ":")).encode(),
    )
    if key is not None:
        app.idempotency.finish(principal.name, key, answer)
    return _answer(answer)


def folder_size(app: Parts, batch_id: str) -> int:
    state = app.spool.state(batch_id)
    return int(state["input_bytes"]) if state else 0


def _answer(answer: Answer) -> Response:
    return Response(answer.body, answer.status, answer.headers, media_type=answer.media_type)


@router.get(
    "/v1/batches/{batch_id}",
    summary="A batch's state, summary and links",
    response_model=BatchStatus,
    responses=problem_responses(401, 403, 404),
)
async def get_batch(
    batch_id: str,
    principal: Annotated[Principal, Depends(require("batches"))],
    app: Annotated[Parts, Depends(parts)],
) -> dict[str, Any]:
    return status_of(_owned(app, batch_id, principal))


@router.get(
    "/v1/batches/{batch_id}/{output}",
    summary="One output of a finished batch: clean.x12, 277ca.x12, report.json or report.html",
    response_class=FileResponse,
    responses={
        200: {
            "content": {
                "application/edi-x12": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "object"}},
                "text/html": {"schema": {"type": "string"}},
            }
        },
        **problem_responses(401, 403, 404, 409),
    },
)
async def get_output(
    batch_id: str,
    output: str,
    principal: Annotated[Principal, Depends(require("batches"))],
    app: Annotated[Parts, Depends(parts)],
) -> FileResponse:
    """404 for an unknown output, or ``clean.x12`` when no claim was
    accepted; 409 while the batch is not done."""
    state = _owned(app, batch_id, principal)
    if output not in OUTPUTS:
        raise Problem(404, f"a batch has no output {output!r}; see its links", "not-found")
    if state["state"] != "done":
        raise Problem(409, f"the batch is {state['state']}, not done", "batch-not-done")
    folder = app.spool.folder(batch_id)
    path = folder / OUTPUTS[output] if folder else None
    if path is None or not path.is_file():
        raise Problem(404, "no claim was accepted: the batch has no cleaned 837", "not-found")
    return FileResponse(path, media_type=_OUTPUT_TYPES[output])


@router.delete(
    "/v1/batches/{batch_id}",
    summary="Remove a batch and its outputs",
    status_code=204,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 409),
)
async def delete_batch(
    batch_id: str,
    principal: Annotated[Principal, Depends(require("batches"))],
    app: Annotated[Parts, Depends(parts)],
) -> Response:
    """409 while the batch is running (delete it once it is done)."""
    state = _owned(app, batch_id, principal)
    if state["state"] == "running":
        raise Problem(409, "the batch is running; delete it when it is done", "batch-running")
    app.spool.delete(batch_id)
    return Response(status_code=204)


def _owned(app: Parts, batch_id: str, principal: Principal) -> dict[str, Any]:
    """The batch's state; 404 when unknown or another key's."""
    state = app.spool.state(batch_id)
    if state is None or state.get("owner") != principal.name:
        raise Problem(404, "no such batch", "not-found")
    return state


def status_of(state: dict[str, Any]) -> dict[str, Any]:
    """The public view of a batch's state."""
    base = f"/v1/batches/{state['id']}"
    links: dict[str, str | None] = {"self": base}
    if state["state"] == "done":
        outputs = set(state.get("outputs", ()))
        links["clean_x12"] = f"{base}/clean.x12" if OUTPUTS["clean.x12"] in outputs else None
        links["ack_277ca"] = f"{base}/277ca.x12"
        links["report"] = f"{base}/report.json"
        links["report_html"] = f"{base}/report.html"
    return {
        "id": state["id"],
        "state": state["state"],
        "profile": state["profile"],
        "as_of": state.get("as_of"),
        "input_bytes": state.get("input_bytes", 0),
        "created": _iso(state["created"]),
        "started": _iso(state.get("started")),
        "finished": _iso(state.get("finished")),
        "summary": state.get("summary"),
        "exit_status": state.get("exit_status"),
        "error": state.get("error"),
        "links": links,
    }


def _iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    return dt.datetime.fromtimestamp(moment, dt.UTC).isoformat(timespec="seconds")
