"""``GET /v1/rules`` and ``GET /v1/rules/{code}``: the catalogue as
``scrubber rules --format json`` prints it."""

from __future__ import annotations

import functools
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.responses import Response

from scrubber.rules.catalogue import catalogue, rule_as_dict
from scrubber.service.auth import Principal, require
from scrubber.service.problems import Problem, problem_responses

router = APIRouter(tags=["rules"])
_RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code", "name", "rule_set", "era", "actions"],
    "properties": {
        "code": {"type": "string"},
        "name": {"type": "string"},
        "rule_set": {"type": "string"},
        "era": {"type": "string"},
        "stage": {"type": "string"},
        "actions": {"type": "object"},
        "status_codes": {"type": ["string", "null"]},
        "fix_available": {"type": "boolean"},
        "trigger": {"type": "string"},
        "message": {"type": "string"},
        "fix": {"type": "string"},
        "citation": {"type": "string"},
        "example": {"type": "string"},
    },
}


@functools.cache
def _documents() -> dict[str, dict[str, Any]]:
    return {rule.code: rule_as_dict(rule, rule_set) for rule_set, rule in catalogue()}


def _json(document: object) -> Response:
    return Response(json.dumps(document, indent=2) + "\n", media_type="application/json")


@router.get(
    "/v1/rules",
    summary="The rule catalogue",
    response_class=Response,
    responses={
        200: {
            "content": {"application/json": {"schema": {"type": "array", "items": _RULE_SCHEMA}}}
        },
        **problem_responses(401, 403),
    },
)
async def list_rules(_: Annotated[Principal, Depends(require("rules"))]) -> Response:
    """Every rule: code, name, era, action per profile, 277CA codes, citation, example."""
    return _json(list(_documents().values()))


@router.get(
    "/v1/rules/{code}",
    summary="One rule, explained",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {"schema": _RULE_SCHEMA}}},
        **problem_responses(401, 403, 404),
    },
)
async def get_rule(code: str, _: Annotated[Principal, Depends(require("rules"))]) -> Response:
    document = _documents().get(code.strip().upper())
    if document is None:
        raise Problem(404, "unknown rule code", "not-found")
    return _json(document)
