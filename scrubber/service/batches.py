"""Batches on disk: the spool directory holds each batch's input, state and outputs.

``SPOOL/batches/ID/`` holds ``input.x12`` (the body as it came, streamed to
disk, never held in memory), ``state.json`` (replaced atomically) and, once
done, ``batch.clean.x12``, ``batch.277ca.x12``, ``batch.report.json``. An
upload is written under ``.incoming-ID`` and renamed when complete, so a
half-received body is never queued. Because the state is on disk, a batch
accepted before a restart is finished after it: :meth:`BatchSpool.recover`
puts the batches that were running back in the queue. :class:`BatchRunner`
runs queued batches one at a time, oldest first, and removes finished ones
after the retention time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from scrubber.logs import get_logger
from scrubber.service import jobs
from scrubber.service.problems import Problem
from scrubber.service.workers import Pool

STATES = ("queued", "running", "done", "failed")
MAX_ATTEMPTS = 3
INPUT = "input.x12"
OUTPUTS = {
    "clean.x12": f"{jobs.BATCH_STEM}.clean.x12",
    "277ca.x12": f"{jobs.BATCH_STEM}.277ca.x12",
    "report.json": f"{jobs.BATCH_STEM}.report.json",
    "report.html": f"{jobs.BATCH_STEM}.report.html",
}
_ID = re.compile(r"[0-9a-f]{32}")
_INCOMING = ".incoming-"


class BatchSpool:
    """The batches under ``root`` (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root / "batches"
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def folder(self, batch_id: str) -> Path | None:
        """The batch's folder, or ``None`` (unknown or malformed id)."""
        if not _ID.fullmatch(batch_id):
            return None
        folder = self.root / batch_id
        return folder if (folder / "state.json").is_file() else None

    def state(self, batch_id: str) -> dict[str, Any] | None:
        folder = self.folder(batch_id)
        if folder is None:
            return None
        try:
            state: dict[str, Any] = json.loads((folder / "state.json").read_text("utf-8"))
        except (OSError, ValueError):
            return None  # deleted meanwhile
        return state

    def save(self, folder: Path, state: dict[str, Any]) -> None:
        temporary = folder / "state.json.tmp"
        temporary.write_text(json.dumps(state, sort_keys=True), "utf-8")
        os.replace(temporary, folder / "state.json")

    async def receive(
        self, chunks: AsyncIterator[bytes], limit: int, state: dict[str, Any]
    ) -> tuple[str, Path, str]:
        """Stream ``chunks`` to a new incoming folder; its id, folder and the
        body's SHA-256. 413 (nothing kept) past ``limit`` bytes. Call
        :meth:`commit` to queue it or :meth:`discard`."""
        import hashlib

        batch_id = uuid.uuid4().hex
        folder = self.root / f"{_INCOMING}{batch_id}"
        folder.mkdir()
        digest = hashlib.sha256()
        size = 0
        try:
            with (folder / INPUT).open("wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise Problem(413, f"a batch may hold at most {limit} bytes", "too-large")
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self.save(folder, {**state, "id": batch_id, "input_bytes": size})
        return batch_id, folder, digest.hexdigest()

    def commit(self, folder: Path) -> None:
        """Queue a received batch."""
        os.replace(folder, self.root / folder.name.removeprefix(_INCOMING))

    def discard(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)

    def delete(self, batch_id: str) -> bool:
        folder = self.folder(batch_id)
        if folder is None:
            return False
        trash = self.root / f"{_INCOMING}deleted-{batch_id}"
        os.replace(folder, trash)  # gone from view at once, then removed
        shutil.rmtree(trash, ignore_errors=True)
        return True

    def all(self) -> list[dict[str, Any]]:
        states = (self.state(entry.name) for entry in self.root.iterdir())
        return [state for state in states if state is not None]

    def counts(self) -> Counter[str]:
        return Counter(state["state"] for state in self.all())

    def queued(self) -> list[dict[str, Any]]:
        found = [state for state in self.all() if state["state"] == "queued"]
        return sorted(found, key=lambda state: (state["created"], state["id"]))

    def recover(self) -> int:
        """At startup: drop incomplete uploads, requeue interrupted batches."""
        requeued = 0
        for entry in self.root.iterdir():
            if entry.name.startswith(_INCOMING):
                shutil.rmtree(entry, ignore_errors=True)
        for state in self.all():
            if state["state"] == "running":
                self.save(self.root / state["id"], {**state, "state": "queued"})
                requeued += 1
        return requeued

    def expire(self, retention: float, now: float) -> int:
        """Remove batches finished more than ``retention`` seconds ago."""
        removed = 0
        for state in self.all():
            finished = state.get("finished")
            if finished is not None and finished < now - retention:
                removed += self.delete(state["id"])
        return removed


class BatchRunner:
    """Runs queued batches one at a time in ``pool`` (see :mod:`workers`)."""

    def __init__(self, spool: BatchSpool, pool: Pool, shard_jobs: int, retention: float) -> None:
        self.spool = spool
        self.pool = pool
        self.shard_jobs = shard_jobs
        self.retention = retention
        self.wake = asyncio.Event()
        self._log = get_logger("scrubber.service.batches")

    async def run_forever(self) -> None:
        self.wake.set()
        while True:
            self.wake.clear()
            for state in self.spool.queued():
                with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                    await self.run_one(state)  # raises those when deleted while it ran
            self.spool.expire(self.retention, time.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=60)

    async def run_one(self, state: dict[str, Any]) -> None:
        folder = self.spool.folder(state["id"])
        if folder is None:
            return  # deleted while queued
        attempts = int(state.get("attempts", 0)) + 1
        state = {**state, "state": "running", "started": time.time(), "attempts": attempts}
        self.spool.save(folder, state)
        started = time.monotonic()
        try:
            outcome = await self.pool.call(
                jobs.scrub_batch,
                str(folder),
                state.get("name") or "-",
                state["profile"],
                _date(state.get("as_of")),
                self.shard_jobs,
            )
        except Problem:  # the worker died: again, up to MAX_ATTEMPTS
            outcome = {"failure": "the worker process died while scrubbing this batch"}
            if attempts < MAX_ATTEMPTS:
                self.spool.save(folder, {**state, "state": "queued"})
                return
        self.spool.save(folder, {**state, **_finished(outcome)})
        self._log.info(
            "batch.finished",
            batch=state["id"],
            state=_finished(outcome)["state"],
            seconds=round(time.monotonic() - started, 3),
        )


def _finished(outcome: dict[str, Any]) -> dict[str, Any]:
    done = {"finished": time.time()}
    if "unusable" in outcome or "failure" in outcome:
        return {
            **done,
            "state": "failed",
            "error": outcome.get("unusable") or outcome["failure"],
            "unusable": "unusable" in outcome,
        }
    return {
        **done,
        "state": "done",
        "summary": outcome["summary"],
        "exit_status": outcome["exit_status"],
        "outputs": outcome["outputs"],
    }


def _date(value: str | None) -> Any:
    import datetime as dt

    return dt.date.fromisoformat(value) if value else None
