"""The Spark job of ``scrubber spark``: the batch of :mod:`scrubber.pipeline.batch`,
its steps as Spark stages. The outputs are byte for byte those of
``scrubber scrub --batch`` on the same inputs (same 277CA settings).

0. the inputs are Hadoop paths or URIs (:mod:`scrubber.spark.files` found
   them); the driver reads each one's size and first 4 KB through Hadoop;
1. map: Spark's own reader reads every input, through Hadoop, cut at its
   interchange separator, so each Hadoop split is a *unit* of whole
   interchanges (:mod:`scrubber.spark.units`; a large file is read by
   several tasks, one per split); a task reads its units' claims
   (:func:`~scrubber.pipeline.batch.read_unit`) into compact facts
   (:mod:`scrubber.spark.codec`) keyed by the HMAC of their subject
   (patient + billing NPI), and tells the driver each unit's counts
   (claims, segments, envelopes, bytes, the keys a history store locks) and
   a digest of its subjects in order; the units are numbered in input order,
   then split order. Plain claims take the fast path, as in ``scrub``
   (:mod:`scrubber.rules.passthrough`; not with a history store): no
   facts, nothing shuffled, a mark in the digest;
2. with a history store, the driver opens ONE store batch for the batch's
   subjects (locked, their stored facts loaded) and adds those facts to
   the shuffle, keyed the same way;
3. shuffle the facts only, group by subject, decide each subject with the
   CLI's own :func:`~scrubber.pipeline.decisions.decide_subject`; only the
   decisions that are not a plain accept are kept, grouped by unit, one
   small file per unit in a work folder inside ``-o DIR``;
4. pass 2: the same rows read again, each unit's task with its decisions
   writes its part of every output
   (:func:`~scrubber.pipeline.batch.write_unit`) into the work folder (so
   DIR must be one folder every executor and the driver see: a local disk
   in local mode, a shared file system on a cluster); the driver records
   the claims and decisions in the store (in batch order, same
   transaction), then joins each input's parts into its outputs and
   commits them atomically (:func:`~scrubber.pipeline.batch.join_inputs`),
   and removes the work folder.

Unusable input refuses the whole batch (an
:class:`~scrubber.errors.X12InputError` naming the input), nothing written
or recorded, as ``scrub --batch`` does.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

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
    bit_at,
    check_reads,
    join_inputs,
    part_path,
    read_unit,
    record_units,
    refuse_unusable,
    unit_writes,
    write_unit,
)
from scrubber.pipeline.decisions import decide_subject, is_plain_accept
from scrubber.pipeline.files import FilesResult
from scrubber.pipeline.passes import passthrough_for
from scrubber.pipeline.shards.plan import interchange_separator
from scrubber.rules.engine import Engine
from scrubber.rules.facts import ClaimFacts, PatientKey, patient_key
from scrubber.rules.findings import ClaimDecision, ClaimStatus
from scrubber.rules.passthrough import Passthrough
from scrubber.rules.radonc.registry import CourseRegistry
from scrubber.spark.codec import decode_facts, encode_facts, picklable_engines
from scrubber.spark.files import probe
from scrubber.spark.units import (
    Layout,
    UnitKey,
    UnitStream,
    layouts,
    unit_rows,
    unit_streams,
)

if TYPE_CHECKING:
    from pyspark import RDD, SparkContext
    from pyspark.sql import SparkSession

    from scrubber.history import HistoryStore

_CHANGED = "the input changed while it was scrubbed"
_BATCH, _HISTORY = 0, 1  # the first item of a shuffled value: which facts
_PASSED = b"\0passed\0"  # a plain claim's mark in a unit's digest (never in a subject)


@dataclass(frozen=True)
class SparkBatch:
    """One ``scrubber spark`` run's settings (each input's ``path``: a
    Hadoop path or URI, :mod:`scrubber.spark.files`)."""

    inputs: Sequence[BatchInput]
    engine: Engine
    outputs: BatchOutputs
    split_bytes: int | None = None  # largest split (default: spark.sql.files.maxPartitionBytes)


def run_job(
    sc: SparkContext, batch: SparkBatch, store: HistoryStore | None = None
) -> list[FilesResult]:
    """Scrub ``batch`` on the Spark context ``sc`` (see the module docstring);
    each input's result, in input order."""
    from pyspark.sql import SparkSession

    picklable_engines()
    key = store.key if store is not None else run_key()
    workdir = batch.outputs.out_dir / f".scrubber-spark-{uuid.uuid4().hex}"
    workdir.mkdir(parents=True)
    try:
        return _run(SparkSession.builder.getOrCreate(), batch, store, key, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_key() -> HistoryKey:
    """The key the subjects are hashed with: ``SCRUBBER_HISTORY_KEY`` (or
    its file) when set, else a random key for this run only."""
    if os.environ.get("SCRUBBER_HISTORY_KEY") or os.environ.get("SCRUBBER_HISTORY_KEY_FILE"):
        return HistoryKey.from_config()
    return HistoryKey(os.urandom(32))


@dataclass
class _Pass1:
    """What pass 1 read: the units (by key and in batch order), the rows
    they were read from (pass 2 reads the same), and what each unit told."""

    keys: list[UnitKey]
    units: list[Unit]
    rows: RDD[Any]
    layout: dict[str, Layout]
    read: RDD[Any]
    reads: list[UnitRead]


def _run(
    spark: SparkSession,
    batch: SparkBatch,
    store: HistoryStore | None,
    key: HistoryKey,
    workdir: Path,
) -> list[FilesResult]:
    keep = store is not None
    sc = spark.sparkContext
    first = _read(spark, batch, key, keep)
    claims = sum(info.claims for info in first.reads)
    log = get_logger("scrubber.spark")
    log.info("spark.read", inputs=len(batch.inputs), units=len(first.units), claims=claims)
    writes = unit_writes(
        batch.inputs, first.units, first.reads, batch.outputs, batch.engine, workdir, keep
    )  # (workdir: every unit's parts; decided claims only with a store)
    facts = first.read.filter(lambda item: item[0] is not None)
    units = batch.inputs, first.units
    if store is None:
        written = _decide_and_write(sc, batch, facts, writes, first, None, key)
        return join_inputs(*units, writes, written, batch.outputs, batch.engine, 0, 0)
    with store.batch(
        [k for info in first.reads for k in info.keys],
        source=batch_source(batch.inputs),
        registry=batch.engine.registry,
    ) as hist:
        history = (hist.facts, hist.registry)
        written = _decide_and_write(sc, batch, facts, writes, first, history, key)
        record_units(writes, hist.add)
        hist.finish()
    return join_inputs(*units, writes, written, batch.outputs, batch.engine, 0, 0)


def _read(spark: SparkSession, batch: SparkBatch, key: HistoryKey, keep: bool) -> _Pass1:
    """Pass 1 on the executors (:mod:`scrubber.spark.units`); every input
    read whole again when a unit failed or an input's units do not add up
    to its size."""
    from pyspark import StorageLevel

    inputs = batch.inputs
    probes = [probe(spark, source.path) for source in inputs]
    uris = [found.uri for found in probes]
    separators = [interchange_separator(found.head) for found in probes]
    plain = passthrough_for(batch.engine, keep)
    for attempt in range(2):
        rows = unit_rows(spark, uris, separators, batch.split_bytes)
        layout = layouts(uris, separators)
        read = rows.mapPartitions(_reader(layout, inputs, key, keep, plain))
        read.persist(StorageLevel.MEMORY_AND_DISK)
        told = read.filter(lambda item: item[0] is None).map(lambda item: item[1]).collect()
        told.extend(_empty_inputs(inputs, [found.size for found in probes], told, keep))
        infos = sorted(told, key=lambda item: item[0])  # by unit: input, then split
        keys = [unit for unit, _ in infos]
        reads = [info for _, info in infos]
        units = [Unit(unit[0], None) for unit in keys]
        if _sizes_add_up(keys, reads, [found.size for found in probes]) and check_reads(
            inputs, units, reads
        ):
            return _Pass1(keys, units, rows, layout, read, reads)
        read.unpersist()
        if attempt == 0:
            separators = [None] * len(inputs)
        else:
            refuse_unusable(inputs, reads)
    raise AssertionError("unreachable: refuse_unusable raised")


def _empty_inputs(
    inputs: Sequence[BatchInput], sizes: list[int], told: list[Any], keep: bool
) -> Iterator[tuple[UnitKey, UnitRead]]:
    """A unit for each empty input (Spark's readers give it no row), read
    on the driver: it tells what ``scrub`` tells of an empty input."""
    read = {unit[0] for unit, _ in told}
    for number, source in enumerate(inputs):
        if sizes[number] == 0 and number not in read:
            yield (number, 0), read_unit(source, None, None, keep, None, io.BytesIO(b""))


def _sizes_add_up(keys: Sequence[UnitKey], reads: Sequence[UnitRead], sizes: list[int]) -> bool:
    """Whether each input's units hold exactly its bytes."""
    read = [0] * len(sizes)
    for (number, _), info in zip(keys, reads, strict=True):
        read[number] += info.size
    return read == sizes


def _reader(
    layout: dict[str, Layout],
    inputs: Sequence[BatchInput],
    key: HistoryKey,
    keep: bool,
    plain: Passthrough | None,
) -> Callable[[Iterable[Any]], Iterator[tuple[Any, Any]]]:
    """The map task over one partition's rows: for each unit in it,
    ``(subject hash, (_BATCH, unit key, seq in unit, facts))`` for every
    claim, then ``(None, (unit key, UnitRead))``."""

    def read(rows: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        for unit, stream in unit_streams(rows, layout):
            yield from _read_one(unit, stream, inputs[unit[0]], key, keep, plain)

    return read


def _read_one(
    unit: UnitKey,
    stream: UnitStream,
    source: BatchInput,
    key: HistoryKey,
    keep: bool,
    plain: Passthrough | None,
) -> Iterator[tuple[Any, Any]]:
    records: list[tuple[Any, Any]] = []
    digest = hashlib.sha256()

    def on_facts(claim: Claim, facts: ClaimFacts) -> None:
        subject = key.subject(facts.patient, facts.entity)
        digest.update(subject.encode())
        records.append((subject, (_BATCH, unit, facts.ref.seq, encode_facts(facts))))

    def on_passed(count: int) -> None:
        digest.update(_PASSED * count)  # (as a digest of each claim in turn)

    opened = cast(BinaryIO, stream)  # (a UnitStream reads as a binary stream)
    info = read_unit(source, None, None, keep, on_facts, opened, plain, on_passed)
    if info.error is not None:
        records = []
    info.digest = digest.hexdigest()
    info.size = stream.size
    yield from records
    yield None, (unit, info)


History = tuple[Sequence[ClaimFacts], CourseRegistry] | None


def _decide_and_write(
    sc: SparkContext,
    batch: SparkBatch,
    facts: RDD[Any],
    writes: list[UnitWrite],
    first: _Pass1,
    history: History,
    key: HistoryKey,
) -> list[UnitWritten]:
    """Shuffle the facts by subject, decide, and write every unit's parts;
    what each unit wrote, in unit order."""
    registry = batch.engine.registry
    stored: Sequence[ClaimFacts] = ()
    if history is not None:
        stored, registry = history
        rows = [
            (key.subject(f.patient, f.entity), (_HISTORY, None, n, encode_facts(f)))
            for n, f in enumerate(stored)
        ]
        facts = facts.union(sc.parallelize(rows, max(1, min(len(rows) // 5000 + 1, 64))))
    numbers = {unit: number for number, unit in enumerate(first.keys)}
    starts = [work.seqs.start for work in writes]
    engine = sc.broadcast((batch.engine, registry, numbers, starts))
    partitions = max(1, sc.defaultParallelism)
    decided = facts.groupByKey(partitions).flatMap(lambda group: _decide_task(group[1], engine))
    workdir = writes[0].workdir
    decided.groupByKey(len(writes)).foreach(lambda item: _save_decisions(item, workdir))
    digests = [info.digest for info in first.reads]
    copyables = [info.copyable for info in first.reads]  # (a bit a claim)
    plain = passthrough_for(batch.engine, history is not None)
    work = sc.broadcast((writes, digests, copyables, key, numbers, first.layout, plain))
    written = dict(first.rows.mapPartitions(lambda part: _write_task(part, work)).collect())
    if sorted(written) != list(range(len(writes))):
        raise X12InputError(_CHANGED + " (read again, other units)")
    return [written[number] for number in range(len(writes))]


def _decide_task(values: Iterable[Any], engine: Any) -> Iterator[tuple[int, Any]]:
    """Decide one subject: its batch claims in ``seq`` order, then its
    history in store order, as the CLI's state holds them; the decisions
    that are not a plain accept, as ``(unit number, (seq, decision))``."""
    the_engine, registry, numbers, starts = engine.value
    ordered = sorted(values, key=lambda value: (value[0], value[1] or (0, 0), value[2]))
    history: list[ClaimFacts] = []
    batch: dict[int, ClaimFacts] = {}
    unit_of: dict[int, int] = {}
    for which, unit, seq, record in ordered:
        if which == _BATCH:
            number = numbers[unit]
            claim = decode_facts(record, starts[number] + seq)
            batch[claim.ref.seq] = claim
            unit_of[claim.ref.seq] = number
        else:
            history.append(decode_facts(record))
    for seq, decision in decide_subject(the_engine, batch, history, registry):
        if not is_plain_accept(decision):
            yield unit_of[seq], (seq, decision)


def _save_decisions(item: tuple[int, Iterable[Any]], workdir: Path) -> None:
    """A unit's decisions that are not a plain accept, for its pass 2 task
    (in the work folder, which every executor sees)."""
    number, decided = item
    path = part_path(workdir, number, "decisions")
    with open(path, "wb") as stream:
        pickle.dump(dict(decided), stream, pickle.HIGHEST_PROTOCOL)


def _load_decisions(work: UnitWrite) -> dict[int, ClaimDecision]:
    path = part_path(work.workdir, work.number, "decisions")
    if not path.exists():
        return {}
    with open(path, "rb") as stream:
        decided: dict[int, ClaimDecision] = pickle.load(stream)  # (written by this job)
    return decided


def _write_task(rows: Iterable[Any], work: Any) -> Iterator[tuple[int, UnitWritten]]:
    """Pass 2 of the units in one partition's rows, each with its decisions
    that are not a plain accept."""
    writes, digests, copyables, key, numbers, layout, plain = work.value
    for unit, stream in unit_streams(rows, layout):
        number = numbers.get(unit)
        if number is None:
            raise X12InputError(_CHANGED + " (read again, other units)")
        mine = writes[number]
        index = _DigestIndex(mine.seqs, key, copyables[number])
        decisions = _Decisions(_load_decisions(mine))
        written = write_unit(mine, index, decisions, cast(BinaryIO, stream), plain)
        if index.hexdigest() != digests[number]:
            raise X12InputError(_CHANGED + " (read again, other claims)")
        yield number, written


class _Decisions:
    """A unit's decisions by ``seq`` (a plain accept when not given)."""

    def __init__(self, decided: dict[int, ClaimDecision]) -> None:
        self._decided = decided

    def get(self, seq: int) -> ClaimDecision:
        return self._decided.get(seq) or ClaimDecision(ClaimStatus.ACCEPTED, ())

    def accepted_plainly(self, seq: int) -> bool:
        return seq not in self._decided


class _DigestIndex:
    """Pass 2's check that a unit reads again as pass 1 read it: the digest
    of its claims' subjects, compared once the unit is written."""

    def __init__(self, seqs: range, key: HistoryKey, copyable: bytes = b"") -> None:
        self._seqs = seqs
        self._key = key
        self._copyable = copyable
        self._digest = hashlib.sha256()

    @property
    def batch_count(self) -> int:
        return self._seqs.stop

    def same_subject(self, seq: int, claim: Claim) -> bool:
        return self.subject_is(seq, patient_key(claim), claim.billing_npi.strip())

    def copyable(self, seq: int) -> bool:
        """What pass 1 found of claim ``seq`` (:attr:`UnitRead.copyable`)."""
        return bit_at(self._copyable, seq - self._seqs.start)

    def subject_is(self, seq: int, patient: PatientKey, entity: str) -> bool:
        self._digest.update(self._key.subject(patient, entity).encode())
        return seq in self._seqs

    def passed(self, seq: int) -> bool:
        self._digest.update(_PASSED)  # (pass 1 marked its plain claims so)
        return seq in self._seqs

    def hexdigest(self) -> str:
        return self._digest.hexdigest()
