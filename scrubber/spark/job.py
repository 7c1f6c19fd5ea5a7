"""The Spark job of ``scrubber spark``: the batch of :mod:`scrubber.pipeline.batch`,
its steps as Spark stages. The outputs are byte for byte those of
``scrubber scrub --batch`` on the same inputs (same 277CA settings).

1. map: every input is cut into units, byte ranges of whole interchanges
   (:func:`~scrubber.pipeline.batch.plan_units`; a large file is read by
   several tasks); a task reads its unit's claims
   (:func:`~scrubber.pipeline.batch.read_unit`) into compact facts
   (:mod:`scrubber.spark.codec`) keyed by the HMAC of their subject
   (patient + billing NPI), and tells the driver the unit's counts
   (claims, segments, envelopes, the keys a history store locks) and a
   digest of its subjects in order;
2. with a history store, the driver opens ONE store batch for the batch's
   subjects (locked, their stored facts loaded) and adds those facts to
   the shuffle, keyed the same way;
3. shuffle the facts only, group by subject, decide each subject with the
   CLI's own :func:`~scrubber.pipeline.decisions.decide_subject`; only the
   decisions that are not a plain accept come back, keyed by unit and ``seq``;
4. pass 2: one task per unit reads it again and writes its part of every
   output (:func:`~scrubber.pipeline.batch.write_unit`) into a work folder
   inside ``-o DIR`` (so DIR must be one folder every executor and the
   driver see: a local disk in local mode, a shared file system on a
   cluster); the driver records the claims and decisions in the store (in
   batch order, same transaction), then joins each input's parts into its
   outputs and commits them atomically
   (:func:`~scrubber.pipeline.batch.join_inputs`), and removes the work folder.

Unusable input refuses the whole batch (an
:class:`~scrubber.errors.X12InputError` naming the input), nothing written
or recorded, as ``scrub --batch`` does.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrubber.errors import X12InputError
from scrubber.history.keys import HistoryKey
from scrubber.logs import get_logger
from scrubber.model import Claim
from scrubber.pipeline.batch import (
    BatchInput,
    BatchOutputs,
    Unit,
    UnitRead,
    UnitWrite,
    UnitWritten,
    batch_source,
    check_reads,
    join_inputs,
    plan_units,
    read_unit,
    record_units,
    refuse_unusable,
    unit_writes,
    write_unit,
)
from scrubber.pipeline.decisions import decide_subject, is_plain_accept
from scrubber.pipeline.files import FilesResult
from scrubber.rules.engine import Engine
from scrubber.rules.facts import ClaimFacts, patient_key
from scrubber.rules.findings import ClaimDecision, ClaimStatus
from scrubber.rules.radonc.registry import CourseRegistry
from scrubber.spark.codec import decode_facts, encode_facts, picklable_engines

if TYPE_CHECKING:
    from pyspark import RDD, SparkContext

    from scrubber.history import HistoryStore

_BATCH, _HISTORY = 0, 1  # the first item of a shuffled value: which facts


@dataclass(frozen=True)
class SparkBatch:
    """One ``scrubber spark`` run's settings."""

    inputs: Sequence[BatchInput]
    engine: Engine
    outputs: BatchOutputs
    min_split_bytes: int | None = None  # smallest byte range (default: shards' minimum)


def run_job(
    sc: SparkContext, batch: SparkBatch, store: HistoryStore | None = None
) -> list[FilesResult]:
    """Scrub ``batch`` on the Spark context ``sc`` (see the module docstring);
    each input's result, in input order."""
    picklable_engines()
    key = store.key if store is not None else run_key()
    workdir = batch.outputs.out_dir / f".scrubber-spark-{uuid.uuid4().hex}"
    workdir.mkdir(parents=True)
    try:
        return _run(sc, batch, store, key, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_key() -> HistoryKey:
    """The key the subjects are hashed with: ``SCRUBBER_HISTORY_KEY`` (or
    its file) when set, else a random key for this run only."""
    if os.environ.get("SCRUBBER_HISTORY_KEY") or os.environ.get("SCRUBBER_HISTORY_KEY_FILE"):
        return HistoryKey.from_config()
    return HistoryKey(os.urandom(32))


def _run(
    sc: SparkContext, batch: SparkBatch, store: HistoryStore | None, key: HistoryKey, workdir: Path
) -> list[FilesResult]:
    keep = store is not None
    units, read, reads = _read(sc, batch, key, keep)
    claims = sum(info.claims for info in reads)
    starts = _starts(reads)
    log = get_logger("scrubber.spark")
    log.info("spark.read", inputs=len(batch.inputs), units=len(units), claims=claims)
    writes = unit_writes(
        batch.inputs, units, reads, batch.outputs, batch.engine, workdir, keep
    )  # (workdir: every unit's parts; decided claims only with a store)
    facts = read.filter(lambda item: item[0] is not None).map(lambda item: (item[0], item[1]))
    if store is None:
        written = _decide_and_write(sc, batch, facts, writes, starts, claims, None, key, reads)
        return join_inputs(batch.inputs, units, writes, written, batch.outputs, batch.engine, 0, 0)
    with store.batch(
        [k for info in reads for k in info.keys],
        source=batch_source(batch.inputs),
        registry=batch.engine.registry,
    ) as hist:
        history = (hist.facts, hist.registry)
        written = _decide_and_write(sc, batch, facts, writes, starts, claims, history, key, reads)
        record_units(writes, hist.add)
        hist.finish()
    return join_inputs(batch.inputs, units, writes, written, batch.outputs, batch.engine, 0, 0)


def _read(
    sc: SparkContext, batch: SparkBatch, key: HistoryKey, keep: bool
) -> tuple[list[Unit], RDD[Any], list[UnitRead]]:
    """Pass 1 on the executors: the units, the RDD of their records (kept),
    and what each unit told; whole inputs again when a range failed."""
    from pyspark import StorageLevel

    jobs = max(2, sc.defaultParallelism)
    units = plan_units(batch.inputs, jobs, batch.min_split_bytes)
    inputs = batch.inputs
    for attempt in range(2):
        tasks = sc.parallelize(list(enumerate(units)), max(1, len(units)))
        read = tasks.flatMap(lambda task: _read_task(task, inputs, key, keep))
        read.persist(StorageLevel.MEMORY_AND_DISK)
        infos = sorted(read.filter(lambda item: item[0] is None).map(lambda i: i[1]).collect())
        reads = [info for _, info in infos]
        if check_reads(inputs, units, reads):
            return units, read, reads
        read.unpersist()
        if attempt == 0:
            units = [Unit(index, None) for index in range(len(inputs))]
        else:
            refuse_unusable(inputs, reads)
    raise AssertionError("unreachable: refuse_unusable raised")


def _read_task(
    task: tuple[int, Unit], inputs: Sequence[BatchInput], key: HistoryKey, keep: bool
) -> Iterator[tuple[Any, Any]]:
    """A map task: ``(subject hash, (_BATCH, unit, seq in unit, facts))`` for
    every claim of the unit, then ``(None, (unit, UnitRead))``."""
    number, unit = task
    records: list[tuple[Any, Any]] = []
    digest = hashlib.sha256()

    def on_facts(claim: Claim, facts: ClaimFacts) -> None:
        subject = key.subject(facts.patient, facts.entity)
        digest.update(subject.encode())
        records.append((subject, (_BATCH, number, facts.ref.seq, encode_facts(facts))))

    info = read_unit(inputs[unit.input], unit.span, None, keep, on_facts)
    if info.error is not None:
        records = []
    info.digest = digest.hexdigest()
    yield from records
    yield None, (number, info)


def _starts(reads: Sequence[UnitRead]) -> list[int]:
    """The batch ``seq`` of each unit's first claim."""
    starts, seq = [], 0
    for info in reads:
        starts.append(seq)
        seq += info.claims
    return starts


History = tuple[Sequence[ClaimFacts], CourseRegistry] | None


def _decide_and_write(
    sc: SparkContext,
    batch: SparkBatch,
    facts: RDD[Any],
    writes: list[UnitWrite],
    starts: list[int],
    claims: int,
    history: History,
    key: HistoryKey,
    reads: Sequence[UnitRead],
) -> list[UnitWritten]:
    """Shuffle the facts by subject, decide, and write every unit's parts;
    what each unit wrote, in unit order."""
    registry = batch.engine.registry
    stored: Sequence[ClaimFacts] = ()
    if history is not None:
        stored, registry = history
        rows = [
            (key.subject(f.patient, f.entity), (_HISTORY, 0, n, encode_facts(f)))
            for n, f in enumerate(stored)
        ]
        facts = facts.union(sc.parallelize(rows, max(1, min(len(rows) // 5000 + 1, 64))))
    engine = sc.broadcast((batch.engine, registry, starts, claims + len(stored)))
    partitions = max(1, sc.defaultParallelism)
    decided = facts.groupByKey(partitions).flatMap(lambda group: _decide_task(group[1], engine))
    by_unit = decided.groupByKey(len(writes))
    digests = [info.digest for info in reads]
    work = sc.broadcast((writes, digests, key))
    units = sc.parallelize([(n, None) for n in range(len(writes))], max(1, len(writes)))
    written = units.leftOuterJoin(by_unit, len(writes)).map(lambda item: _write_task(item, work))
    return [part for _, part in sorted(written.collect(), key=lambda item: item[0])]


def _decide_task(values: Iterable[Any], engine: Any) -> Iterator[tuple[int, Any]]:
    """Decide one subject: its batch claims in ``seq`` order, then its
    history in store order, as the CLI's state holds them; the decisions
    that are not a plain accept, as ``(unit, (seq, decision))``."""
    the_engine, registry, starts, _claims = engine.value
    ordered = sorted(values, key=lambda value: (value[0], value[1], value[2]))
    history: list[ClaimFacts] = []
    batch: dict[int, ClaimFacts] = {}
    unit_of: dict[int, int] = {}
    for which, unit, seq, record in ordered:
        if which == _BATCH:
            claim = decode_facts(record, starts[unit] + seq)
            batch[claim.ref.seq] = claim
            unit_of[claim.ref.seq] = unit
        else:
            history.append(decode_facts(record))
    for seq, decision in decide_subject(the_engine, batch, history, registry):
        if not is_plain_accept(decision):
            yield unit_of[seq], (seq, decision)


def _write_task(item: tuple[int, Any], work: Any) -> tuple[int, UnitWritten]:
    """Pass 2 of one unit, with its decisions that are not a plain accept."""
    number, (_, decided) = item
    writes, digests, key = work.value
    index = _DigestIndex(writes[number].seqs, key)
    written = write_unit(writes[number], index, _Decisions(dict(decided or ())))
    if index.hexdigest() != digests[number]:
        raise X12InputError("the input changed while it was scrubbed (read again, other claims)")
    return number, written


class _Decisions:
    """A unit's decisions by ``seq`` (a plain accept when not given)."""

    def __init__(self, decided: dict[int, ClaimDecision]) -> None:
        self._decided = decided

    def get(self, seq: int) -> ClaimDecision:
        return self._decided.get(seq) or ClaimDecision(ClaimStatus.ACCEPTED, ())


class _DigestIndex:
    """Pass 2's check that a unit reads again as pass 1 read it: the digest
    of its claims' subjects, compared once the unit is written."""

    def __init__(self, seqs: range, key: HistoryKey) -> None:
        self._seqs = seqs
        self._key = key
        self._digest = hashlib.sha256()

    @property
    def batch_count(self) -> int:
        return self._seqs.stop

    def same_subject(self, seq: int, claim: Claim) -> bool:
        patient = patient_key(claim)
        self._digest.update(self._key.subject(patient, claim.billing_npi.strip()).encode())
        return seq in self._seqs

    def passed(self, seq: int) -> bool:
        return False  # Spark's readers use no fast path: no claim is passed

    def hexdigest(self) -> str:
        return self._digest.hexdigest()
