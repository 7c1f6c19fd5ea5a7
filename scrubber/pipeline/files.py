"""A scrub written into a directory: ``S`` + each output kind's suffix
(:mod:`scrubber.outputs.registry`: ``S.clean.x12``, ``S.277ca.x12``,
``S.report.json``, and any other registered kind), each streamed to a
temporary file and renamed into place together
(:class:`~scrubber.outputs.atomic.OutputSet`); this is what the ``scrubber
scrub`` command runs. Also keeps the first findings that change a claim, for
the command's text summary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrubber.history.given import HistorySource
from scrubber.outputs.ack277 import AckSettings
from scrubber.outputs.atomic import OutputSet
from scrubber.outputs.entries import CHANGING_ACTIONS, FIRST_FINDINGS, PointedFinding
from scrubber.outputs.fanout import Outputs
from scrubber.outputs.registry import kinds
from scrubber.outputs.report_sink import ReportSink
from scrubber.outputs.targets import StagedTarget
from scrubber.pickling import by_fields
from scrubber.pipeline.gc_tuning import long_lived_gc
from scrubber.pipeline.passes import PipelineResult, ProgressFn, run_pipeline
from scrubber.pipeline.shards import plan_shards, run_sharded
from scrubber.pipeline.spool import ReplayableSource
from scrubber.rules.engine import Engine

if TYPE_CHECKING:
    from scrubber.pipeline.passes import History

__all__ = [
    "CHANGING_ACTIONS",
    "FIRST_FINDINGS",
    "FilesResult",
    "PointedFinding",
    "files_result",
    "scrub_to_files",
]


@dataclass
class FilesResult:
    """What :func:`scrub_to_files` wrote and what the summary needs."""

    report_head: dict[str, Any]  # the report without "claims" (with "warnings")
    rule_names: dict[str, str]
    written: list[Path]  # in registration order (a dropped output is not listed)
    exit_status: int
    compact_json: str | None = None  # a temporary file holding the report as one line
    segments: int = 0
    subjects: int = 0
    decisions_kept: int = 0
    first_findings: tuple[PointedFinding, ...] = ()
    outputs: dict[str, Path] = field(default_factory=dict)  # what was written, by kind name


def scrub_to_files(
    source: ReplayableSource,
    engine: Engine,
    out_dir: Path,
    stem: str,
    *,
    ack_settings: AckSettings,
    history: History = None,
    progress: ProgressFn | None = None,
    compact_json: bool = False,
    jobs: int = 1,
    wanted: Iterable[str] = (),
) -> FilesResult:
    """Scrub ``source`` into ``out_dir``/``stem`` + each kind's suffix (the
    optional kinds named in ``wanted`` too), each streamed to a temporary
    file and renamed into place together (see
    :class:`~scrubber.outputs.atomic.OutputSet`). With ``compact_json`` the report is
    also written as one JSON line to a temporary file (``compact_json`` of the
    result; the caller deletes it). With ``jobs`` > 1 a large file is
    scrubbed in that many processes (:mod:`scrubber.pipeline.shards`; the outputs,
    and what a history store records, are the same)."""
    run = _Run(source, engine, HistorySource.of(history), progress, jobs)
    chosen = kinds(wanted)
    with long_lived_gc(), OutputSet() as staged:
        targets = {
            kind.name: StagedTarget(staged, out_dir / f"{stem}{kind.suffix}") for kind in chosen
        }
        outputs = Outputs(chosen, targets, ack_settings, compact_json)
        result = _sharded(run, outputs) or run_pipeline(
            source, engine, outputs, history=run.history, progress=progress
        )
        for target in targets.values():
            target.close()
        staged.commit()
    return files_result(result, targets)


def files_result(result: PipelineResult, targets: Mapping[str, StagedTarget]) -> FilesResult:
    """What a scrub into the staged ``targets`` (closed) wrote, for the summary."""
    report = result.sinks["report"]
    assert isinstance(report, ReportSink)
    written = {name: target.path for name, target in targets.items() if target.written}
    return FilesResult(
        report_head=report.head,
        rule_names=result.report.rule_names,
        written=list(written.values()),
        exit_status=result.exit_status,
        compact_json=report.compact_path,
        segments=result.segments,
        subjects=result.subjects,
        decisions_kept=result.decisions_kept,
        first_findings=tuple(report.first_findings),
        outputs=written,
    )


@dataclass(frozen=True)
class _Run:
    """One input's scrub, as :func:`scrub_to_files` was asked for it."""

    source: ReplayableSource
    engine: Engine
    history: HistorySource
    progress: ProgressFn | None
    jobs: int


def _sharded(run: _Run, outputs: Outputs) -> PipelineResult | None:
    """The scrub on ``run.jobs`` cores when the input is a file worth
    splitting (see :mod:`scrubber.pipeline.shards`), else ``None`` (nothing written)."""
    path = run.source.path
    if run.jobs < 2 or path is None:
        return None
    ranges = plan_shards(path, run.jobs)
    if not ranges:
        return None
    return run_sharded(
        path, run.source.name, ranges, run.engine, outputs,
        history=run.history, progress=run.progress,
    )  # fmt: skip


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(_Run)
