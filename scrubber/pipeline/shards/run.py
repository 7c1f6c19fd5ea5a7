"""Running a sharded scrub in the parent: the worker pools, the merge of the
shards' states, and the join of their part files (see :mod:`scrubber.pipeline.shards`)."""

from __future__ import annotations

import functools
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrubber.errors import InputWarning
from scrubber.logs import get_logger
from scrubber.outputs.fanout import Outputs, join
from scrubber.outputs.report import ReportBuilder
from scrubber.outputs.sink import Part, RunEnd
from scrubber.pipeline.course_state import CourseState
from scrubber.pipeline.decided import recorded
from scrubber.pipeline.decisions import Decisions
from scrubber.pipeline.gc_tuning import before_fork
from scrubber.pipeline.interrupts import init_worker, run_task, stop_workers
from scrubber.pipeline.passes import (
    PipelineResult,
    ProgressFn,
    Recorder,
    keeps_batch_of,
    passthrough_for,
    run_info,
    with_history,
)
from scrubber.pipeline.shards.plan import ByteRange
from scrubber.pipeline.shards.workers import (
    Job,
    ShardRead,
    ShardWritten,
    decide_share,
    decided_path,
    installed,
    part_path,
    read_shard,
    write_shard,
)
from scrubber.rules.engine import Engine
from scrubber.rules.radonc.registry import CourseRegistry

if TYPE_CHECKING:
    from scrubber.pipeline.passes import History


def run_sharded(
    path: str,
    name: str,
    ranges: list[ByteRange],
    engine: Engine,
    outputs: Outputs,
    *,
    history: History = None,
    progress: ProgressFn | None = None,
) -> PipelineResult | None:
    """Scrub the file ``path`` in the shards ``ranges`` (see the module
    docstring) into ``outputs``: each worker writes its shard's part of every
    output, the parent joins them (:func:`scrubber.outputs.fanout.join`); with a
    ``history`` as :func:`scrubber.pipeline.passes.run_pipeline` takes it (a store
    locks, loads and records the whole file as one batch). ``None`` (and
    nothing written) when the serial pipeline must run instead."""
    if sys.platform == "win32":  # (no fork)
        return None
    keep_batch = keeps_batch_of(history)
    with tempfile.TemporaryDirectory(prefix="scrubber-shards-") as workdir:
        job = Job(path, name, ranges, engine, Path(workdir), outputs, keep_batch=keep_batch)
        job.plain = passthrough_for(engine, keep_batch)
        with installed(job):
            return _run(job, history, progress)


def _run(job: Job, history: History, progress: ProgressFn | None) -> PipelineResult | None:
    """:func:`run_sharded` with its :class:`Job` installed for the workers."""
    count = len(job.ranges)
    reads = list(_in_workers(count, read_shard))
    _report_progress(progress, "read", reads, count)
    _remember_takes(job, reads)
    state = _merge(reads)
    if state is None:
        return None
    keys = [key for read in reads for key in read.keys]  # (only with a store)
    job.state, job.reads = state, reads

    def second_pass(registry: CourseRegistry, record: Recorder | None) -> PipelineResult:
        job.registry = registry
        job.decisions = Decisions(state.batch_count)
        deciding = count if state.subject_count else 0  # (all plain: no pool to fork)
        for path in list(_in_workers(deciding, decide_share)):  # (the workers are gone then)
            job.decisions.update(Decisions.load(path, state.batch_count))
        _report_progress(progress, "decide", reads, count)
        written = []
        for index, part in enumerate(_in_workers(count, write_shard)):
            written.append(part)
            _report_progress(progress, "write", reads, index + 1)
        if record is not None:
            for index in range(count):
                for claim, decision in recorded(decided_path(job.workdir, index)):
                    record(claim, decision)
        return _join(job, reads, written)

    return with_history(history, keys, job.name, job.engine, state, second_pass)


def _in_workers(count: int, work: Callable[[int], Any]) -> Iterator[Any]:
    """``work(0) ... work(count - 1)`` in ``count`` forked processes, in order
    (none for a ``count`` of 0)."""
    if not count:
        return
    import multiprocessing  # (here: a serial run never starts a pool)
    from concurrent.futures import ProcessPoolExecutor

    before_fork()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(count, mp_context=context, initializer=init_worker) as pool:
        try:
            yield from pool.map(functools.partial(run_task, work), range(count))
        except BaseException:  # an interrupt, or a worker's failure: stop the others now
            stop_workers(pool)
            raise


def _remember_takes(job: Job, reads: list[ShardRead]) -> None:
    """The transactions pass 1's workers took whole, for pass 2's workers
    (forked after this) to take again without checking them."""
    if job.plain is None:
        return
    before = 0
    for read in reads:
        job.plain.text_scan.remember(read.taken, before)
        read.taken = {}
        before += read.transactions


def _report_progress(
    progress: ProgressFn | None, stage: str, reads: list[ShardRead], shards_done: int
) -> None:
    if progress:
        total = sum(read.claims for read in reads)
        done = sum(read.claims for read in reads[:shards_done])
        progress(stage, done, 0 if stage == "read" else total)


def _merge(reads: list[ShardRead]) -> CourseState | None:
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


# Joining the parts (in the parent) ---------------------------------------------------


def _join(job: Job, reads: list[ShardRead], written: list[ShardWritten]) -> PipelineResult:
    """Every output from the shards' parts, in input order; the tallies merged."""
    encoding = reads[0].encoding
    report = ReportBuilder()
    warnings: list[InputWarning] = []
    for part in written:
        report.merge(part.report)
        warnings.extend(part.warnings)
    parts = [
        {name: Part(part_path(job.workdir, index, name), done) for name, done in part.done.items()}
        for index, part in enumerate(written)
    ]
    outputs = job.outputs
    run = run_info(outputs, job.name, job.engine, encoding)
    end = RunEnd(written[-1].trailer, warnings, report)
    sinks = join(outputs.kinds, run, outputs.targets, parts, end)
    assert job.state is not None
    state = job.state
    get_logger("scrubber.pipeline.shards").info(
        "input.sharded", shards=len(written), claims=state.batch_count,
        segments=written[-1].segments, subjects=state.subject_count,
        state_bytes=state.stored_bytes,
    )  # fmt: skip
    return PipelineResult(
        name=job.name,
        encoding=encoding,
        report=report,
        warnings=warnings,
        segments=written[-1].segments,
        sinks=sinks,
        subjects=state.subject_count,
        decisions_kept=job.decisions.kept if job.decisions else 0,
    )
