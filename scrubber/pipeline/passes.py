"""The scrub pipeline, streaming: two passes over the input, bounded memory.

Pass 1 reads the input claim by claim and keeps only each claim's facts,
compactly, by patient + entity (:class:`~scrubber.pipeline.course_state.CourseState`);
no claim is kept. A plain claim (one no loaded rule looks at, issue 15's fast
path, :mod:`scrubber.rules.passthrough`) is only counted: no model, no facts;
nothing decides it and pass 2 writes it accepted with no finding. Then every
claim is decided, subject by subject, one subject's context at a time
(:mod:`scrubber.pipeline.decisions`). Pass 2 reads the input again and hands
each claim with its decision to every output's sink
through the one :class:`~scrubber.outputs.fanout.Fanout` (cleaned 837, 277CA,
report, and any other registered kind), which emit each claim's text as it
comes (the 277CA holds a transaction's claim loops in a
:class:`~scrubber.outputs.text_spool.TextSpool`, in a temporary file past its
limit). A claim accepted as it came (plain, or decided with no finding, read
in pass 1 without a warning) is not built again: the reader hands it over as
a :class:`~scrubber.model.CopiedClaim` and the outputs copy its segments
(:func:`copies_for`; issue 15, goal 2). Memory is bounded by the compact
facts and the decisions that are not a plain accept, not by the file or the
size of a transaction.

The input must therefore be readable twice
(:class:`~scrubber.pipeline.spool.ReplayableSource`).

:func:`run_pipeline` is shared by :func:`scrubber.api.scrub` (in-memory targets,
for small batches) and :func:`scrubber.pipeline.files.scrub_to_files` (the
``scrubber scrub`` command: every output streamed to a staged file).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from scrubber.errors import InputWarning, X12InputError
from scrubber.history.given import HistoryInput, HistorySource
from scrubber.logs import debug_enabled, get_logger
from scrubber.model import Claim, CopiedClaim, PlainTransaction, Transaction
from scrubber.outputs.fanout import Fanout, Outputs
from scrubber.outputs.report import ReportBuilder
from scrubber.outputs.sink import RunInfo, Sink
from scrubber.pipeline.course_state import CourseState
from scrubber.pipeline.decisions import decide_subjects
from scrubber.pipeline.spool import ReplayableSource
from scrubber.rules.engine import Engine
from scrubber.rules.facts import ClaimFacts, PatientKey, facts_of, patient_key_of
from scrubber.rules.findings import ClaimDecision, ClaimStatus
from scrubber.rules.outcome import Outcome, checked_outcome
from scrubber.rules.passthrough import Passthrough, passthrough_of, switched_off
from scrubber.rules.radonc.registry import CourseRegistry
from scrubber.status import ExitStatus
from scrubber.x12.plain_text import TextScan
from scrubber.x12.reader import Passed, X12Reader
from scrubber.x12.source import Encoding

if TYPE_CHECKING:
    from scrubber.history import HistoryStore
    from scrubber.history.records import BatchClaim, BatchKey

#: A scrub's history as the pipeline accepts it (normalised by HistorySource.of).
History = HistoryInput

# ReplayableSource lives in scrubber.pipeline.spool; the streaming tests import it from here.
__all__ = [
    "ClaimIndex",
    "DecisionLookup",
    "PipelineResult",
    "ProgressFn",
    "ReplayableSource",
    "report_name",
    "run_info",
    "run_pipeline",
]

ProgressFn = Callable[[str, int, int], None]
#: Takes each batch claim and its decision, in batch order (a store's ``add``).
Recorder = Callable[["BatchClaim", ClaimDecision], object]
T = TypeVar("T")
#: Pass 2, given the registry to decide with and, with a store, its recorder.
SecondPass = Callable[[CourseRegistry, "Recorder | None"], T]
NO_CLAIMS = "the input holds no claim (no CLM segment): nothing to scrub"


@dataclass
class PipelineResult:
    """What a pipeline run knows at the end (the claims went to the sinks)."""

    name: str
    encoding: Encoding
    report: ReportBuilder  # the tally of every claim
    warnings: list[InputWarning]
    segments: int
    sinks: dict[str, Sink]  # by kind name, closed (or joined)
    subjects: int = 0
    decisions_kept: int = 0  # decisions other than a plain accept (held in memory)

    @property
    def exit_status(self) -> ExitStatus:
        summary = self.report.summary()
        return ExitStatus.of_scrub(summary["corrected"], summary["rejected"])


def run_pipeline(
    source: ReplayableSource,
    engine: Engine,
    outputs: Outputs,
    *,
    history: History = None,
    progress: ProgressFn | None = None,
    record: bool = True,
) -> PipelineResult:
    """Scrub ``source`` in two passes (see the module docstring) into
    ``outputs``: the sinks are made once pass 1 knows the input's encoding;
    they are closed when this returns (the caller closes the targets). With
    ``record=False`` a history store gives its context and records nothing
    (its transaction is rolled back)."""
    history = HistorySource.of(history)  # once: facts given as an iterator are read once
    plain = passthrough_for(engine, history.records)
    state, batch, encoding = _first_pass(source, history.records, progress, plain)
    run = run_info(outputs, source.name, engine, encoding)

    def second_pass(registry: CourseRegistry, recorder: Recorder | None) -> PipelineResult:
        fanout = Fanout.of(outputs.kinds, run, outputs.targets)
        return _second_pass(
            source, engine, state, registry, encoding, fanout, progress, recorder, plain
        )

    result = with_history(history, batch, source.name, engine, state, second_pass, record)
    summary = result.report.summary()
    get_logger("scrubber.pipeline.passes").info(
        "scrub.decided", claims=summary["claims"], accepted=summary["accepted"],
        corrected=summary["corrected"], rejected=summary["rejected"],
        decisions_kept=result.decisions_kept,
    )  # fmt: skip
    return result


class EngineFacts(Protocol):
    """What :func:`run_info` reads of an engine: an :class:`Engine`, or
    :class:`scrubber.pipeline.batch.RunFacts` (what a batch unit carries to a
    worker instead of the engine)."""

    @property
    def profile(self) -> object: ...

    @property
    def as_of(self) -> dt.date: ...

    @property
    def rule_set(self) -> str: ...


def run_info(outputs: Outputs, name: str, engine: EngineFacts, encoding: Encoding) -> RunInfo:
    """What the sinks of a scrub of the input ``name`` by ``engine`` are told."""
    return RunInfo(
        name=report_name(name),
        profile=str(engine.profile),
        as_of=engine.as_of,
        rule_set=engine.rule_set,
        encoding=encoding,
        ack=outputs.ack,
        compact_json=outputs.compact_json,
    )


def passthrough_for(engine: Engine, keep_batch: bool) -> Passthrough | None:
    """The fast path for plain claims (:mod:`scrubber.rules.passthrough`) of a
    scrub by ``engine``; none when a history store records the batch
    (``keep_batch``: it records every claim's facts)."""
    return None if keep_batch else passthrough_of(engine)


def _first_pass(
    source: ReplayableSource,
    keep_batch: bool,
    progress: ProgressFn | None,
    plain: Passthrough | None = None,
) -> tuple[CourseState, list[BatchKey], Encoding]:
    """Pass 1: every claim's facts into a :class:`CourseState` (and, when
    ``keep_batch``, the keys of the claims a history store locks and loads;
    ``plain``: the fast path's plain claims are only counted);
    the input's encoding. Raises :class:`X12InputError` when the input holds
    no claim."""
    log = get_logger("scrubber.pipeline.passes")
    state = CourseState()
    batch: list[BatchKey] = []
    reader = X12Reader(
        source.open(), source.name, keep_transactions=False, plain=plain, build_plain=False,
        scan=plain.text_scan if plain is not None else None,
    )  # fmt: skip
    on_claim = None
    if keep_batch:
        from scrubber.history.records import BatchClaim, BatchKey

        patients: dict[PatientKey, PatientKey] = {}

        def on_claim(claim: Claim, facts: ClaimFacts) -> None:
            batch.append(BatchKey.of(BatchClaim.of(claim, facts), patients))

    read_facts(reader, state, on_claim, progress)
    claims = state.batch_count
    if not claims:
        raise X12InputError(NO_CLAIMS)
    log.info("input.read", claims=claims, segments=reader.segment_count,
             warnings=len(reader.warnings), subjects=state.subject_count,
             state_bytes=state.stored_bytes)  # fmt: skip
    for warning in reader.warnings:
        log.info("input.warning", position=warning.position, segment=warning.segment_id)
    return state, batch, reader.encoding


def read_facts(
    reader: X12Reader,
    state: CourseState | None,
    on_claim: Callable[[Claim, ClaimFacts], object] | None = None,
    progress: ProgressFn | None = None,
    start: int = 0,
    on_passed: Callable[[Transaction, int], object] | None = None,
    copyable: bytearray | None = None,
) -> int:
    """Add the facts of every claim ``reader`` reads to ``state`` (numbered
    from ``start`` in ``seq``; no state: only ``on_claim`` sees them), telling
    ``on_claim`` each claim and its facts; the number of claims read. A plain
    claim (a reader with a fast path) has no facts: it is counted in ``state``
    (:meth:`CourseState.add_passed`) and its transaction told to ``on_passed``
    with the number of such claims in a row.
    A claim read with no warning and whose CLM02 is the sum of its lines is
    added ``copyable`` (pass 2 copies it if it is decided accepted with no
    finding: :func:`copies_for`); ``copyable``: one byte more for each claim
    read, 1 for such a claim or a plain one (what a state keeps, for a
    reader with no state: Spark's)."""
    read = 0
    warned = len(reader.warnings)
    for claim in reader.read():
        count = len(reader.warnings)  # a warning since the last claim: not copyable
        clean, warned = count == warned, count
        if type(claim) is Passed:
            passed = claim.run  # (a taken transaction's claims come as one)
            read += passed
            if state is not None:
                state.add_passed(passed)
            if copyable is not None:
                copyable += _COPYABLE * passed
            if on_passed is not None:
                on_passed(claim.transaction, passed)
            if progress and read % 200 < passed:
                progress("read", read, 0)
            continue
        read += 1
        assert isinstance(claim, Claim)
        facts = facts_of(claim, start + read - 1)
        if state is not None or copyable is not None:
            clean = clean and _charges_add_up(claim)
            if state is not None:
                state.add(facts, copyable=clean)
            if copyable is not None:
                copyable.append(clean)
        if on_claim is not None:
            on_claim(claim, facts)
        if progress and read % 200 == 0:
            progress("read", read, 0)
    return read


_COPYABLE = b"\x01"


def _charges_add_up(claim: Claim) -> bool:
    """Whether ``claim``'s CLM02 is the sum of its line charges (else the
    report warns of it, and pass 2 does not copy it)."""
    total = claim.total_charge
    for line in claim.lines:
        total -= line.charge
    return total == 0


def with_history(
    history: History,
    batch: list[BatchKey],
    name: str,
    engine: Engine,
    state: CourseState,
    second_pass: SecondPass[T],
    record: bool = True,
) -> T:
    """Run pass 2 with ``history`` (:class:`HistorySource`, or what
    :meth:`HistorySource.of` takes): none, prior claims' facts, or a store
    (``batch``: the keys of the batch's claims; ``record=False``: the store
    records nothing)."""
    given = HistorySource.of(history)
    if not given.records:
        state.add_history(given.facts)
        return second_pass(engine.registry, None)
    with given.opened() as store:
        return _with_store(store, batch, name, engine, state, second_pass, record)


class _Discard(Exception):
    """Leaves a store's batch transaction without recording (rolls it back)."""

    def __init__(self, result: object) -> None:
        super().__init__("discarded")
        self.result = result


def _with_store(
    store: HistoryStore,
    batch: list[BatchKey],
    name: str,
    engine: Engine,
    state: CourseState,
    second_pass: SecondPass[T],
    record: bool = True,
) -> T:
    """Decide with the store's history (as :mod:`scrubber.testing.oracles` does):
    the batch's subjects are locked and their stored facts loaded, the batch is
    decided and its facts and decisions recorded as they are decided, in one
    store transaction (only the batch's keys are held for it). With
    ``record=False`` nothing is recorded: the transaction is rolled back."""
    try:
        with store.batch(batch, source=name, registry=engine.registry) as hist:
            state.add_history(hist.facts)
            if not record:
                raise _Discard(second_pass(hist.registry, None))
            result = second_pass(hist.registry, hist.add)
            hist.finish()
    except _Discard as discarded:
        return cast(T, discarded.result)
    return result


def _second_pass(
    source: ReplayableSource,
    engine: Engine,
    state: CourseState,
    registry: CourseRegistry,
    encoding: Encoding,
    fanout: Fanout,
    progress: ProgressFn | None,
    record: Recorder | None,
    plain: Passthrough | None = None,
) -> PipelineResult:
    """Decide every claim, subject by subject; then pass 2: read the claims
    again and hand each with its decision to ``fanout`` (and to ``record``,
    a store's); close the sinks. ``plain``: the fast path pass 1 used."""
    total = state.batch_count - state.passed_count  # plain claims are not decided
    on_decided = (lambda done: progress("decide", done, total)) if progress else None
    decisions = decide_subjects(engine, state, registry, range(state.subject_count), on_decided)
    reader = X12Reader(
        source.open(), source.name, keep_transactions=False, plain=plain,
        scan=text_scan_for(plain, fanout),
        copy=copies_for(state, decisions, fanout, recording=record is not None),
    )  # fmt: skip
    on_decision = None if record is None else recording(record)
    write_claims(
        reader, state, decisions, fanout.add, progress, on_decision, write_plain=fanout.add_plain,
        write_copied=fanout.add_copied,
    )  # fmt: skip
    fanout.close(reader.trailer, reader.warnings)
    return PipelineResult(
        name=source.name,
        encoding=encoding,
        report=fanout.tally,
        warnings=reader.warnings,
        segments=reader.segment_count,
        sinks=fanout.sinks,
        subjects=state.subject_count,
        decisions_kept=decisions.kept,
    )


class ClaimIndex(Protocol):
    """What pass 2 checks a claim read again against: pass 1's subject of
    each batch claim (a :class:`CourseState` is one)."""

    @property
    def batch_count(self) -> int: ...

    def same_subject(self, seq: int, claim: Claim) -> bool:
        """Whether pass 1 read claim ``seq`` as a claim of ``claim``'s subject."""
        ...

    def passed(self, seq: int) -> bool:
        """Whether pass 1 read claim ``seq`` as a plain claim (the fast path)."""
        ...

    def subject_is(self, seq: int, patient: PatientKey, entity: str) -> bool:
        """Whether pass 1 read claim ``seq`` as a claim of ``patient`` + ``entity``."""
        ...

    def copyable(self, seq: int) -> bool:
        """Whether pass 1 read claim ``seq`` so that pass 2 may copy it
        (:func:`read_facts`)."""
        ...


class DecisionLookup(Protocol):
    """Each batch claim's decision by ``seq`` (a :class:`Decisions` is one)."""

    def get(self, seq: int) -> ClaimDecision: ...

    def accepted_plainly(self, seq: int) -> bool:
        """Whether claim ``seq`` is accepted with no finding (without building
        its decision)."""
        ...


def write_claims(
    reader: X12Reader,
    state: ClaimIndex,
    decisions: DecisionLookup,
    write: Callable[[Outcome], None],
    progress: ProgressFn | None = None,
    on_decision: Callable[[Claim, int, ClaimDecision], object] | None = None,
    claims: range | None = None,
    write_plain: Callable[[PlainTransaction], None] | None = None,
    write_copied: Callable[[CopiedClaim], None] | None = None,
) -> None:
    """Pass 2: ``write`` the outcome of each claim ``reader`` reads, which
    must be the batch claims ``claims`` of ``state`` (by ``seq``; default:
    all of them) or :class:`X12InputError`; tell ``on_decision`` each claim,
    its ``seq`` and its decision. A plain claim (the fast path: the reader
    passes it, as pass 1's did) is accepted with no finding, the decision
    deciding it would give (:mod:`scrubber.rules.passthrough`); a transaction
    of them the reader takes whole (a reader with a text scan) goes to
    ``write_plain``; a claim the reader copies (a reader with ``copy``:
    :func:`copies_for`) to ``write_copied``."""
    log = get_logger("scrubber.pipeline.passes")
    debug = debug_enabled()
    expected = claims if claims is not None else range(state.batch_count)
    total = state.batch_count
    seq = expected.start
    for item in reader.read():
        if type(item) is PlainTransaction:
            seq = _write_plain(item, seq, expected, state, write_plain)
            if progress:
                progress("write", seq, total)
            continue
        if type(item) is CopiedClaim:
            _write_copied(item, seq, expected, state, write_copied)
            if debug:
                _log_copied(log, item)
            seq += 1
            if progress and seq % 200 == 0:
                progress("write", seq, total)
            continue
        if type(item) is Passed:
            claim = item.claim
            if seq >= expected.stop or claim is None or not state.passed(seq):
                raise _changed(total)
            decision = ClaimDecision(ClaimStatus.ACCEPTED, ())  # what deciding it gives
        else:
            assert isinstance(item, Claim)
            claim = item
            if seq >= expected.stop or not state.same_subject(seq, claim):
                raise _changed(total)
            decision = decisions.get(seq)
        if on_decision is not None:
            on_decision(claim, seq, decision)
        outcome = checked_outcome(claim, decision)
        write(outcome)
        if debug:
            _log_decided(log, claim, outcome)
        seq += 1
        if progress and seq % 200 == 0:
            progress("write", seq, total)
    if seq != expected.stop:
        raise _changed(total)


def _write_plain(
    plain: PlainTransaction,
    seq: int,
    expected: range,
    state: ClaimIndex,
    write_plain: Callable[[PlainTransaction], None] | None,
) -> int:
    """Write a transaction taken whole, whose claims pass 1 must have passed
    too; the ``seq`` after its claims."""
    after = seq + len(plain.claims)
    if after > expected.stop or not all(state.passed(n) for n in range(seq, after)):
        raise _changed(state.batch_count)
    assert write_plain is not None, "a reader with a text scan needs write_plain"
    write_plain(plain)
    return after


def _write_copied(
    claim: CopiedClaim,
    seq: int,
    expected: range,
    state: ClaimIndex,
    write_copied: Callable[[CopiedClaim], None] | None,
) -> None:
    """Write a claim the reader copied, which pass 1 must have read as this
    claim: passed, or a claim of the same subject."""
    if seq >= expected.stop or not _same_claim(claim, seq, state):
        raise _changed(state.batch_count)
    assert write_copied is not None, "a reader that copies claims needs write_copied"
    write_copied(claim)


def _same_claim(claim: CopiedClaim, seq: int, state: ClaimIndex) -> bool:
    if claim.passed:
        return state.passed(seq)
    plain = claim.plain
    patient = plain.person if claim.patient_level is not None else None
    key = patient_key_of(plain.payer_id, plain.member_id, patient)
    return state.subject_is(seq, key, plain.billing_npi.strip())


def copies_for(
    state: ClaimIndex,
    decisions: DecisionLookup,
    fanout: Fanout,
    *,
    recording: bool,
    shift: int = 0,
) -> Callable[[int], bool] | None:
    """Pass 2's ``copy`` test (issue 15, goal 2; :class:`X12Reader`): by
    ordinal, whether a claim is copied as it came, with no claim model: one
    pass 1 added ``copyable`` (:func:`read_facts`) that is decided accepted
    with no finding. ``shift``: the ``seq`` of the input's first claim (a
    batch of several inputs). None when a sink takes no copied claims
    (:attr:`Fanout.takes_copied`), a store records the claims
    (``recording``: it records their models' facts) or the fast path is
    switched off (:data:`~scrubber.rules.passthrough.SWITCH`)."""
    if recording or not fanout.takes_copied or switched_off():
        return None
    copyable, accepted_plainly = state.copyable, decisions.accepted_plainly
    first = 1 - shift  # the reader numbers an input's claims from 1

    def copy(ordinal: int) -> bool:
        seq = ordinal - first
        return copyable(seq) and accepted_plainly(seq)

    return copy


def text_scan_for(plain: Passthrough | None, fanout: Fanout) -> TextScan | None:
    """Pass 2's text scan: the fast path's, when every output takes whole
    transactions of plain claims (:attr:`Fanout.takes_plain`)."""
    return plain.text_scan if plain is not None and fanout.takes_plain else None


def recording(record: Recorder) -> Callable[[Claim, int, ClaimDecision], None]:
    """An ``on_decision`` for :func:`write_claims` that hands each claim (as
    a history store records it) and its decision to ``record``."""
    from scrubber.history.records import BatchClaim

    def on_decision(claim: Claim, seq: int, decision: ClaimDecision) -> None:
        record(BatchClaim.of(claim, facts_of(claim, seq)), decision)

    return on_decision


def _log_decided(log: Any, claim: Claim, outcome: Outcome) -> None:
    log.debug(
        "claim.decided",
        ordinal=claim.ordinal,
        status=str(outcome.status),
        lines=len(claim.lines),
        lines_removed=len(outcome.removed_lines),
        rules=sorted({f.rule for f in outcome.decision.findings}),
    )


def _log_copied(log: Any, claim: CopiedClaim) -> None:
    log.debug(
        "claim.decided", ordinal=claim.plain.ordinal, status=str(ClaimStatus.ACCEPTED),
        lines=claim.plain.lines, lines_removed=0, rules=[],
    )  # fmt: skip


def _changed(total: int) -> X12InputError:
    return X12InputError(
        f"the input changed while it was scrubbed (its {total} claims were read, then others)"
    )


def keeps_batch_of(history: History) -> bool:
    """Whether ``history`` is a store (or its URL), which records the batch's
    claims: pass 1 must then keep them."""
    return HistorySource.of(history).records


def report_name(name: str) -> str:
    return "-" if name == "<stdin>" else name
