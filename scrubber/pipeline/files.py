"""A scrub written into a directory: ``S.clean.x12``, ``S.277ca.x12`` and
``S.report.json``, each streamed to a temporary file and renamed into place
together (:class:`~scrubber.outputs.atomic.OutputSet`); this is what the ``scrubber
scrub`` command runs. Also keeps the first findings that change a claim, for
the command's text summary.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from scrubber.history.given import HistorySource
from scrubber.outputs.ack277 import AckSettings
from scrubber.outputs.atomic import OutputSet
from scrubber.outputs.entries import CHANGING_ACTIONS, FIRST_FINDINGS, EntryRenderer, PointedFinding
from scrubber.outputs.report_json import write_compact_report, write_report_json
from scrubber.pipeline.gc_tuning import long_lived_gc
from scrubber.pipeline.passes import PipelineResult, ProgressFn, report_name, run_pipeline
from scrubber.pipeline.shards import plan_shards, run_sharded
from scrubber.pipeline.spool import ReplayableSource
from scrubber.rules.engine import Engine
from scrubber.x12.source import Encoding

if TYPE_CHECKING:
    from scrubber.pipeline.passes import History

__all__ = [
    "CHANGING_ACTIONS",
    "FIRST_FINDINGS",
    "FilesResult",
    "PointedFinding",
    "scrub_to_files",
]


@dataclass
class FilesResult:
    """What :func:`scrub_to_files` wrote and what the summary needs."""

    report_head: dict[str, Any]  # the report without "claims" (with "warnings")
    rule_names: dict[str, str]
    written: list[Path]
    exit_status: int
    compact_json: str | None = None  # a temporary file holding the report as one line
    segments: int = 0
    subjects: int = 0
    decisions_kept: int = 0
    first_findings: tuple[PointedFinding, ...] = ()


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
) -> FilesResult:
    """Scrub ``source`` into ``out_dir``/``stem``.{clean.x12,277ca.x12,report.json},
    each streamed to a temporary file and renamed into place together (see
    :class:`~scrubber.outputs.atomic.OutputSet`). With ``compact_json`` the report is
    also written as one JSON line to a temporary file (``compact_json`` of the
    result; the caller deletes it). With ``jobs`` > 1 a large file is
    scrubbed in that many processes (:mod:`scrubber.pipeline.shards`; the outputs,
    and what a history store records, are the same)."""
    clean_path = out_dir / f"{stem}.clean.x12"
    ack_path = out_dir / f"{stem}.277ca.x12"
    report_path = out_dir / f"{stem}.report.json"
    run = _Run(source, engine, ack_settings, HistorySource.of(history), progress, jobs)
    with (
        long_lived_gc(),
        OutputSet() as outputs,
        tempfile.TemporaryFile("w+", encoding="utf-8") as entries,
        tempfile.TemporaryFile("w+", encoding="utf-8") as compact,
    ):
        renderer = EntryRenderer(entries, compact if compact_json else None)
        clean, ack = outputs.create(clean_path), outputs.create(ack_path)
        result = _sharded(run, clean, ack, renderer) or _serial(run, clean, ack, renderer)
        if not result.kept:  # no cleaned 837; and none a previous run left
            outputs.drop(clean_path)
            outputs.remove(clean_path)
        head = result.report.head(
            input_name=report_name(result.name),
            profile=str(engine.profile),
            as_of=engine.as_of,
            rule_set=engine.rule_set,
        )
        warnings = result.report.warnings(result.warnings)
        write_report_json(head, entries, renderer.count, warnings, outputs.create(report_path))
        line = write_compact_report(head, compact, warnings) if compact_json else None
        outputs.commit()
    return FilesResult(
        report_head={**head, "warnings": warnings},
        rule_names=result.report.rule_names,
        written=[*([clean_path] if result.kept else []), ack_path, report_path],
        exit_status=result.exit_status,
        compact_json=line,
        segments=result.segments,
        subjects=result.subjects,
        decisions_kept=result.decisions_kept,
        first_findings=tuple(renderer.first_findings),
    )


@dataclass(frozen=True)
class _Run:
    """One input's scrub, as :func:`scrub_to_files` was asked for it."""

    source: ReplayableSource
    engine: Engine
    ack_settings: AckSettings
    history: HistorySource
    progress: ProgressFn | None
    jobs: int


def _sharded(
    run: _Run, clean: BinaryIO, ack: BinaryIO, renderer: EntryRenderer
) -> PipelineResult | None:
    """The scrub on ``run.jobs`` cores when the input is a file worth
    splitting (see :mod:`scrubber.pipeline.shards`), else ``None`` (nothing written)."""
    path = run.source.path
    if run.jobs < 2 or path is None:
        return None
    ranges = plan_shards(path, run.jobs)
    if not ranges:
        return None
    return run_sharded(
        path, run.source.name, ranges, run.engine,
        ack_settings=run.ack_settings, clean=clean, ack=ack, entries=renderer,
        history=run.history, progress=run.progress,
    )  # fmt: skip


def _serial(
    run: _Run, clean_out: BinaryIO, ack_out: BinaryIO, renderer: EntryRenderer
) -> PipelineResult:
    """The pipeline in this process, the cleaned 837 and the 277CA in the
    input's encoding."""
    clean = _TextOutput(clean_out)
    ack = _TextOutput(ack_out)

    def on_encoding(encoding: Encoding) -> None:
        clean.open(encoding.codec, encoding.encode("") if encoding.bom else b"")
        ack.open(encoding.codec, b"")

    result = run_pipeline(
        run.source,
        run.engine,
        ack_settings=run.ack_settings,
        clean_write=clean.write,
        ack_write=ack.write,
        on_entry=renderer.add,
        history=run.history,
        progress=run.progress,
        on_encoding=on_encoding,
    )
    clean.close()
    ack.close()
    return result


class _TextOutput:
    """Text written to a staged binary output in the input's codec (known once
    pass 1 is done); the binary stream stays open for the commit."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._text: io.TextIOWrapper | None = None

    def open(self, codec: str, prefix: bytes) -> None:
        self._raw.write(prefix)
        self._text = io.TextIOWrapper(self._raw, encoding=codec, newline="")

    def write(self, text: str) -> None:
        assert self._text is not None
        self._text.write(text)

    def close(self) -> None:
        if self._text is not None:
            self._text.flush()
            self._text.detach()
            self._text = None
