"""One batch across many files (``scrubber scrub --batch``): every claim is
decided with the context of ALL the inputs, as if they were one file, and
each input still gets its own outputs, in its own order and envelopes.

The inputs are cut into *units*: a whole input, or (with ``jobs`` > 1 and
a large file) a byte range of whole interchanges
(:func:`scrubber.pipeline.shards.plan_shards`). Units are numbered in input
order, then range order, and claims ``seq`` continue across them, so the
batch is one sequence of claims:

1. pass 1 reads each unit into its own
   :class:`~scrubber.pipeline.course_state.CourseState` part (in ``jobs``
   forked processes); the parts are merged into one state (a patient's
   course may span files);
2. with a history store the batch is ONE store batch (its subjects locked
   and loaded, its claims recorded in batch order, in one transaction);
   the subjects are decided, a share of them in each process;
3. pass 2 reads each unit again and writes its part of every output to a
   part file (:func:`write_unit`); the parent joins each input's parts into
   its outputs (:func:`join_input`) and commits them atomically
   (:class:`~scrubber.outputs.atomic.OutputSet`), input by input.

Plain claims (:mod:`scrubber.rules.passthrough`) take the fast path, as in
``scrubber scrub``: pass 1 only counts them (and whole transactions of
them are taken from their text), pass 2 writes them accepted; not with a
history store, which records every claim's facts.

The outputs are the same with any ``jobs`` (``jobs`` = 1 runs every step
in this process). For one input they are those of ``scrubber scrub``.
An unusable input refuses the whole batch (:func:`refused`, before
anything is written or recorded): the other inputs' decisions depend on it.
:mod:`scrubber.spark` runs the same units, decisions and joins on Apache Spark.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from scrubber.errors import InputWarning, X12InputError
from scrubber.history.records import BatchKey
from scrubber.logs import get_logger
from scrubber.model import Claim
from scrubber.outputs.ack277 import AckSettings, control_after
from scrubber.outputs.atomic import OutputSet
from scrubber.outputs.fanout import Fanout, Outputs, join
from scrubber.outputs.registry import OutputKind
from scrubber.outputs.report import ReportBuilder
from scrubber.outputs.sink import Part, RunEnd
from scrubber.outputs.targets import PartTarget, StagedTarget
from scrubber.pipeline.course_state import CourseState
from scrubber.pipeline.decided import DecidedFile, recorded
from scrubber.pipeline.decisions import Decisions, decide_subjects
from scrubber.pipeline.envelopes import EnvelopeCounter
from scrubber.pipeline.files import FilesResult, files_result
from scrubber.pipeline.gc_tuning import before_fork, long_lived_gc
from scrubber.pipeline.passes import (
    NO_CLAIMS,
    ClaimIndex,
    DecisionLookup,
    PipelineResult,
    Recorder,
    keeps_batch_of,
    passthrough_for,
    read_facts,
    recording,
    run_info,
    text_scan_for,
    with_history,
)
from scrubber.pipeline.shards.plan import ByteRange, plan_shards
from scrubber.rules.engine import Engine
from scrubber.rules.facts import ClaimFacts
from scrubber.rules.passthrough import Passthrough
from scrubber.rules.radonc.registry import CourseRegistry
from scrubber.x12.reader import ReadOffsets, X12Reader
from scrubber.x12.source import Encoding

if TYPE_CHECKING:
    from scrubber.pipeline.passes import History


def refused(source: str, error: X12InputError) -> X12InputError:
    """The error that refuses the whole batch because of the input ``source``:
    ``error`` naming that input (``source``: the CLI prints
    ``scrubber: INPUT: message``)."""
    made = X12InputError(error.problem, error.position, error.segment_id)
    setattr(made, "source", "<stdin>" if source == "-" else source)  # noqa: B010
    return made


@dataclass(frozen=True)
class BatchInput:
    """One input of a batch: a regular file, its display name, the stem of
    its outputs and its 277CA's run-dependent values."""

    path: str
    name: str
    stem: str
    ack: AckSettings


@dataclass(frozen=True)
class Unit:
    """A piece of the batch read by one task: input ``input``'s bytes
    ``span`` (``None``: the whole file)."""

    input: int
    span: ByteRange | None


@dataclass
class UnitRead:
    """What pass 1 learnt of one unit (picklable, small)."""

    claims: int = 0
    encoding: Encoding = field(default_factory=Encoding)
    segments: int = 0
    transactions: int = 0
    envelopes: int = 0  # 277CA interchanges + groups its claims open
    keys: list[BatchKey] = field(default_factory=list)  # what a history store locks
    error: X12InputError | None = None
    digest: str = ""  # of its claims' subjects, in order (set by Spark's map task)
    size: int = 0  # bytes read (set by Spark's map task)
    copyable: bytes = b""  # a bit a claim, 1: pass 2 may copy it (with no state; bit_at)


@dataclass(frozen=True)
class UnitWrite:
    """Everything pass 2 of one unit needs but the decisions (picklable)."""

    number: int  # the unit's place in the batch (part file names)
    path: str
    name: str
    span: ByteRange | None
    run_engine: RunFacts
    kinds: Sequence[OutputKind]
    ack: AckSettings  # the input's, control numbers continued after earlier units
    compact_json: bool
    encoding: Encoding
    offsets: ReadOffsets  # within the input
    seqs: range  # the unit's batch claims
    workdir: Path
    keep_decided: bool  # write each claim and its decision for a store to record


@dataclass(frozen=True)
class RunFacts:
    """What the sinks are told of the engine (an :class:`Engine` need not travel)."""

    profile: str
    as_of: Any
    rule_set: str

    @classmethod
    def of(cls, engine: Engine) -> RunFacts:
        return cls(str(engine.profile), engine.as_of, engine.rule_set)


@dataclass
class UnitWritten:
    """What pass 2 wrote for one unit (its part files are in the workdir)."""

    report: ReportBuilder
    warnings: list[InputWarning]
    trailer: str
    segments: int
    done: dict[str, object]  # what each output's part sink returned, by kind name


# Planning and pass 1 (any process) --------------------------------------------------


def plan_units(inputs: Sequence[BatchInput], jobs: int, min_bytes: int | None = None) -> list[Unit]:
    """Each input as one unit, or (``jobs`` > 1) a large one as several
    byte ranges of whole interchanges; in input order."""
    units: list[Unit] = []
    for index, source in enumerate(inputs):
        ranges = plan_shards(source.path, jobs, min_bytes) if jobs > 1 else []
        units.extend([Unit(index, span) for span in ranges] or [Unit(index, None)])
    return units


def open_unit(path: str, span: ByteRange | None) -> BinaryIO:
    """The bytes of a unit, as a binary stream."""
    if span is None:
        return open(path, "rb")
    return cast(BinaryIO, _RangeStream(path, span))


class _RangeStream:
    """A binary stream of the bytes ``span`` of a file (``read``, ``close``)."""

    def __init__(self, path: str, span: ByteRange) -> None:
        self._stream = open(path, "rb")  # noqa: SIM115 (closed by close)
        self._stream.seek(span.start)
        self._left = span.end - span.start

    def read(self, size: int = -1) -> bytes:
        wanted = self._left if size < 0 else min(size, self._left)
        block = self._stream.read(wanted) if wanted > 0 else b""
        self._left -= len(block)
        return block

    def close(self) -> None:
        self._stream.close()


def read_unit(
    source: BatchInput,
    span: ByteRange | None,
    state: CourseState | None,
    keep_batch: bool,
    on_facts: Callable[[Claim, ClaimFacts], object] | None = None,
    opened: BinaryIO | None = None,
    plain: Passthrough | None = None,
    on_passed: Callable[[int], object] | None = None,
) -> UnitRead:
    """Pass 1 of one unit: its claims' facts into ``state`` (numbered from 0)
    and to ``on_facts``; an input error is returned, not raised. ``opened``:
    the unit's bytes, already opened (else ``source.path`` and ``span`` are).
    ``plain``: the fast path (a plain claim has no facts: it is counted in
    ``state`` and ``on_passed`` is told how many, a run at a time). With no ``state``, which
    claims pass 2 may copy is returned (:attr:`UnitRead.copyable`)."""
    counter = EnvelopeCounter(keep_batch, on_facts, on_passed)
    copyable = bytearray() if state is None else None
    with contextlib.closing(opened or open_unit(source.path, span)) as stream:
        reader = X12Reader(
            stream, source.name, keep_transactions=False, plain=plain, build_plain=False,
            scan=plain.text_scan if plain is not None else None,
        )  # fmt: skip
        try:
            claims = read_facts(
                reader, state, counter.claim, on_passed=counter.passed, copyable=copyable
            )
        except X12InputError as error:
            return UnitRead(error=error)
    return UnitRead(
        claims, reader.encoding, reader.segment_count, reader.transaction_count,
        counter.count, counter.keys, copyable=_bits(copyable or b""),
    )  # fmt: skip


def _bits(flags: bytes | bytearray) -> bytes:
    """``flags`` (a byte each, 0 or 1) as bits, 8 a byte (:func:`bit_at`):
    Spark collects and broadcasts them, a bit a claim of the day."""
    packed = bytearray((len(flags) + 7) // 8)
    for at, flag in enumerate(flags):
        if flag:
            packed[at >> 3] |= 1 << (at & 7)
    return bytes(packed)


def bit_at(bits: bytes, at: int) -> bool:
    """Bit ``at`` of what :func:`_bits` packed (``False`` past the end)."""
    return 0 <= at < len(bits) * 8 and bool(bits[at >> 3] >> (at & 7) & 1)


def check_reads(
    inputs: Sequence[BatchInput], units: Sequence[Unit], reads: Sequence[UnitRead]
) -> bool:
    """Whether the units were read cleanly as cut: ``False`` when a unit
    failed or the ranges of one input decoded differently (then read again
    with whole inputs, :func:`refuse_unusable` names the error); raises
    :func:`refused` for an input without claims."""
    encodings: dict[int, str] = {}
    for unit, read in zip(units, reads, strict=True):
        if read.error is not None:
            return False
        if encodings.setdefault(unit.input, read.encoding.codec) != read.encoding.codec:
            return False
    claims = [0] * len(inputs)
    for unit, read in zip(units, reads, strict=True):
        claims[unit.input] += read.claims
    for source, count in zip(inputs, claims, strict=True):
        if not count:
            raise refused(source.name, X12InputError(NO_CLAIMS))
    return True


def refuse_unusable(inputs: Sequence[BatchInput], reads: Sequence[UnitRead]) -> None:
    """Raise :func:`refused` for the first input (read whole) that
    failed or holds no claim."""
    for source, read in zip(inputs, reads, strict=True):
        if read.error is not None:
            raise refused(source.name, read.error)
        if not read.claims:
            raise refused(source.name, X12InputError(NO_CLAIMS))


# Pass 2 (any process) ----------------------------------------------------------------


def unit_writes(
    inputs: Sequence[BatchInput],
    units: Sequence[Unit],
    reads: Sequence[UnitRead],
    outputs: BatchOutputs,
    engine: Engine,
    workdir: Path,
    keep_decided: bool,
) -> list[UnitWrite]:
    """What pass 2 of each unit needs: where it starts in its input (segments,
    claims, transactions, 277CA control numbers) and in the batch (``seq``)."""
    writes: list[UnitWrite] = []
    seq = 0
    facts = RunFacts.of(engine)
    before: dict[int, list[UnitRead]] = {}
    for number, (unit, read) in enumerate(zip(units, reads, strict=True)):
        earlier = before.setdefault(unit.input, [])
        source = inputs[unit.input]
        offsets = ReadOffsets(
            segments=sum(r.segments for r in earlier),
            claims=sum(r.claims for r in earlier),
            transactions=sum(r.transactions for r in earlier),
        )
        control = control_after(source.ack.control_start, sum(r.envelopes for r in earlier))
        writes.append(
            UnitWrite(
                number, source.path, source.name, unit.span, facts, outputs.kinds,
                dataclasses.replace(source.ack, control_start=control), outputs.compact_json,
                (earlier[0] if earlier else read).encoding, offsets,
                range(seq, seq + read.claims), workdir, keep_decided,
            )
        )  # fmt: skip
        earlier.append(read)
        seq += read.claims
    return writes


def write_unit(
    work: UnitWrite,
    index: ClaimIndex,
    decisions: DecisionLookup,
    opened: BinaryIO | None = None,
    plain: Passthrough | None = None,
) -> UnitWritten:
    """Pass 2 of one unit: its part of every output (part files in the
    workdir) and, with ``keep_decided``, each claim and its decision.
    ``opened``: the unit's bytes, already opened (else ``work.path`` and
    ``work.span`` are). ``plain``: the fast path pass 1 took. Claims
    accepted as they came are copied
    (:func:`~scrubber.pipeline.passes.copies_for`)."""
    from scrubber.pipeline.passes import copies_for, write_claims

    run = dataclasses.replace(
        run_info(Outputs(work.kinds, {}, work.ack, work.compact_json), work.name,
                 work.run_engine, work.encoding),
        part=True,
        continued=work.offsets.claims > 0,
    )  # fmt: skip
    targets = {
        kind.name: PartTarget(part_path(work.workdir, work.number, kind.name))
        for kind in work.kinds
    }
    fanout = Fanout.of(work.kinds, run, targets)
    decided = part_path(work.workdir, work.number, "decided")
    with (
        contextlib.closing(opened or open_unit(work.path, work.span)) as stream,
        DecidedFile(decided, work.keep_decided) as record,
    ):
        on_decision = recording(record.record) if record.stream is not None else None
        shift = work.seqs.start - work.offsets.claims  # (seqs run across the inputs)
        copy = copies_for(index, decisions, fanout, recording=on_decision is not None, shift=shift)
        reader = X12Reader(
            stream, work.name, keep_transactions=False, offsets=work.offsets, plain=plain,
            scan=text_scan_for(plain, fanout), copy=copy,
        )  # fmt: skip
        write_claims(
            reader, index, decisions, fanout.add, None, on_decision, work.seqs,
            write_plain=fanout.add_plain, write_copied=fanout.add_copied,
        )  # fmt: skip
    done = fanout.close("", reader.warnings)
    for target in targets.values():
        target.close()
    return UnitWritten(fanout.tally, reader.warnings, reader.trailer, reader.segment_count, done)


def part_path(workdir: Path, number: int, name: str) -> Path:
    """Unit ``number``'s part file of the output ``name`` (or ``"decided"``)."""
    return workdir / f"unit-{number:06d}.{name}"


def record_units(writes: Sequence[UnitWrite], record: Recorder) -> None:
    """Hand every claim the units wrote, with its decision, to ``record``, in batch order."""
    for work in writes:
        for claim, decision in recorded(part_path(work.workdir, work.number, "decided")):
            record(claim, decision)


# Joining one input's parts (the parent) -----------------------------------------------


@dataclass(frozen=True)
class BatchOutputs:
    """The outputs of every input: which kinds, the directory, and whether
    the report is also written as one JSON line."""

    kinds: Sequence[OutputKind]
    out_dir: Path
    compact_json: bool = False


def join_input(
    source: BatchInput,
    writes: Sequence[UnitWrite],
    written: Sequence[UnitWritten],
    outputs: BatchOutputs,
    engine: Engine,
    subjects: int,
    decisions_kept: int,
) -> FilesResult:
    """One input's outputs from its units' parts, in order, committed
    atomically into ``outputs.out_dir``/``source.stem`` + each suffix."""
    report = ReportBuilder()
    warnings: list[InputWarning] = []
    for part in written:
        report.merge(part.report)
        warnings.extend(part.warnings)
    parts = [
        {
            name: Part(part_path(work.workdir, work.number, name), done)
            for name, done in w.done.items()
        }
        for work, w in zip(writes, written, strict=True)
    ]
    encoding = writes[0].encoding
    with OutputSet() as staged:
        targets = {
            kind.name: StagedTarget(staged, outputs.out_dir / f"{source.stem}{kind.suffix}")
            for kind in outputs.kinds
        }
        plan = Outputs(outputs.kinds, targets, source.ack, outputs.compact_json)
        run = run_info(plan, source.name, engine, encoding)
        end = RunEnd(written[-1].trailer, warnings, report)
        sinks = join(outputs.kinds, run, targets, parts, end)
        for target in targets.values():
            target.close()
        staged.commit()
    result = PipelineResult(
        name=source.name, encoding=encoding, report=report, warnings=warnings,
        segments=written[-1].segments, sinks=sinks, subjects=subjects,
        decisions_kept=decisions_kept,
    )  # fmt: skip
    return files_result(result, targets)


def join_inputs(
    inputs: Sequence[BatchInput],
    units: Sequence[Unit],
    writes: Sequence[UnitWrite],
    written: Sequence[UnitWritten],
    outputs: BatchOutputs,
    engine: Engine,
    subjects: int,
    decisions_kept: int,
) -> list[FilesResult]:
    """Every input's outputs (:func:`join_input`), in input order."""
    results = []
    for index, source in enumerate(inputs):
        mine = [n for n, unit in enumerate(units) if unit.input == index]
        results.append(
            join_input(
                source, [writes[n] for n in mine], [written[n] for n in mine],
                outputs, engine, subjects, decisions_kept,
            )
        )  # fmt: skip
    return results


def batch_source(inputs: Sequence[BatchInput]) -> str:
    """The batch's source as the history store records it: the inputs' file
    names, comma-separated, at most 255 characters."""
    names = ",".join(Path(source.name).name for source in inputs)
    return names if len(names) <= 255 else names[:254] + "…"


# The batch on this machine ------------------------------------------------------------


@dataclass
class _Job:
    """What forked workers inherit (set just before a pool starts)."""

    inputs: Sequence[BatchInput]
    units: list[Unit]
    engine: Engine
    keep_batch: bool
    workdir: Path
    state: CourseState | None = None
    registry: CourseRegistry | None = None
    decisions: Decisions | None = None
    writes: list[UnitWrite] = field(default_factory=list)
    shares: int = 1
    plain: Passthrough | None = None  # the fast path (none with a history store)
    taken: list[dict[int, object]] = field(default_factory=list)  # pass 1's takes, by unit


_job: _Job | None = None


def scrub_batch(
    inputs: Sequence[BatchInput],
    engine: Engine,
    outputs: BatchOutputs,
    *,
    history: History = None,
    jobs: int = 1,
    min_shard_bytes: int | None = None,
) -> list[FilesResult]:
    """Scrub ``inputs`` as one batch (see the module docstring) in ``jobs``
    processes; each input's outputs in ``outputs.out_dir``. Raises
    :func:`refused` (nothing written, nothing recorded) when an
    input is unusable."""
    global _job
    keep_batch = keeps_batch_of(history)
    with tempfile.TemporaryDirectory(prefix="scrubber-batch-") as workdir, long_lived_gc():
        units = plan_units(inputs, jobs, min_shard_bytes)
        job = _Job(inputs, units, engine, keep_batch, Path(workdir))
        job.plain = passthrough_for(engine, keep_batch)
        _job = job
        try:
            return _run(job, outputs, history, jobs)
        finally:
            _job = None


def _run(job: _Job, outputs: BatchOutputs, history: History, jobs: int) -> list[FilesResult]:
    reads = _read_all(job, jobs)
    state = CourseState.merged([read.state for read in reads])  # type: ignore[misc]
    infos = [read.info for read in reads]
    job.taken = [read.taken for read in reads]
    job.state = state
    keys = [key for info in infos for key in info.keys]
    name = batch_source(job.inputs)
    log = get_logger("scrubber.pipeline.batch")
    log.info("batch.read", inputs=len(job.inputs), units=len(job.units),
             claims=state.batch_count, subjects=state.subject_count)  # fmt: skip

    def second_pass(registry: CourseRegistry, record: Recorder | None) -> list[FilesResult]:
        job.registry = registry
        job.shares = max(1, min(jobs, state.subject_count))
        job.decisions = Decisions(state.batch_count)
        for decided in _map(job.shares, _decide_share, jobs):
            job.decisions.update(decided)
        job.writes = unit_writes(
            job.inputs, job.units, infos, outputs, job.engine, job.workdir, record is not None
        )
        written = list(_map(len(job.units), _write_unit, jobs))
        if record is not None:
            record_units(job.writes, record)
        return join_inputs(
            job.inputs, job.units, job.writes, written, outputs, job.engine,
            state.subject_count, job.decisions.kept,
        )  # fmt: skip

    return with_history(history, keys, name, job.engine, state, second_pass)


@dataclass
class _Read:
    state: CourseState | None
    info: UnitRead
    taken: dict[int, object]  # what the unit's text scan took whole (ordinals from 1)


def _read_all(job: _Job, jobs: int) -> list[_Read]:
    """Pass 1 of every unit; the units of the whole inputs when a range failed."""
    reads = list(_map(len(job.units), _read_unit, jobs))
    if check_reads(job.inputs, job.units, [read.info for read in reads]):
        return reads
    job.units = [Unit(index, None) for index in range(len(job.inputs))]
    reads = list(_map(len(job.units), _read_unit, jobs))
    refuse_unusable(job.inputs, [read.info for read in reads])
    return reads


def _read_unit(number: int) -> _Read:
    job = _current()
    unit = job.units[number]
    state = CourseState(part=number)
    scan = job.plain.text_scan if job.plain is not None else None
    if scan is not None:
        scan.forget()  # (this process may have read another unit)
    info = read_unit(job.inputs[unit.input], unit.span, state, job.keep_batch, plain=job.plain)
    taken = scan.remembered() if scan is not None and info.error is None else {}
    return _Read(state if info.error is None else None, info, taken)


def _decide_share(share: int) -> Decisions:
    job = _current()
    assert job.state is not None
    subjects = range(share, job.state.subject_count, job.shares)
    return decide_subjects(job.engine, job.state, job.registry or job.engine.registry, subjects)


def _write_unit(number: int) -> UnitWritten:
    job = _current()
    assert job.state is not None and job.decisions is not None
    work = job.writes[number]
    if job.plain is not None:  # pass 1's takes of this unit, not checked again
        job.plain.text_scan.forget()
        job.plain.text_scan.remember(job.taken[number], work.offsets.transactions)
    return write_unit(work, job.state, job.decisions, plain=job.plain)


def _map(count: int, work: Callable[[int], Any], jobs: int) -> Iterator[Any]:
    """``work(0) ... work(count - 1)``, in order: in this process when
    ``jobs`` is 1 (or there is one piece of work), else in forked processes."""
    if jobs <= 1 or count <= 1 or sys.platform == "win32":  # (no fork)
        yield from map(work, range(count))
        return
    import multiprocessing  # (here: a serial run never starts a pool)
    from concurrent.futures import ProcessPoolExecutor

    before_fork()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(min(jobs, count), mp_context=context) as pool:
        yield from pool.map(work, range(count))


def _current() -> _Job:
    assert _job is not None, "a batch worker runs only inside scrub_batch"
    return _job


__all__ = [
    "BatchInput",
    "BatchOutputs",
    "Unit",
    "UnitRead",
    "UnitWrite",
    "UnitWritten",
    "join_inputs",
    "plan_units",
    "read_unit",
    "refused",
    "scrub_batch",
    "unit_writes",
    "write_unit",
]
