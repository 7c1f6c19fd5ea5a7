"""The FastAPI app: :func:`create_app` wires the parts and the routes.

Started by ``scrubber serve`` (uvicorn) or any ASGI server. At startup the
worker pools start (each worker sets itself up once), interrupted batches
are requeued and the batch runner starts; ``/readyz`` answers 200 once the
workers are up.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from scrubber import __version__
from scrubber.service import problems
from scrubber.service.access import AccessLog
from scrubber.service.auth import Authenticator, load_keys
from scrubber.service.batches import BatchRunner, BatchSpool
from scrubber.service.config import ServiceConfig
from scrubber.service.idempotency import IdempotencyStore
from scrubber.service.jobs import WorkerSettings
from scrubber.service.metrics import Metrics
from scrubber.service.problems import ProblemDocument
from scrubber.service.routes import batches, health, rules, scrub
from scrubber.service.routes.common import Parts
from scrubber.service.workers import Admission, PipePool, Pool

DESCRIPTION = """Scrub radiation-oncology image-guidance claims (X12 837P/837I) before submission.

`POST /v1/scrub` answers at once for one claim up to a small file; `POST /v1/batches`
takes files of any size and is polled. Errors are RFC 9457 `application/problem+json`.
"""


def create_app(config: ServiceConfig, log_level: str = "info") -> FastAPI:
    """The service's app (the parts start with the app's lifespan)."""
    metrics = Metrics()
    app = FastAPI(
        title="scrubber",
        version=__version__,
        description=DESCRIPTION,
        lifespan=_lifespan(config, metrics, log_level),
    )
    app.state.auth = Authenticator(load_keys(config.api_keys))
    problems.install(app)
    for module in (scrub, batches, rules, health):
        app.include_router(module.router)
    app.add_middleware(AccessLog, metrics=metrics)
    _add_problem_schema(app)
    return app


def _lifespan(config: ServiceConfig, metrics: Metrics, log_level: str) -> Any:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        parts = _start(config, metrics, log_level)
        app.state.parts = parts
        parts.spool.recover()
        metrics.watch(
            lambda: dict(parts.spool.counts()),
            lambda: (parts.admission.capacity, parts.admission.in_flight, parts.pool.size),
        )
        await asyncio.gather(parts.pool.warm(), parts.batch_pool.warm())
        parts.ready = True
        runner = asyncio.create_task(parts.runner.run_forever())
        try:
            yield
        finally:
            parts.ready = False
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
            await asyncio.to_thread(_stop, parts)

    return lifespan


def _start(config: ServiceConfig, metrics: Metrics, log_level: str) -> Parts:
    config.spool.mkdir(parents=True, exist_ok=True, mode=0o700)  # it holds PHI: owner only
    settings = WorkerSettings(
        history=config.history,
        policy=str(config.policy) if config.policy else None,
        courses=str(config.courses) if config.courses else None,
        log_level=log_level,
    )
    pool = PipePool(config.workers, settings)
    batch_pool = Pool(1, settings)
    spool = BatchSpool(config.spool)
    probe = None
    if config.history:
        from scrubber.history import open_store

        probe = open_store(config.history)
    return Parts(
        config=config,
        pool=pool,
        batch_pool=batch_pool,
        admission=Admission(config.capacity),
        idempotency=IdempotencyStore(
            config.spool / "idempotency.sqlite3",
            config.idempotency_seconds,
            config.idempotency_max,
            config.idempotency_max_body,
        ),
        spool=spool,
        runner=BatchRunner(spool, batch_pool, config.workers, config.retention_seconds),
        metrics=metrics,
        probe=probe,
    )


def _stop(parts: Parts) -> None:
    parts.pool.close()
    parts.batch_pool.close(kill=True)  # a batch may run for long: it is requeued
    parts.idempotency.close()
    if parts.probe is not None:
        parts.probe.close()


def _add_problem_schema(app: FastAPI) -> None:
    """Put ProblemDocument into the OpenAPI components (the routes refer to it)."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = original()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schemas["ProblemDocument"] = ProblemDocument.model_json_schema()
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
