"""What the routes share: the app's parts, reached from the request."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from fastapi import Request

from scrubber.service.batches import BatchRunner, BatchSpool
from scrubber.service.config import ServiceConfig
from scrubber.service.idempotency import IdempotencyStore
from scrubber.service.metrics import Metrics
from scrubber.service.workers import Admission, PipePool, Pool

if TYPE_CHECKING:
    from scrubber.history import HistoryStore


class ProfileName(StrEnum):
    """The scrub profile: ``clean`` corrects claims, ``strict`` never alters one."""

    clean = "clean"
    strict = "strict"


@dataclass
class Parts:
    """The app's long-lived parts (``app.state.parts``)."""

    config: ServiceConfig
    pool: PipePool
    batch_pool: Pool
    admission: Admission
    idempotency: IdempotencyStore
    spool: BatchSpool
    runner: BatchRunner
    metrics: Metrics
    probe: HistoryStore | None = None  # the server process's own, for /readyz only
    ready: bool = False


def parts(request: Request) -> Parts:
    found: Parts = request.app.state.parts
    return found
