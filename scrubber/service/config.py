"""The service's settings (what ``scrubber serve`` is given)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

MB = 1 << 20
DAY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class ServiceConfig:
    """Everything the app needs; defaults are those of ``scrubber serve``.

    ``workers``: processes of the scrub pool (default: the CPU count);
    ``queue``: requests that may wait for a worker beyond those running
    (admission control: more get 503); ``sync_max_claims`` /
    ``sync_max_bytes``: the largest body ``POST /v1/scrub`` takes (more get
    413 naming ``/v1/batches``); ``batch_max_bytes``: the largest batch;
    ``retention_seconds``: how long a finished batch is kept;
    ``idempotency_seconds`` / ``idempotency_max``: how long and how many
    stored responses are kept for ``Idempotency-Key`` replays."""

    spool: Path
    history: str | None = None
    policy: Path | None = None
    courses: Path | None = None
    api_keys: Path | None = None
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    queue: int = 0  # 0: eight per worker
    sync_max_claims: int = 2000
    sync_max_bytes: int = 5 * MB
    batch_max_bytes: int = 2048 * MB
    batch_max_queued: int = 100
    retention_seconds: int = 7 * DAY_SECONDS
    idempotency_seconds: int = DAY_SECONDS
    idempotency_max: int = 10_000
    idempotency_max_body: int = 16 * MB

    @property
    def capacity(self) -> int:
        """Requests admitted at once (running plus waiting for a worker)."""
        return self.workers + (self.queue or 8 * self.workers)
