"""The access log and request metrics, as one ASGI middleware.

Every request gets an id (the caller's ``X-Request-ID`` when it is a plain
token of up to 64 characters, else a new one), echoed in the ``X-Request-ID``
response header and in the log line. The line holds the method, the route
template (``/v1/batches/{batch_id}``, never the path sent), the status, the
duration and the request id: no body, no query values, no header values
(uvicorn's own access log is turned off: it prints the query string).
"""

from __future__ import annotations

import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scrubber.logs import get_logger
from scrubber.service.metrics import Metrics

REQUEST_ID = "X-Request-ID"
_SAFE_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")


class AccessLog:
    """See the module docstring."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self.log = get_logger("scrubber.service.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = _route(scope)
            self.metrics.observe(scope["method"], route, status, seconds)
            self.log.info(
                "http.request",
                method=scope["method"],
                route=route,
                status=status,
                duration_ms=round(seconds * 1000, 2),
                request_id=request_id,
            )


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id" and _SAFE_ID.fullmatch(value):
            return str(value.decode())
    return uuid.uuid4().hex


def _route(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"
