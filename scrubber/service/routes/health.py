"""``/healthz`` (the process answers), ``/readyz`` (it can scrub), ``/metrics``."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import JSONResponse, Response

from scrubber.service.problems import problem_responses
from scrubber.service.routes.common import Parts, parts

if TYPE_CHECKING:
    from scrubber.history import HistoryStore

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: workers started, spool writable, history store reachable",
    responses=problem_responses(503),
)
async def readyz(app: Annotated[Parts, Depends(parts)]) -> Any:
    checks = {"workers": app.ready, "spool": app.spool.root.is_dir()}
    if app.probe is not None:
        checks["history"] = await asyncio.to_thread(_history_ok, app.probe)
    ready = all(checks.values())
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    if ready:
        return body
    return JSONResponse(
        {
            "type": "urn:scrubber:problem:not-ready",
            "title": "Service Unavailable",
            "status": 503,
            "detail": "not ready",
            **body,
        },
        status_code=503,
        media_type="application/problem+json",
        headers={"Retry-After": "1"},
    )


def _history_ok(store: HistoryStore) -> bool:
    """Whether the history store answers."""
    from scrubber.history import HistoryError

    try:
        store.ping()
    except HistoryError:
        return False
    return True


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics(app: Annotated[Parts, Depends(parts)]) -> Response:
    return Response(generate_latest(app.metrics.registry), media_type=CONTENT_TYPE_LATEST)
