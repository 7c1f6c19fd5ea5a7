"""What the shard worker processes run (see :mod:`scrubber.pipeline.shards`): pass 1
reads a shard into a :class:`~scrubber.pipeline.course_state.CourseState` part; the
decisions are made by subject, a share of the subjects a worker; pass 2
reads a shard again and writes its part of every output, to part files,
through the same :class:`~scrubber.outputs.fanout.Fanout` as a serial run.
Workers are forked: they find their :class:`Job` in this module, set by
:func:`installed` in the parent just before the pool starts."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

from scrubber.errors import InputWarning, X12InputError
from scrubber.outputs.ack277 import control_after
from scrubber.outputs.fanout import Fanout, Outputs
from scrubber.outputs.report import ReportBuilder
from scrubber.outputs.targets import PartTarget
from scrubber.pipeline.course_state import CourseState
from scrubber.pipeline.decided import DecidedFile
from scrubber.pipeline.decisions import Decisions, decide_subjects
from scrubber.pipeline.envelopes import EnvelopeCounter
from scrubber.pipeline.passes import (
    copies_for,
    read_facts,
    recording,
    run_info,
    text_scan_for,
    write_claims,
)
from scrubber.pipeline.shards.plan import ByteRange
from scrubber.rules.engine import Engine
from scrubber.rules.passthrough import Passthrough
from scrubber.rules.radonc.registry import CourseRegistry
from scrubber.x12.reader import ReadOffsets, X12Reader
from scrubber.x12.source import Encoding

if TYPE_CHECKING:
    from scrubber.history.records import BatchKey


@dataclass
class ShardRead:
    """What pass 1 learnt of one shard."""

    state: CourseState | None  # dropped once merged
    claims: int
    encoding: Encoding
    segments: int
    transactions: int
    envelopes: int  # 277CA interchanges + groups its claims open (control numbers used)
    keys: list[BatchKey] = field(default_factory=list)  # what a history store locks
    failed: bool = False
    taken: dict[int, object] = field(default_factory=dict)  # what its text scan remembers


@dataclass
class ShardWritten:
    """What pass 2 wrote for one shard (its part files are in the job's folder)."""

    report: ReportBuilder  # the shard's tally
    warnings: list[InputWarning]
    trailer: str
    segments: int
    done: dict[str, object]  # what each output's part sink returned, by kind name


@dataclass
class Job:
    """What the worker processes inherit (``fork``): set just before a pool starts."""

    path: str
    name: str
    ranges: list[ByteRange]
    engine: Engine
    workdir: Path
    outputs: Outputs  # the parent's targets: the workers write part files instead
    keep_batch: bool = False  # a history store records the batch
    state: CourseState | None = None
    reads: list[ShardRead] = field(default_factory=list)
    registry: CourseRegistry | None = None
    decisions: Decisions | None = None
    plain: Passthrough | None = None  # the fast path (its text scan remembers pass 1's takes)


_job: Job | None = None


@contextlib.contextmanager
def installed(job: Job) -> Iterator[Job]:
    """``job`` is what workers forked inside the block find."""
    global _job
    _job = job
    try:
        yield job
    finally:
        _job = None


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


def read_shard(index: int) -> ShardRead:
    job = _current_job()
    plain = job.plain
    span = _open_range(job.path, job.ranges[index])
    reader = X12Reader(
        span, job.name, keep_transactions=False, plain=plain, build_plain=False,
        scan=plain.text_scan if plain is not None else None,
    )  # fmt: skip
    state = CourseState(part=index)
    envelopes = EnvelopeCounter(job.keep_batch)
    try:
        read_facts(reader, state, envelopes.claim, on_passed=envelopes.passed)
    except X12InputError:
        return ShardRead(None, 0, Encoding(), 0, 0, 0, failed=True)
    return ShardRead(
        state, state.batch_count, reader.encoding, reader.segment_count,
        reader.transaction_count, envelopes.count, envelopes.keys,
        taken=plain.text_scan.remembered() if plain is not None else {},
    )  # fmt: skip


# Deciding (in a worker) ------------------------------------------------------------


def decide_share(index: int) -> Path:
    """Decide the subjects ``index``, ``index + N``, ... (N: the shards)
    against the merged state; the decisions go to a file (returned), which
    the parent loads once the workers are gone (no second copy in flight)."""
    job = _current_job()
    assert job.state is not None
    registry = job.registry or job.engine.registry
    subjects = range(index, job.state.subject_count, len(job.ranges))
    path = job.workdir / f"decisions-{index:04d}"
    decide_subjects(job.engine, job.state, registry, subjects).save(path)
    return path


# Pass 2 (in a worker) ------------------------------------------------------------


def write_shard(index: int) -> ShardWritten:
    job = _current_job()
    assert job.state is not None and job.decisions is not None
    before = job.reads[:index]
    offsets = ReadOffsets(
        segments=sum(read.segments for read in before),
        claims=sum(read.claims for read in before),
        transactions=sum(read.transactions for read in before),
    )
    outputs = job.outputs
    control = control_after(outputs.ack.control_start, sum(read.envelopes for read in before))
    run = dataclasses.replace(
        run_info(outputs, job.name, job.engine, job.reads[0].encoding),
        ack=dataclasses.replace(outputs.ack, control_start=control),
        part=True,
        continued=offsets.claims > 0,
    )
    span = job.ranges[index]
    targets = {
        kind.name: PartTarget(part_path(job.workdir, index, kind.name)) for kind in outputs.kinds
    }
    fanout = Fanout.of(outputs.kinds, run, targets)
    plain = job.plain
    claims = range(offsets.claims, offsets.claims + job.reads[index].claims)
    with DecidedFile(decided_path(job.workdir, index), job.keep_batch) as decided:
        on_decision = recording(decided.record) if decided.stream is not None else None
        reader = X12Reader(
            _open_range(job.path, span), job.name, keep_transactions=False, offsets=offsets,
            plain=plain, scan=text_scan_for(plain, fanout),
            copy=copies_for(job.state, job.decisions, fanout, recording=on_decision is not None),
        )  # fmt: skip
        write_claims(
            reader, job.state, job.decisions, fanout.add, None, on_decision, claims,
            write_plain=fanout.add_plain, write_copied=fanout.add_copied,
        )  # fmt: skip
    done = fanout.close(reader.trailer, reader.warnings)
    for target in targets.values():
        target.close()
    return ShardWritten(fanout.tally, reader.warnings, reader.trailer, reader.segment_count, done)


def part_path(workdir: Path, index: int, name: str) -> Path:
    """Shard ``index``'s part file of the output kind ``name``."""
    return workdir / f"shard-{index:04d}.{name}.part"


def decided_path(workdir: Path, index: int) -> Path:
    """Shard ``index``'s claims and decisions for a history store."""
    return workdir / f"shard-{index:04d}.decided"


def _current_job() -> Job:
    assert _job is not None, "a shard worker runs only inside run_sharded"
    return _job
