"""The scrub pipeline, streaming: two passes over the input, bounded memory.

Pass 1 reads the input claim by claim and keeps only each claim's facts,
compactly, by patient + entity (:class:`~scrubber.course_state.CourseState`);
no claim is kept. Pass 2 reads the input again and, claim by claim, decides
it against its subject's context and hands the outcome to the writers
(cleaned 837, 277CA, report entries), which emit text as soon as each ST-SE
is complete. Memory is bounded by the compact facts, the subjects in flight
and the largest transaction, not by the file.

The input must therefore be readable twice: a path or in-memory text/bytes
is read twice; standard input and other streams are first spooled to a
temporary file on disk (:class:`ReplayableSource`).

:func:`run_pipeline` is shared by :func:`scrubber.api.scrub` (strings, for
small batches) and :func:`scrub_to_files` (the ``scrubber scrub`` command:
every output streamed to a temporary file, then renamed into place).
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from scrubber.course_state import DEFAULT_LINE_BUDGET, CourseState, SubjectContexts
from scrubber.errors import InputWarning, X12InputError
from scrubber.logs import debug_enabled, get_logger
from scrubber.outcome import checked_outcome
from scrubber.outputs import OutputSet
from scrubber.report import ReportBuilder
from scrubber.rules.context import build_context
from scrubber.rules.engine import Engine, decide_claim
from scrubber.rules.facts import ClaimFacts, facts_of, patient_key
from scrubber.rules.registry import CourseRegistry
from scrubber.x12.ack277 import Ack277Writer, AckSettings
from scrubber.x12.clean837 import Clean837Writer
from scrubber.x12.reader import X12Reader
from scrubber.x12.source import Encoding, Source, TextSource

if TYPE_CHECKING:
    from scrubber.history import HistoryStore
    from scrubber.history.store import BatchClaim

    History = Iterable[ClaimFacts] | str | HistoryStore | None

ProgressFn = Callable[[str, int, int], None]
SPOOL_CHUNK = 1 << 20
FIRST_FINDINGS = 10  # findings the text summary lists; the report has them all
CHANGING_ACTIONS = ("reject-claim", "remove-line", "repair")  # what the summary lists
_CLAIMS_MARK = "\x00claims\x00"
_NO_CLAIMS = "the input holds no claim (no CLM segment): nothing to scrub"


class ReplayableSource:
    """A source that can be read twice: paths and in-memory text/bytes as they
    are; standard input (``"-"``) and binary streams spooled to a temporary
    file first. Use as a context manager (the spool file is removed)."""

    def __init__(self, source: Source, name: str | None = None) -> None:
        self.name = name or TextSource(source).name
        self._spool: BinaryIO | None = None
        self._source: Source = source
        if isinstance(source, str | os.PathLike) and os.fspath(source) == "-":
            self._spool = _spool(sys.stdin.buffer)
        elif not isinstance(source, str | bytes | os.PathLike):
            self._spool = _spool(source)

    def open(self) -> Source:
        """The source for one pass."""
        if self._spool is not None:
            self._spool.seek(0)
            return self._spool
        return self._source

    @property
    def spooled(self) -> bool:
        return self._spool is not None

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None

    def __enter__(self) -> ReplayableSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _spool(stream: BinaryIO) -> BinaryIO:
    spool: BinaryIO = tempfile.TemporaryFile(prefix="scrubber-input-")  # noqa: SIM115
    try:
        shutil.copyfileobj(stream, spool, SPOOL_CHUNK)
    except BaseException:
        spool.close()
        raise
    return spool


@dataclass
class PipelineResult:
    """What a pipeline run knows at the end (the claims went to the sinks)."""

    name: str
    encoding: Encoding
    report: ReportBuilder
    warnings: list[InputWarning]
    kept: int  # claims in the cleaned 837 (0: no cleaned 837)
    segments: int
    subjects: int = 0
    subject_builds: int = 0
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def exit_status(self) -> int:
        summary = self.report.summary()
        return 0 if summary["corrected"] == 0 and summary["rejected"] == 0 else 1


def run_pipeline(
    source: ReplayableSource,
    engine: Engine,
    *,
    ack_settings: AckSettings,
    clean_write: Callable[[str], object],
    ack_write: Callable[[str], object],
    on_entry: Callable[[dict[str, Any]], object],
    history: History = None,
    progress: ProgressFn | None = None,
    line_budget: int = DEFAULT_LINE_BUDGET,
    on_encoding: Callable[[Encoding], object] | None = None,
) -> PipelineResult:
    """Scrub ``source`` in two passes (see the module docstring).
    ``on_encoding`` learns the input's encoding after pass 1, before the
    writers write anything."""
    log = get_logger("scrubber.pipeline")
    state = CourseState()
    keep_batch = history is not None and not _is_facts(history)
    batch: list[BatchClaim] = []
    reader = X12Reader(source.open(), source.name, keep_transactions=False)
    for seq, claim in enumerate(reader.claims()):
        facts = facts_of(claim, seq)
        state.add(facts)
        if keep_batch:
            from scrubber.history.store import BatchClaim

            batch.append(BatchClaim.of(claim, facts))
        if progress and (seq + 1) % 200 == 0:
            progress("read", seq + 1, 0)
    claims = state.batch_count
    if not claims:
        raise X12InputError(_NO_CLAIMS)
    log.info("input.read", claims=claims, segments=reader.segment_count,
             warnings=len(reader.warnings), subjects=state.subject_count,
             state_bytes=state.stored_bytes)  # fmt: skip
    for warning in reader.warnings:
        log.info("input.warning", position=warning.position, segment=warning.segment_id)
    encoding = reader.encoding
    del reader  # pass 2 has its own
    if on_encoding is not None:
        on_encoding(encoding)

    def second_pass(registry: CourseRegistry) -> tuple[PipelineResult, list[Any]]:
        return _second_pass(
            source, engine, state, registry, encoding, ack_settings,
            clean_write, ack_write, on_entry, progress, line_budget, keep_batch,
        )  # fmt: skip

    if history is None:
        result, _ = second_pass(engine.registry)
    elif _is_facts(history):
        state.add_history(history)  # type: ignore[arg-type]
        result, _ = second_pass(engine.registry)
    else:
        # Imported here: SQLAlchemy is only loaded when a store is used.
        from scrubber.history import HistoryStore, open_store

        if isinstance(history, str):
            with open_store(history) as store:
                result = _with_store(store, batch, source.name, engine, state, second_pass)
        else:
            assert isinstance(history, HistoryStore)
            result = _with_store(history, batch, source.name, engine, state, second_pass)
    summary = result.report.summary()
    log.info("scrub.decided", claims=summary["claims"], accepted=summary["accepted"],
             corrected=summary["corrected"], rejected=summary["rejected"],
             subject_builds=result.subject_builds)  # fmt: skip
    return result


def _with_store(
    store: HistoryStore,
    batch: list[BatchClaim],
    name: str,
    engine: Engine,
    state: CourseState,
    second_pass: Callable[[CourseRegistry], tuple[PipelineResult, list[Any]]],
) -> PipelineResult:
    """Decide with the store's history (as :mod:`scrubber.history.decide` does):
    the batch's subjects are locked and their stored facts loaded, the batch is
    decided and its facts and decisions recorded, in one store transaction.
    The store takes the batch's facts and decisions at once, so with a store
    they are held in memory (the outputs are still streamed)."""
    with store.batch(batch, source=name, registry=engine.registry) as hist:
        state.add_history(hist.facts)
        result, decisions = second_pass(hist.registry)
        hist.record(decisions)
    return result


def _second_pass(
    source: ReplayableSource,
    engine: Engine,
    state: CourseState,
    registry: CourseRegistry,
    encoding: Encoding,
    ack_settings: AckSettings,
    clean_write: Callable[[str], object],
    ack_write: Callable[[str], object],
    on_entry: Callable[[dict[str, Any]], object],
    progress: ProgressFn | None,
    line_budget: int,
    keep_decisions: bool,
) -> tuple[PipelineResult, list[Any]]:
    log = get_logger("scrubber.pipeline")
    debug = debug_enabled()
    codes, as_of, gap_days = engine.codes, engine.as_of, engine.gap_days

    def build(facts: list[ClaimFacts]) -> Any:
        return build_context(facts, codes, as_of=as_of, gap_days=gap_days, registry=registry)

    contexts = SubjectContexts(state, build, engine.evaluation, line_budget)
    clean = Clean837Writer(clean_write)
    ack = Ack277Writer(ack_settings, ack_write)
    report = ReportBuilder()
    decisions = []
    total = state.batch_count
    if progress:
        progress("decide", 0, total)
    reader = X12Reader(source.open(), source.name, keep_transactions=False)
    seq = -1
    for seq, claim in enumerate(reader.claims()):
        if seq >= total:
            break
        patient, entity = patient_key(claim), claim.billing_npi.strip()
        try:
            facts, evaluation = contexts.claim(patient, entity, seq)
        except KeyError:
            raise _changed(total) from None
        decision = decide_claim(facts, evaluation)
        contexts.done_with(state.subject(patient, entity), seq)
        if keep_decisions:
            decisions.append(decision)
        outcome = checked_outcome(claim, decision)
        clean.add(outcome)
        ack.add(outcome)
        on_entry(report.add(outcome))
        if debug:
            log.debug(
                "claim.decided",
                ordinal=claim.ordinal,
                status=str(outcome.status),
                lines=len(claim.lines),
                lines_removed=len(outcome.removed_lines),
                rules=sorted({f.rule for f in decision.findings}),
            )
        if progress and (seq + 1) % 200 == 0:
            progress("decide", seq + 1, total)
    if seq + 1 != total:
        raise _changed(total)
    kept = clean.kept if clean.close(reader.trailer) else 0
    ack.close()
    if progress:
        progress("write", total, total)
    result = PipelineResult(
        name=source.name,
        encoding=encoding,
        report=report,
        warnings=reader.warnings,
        kept=kept,
        segments=reader.segment_count,
        subjects=state.subject_count,
        subject_builds=contexts.builds,
    )
    return result, decisions


def _changed(total: int) -> X12InputError:
    return X12InputError(
        f"the input changed while it was scrubbed (its {total} claims were read, then others)"
    )


def _is_facts(history: object) -> bool:
    from scrubber.history import HistoryStore

    return history is not None and not isinstance(history, str | HistoryStore)


def report_name(name: str) -> str:
    return "-" if name == "<stdin>" else name


# Files ---------------------------------------------------------------------------


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
        clean = _TextOutput(outputs.create(clean_path))
        ack = _TextOutput(outputs.create(ack_path))

        def on_encoding(encoding: Encoding) -> None:
            clean.open(encoding.codec, encoding.encode("") if encoding.bom else b"")
            ack.open(encoding.codec, b"")

        renderer = _EntryRenderer(entries, compact if compact_json else None)
        result = run_pipeline(
            source,
            engine,
            ack_settings=ack_settings,
            clean_write=clean.write,
            ack_write=ack.write,
            on_entry=renderer.add,
            history=history,
            progress=progress,
            line_budget=line_budget,
            on_encoding=on_encoding,
        )
        clean.close()
        ack.close()
        written = []
        if result.kept:
            written.append(clean_path)
        else:
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
        line = _compact_document(head, compact, warnings) if compact_json else None
        outputs.commit()
    return FilesResult(
        report_head={**head, "warnings": warnings},
        rule_names=result.report.rule_names,
        written=[*written, ack_path, report_path],
        exit_status=result.exit_status,
        compact_json=line,
        segments=result.segments,
        subjects=result.subjects,
        subject_builds=result.subject_builds,
        first_findings=tuple(renderer.first_findings),
    )


@contextlib.contextmanager
def long_lived_gc() -> Iterator[None]:
    """Garbage collection tuned for one long scrub, restored afterwards.

    Profiling showed 40% of a large scrub's time in the cyclic collector:
    every full collection walks every long-lived object (modules, the rule
    packs, the code table, the course state). Those are frozen out of the
    collector's generations (``gc.freeze``) and the young generation is
    collected every 50,000 allocations instead of 700; per-claim garbage is
    still freed (reference counting, and young collections for cycles).
    """
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


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


def render_entry(entry: dict[str, Any]) -> str:
    """One claim entry as ``json.dumps(report, indent=2, ensure_ascii=False)``
    renders it inside the report's ``"claims"`` list (four spaces deeper).

    ``json`` renders indented documents in pure Python, one generator step per
    token; entries only hold dicts, lists, strings, integers and ``None``, and
    are rendered here directly (the same text, tests hold them equal)."""
    return "    " + _indented(entry, "\n    ")


def _indented(value: object, newline: str) -> str:
    """``value`` as ``json.dumps(value, indent=2, ensure_ascii=False)`` renders
    it where its lines start with ``newline`` (the indentation of its level)."""
    if isinstance(value, str):
        return _encode_string(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = newline + "  "
        items = (f"{_encode_string(k)}: {_indented(v, inner)}" for k, v in value.items())
        return "{" + inner + ("," + inner).join(items) + newline + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        inner = newline + "  "
        return "[" + inner + ("," + inner).join(_indented(v, inner) for v in value) + newline + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    raise TypeError(f"a report entry holds no {type(value).__name__}")


_encode_string: Callable[[str], str] = json.encoder.encode_basestring


def write_report_json(
    head: dict[str, Any],
    entries: IO[str],
    count: int,
    warnings: list[dict[str, Any]],
    out: BinaryIO,
) -> None:
    """The report document, byte-identical to ``json.dumps(report, indent=2,
    ensure_ascii=False) + "\\n"``, with the claim entries copied from ``entries``."""
    document = json.dumps(
        {**head, "claims": [_CLAIMS_MARK] if count else [], "warnings": warnings},
        indent=2,
        ensure_ascii=False,
    )
    if count:
        before, after = document.split("    " + json.dumps(_CLAIMS_MARK), 1)
        out.write(before.encode("utf-8"))
        _copy(entries, out)
        document = after
    out.write((document + "\n").encode("utf-8"))


def _copy(text: IO[str], out: IO[bytes]) -> None:
    text.seek(0)
    while chunk := text.read(SPOOL_CHUNK):
        out.write(chunk.encode("utf-8"))


def _compact_document(head: dict[str, Any], compact: IO[str], warnings: list[Any]) -> str:
    """Write the one-line report to a temporary file; return its path."""
    document = json.dumps(
        {**head, "claims": [_CLAIMS_MARK], "warnings": warnings}, ensure_ascii=False
    )
    before, after = document.split(json.dumps(_CLAIMS_MARK), 1)
    handle, path = tempfile.mkstemp(prefix="scrubber-report-", suffix=".json")
    with os.fdopen(handle, "wb") as out:
        out.write(before.encode("utf-8"))
        _copy(compact, out)
        out.write((after + "\n").encode("utf-8"))
    return path
