"""Scrub one large input file on several cores, split at interchange boundaries.

:func:`plan_shards` cuts a file into byte ranges (shards) of whole
interchanges: a cut is made only right after an ``IEA`` segment, before the
whitespace and ``ISA`` that follow it, with the first interchange's
delimiters. :func:`run_sharded` then runs the two passes of
:mod:`scrubber.pipeline` with one process per shard:

1. each shard's claims are read into its own
   :class:`~scrubber.course_state.CourseState` part, and the parts are
   merged (a patient's course may span the whole file);
2. each shard is decided against the merged state (the workers inherit it
   by ``fork``) and written to part files: cleaned 837, 277CA and report
   entries, which are then joined in input order.

Contract: the outputs are byte-for-byte those of the serial pipeline (the
reader is told where a shard starts, so positions, ordinals and 277CA
control numbers are the whole file's). Whenever that cannot be had cheaply
(no ``fork``; a file too small to split; UTF-16 input or a whitespace
segment terminator; shards that decode differently; any input error in
pass 1) :func:`run_sharded` returns ``None`` before writing anything (and
before a history store is opened), and the caller runs the serial
pipeline, which reports errors as always. With a history store the file is
one batch, as in a serial run: its claims are kept for the store and the
workers return their decisions.
Memory: each process holds the merged state (shared copy-on-write at
first) and its shard's subjects in flight.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import itertools
import mmap
import multiprocessing
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO, cast

from scrubber.course_state import CourseState
from scrubber.entries import EntryRenderer, PointedFinding
from scrubber.errors import InputWarning, X12InputError
from scrubber.logs import get_logger
from scrubber.model import Claim, Group
from scrubber.outcome import Outcome
from scrubber.pipeline import (
    PipelineResult,
    ProgressFn,
    decide_claims,
    keeps_batch_of,
    read_facts,
    subject_contexts,
    with_history,
)
from scrubber.report import ReportBuilder
from scrubber.rules.engine import Engine
from scrubber.rules.facts import ClaimFacts
from scrubber.rules.registry import CourseRegistry
from scrubber.x12.ack277 import Ack277Writer, AckSettings, control_after
from scrubber.x12.clean837 import Clean837Writer
from scrubber.x12.reader import ReadOffsets, X12Reader
from scrubber.x12.source import Encoding

if TYPE_CHECKING:
    from scrubber.findings import ClaimDecision
    from scrubber.history.records import BatchClaim
    from scrubber.pipeline import History

#: Below this many bytes a shard's process start and merge cost more than
#: splitting saves.
MIN_SHARD_BYTES = 2 << 20
_WHITESPACE = b" \t\r\n"
_ISA_LENGTH = 106
_READ_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    end: int


def plan_shards(path: str, count: int, min_bytes: int | None = None) -> list[ByteRange]:
    """Up to ``count`` byte ranges of whole interchanges covering the file
    ``path``, each about the same size and at least ``min_bytes`` (default
    :data:`MIN_SHARD_BYTES`; fewer ranges when cuts cannot be found); an
    empty list when the file should not be split (see the module docstring)."""
    size = os.path.getsize(path)
    count = min(count, size // max(MIN_SHARD_BYTES if min_bytes is None else min_bytes, 1))
    if count < 2:
        return []
    with open(path, "rb") as stream, mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as data:
        delimiters = _first_isa_delimiters(data)
        if delimiters is None:
            return []
        cuts = _cuts(data, size, count, *delimiters)
    bounds = [0, *cuts, size]
    if len(bounds) < 3:
        return []
    return [ByteRange(a, b) for a, b in itertools.pairwise(bounds)]


def _first_isa_delimiters(data: mmap.mmap) -> tuple[bytes, bytes] | None:
    """The element separator and segment terminator of the file's first ISA,
    or ``None`` when the file is not one to split (UTF-16, no ISA at the
    start, a whitespace or alphanumeric terminator)."""
    head = data[:4096]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\0" in head[:64]:
        return None
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    head = head.lstrip(_WHITESPACE)
    if len(head) < _ISA_LENGTH or not head.startswith(b"ISA"):
        return None
    element, terminator = head[3:4], head[105:106]
    if terminator in _WHITESPACE or terminator.isalnum() or element == terminator:
        return None
    return element, terminator


def _cuts(data: mmap.mmap, size: int, count: int, element: bytes, terminator: bytes) -> list[int]:
    """Offsets just after an IEA's terminator where the next interchange
    starts, near ``size * i / count``."""
    next_isa = re.compile(re.escape(terminator) + rb"[ \t\r\n]*ISA" + re.escape(element))
    iea = b"IEA" + element
    cuts: list[int] = []
    for index in range(1, count):
        match = next_isa.search(data, max(size * index // count, cuts[-1] if cuts else 0))
        while match is not None:
            previous = data.rfind(terminator, 0, match.start())
            if data[previous + 1 : match.start()].lstrip(_WHITESPACE).startswith(iea):
                break
            match = next_isa.search(data, match.end())
        if match is None:
            break
        cut = match.start() + 1
        if not cuts or cut > cuts[-1]:
            cuts.append(cut)
    return cuts


@dataclass
class _ShardRead:
    """What pass 1 learnt of one shard."""

    state: CourseState | None  # dropped once merged
    claims: int
    encoding: Encoding
    segments: int
    transactions: int
    envelopes: int  # 277CA interchanges + groups its claims open (control numbers used)
    payer_numbers: list[str] = field(default_factory=list)  # REF*F8 a claim, for a store
    failed: bool = False


@dataclass
class _ShardWritten:
    """What pass 2 wrote for one shard (its part files are in the job's folder)."""

    report: ReportBuilder
    warnings: list[InputWarning]
    kept: int
    trailer: str
    segments: int
    builds: int
    entry_count: int
    first_findings: list[PointedFinding]
    decisions: list[ClaimDecision]  # for a history store only


@dataclass
class _Job:
    """What the worker processes inherit (``fork``): set just before a pool starts."""

    path: str
    name: str
    ranges: list[ByteRange]
    engine: Engine
    workdir: Path
    compact: bool
    line_budget: int
    ack_settings: AckSettings
    keep_batch: bool = False  # a history store records the batch
    state: CourseState | None = None
    reads: list[_ShardRead] = field(default_factory=list)
    registry: CourseRegistry | None = None


_job: _Job | None = None


def run_sharded(
    path: str,
    name: str,
    ranges: list[ByteRange],
    engine: Engine,
    *,
    ack_settings: AckSettings,
    clean: BinaryIO,
    ack: BinaryIO,
    entries: EntryRenderer,
    line_budget: int,
    history: History = None,
    progress: ProgressFn | None = None,
) -> PipelineResult | None:
    """Scrub the file ``path`` in the shards ``ranges`` (see the module
    docstring): the cleaned 837 goes to ``clean`` (nothing when no claim is
    kept), the 277CA to ``ack``, the report entries to ``entries``; with a
    ``history`` as :func:`scrubber.pipeline.run_pipeline` takes it (a store
    locks, loads and records the whole file as one batch). ``None`` (and
    nothing written) when the serial pipeline must run instead."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    global _job
    with tempfile.TemporaryDirectory(prefix="scrubber-shards-") as workdir:
        job = _Job(
            path, name, ranges, engine, Path(workdir), entries.compact, line_budget,
            ack_settings, keep_batch=keeps_batch_of(history),
        )  # fmt: skip
        _job = job
        try:
            reads = list(_in_workers(len(ranges), _read_shard))
            _report_progress(progress, "read", reads, len(reads))
            state = _merge(reads)
            if state is None:
                return None
            batch = _batch_claims(state, reads) if job.keep_batch else []
            job.state, job.reads = state, reads

            def second_pass(registry: CourseRegistry) -> tuple[PipelineResult, list[Any]]:
                job.registry = registry
                written = []
                for index, part in enumerate(_in_workers(len(ranges), _write_shard)):
                    written.append(part)
                    _report_progress(progress, "decide", reads, index + 1)
                result = _join(job, reads, written, clean, ack, entries)
                return result, [d for part in written for d in part.decisions]

            return with_history(history, batch, name, engine, state, second_pass)
        finally:
            _job = None


def _in_workers(count: int, work: Callable[[int], Any]) -> Iterator[Any]:
    """``work(0) ... work(count - 1)`` in ``count`` forked processes, in order."""
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(count, mp_context=context) as pool:
        yield from pool.map(work, range(count))


def _report_progress(
    progress: ProgressFn | None, stage: str, reads: list[_ShardRead], shards_done: int
) -> None:
    if progress:
        total = sum(read.claims for read in reads)
        done = sum(read.claims for read in reads[:shards_done])
        progress(stage, done, total if stage == "decide" else 0)


def _batch_claims(state: CourseState, reads: list[_ShardRead]) -> list[BatchClaim]:
    """The batch's claims in input order, as a history store records them:
    facts (with the whole file's ``seq``) from the merged state."""
    from scrubber.history.records import BatchClaim

    by_seq: list[ClaimFacts | None] = [None] * state.batch_count
    for subject in range(state.subject_count):
        for seq, facts in state.facts_and_batch(subject)[1].items():
            by_seq[seq] = facts
    numbers = [number for read in reads for number in read.payer_numbers]
    return [
        BatchClaim(facts, number)
        for facts, number in zip(by_seq, numbers, strict=True)
        if facts is not None
    ]


def _merge(reads: list[_ShardRead]) -> CourseState | None:
    """The shards' states as one, or ``None`` when the serial pipeline must
    run (an input error, shards decoded differently, no claim at all)."""
    if any(read.failed for read in reads):
        return None
    if len({read.encoding.codec for read in reads}) != 1:
        return None
    state = CourseState.merged([read.state for read in reads if read.state is not None])
    for read in reads:
        read.state = None  # the workers need not inherit the parts too
    return state if state.batch_count else None


def _open_range(path: str, span: ByteRange) -> BinaryIO:
    return cast(BinaryIO, _RangeReader(path, span))


class _RangeReader:
    """A binary stream of the bytes ``span`` of a file (what the reader needs: ``read``)."""

    def __init__(self, path: str, span: ByteRange) -> None:
        self._stream = open(path, "rb")  # noqa: SIM115 (closed at the end of the range)
        self._stream.seek(span.start)
        self._left = span.end - span.start

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            self._stream.close()
            return b""
        wanted = self._left if size < 0 else min(size, self._left)
        block = self._stream.read(wanted)
        self._left = self._left - len(block) if block else 0
        return block


# Pass 1 (in a worker) ------------------------------------------------------------


def _read_shard(index: int) -> _ShardRead:
    job = _current_job()
    reader = X12Reader(_open_range(job.path, job.ranges[index]), job.name, keep_transactions=False)
    state = CourseState(part=index)
    envelopes = _EnvelopeCounter(job.keep_batch)
    try:
        read_facts(reader, state, envelopes.claim)
    except X12InputError:
        return _ShardRead(None, 0, Encoding(), 0, 0, 0, failed=True)
    return _ShardRead(
        state, state.batch_count, reader.encoding, reader.segment_count,
        reader.transaction_count, envelopes.count, envelopes.payer_numbers,
    )  # fmt: skip


class _EnvelopeCounter:
    """Counts the interchanges and groups that hold claims (the 277CA opens
    one envelope, one control number, for each); with ``keep_batch`` keeps
    each claim's REF*F8 (what a history store records besides the facts)."""

    def __init__(self, keep_batch: bool) -> None:
        self.count = 0
        self.payer_numbers: list[str] = []
        self._keep_batch = keep_batch
        self._group: Group | None = None

    def claim(self, claim: Claim, facts: ClaimFacts) -> None:
        if self._keep_batch:
            self.payer_numbers.append(claim.payer_claim_number.strip())
        group = claim.transaction.group
        if group is self._group:
            return
        if self._group is None or group.interchange is not self._group.interchange:
            self.count += 1
        self.count += 1
        self._group = group


# Pass 2 (in a worker) ------------------------------------------------------------


def _write_shard(index: int) -> _ShardWritten:
    job = _current_job()
    assert job.state is not None
    before = job.reads[:index]
    offsets = ReadOffsets(
        segments=sum(read.segments for read in before),
        claims=sum(read.claims for read in before),
        transactions=sum(read.transactions for read in before),
    )
    settings = dataclasses.replace(
        job.ack_settings,
        control_start=control_after(
            job.ack_settings.control_start, sum(read.envelopes for read in before)
        ),
    )
    codec = job.reads[0].encoding.codec
    span = job.ranges[index]
    reader = X12Reader(
        _open_range(job.path, span), job.name, keep_transactions=False, offsets=offsets
    )
    with _PartFiles(job.workdir, index, codec, job.compact) as files:
        clean = Clean837Writer(files.clean.write)
        ack = Ack277Writer(settings, files.ack.write, continued=offsets.claims > 0)
        report = ReportBuilder()
        entries = EntryRenderer(files.entries, files.compact)

        def write(outcome: Outcome) -> None:
            clean.add(outcome)
            ack.add(outcome)
            entries.add(report.add(outcome))

        registry = job.registry or job.engine.registry
        contexts = subject_contexts(job.engine, job.state, registry, job.line_budget)
        claims = range(offsets.claims, offsets.claims + job.reads[index].claims)
        decisions = decide_claims(
            reader, job.state, contexts, write, keep_decisions=job.keep_batch, claims=claims
        )
        clean.close()
        ack.close()
    return _ShardWritten(
        report, reader.warnings, clean.kept, reader.trailer, reader.segment_count,
        contexts.builds, entries.count, entries.first_findings, decisions,
    )  # fmt: skip


class _PartFiles:
    """One shard's part files: cleaned 837 and 277CA in the input's codec,
    report entries (and their one-line form) in UTF-8."""

    def __init__(self, workdir: Path, index: int, codec: str, compact: bool) -> None:
        self.paths = _part_paths(workdir, index)
        self.clean = open(self.paths[0], "w", encoding=codec, newline="")  # noqa: SIM115
        self.ack = open(self.paths[1], "w", encoding=codec, newline="")  # noqa: SIM115
        self.entries = open(self.paths[2], "w", encoding="utf-8")  # noqa: SIM115
        self.compact = open(self.paths[3], "w", encoding="utf-8") if compact else None  # noqa: SIM115

    def __enter__(self) -> _PartFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        for stream in (self.clean, self.ack, self.entries, self.compact):
            if stream is not None:
                stream.close()


def _part_paths(workdir: Path, index: int) -> tuple[Path, Path, Path, Path]:
    stem = workdir / f"shard-{index:04d}"
    return (
        stem.with_suffix(".clean"),
        stem.with_suffix(".ack"),
        stem.with_suffix(".entries"),
        stem.with_suffix(".compact"),
    )


def _current_job() -> _Job:
    assert _job is not None, "a shard worker runs only inside run_sharded"
    return _job


# Joining the parts (in the parent) ---------------------------------------------------


def _join(
    job: _Job,
    reads: list[_ShardRead],
    written: list[_ShardWritten],
    clean: BinaryIO,
    ack: BinaryIO,
    entries: EntryRenderer,
) -> PipelineResult:
    encoding = reads[0].encoding
    kept = sum(part.kept for part in written)
    report = ReportBuilder()
    warnings: list[InputWarning] = []
    if kept:
        clean.write(encoding.encode("") if encoding.bom else b"")
    for index, part in enumerate(written):
        clean_path, ack_path, entries_path, compact_path = _part_paths(job.workdir, index)
        if part.kept:
            _copy(clean_path, clean)
        _copy(ack_path, ack)
        with (
            open(entries_path, encoding="utf-8") as text,
            _open_optional(compact_path, job.compact) as one_line,
        ):
            entries.append(part.entry_count, part.first_findings, text, one_line)
        report.merge(part.report)
        warnings.extend(part.warnings)
    if kept:
        clean.write(written[-1].trailer.encode(encoding.codec))
    assert job.state is not None
    state = job.state
    get_logger("scrubber.shards").info(
        "input.sharded", shards=len(written), claims=state.batch_count,
        segments=written[-1].segments, subjects=state.subject_count,
        state_bytes=state.stored_bytes,
    )  # fmt: skip
    return PipelineResult(
        name=job.name,
        encoding=encoding,
        report=report,
        warnings=warnings,
        kept=kept,
        segments=written[-1].segments,
        subjects=state.subject_count,
        subject_builds=sum(part.builds for part in written),
    )


def _copy(path: Path, out: BinaryIO) -> None:
    with open(path, "rb") as stream:
        while block := stream.read(_READ_CHUNK):
            out.write(block)


def _open_optional(path: Path, wanted: bool) -> contextlib.AbstractContextManager[IO[str] | None]:
    return open(path, encoding="utf-8") if wanted else contextlib.nullcontext()
