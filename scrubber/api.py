"""The Python API: ``scrubber.scrub(source, ...)`` -> :class:`ScrubResult`.

For pipelines that never touch files: the input may be a path, ``bytes``,
X12 text (``str``) or a binary file object; the result carries the report
(the ``S.report.json`` document as a dict), the cleaned 837 text (``None``
when no claim is accepted) and the 277CA text. Unusable input raises
:class:`~scrubber.errors.X12InputError` (its message names the segment
position and the problem); a bad policy or course registry raises the rules'
``PolicyError`` / ``RegistryError`` (both ``ValueError``).

Run-dependent values of the 277CA (dates, control numbers) come from ``now``
(default: ``SOURCE_DATE_EPOCH`` when set, for reproducible output, else the
current time) and ``control_start`` (default: derived from ``now``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrubber.errors import X12InputError
from scrubber.findings import ClaimDecision, ClaimStatus
from scrubber.logs import get_logger
from scrubber.model import Claim
from scrubber.outcome import Outcome, pair_outcomes
from scrubber.report import build_report
from scrubber.rules.engine import Engine
from scrubber.rules.facts import ClaimFacts
from scrubber.rules.policy import Policy, Profile, load_policy
from scrubber.rules.registry import CourseRegistry, load_registry
from scrubber.x12.ack277 import AckSettings, default_control_start, write_277ca
from scrubber.x12.clean837 import write_clean_837
from scrubber.x12.reader import X12Reader
from scrubber.x12.source import Encoding, Source

if TYPE_CHECKING:
    from scrubber.history import HistoryStore

# Called as progress(stage, done, total); total 0 when unknown.
ProgressFn = Callable[[str, int, int], None]


class HistoryUnavailableError(RuntimeError):
    """Kept for compatibility: a history store URL is supported now (see
    :mod:`scrubber.history`); store errors raise ``scrubber.history.HistoryError``."""


@dataclass(frozen=True)
class ScrubResult:
    """What one scrub produced. ``encoding`` is the input's (the cleaned 837 is
    meant to be written back the same way: see :meth:`clean_bytes`)."""

    report: dict[str, Any]
    clean_x12: str | None
    ack_277ca: str
    encoding: Encoding

    @property
    def exit_status(self) -> int:
        """0 when every claim is accepted, 1 when any is corrected or rejected."""
        summary = self.report["summary"]
        return 0 if summary["corrected"] == 0 and summary["rejected"] == 0 else 1

    def clean_bytes(self) -> bytes | None:
        return None if self.clean_x12 is None else self.encoding.encode(self.clean_x12)

    def ack_bytes(self) -> bytes:
        return Encoding(self.encoding.codec).encode(self.ack_277ca)


def scrub(
    source: Source,
    profile: str = "clean",
    history: Iterable[ClaimFacts] | str | HistoryStore | None = None,
    as_of: dt.date | str | None = None,
    *,
    policy: Policy | str | os.PathLike[str] | None = None,
    courses: CourseRegistry | str | os.PathLike[str] | None = None,
    name: str | None = None,
    now: dt.datetime | None = None,
    control_start: int | None = None,
    progress: ProgressFn | None = None,
) -> ScrubResult:
    """Scrub one 837 input (see the module docstring).

    ``history``: a course history store (``sqlite:///path.db`` or
    ``postgresql://...`` URL, or an open :class:`scrubber.history.HistoryStore`):
    the stored facts of the batch's patients are added to the rules' context
    and the batch is recorded; or facts of earlier batches (an iterable of
    :class:`~scrubber.rules.facts.ClaimFacts`), added to the context only.
    ``as_of`` decides whether a course has ended (default today). ``name`` is
    the input's display name in the report.
    """
    profile = Profile(profile).value
    as_of_date = _as_of(as_of)
    engine = Engine(
        profile=profile,
        policy=_policy(policy),
        as_of=as_of_date,
        registry=_registry(courses),
    )
    log = get_logger("scrubber.api")
    reader = X12Reader(source, name)
    claims = _read(reader, progress)
    log.info("input.read", claims=len(claims), segments=reader.segment_count,
             warnings=len(reader.warnings))  # fmt: skip
    for warning in reader.warnings:
        log.info("input.warning", position=warning.position, segment=warning.segment_id)
    if progress:
        progress("decide", 0, len(claims))
    decisions = _decide(engine, claims, history, reader.name)
    outcomes = pair_outcomes(claims, decisions)
    _log_outcomes(log, outcomes)
    if progress:
        progress("write", len(claims), len(claims))
    moment = now or default_now()
    settings = AckSettings(moment, control_start or default_control_start(moment))
    report = build_report(
        outcomes,
        input_name=_report_name(reader.name),
        profile=profile,
        as_of=as_of_date,
        rule_set=engine.rule_set,
        warnings=reader.warnings,
    )
    return ScrubResult(
        report=report,
        clean_x12=write_clean_837(outcomes, reader.trailer),
        ack_277ca=write_277ca(outcomes, settings),
        encoding=reader.encoding,
    )


def default_now() -> dt.datetime:
    """``SOURCE_DATE_EPOCH`` (UTC) when set, else the local time."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).replace(tzinfo=None)
    return dt.datetime.now()


def _read(reader: X12Reader, progress: ProgressFn | None) -> list[Claim]:
    claims: list[Claim] = []
    for claim in reader.claims():
        claims.append(claim)
        if progress and len(claims) % 200 == 0:
            progress("read", len(claims), 0)
    if not claims:
        raise X12InputError("the input holds no claim (no CLM segment): nothing to scrub")
    return claims


def _log_outcomes(log: Any, outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        log.debug(
            "claim.decided",
            ordinal=outcome.claim.ordinal,
            status=str(outcome.status),
            lines=len(outcome.claim.lines),
            lines_removed=len(outcome.removed_lines),
            rules=sorted({f.rule for f in outcome.decision.findings}),
        )
    statuses = [o.status for o in outcomes]
    log.info(
        "scrub.decided",
        claims=len(outcomes),
        accepted=statuses.count(ClaimStatus.ACCEPTED),
        corrected=statuses.count(ClaimStatus.CORRECTED),
        rejected=statuses.count(ClaimStatus.REJECTED),
    )


def _as_of(value: dt.date | str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"as_of {value!r} is not a date (YYYY-MM-DD)") from None


def _policy(value: Policy | str | os.PathLike[str] | None) -> Policy | None:
    if value is None or isinstance(value, Policy):
        return value
    return load_policy(Path(value))


def _registry(value: CourseRegistry | str | os.PathLike[str] | None) -> CourseRegistry | None:
    if value is None or isinstance(value, CourseRegistry):
        return value
    return load_registry(Path(value))


def _decide(
    engine: Engine,
    claims: list[Claim],
    history: Iterable[ClaimFacts] | str | HistoryStore | None,
    name: str,
) -> list[ClaimDecision]:
    """Decide the batch; with a history store (URL or open store) the context
    adds the stored facts of the same patients + entities, and the batch's
    facts and decisions are recorded (scrubber.history.decide)."""
    if history is None:
        return engine.decide_batch(claims)
    # Imported here: SQLAlchemy is only loaded when a store is used.
    from scrubber.history import HistoryStore, open_store
    from scrubber.history.decide import decide_with_history

    if isinstance(history, str):
        with open_store(history) as store:
            return decide_with_history(engine, claims, store, source=name)[0]
    if isinstance(history, HistoryStore):
        return decide_with_history(engine, claims, history, source=name)[0]
    return engine.decide_batch(claims, history=history)


def _report_name(name: str) -> str:
    return "-" if name == "<stdin>" else name
