"""Write the cleaned 837: the accepted and corrected claims of an input.

Contract (:func:`write_clean_837`):

* Only claims that are not rejected are written, in input order, inside the
  input's own envelopes (ISA, GS, ST and the 837 header segments are copied
  as they came: delimiters, control numbers, newline style).
* A claim the rules did not change is written byte-for-byte (the ``raw``
  text of its segments). A corrected claim loses its removed 2400 loops; the
  surviving lines are renumbered (LX01 = 1, 2, ...), repaired units replace
  SV104 (837P) / SV205 (837I), and CLM02 becomes ``charge_out`` (the
  submitted total less the removed lines' charges, in ``Decimal``).
* HL loops are renumbered 1, 2, ... in output order with parents (HL02) and
  child codes (HL04) recomputed; an HL loop with no surviving claim below it
  is dropped, as are transactions, groups and interchanges left empty.
  SE01, GE01 and IEA01 count what is written. A segment whose elements do not
  change is written as it came, so an input whose claims are all accepted
  unchanged is reproduced exactly (given correct input trailers).
* Returns ``None`` when no claim survives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from scrubber.model import (
    Claim,
    ClaimKind,
    Delimiters,
    Group,
    HierarchyLevel,
    Interchange,
    Segment,
    Transaction,
)
from scrubber.outputs.sink import Part, RunEnd, RunInfo, Target
from scrubber.outputs.targets import copy_part
from scrubber.rules.outcome import Outcome
from scrubber.x12.segment_text import (
    format_amount,
    format_quantity,
    prefix_of,
    render,
    replace_element,
    rewrite,
)


def write_clean_837(outcomes: Sequence[Outcome], trailer: str = "") -> str | None:
    """The cleaned 837 text for ``outcomes`` (input order), or ``None`` when every
    claim is rejected. ``trailer`` is the whitespace after the input's last segment."""
    parts: list[str] = []
    writer = Clean837Writer(parts.append)
    for outcome in outcomes:
        writer.add(outcome)
    if not writer.close(trailer):
        return None
    return "".join(parts)


class Clean837Writer:
    """The cleaned 837, streamed: :meth:`add` each outcome in input order,
    then :meth:`close`. Text goes to ``write`` as soon as an ST-SE is complete
    (a transaction's kept claims are held until its SE: HL04 and SE01 depend
    on all of them), so memory is bounded by the largest transaction, not the
    file. Same output as :func:`write_clean_837`."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self._write = write
        self.kept = 0
        self._interchange: Interchange | None = None
        self._group: Group | None = None
        self._transaction: Transaction | None = None
        self._outcomes: list[Outcome] = []
        self._groups = 0
        self._transactions = 0
        self._newline = ""

    def add(self, outcome: Outcome) -> None:
        if outcome.rejected:
            return
        self.kept += 1
        transaction = outcome.claim.transaction
        if transaction is self._transaction:
            self._outcomes.append(outcome)
            return
        group = transaction.group
        interchange = group.interchange
        self._end_transaction()
        if group is not self._group:
            self._end_group()
            if interchange is not self._interchange:
                self._end_interchange()
                self._interchange = interchange
                self._newline = prefix_of(group.gs, interchange.delimiters)
                self._write(interchange.isa.raw)
            self._group = group
            self._write(group.gs.raw)
        self._transaction = transaction
        self._outcomes = [outcome]

    def close(self, trailer: str = "") -> bool:
        """Finish the output; False (and nothing written) when no claim was kept."""
        self._end_interchange()
        if not self.kept:
            return False
        self._write(trailer)
        return True

    def _end_transaction(self) -> None:
        transaction = self._transaction
        if transaction is None:
            return
        delimiters = transaction.group.interchange.delimiters
        body = list(_transaction_body(transaction, self._outcomes))
        self._write("".join(body))
        count = str(len(body) + 1)
        self._write(render(("SE", count, transaction.control_number), delimiters, self._newline))
        self._transaction = None
        self._outcomes = []
        self._transactions += 1

    def _end_group(self) -> None:
        self._end_transaction()
        group = self._group
        if group is None:
            return
        delimiters = group.interchange.delimiters
        self._write(
            render(("GE", str(self._transactions), group.control_number), delimiters, self._newline)
        )
        self._group = None
        self._transactions = 0
        self._groups += 1

    def _end_interchange(self) -> None:
        self._end_group()
        interchange = self._interchange
        if interchange is None:
            return
        self._write(
            render(
                ("IEA", str(self._groups), interchange.control_number),
                interchange.delimiters,
                self._newline,
            )
        )
        self._interchange = None
        self._groups = 0


def _transaction_body(transaction: Transaction, outcomes: list[Outcome]) -> Iterator[str]:
    """ST, the header, then the HL loops and claims: one string per segment."""
    delimiters = transaction.group.interchange.delimiters
    for segment in transaction.header:
        yield segment.raw
    plan = _HierarchyPlan.of(outcomes)
    for outcome in outcomes:
        claim = outcome.claim
        for level in plan.opens_before(claim):
            yield from _level(level, plan, delimiters)
        yield from _claim(outcome, delimiters)


@dataclass
class _HierarchyPlan:
    """New HL ids, parents and child codes for the HL loops that survive."""

    ids: dict[int, str] = field(default_factory=dict)
    parents: dict[int, str] = field(default_factory=dict)
    has_children: set[int] = field(default_factory=set)
    opening: dict[int, list[HierarchyLevel]] = field(default_factory=dict)

    @classmethod
    def of(cls, outcomes: list[Outcome]) -> _HierarchyPlan:
        plan = cls()
        counter = 0
        current: list[HierarchyLevel | None] = [None, None, None]
        for outcome in outcomes:
            claim = outcome.claim
            chain = [claim.billing, claim.subscriber_level, claim.patient_level]
            opened: list[HierarchyLevel] = []
            parent = ""
            for depth, level in enumerate(chain):
                if level is None:
                    current[depth] = None
                    continue
                if level is not current[depth]:
                    counter += 1
                    plan.ids[id(level)] = str(counter)
                    plan.parents[id(level)] = parent
                    opened.append(level)
                    current[depth] = level
                    for deeper in range(depth + 1, 3):
                        current[deeper] = None
                    if depth > 0:
                        owner = chain[depth - 1]
                        assert owner is not None
                        plan.has_children.add(id(owner))
                parent = plan.ids[id(level)]
            plan.opening[id(claim)] = opened
        return plan

    def opens_before(self, claim: Claim) -> list[HierarchyLevel]:
        return self.opening[id(claim)]


def _level(level: HierarchyLevel, plan: _HierarchyPlan, delimiters: Delimiters) -> Iterator[str]:
    hl = level.hl
    key = id(level)
    elements = replace_element(hl.elements, 1, plan.ids[key])
    elements = replace_element(elements, 2, plan.parents[key])
    child = "1" if level.level_code == "20" or key in plan.has_children else "0"
    elements = replace_element(elements, 4, child)
    yield rewrite(hl, elements, delimiters)
    for segment in level.segments[1:]:
        yield segment.raw


def _claim(outcome: Outcome, delimiters: Delimiters) -> Iterator[str]:
    claim = outcome.claim
    if not outcome.changed:
        for segment in claim.all_segments():
            yield segment.raw
        return
    clm = claim.clm
    if outcome.removed_lines:
        elements = replace_element(clm.elements, 2, format_amount(outcome.charge_out))
        yield rewrite(clm, elements, delimiters)
    else:
        yield clm.raw
    for segment in claim.segments[1:]:
        yield segment.raw
    repaired = outcome.repaired_units
    units_index = 4 if claim.kind is ClaimKind.PROFESSIONAL else 5
    for number, line in enumerate(outcome.kept_lines, start=1):
        lx = line.lx
        yield rewrite(lx, replace_element(lx.elements, 1, str(number)), delimiters)
        for segment in line.segments[1:]:
            if segment is line.service and line.number in repaired:
                units = format_quantity(repaired[line.number])
                yield _with_units(segment, units_index, units, delimiters)
            else:
                yield segment.raw


def _with_units(segment: Segment, index: int, units: str, delimiters: Delimiters) -> str:
    return rewrite(segment, replace_element(segment.elements, index, units), delimiters)


class Clean837Sink:
    """The cleaned 837 as a :class:`~scrubber.outputs.sink.Sink`: in the input's
    codec (with its byte order mark), dropped when no claim is kept. A part
    holds its claims' envelopes only: the join adds the mark and the input's
    trailer; its ``close`` returns the claims it kept."""

    def __init__(self, run: RunInfo, target: Target) -> None:
        self._part = run.part
        self._codec = run.encoding.codec
        self._target = target
        self._out = target.open(self._codec, bom=run.encoding.bom and not run.part)
        self._writer = Clean837Writer(self._out.write)

    def add(self, outcome: Outcome) -> None:
        self._writer.add(outcome)

    def close(self, end: RunEnd) -> int:
        kept = self._writer.close("" if self._part else end.trailer)
        if not kept and not self._part:
            self._target.drop()
        return self._writer.kept

    def join(self, parts: Sequence[Part], end: RunEnd) -> None:
        kept = 0
        for part in parts:
            assert isinstance(part.done, int)
            if part.done:
                copy_part(part.path, self._codec, self._out)
                kept += part.done
        if kept:
            self._out.write(end.trailer)
        else:
            self._target.drop()
