"""Errors as RFC 9457 problem details (``application/problem+json``), always.

:class:`Problem` is raised by the routes; :func:`install` makes FastAPI's own
errors (404, 405, request validation) and anything unexpected answer the same
way. ``detail`` never quotes a request value that could hold PHI: unusable
X12 gets the CLI's one-line message (segment position and problem).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from scrubber.logs import get_logger

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:scrubber:problem:"


class ProblemDocument(BaseModel):
    """The problem document (RFC 9457); ``errors`` lists invalid request fields."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None


class Problem(Exception):
    """An HTTP error answered as a problem document. ``kind`` becomes the
    ``type`` URN (``about:blank`` when empty: the status says it all)."""

    def __init__(
        self,
        status: int,
        detail: str,
        kind: str = "",
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.headers = dict(headers or {})
        self.extra = extra


def problem_response(
    status: int,
    detail: str | None,
    kind: str = "",
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    """The ``application/problem+json`` response of one error."""
    document: dict[str, Any] = {
        "type": TYPE_PREFIX + kind if kind else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        document["detail"] = detail
    document.update(extra)
    body = json.dumps(document, separators=(",", ":")).encode()
    return Response(body, status_code=status, media_type=MEDIA_TYPE, headers=dict(headers or {}))


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for these error statuses."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}},
        }
        for status in statuses
    }


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` as a problem document."""
    app.add_exception_handler(Problem, _on_problem)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _on_http)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_unexpected)


async def _on_problem(request: Request, error: Problem) -> Response:
    return problem_response(error.status, error.detail, error.kind, error.headers, **error.extra)


async def _on_http(request: Request, error: StarletteHTTPException) -> Response:
    detail: str | None = error.detail if isinstance(error.detail, str) else None
    if detail == HTTPStatus(error.status_code).phrase:
        detail = None
    return problem_response(error.status_code, detail, headers=error.headers)


async def _on_validation(request: Request, error: RequestValidationError) -> Response:
    """422 naming each invalid field and why; never the value sent."""
    errors = [
        {"location": ".".join(str(part) for part in item.get("loc", ())), "problem": item["msg"]}
        for item in error.errors()
    ]
    return problem_response(422, "the request is invalid", "invalid-request", errors=errors)


async def _on_unexpected(request: Request, error: Exception) -> Response:
    get_logger("scrubber.service").error(
        "http.unexpected_error", error=type(error).__name__, path=request.scope.get("route_path")
    )
    return problem_response(500, "internal error (logged with the request id)", "internal")
