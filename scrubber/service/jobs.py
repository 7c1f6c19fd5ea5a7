"""What runs inside a worker process: one scrub request, one batch.

Each worker process is set up once (:func:`init_worker`): it loads the
policy and the course registry, opens the history store (one per process,
kept open) and keeps an engine per profile and as-of date (building one costs
more than scrubbing a small claim). Only picklable values cross the process
boundary: the request body in, the response body out (built here, so the
server process only copies bytes).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrubber.api import default_now, make_engine, scrub_with_engine
from scrubber.errors import X12InputError
from scrubber.history.errors import HistoryError
from scrubber.logs import configure_logging
from scrubber.outputs.ack277 import AckSettings, default_control_start
from scrubber.pipeline.files import scrub_to_files
from scrubber.pipeline.spool import ReplayableSource
from scrubber.rules.engine import Engine
from scrubber.rules.policy import Policy, load_policy
from scrubber.rules.radonc.registry import CourseRegistry, load_registry

if TYPE_CHECKING:
    from scrubber.history import HistoryStore

SUMMARY_KEYS = ("claims", "accepted", "corrected", "rejected")
BATCH_STEM = "batch"


@dataclass(frozen=True)
class WorkerSettings:
    """What every worker process is started with."""

    history: str | None = None
    policy: str | None = None
    courses: str | None = None
    log_level: str = "info"


@dataclass
class _Worker:
    """This process's long-lived state (see the module docstring)."""

    settings: WorkerSettings
    policy: Policy | None = None
    courses: CourseRegistry | None = None
    store: HistoryStore | None = None
    engines: dict[tuple[str, dt.date], Engine] = field(default_factory=dict)


_worker: _Worker | None = None


def init_worker(settings: WorkerSettings) -> None:
    """Set this process up (the pool's initializer)."""
    global _worker
    configure_logging(level=settings.log_level, json=True)
    worker = _Worker(settings)
    if settings.policy:
        worker.policy = load_policy(Path(settings.policy))
    if settings.courses:
        worker.courses = load_registry(Path(settings.courses))
    if settings.history:
        from scrubber.history import open_store

        worker.store = open_store(settings.history)
    _worker = worker


def ping() -> int:
    """Nothing: proves a worker is up (and set up)."""
    return 0


def _engine(profile: str, as_of: dt.date | None) -> Engine:
    assert _worker is not None, "init_worker was not run in this process"
    day = as_of or dt.date.today()
    key = (profile, day)
    engine = _worker.engines.get(key)
    if engine is None:
        if len(_worker.engines) >= 32:
            _worker.engines.clear()
        engine = make_engine(profile, day, _worker.policy, _worker.courses)
        _worker.engines[key] = engine
    return engine


@dataclass(frozen=True)
class ScrubAnswer:
    """One ``/v1/scrub`` answer: the body, or the one-line problem."""

    body: bytes = b""
    media_type: str = "application/json"
    summary: dict[str, int] = field(default_factory=dict)
    exit_status: int = 0
    has_clean: bool = False
    unusable: str = ""  # the input: 422
    unavailable: str = ""  # the history store: 503


def scrub_request(
    body: bytes, profile: str, as_of: dt.date | None, record: bool, answer: str, name: str
) -> ScrubAnswer:
    """Scrub one request body; the answer (``answer``) as JSON (``{report,
    clean_x12, ack_277ca, exit_status}``), ``x12``: the cleaned 837's bytes,
    or ``html``: the worklist page."""
    assert _worker is not None, "init_worker was not run in this process"
    wanted = ("html",) if answer == "html" else ()
    try:
        result = scrub_with_engine(
            body, _engine(profile, as_of), _worker.store, name=name, record=record,
            outputs=wanted,
        )  # fmt: skip
    except X12InputError as error:
        return ScrubAnswer(unusable=str(error))
    except HistoryError as error:
        return ScrubAnswer(unavailable=str(error))
    summary = {key: int(result.report["summary"][key]) for key in SUMMARY_KEYS}
    if answer == "html":
        page = (result.outputs.get("html") or "").encode("utf-8")
        return ScrubAnswer(
            page, "text/html; charset=utf-8", summary, result.exit_status,
            result.clean_x12 is not None,
        )  # fmt: skip
    if answer == "x12":
        clean = result.clean_bytes()
        return ScrubAnswer(
            clean or b"", "application/edi-x12", summary, result.exit_status, clean is not None
        )
    document = {
        "report": result.report,
        "clean_x12": result.clean_x12,
        "ack_277ca": result.ack_277ca,
        "exit_status": result.exit_status,
    }
    encoded = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    return ScrubAnswer(
        encoded, "application/json", summary, result.exit_status, result.clean_x12 is not None
    )


def scrub_batch(
    directory: str, input_name: str, profile: str, as_of: dt.date | None, jobs: int
) -> dict[str, Any]:
    """Scrub a batch's spooled input into its directory (``batch.clean.x12``,
    ``batch.277ca.x12``, ``batch.report.json``, written atomically); the
    summary, or ``{"unusable": message}``."""
    assert _worker is not None, "init_worker was not run in this process"
    folder = Path(directory)
    moment = default_now()
    settings = AckSettings(moment, default_control_start(moment))
    try:
        with ReplayableSource(str(folder / "input.x12"), input_name) as source:
            result = scrub_to_files(
                source,
                _engine(profile, as_of),
                folder,
                BATCH_STEM,
                ack_settings=settings,
                history=_worker.store,
                jobs=jobs,
                wanted=("html",),
            )
    except X12InputError as error:
        return {"unusable": str(error)}
    except HistoryError as error:
        return {"failure": f"history store: {error}"}
    return {
        "summary": result.report_head["summary"],
        "exit_status": result.exit_status,
        "outputs": [path.name for path in result.written],
    }
