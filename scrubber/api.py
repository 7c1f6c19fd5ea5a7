"""The Python API: ``scrubber.scrub(source, ...)`` -> :class:`ScrubResult`.

For pipelines that never touch files: the input may be a path, ``bytes``,
X12 text (``str``) or a binary file object; the result carries the report
(the ``S.report.json`` document as a dict), the cleaned 837 text (``None``
when no claim is accepted) and the 277CA text: every output's sink writes
to memory (:class:`~scrubber.outputs.targets.MemoryTarget`), and
:attr:`ScrubResult.outputs` holds each output's text by kind name
(:mod:`scrubber.outputs.registry`). Every error raised is a
:class:`~scrubber.errors.ScrubberError` (see the tree in :mod:`scrubber.errors`):
unusable input raises :class:`~scrubber.errors.X12InputError` (its message
names the segment position and the problem); a bad policy or course registry
``PolicyError`` / ``RegistryError``, a bad ``as_of`` ``UsageError`` (all
three also ``ValueError``); an unusable history store ``HistoryError``. A
policy or registry file that cannot be read raises the ``OSError``.

Run-dependent values of the 277CA (dates, control numbers) come from ``now``
(default: ``SOURCE_DATE_EPOCH`` when set, for reproducible output, else the
current time) and ``control_start`` (default: derived from ``now``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrubber.errors import UsageError
from scrubber.outputs.ack277 import AckSettings, default_control_start
from scrubber.outputs.fanout import Outputs
from scrubber.outputs.registry import kinds
from scrubber.outputs.targets import MemoryTarget
from scrubber.pipeline.passes import run_pipeline
from scrubber.pipeline.spool import ReplayableSource
from scrubber.rules.engine import Engine
from scrubber.rules.facts import ClaimFacts
from scrubber.rules.policy import Policy, Profile, load_policy
from scrubber.rules.radonc.registry import CourseRegistry, load_registry
from scrubber.status import ExitStatus
from scrubber.x12.source import Encoding, Source

if TYPE_CHECKING:
    from scrubber.history import HistoryStore

# Called as progress(stage, done, total); total 0 when unknown.
ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ScrubResult:
    """What one scrub produced. ``encoding`` is the input's (the cleaned 837 is
    meant to be written back the same way: see :meth:`clean_bytes`).
    ``outputs``: every output's text by kind name (``None``: not written)."""

    report: dict[str, Any]
    clean_x12: str | None
    ack_277ca: str
    encoding: Encoding
    outputs: Mapping[str, str | None] = field(default_factory=dict)

    @property
    def exit_status(self) -> ExitStatus:
        """``OK`` (0) when every claim is accepted, ``FINDINGS`` (1) when any is
        corrected or rejected."""
        summary = self.report["summary"]
        return ExitStatus.of_scrub(summary["corrected"], summary["rejected"])

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
    outputs: Iterable[str] = (),
) -> ScrubResult:
    """Scrub one 837 input (see the module docstring).

    ``history``: a course history store (``sqlite:///path.db`` or
    ``postgresql://...`` URL, or an open :class:`scrubber.history.HistoryStore`):
    the stored facts of the batch's patients are added to the rules' context
    and the batch is recorded; or facts of earlier batches (an iterable of
    :class:`~scrubber.rules.facts.ClaimFacts`), added to the context only.
    ``as_of`` decides whether a course has ended (default today). ``name`` is
    the input's display name in the report. ``outputs``: the optional
    output kinds wanted besides the others.
    """
    profile = Profile(profile).value
    engine = make_engine(profile, as_of, policy, courses)
    moment = now or default_now()
    settings = AckSettings(moment, control_start or default_control_start(moment))
    chosen = kinds(outputs)
    targets = {kind.name: MemoryTarget() for kind in chosen}
    with ReplayableSource(source, name) as replayable:
        result = run_pipeline(
            replayable,
            engine,
            Outputs(chosen, targets, settings),
            history=history,
            progress=progress,
        )
    texts = {name: target.value for name, target in targets.items()}
    report, ack = texts["report"], texts["ack"]
    assert report is not None and ack is not None
    return ScrubResult(
        report=json.loads(report),
        clean_x12=texts["clean"],
        ack_277ca=ack,
        encoding=result.encoding,
        outputs=texts,
    )


def make_engine(
    profile: str,
    as_of: dt.date | str | None,
    policy: Policy | str | os.PathLike[str] | None,
    courses: CourseRegistry | str | os.PathLike[str] | None,
) -> Engine:
    """The engine of one scrub (raises PolicyError / RegistryError / ValueError)."""
    return Engine(
        profile=Profile(profile).value,
        policy=_policy(policy),
        as_of=_as_of(as_of),
        registry=_registry(courses),
    )


def default_now() -> dt.datetime:
    """``SOURCE_DATE_EPOCH`` (UTC) when set, else the local time."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).replace(tzinfo=None)
    return dt.datetime.now()


def _as_of(value: dt.date | str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"as_of {value!r} is not a date (YYYY-MM-DD)") from None


def _policy(value: Policy | str | os.PathLike[str] | None) -> Policy | None:
    if value is None or isinstance(value, Policy):
        return value
    return load_policy(Path(value))


def _registry(value: CourseRegistry | str | os.PathLike[str] | None) -> CourseRegistry | None:
    if value is None or isinstance(value, CourseRegistry):
        return value
    return load_registry(Path(value))
