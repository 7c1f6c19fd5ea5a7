"""A scrub written into a directory: ``S.clean.x12``, ``S.277ca.x12`` and
``S.report.json``, each streamed to a temporary file and renamed into place
together (:class:`~scrubber.outputs.OutputSet`); this is what the ``scrubber
scrub`` command runs. Also keeps the first findings that change a claim, for
the command's text summary.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from scrubber.course_state import DEFAULT_LINE_BUDGET
from scrubber.gc_tuning import long_lived_gc
from scrubber.outputs import OutputSet
from scrubber.pipeline import PipelineResult, ProgressFn, report_name, run_pipeline
from scrubber.report_json import render_entry, write_compact_report, write_report_json
from scrubber.rules.engine import Engine
from scrubber.spool import ReplayableSource
from scrubber.x12.ack277 import AckSettings
from scrubber.x12.source import Encoding

if TYPE_CHECKING:
    from scrubber.pipeline import History

FIRST_FINDINGS = 10  # findings the text summary lists; the report has them all
CHANGING_ACTIONS = ("reject-claim", "remove-line", "repair")  # what the summary lists


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
    subject_builds: int = 0
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
    line_budget: int = DEFAULT_LINE_BUDGET,
) -> FilesResult:
    """Scrub ``source`` into ``out_dir``/``stem``.{clean.x12,277ca.x12,report.json},
    each streamed to a temporary file and renamed into place together (see
    :class:`~scrubber.outputs.OutputSet`). With ``compact_json`` the report is
    also written as one JSON line to a temporary file (``compact_json`` of the
    result; the caller deletes it)."""
    clean_path = out_dir / f"{stem}.clean.x12"
    ack_path = out_dir / f"{stem}.277ca.x12"
    report_path = out_dir / f"{stem}.report.json"
    with (
        long_lived_gc(),
        OutputSet() as outputs,
        tempfile.TemporaryFile("w+", encoding="utf-8") as entries,
        tempfile.TemporaryFile("w+", encoding="utf-8") as compact,
    ):
        renderer = _EntryRenderer(entries, compact if compact_json else None)
        result = _write_x12(
            source, engine, outputs, clean_path, ack_path, renderer.add,
            ack_settings=ack_settings, history=history, progress=progress,
            line_budget=line_budget,
        )  # fmt: skip
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
        subject_builds=result.subject_builds,
        first_findings=tuple(renderer.first_findings),
    )


def _write_x12(
    source: ReplayableSource,
    engine: Engine,
    outputs: OutputSet,
    clean_path: Path,
    ack_path: Path,
    on_entry: Callable[[dict[str, Any]], object],
    *,
    ack_settings: AckSettings,
    history: History,
    progress: ProgressFn | None,
    line_budget: int,
) -> PipelineResult:
    """Run the pipeline with the cleaned 837 and the 277CA staged in ``outputs``
    in the input's encoding. A cleaned 837 that keeps no claim is not written,
    and one a previous run left is removed."""
    clean = _TextOutput(outputs.create(clean_path))
    ack = _TextOutput(outputs.create(ack_path))

    def on_encoding(encoding: Encoding) -> None:
        clean.open(encoding.codec, encoding.encode("") if encoding.bom else b"")
        ack.open(encoding.codec, b"")

    result = run_pipeline(
        source,
        engine,
        ack_settings=ack_settings,
        clean_write=clean.write,
        ack_write=ack.write,
        on_entry=on_entry,
        history=history,
        progress=progress,
        line_budget=line_budget,
        on_encoding=on_encoding,
    )
    clean.close()
    ack.close()
    if not result.kept:
        outputs.drop(clean_path)
        outputs.remove(clean_path)
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


class _EntryRenderer:
    """Report claim entries as the JSON text they take in the document; keeps
    the first :data:`FIRST_FINDINGS` findings that change a claim (for the
    text summary), so memory stays bounded."""

    def __init__(self, out: IO[str], compact: IO[str] | None) -> None:
        self._out = out
        self._compact = compact
        self.count = 0
        self.first_findings: list[PointedFinding] = []

    def add(self, entry: dict[str, Any]) -> None:
        self._keep_first_findings(entry)
        if self.count:
            self._out.write(",\n")
            if self._compact is not None:
                self._compact.write(", ")
        self.count += 1
        self._out.write(render_entry(entry))
        if self._compact is not None:
            self._compact.write(json.dumps(entry, ensure_ascii=False))

    def _keep_first_findings(self, entry: dict[str, Any]) -> None:
        if entry["status"] == "accepted":
            return
        for finding in entry["findings"]:
            if len(self.first_findings) >= FIRST_FINDINGS:
                return
            if finding["action"] in CHANGING_ACTIONS:
                self.first_findings.append(PointedFinding.of(entry["claim_id"], finding))


@dataclass(frozen=True)
class PointedFinding:
    """A finding and the claim it points at, for a one-line listing."""

    claim_id: str
    line: int | None
    rule: str
    action: str
    message: str

    @classmethod
    def of(cls, claim_id: str, finding: dict[str, Any]) -> PointedFinding:
        return cls(
            claim_id, finding["line"], finding["rule"], finding["action"], finding["message"]
        )

    def __str__(self) -> str:
        where = self.claim_id if self.line is None else f"{self.claim_id} line {self.line}"
        return f"{where}: {self.rule} [{self.action}] {self.message}"
