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

from scrubber.model import (
    ClaimKind,
    CopiedClaim,
    Delimiters,
    Group,
    HierarchyLevel,
    Interchange,
    PlainTransaction,
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
    then :meth:`close`. Each kept claim goes to ``write`` as it comes, with
    the HL loops it opens (numbered as they are written; SE01 counts what was
    written), so memory is bounded by one claim, not its transaction. One
    shape is held a while: a subscriber HL whose child code cannot be known
    yet (see :class:`_Hierarchy`). Same output as :func:`write_clean_837`."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self._write = write
        self.kept = 0
        self._interchange: Interchange | None = None
        self._group: Group | None = None
        self._transaction: Transaction | None = None
        self._hierarchy = _Hierarchy()
        self._segments = 0  # written in the open transaction
        self._groups = 0
        self._transactions = 0
        self._newline = ""

    def add(self, outcome: Outcome) -> None:
        if outcome.rejected:
            return
        claim = outcome.claim
        chain = (claim.billing, claim.subscriber_level, claim.patient_level)
        delimiters = self._enter_claim(claim.transaction, chain)
        self._emit(list(_claim(outcome, delimiters)))

    def add_copied(self, claim: CopiedClaim) -> None:
        """Keep ``claim`` as it came: what :meth:`add` writes of it accepted
        unchanged."""
        chain = (claim.plain.billing, claim.subscriber_level, claim.patient_level)
        self._enter_claim(claim.transaction, chain)
        self._emit([segment.raw for segment in claim.all_segments()])

    def _enter_claim(self, transaction: Transaction, chain: _Chain) -> Delimiters:
        """Count a kept claim of ``transaction`` and write what comes before
        its own text: its transaction's start, when not the open one, and the
        HL loops of its ``chain`` it opens. The interchange's delimiters."""
        self.kept += 1
        if transaction is not self._transaction:
            self._open(transaction)
        delimiters = transaction.group.interchange.delimiters
        self._put(self._hierarchy.enter(chain, delimiters))
        return delimiters

    def add_plain(self, plain: PlainTransaction) -> None:
        """Keep every claim of ``plain``: its text, as it came, is what
        :meth:`add` writes of the transaction with each claim accepted
        unchanged (the recognizer that made it guarantees the HL ids, parents,
        child codes and SE01 are the ones written here)."""
        if not plain.claims:
            return
        self.kept += len(plain.claims)
        self._enter(plain.transaction.group)
        self._write(plain.text)
        self._transactions += 1

    def close(self, trailer: str = "") -> bool:
        """Finish the output; False (and nothing written) when no claim was kept."""
        self._end_interchange()
        if not self.kept:
            return False
        self._write(trailer)
        return True

    def _open(self, transaction: Transaction) -> None:
        self._enter(transaction.group)
        self._transaction = transaction
        self._hierarchy = _Hierarchy()
        self._segments = 0
        self._put([segment.raw for segment in transaction.header])

    def _enter(self, group: Group) -> None:
        """End the open transaction; open ``group`` (and its interchange)
        unless it is the open one, ending those first."""
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

    def _emit(self, segments: list[str]) -> None:
        """A claim's text: held with its subscriber loop while that is held."""
        held = self._hierarchy.held
        if held is not None:
            held.extend(segments)
        else:
            self._put(segments)

    def _put(self, segments: list[str]) -> None:
        self._segments += len(segments)
        self._write("".join(segments))

    def _end_transaction(self) -> None:
        transaction = self._transaction
        if transaction is None:
            return
        delimiters = transaction.group.interchange.delimiters
        self._put(self._hierarchy.release(delimiters))
        count = str(self._segments + 1)
        self._write(render(("SE", count, transaction.control_number), delimiters, self._newline))
        self._transaction = None
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


_BILLING, _SUBSCRIBER, _PATIENT = 0, 1, 2
#: A claim's HL loops: billing provider, subscriber, patient (if any).
_Chain = tuple[HierarchyLevel, HierarchyLevel, HierarchyLevel | None]


class _Hierarchy:
    """New HL ids, parents and child codes, assigned as kept claims arrive.

    An HL loop is written just before the first kept claim below it (a loop
    with none is dropped), numbered 1, 2, ... in output order. Its child code
    (HL04) is known then, except for one shape: a subscriber loop opened by a
    claim of the subscriber itself whose input HL04 says it has dependants
    (2000C loops). Whether a kept claim of a dependant follows is not known
    until one does or the loop ends, so the loop is held (:attr:`held`) until
    then: memory is bounded by that subscriber's own claims. A subscriber
    whose input HL04 is ``0`` keeps ``0``.
    """

    def __init__(self) -> None:
        self.counter = 0
        self.current: list[HierarchyLevel | None] = [None, None, None]
        self.ids = ["", "", ""]
        self.held: list[str] | None = None
        self._held_hl: tuple[Segment, tuple[str, ...]] | None = None

    def enter(self, chain: _Chain, delimiters: Delimiters) -> list[str]:
        """The text to write before a claim of HL loops ``chain``: the loops
        it opens, after a held subscriber loop it resolves or ends. A loop
        held from here on is not in it: the claim's own text goes to
        :attr:`held`."""
        dependant = chain[_PATIENT] is not None
        out: list[str] = []
        for depth, level in enumerate(chain):
            if level is None:
                self.current[depth] = None
                continue
            if level is self.current[depth]:
                continue
            if depth <= _SUBSCRIBER:
                out.extend(self.release(delimiters))
            elif self._held_hl is not None:
                out.extend(self._resolve("1", delimiters))
            self.counter += 1
            self.ids[depth] = str(self.counter)
            self.current[depth] = level
            for deeper in range(depth + 1, 3):
                self.current[deeper] = None
            parent = self.ids[depth - 1] if depth else ""
            out.extend(self._level(level, depth, parent, dependant, delimiters))
        return out

    def release(self, delimiters: Delimiters) -> list[str]:
        """Text of a held subscriber loop that ends here (HL04 ``0``)."""
        if self._held_hl is None:
            return []
        return self._resolve("0", delimiters)

    def _resolve(self, child: str, delimiters: Delimiters) -> list[str]:
        assert self._held_hl is not None and self.held is not None
        hl, elements = self._held_hl
        text = [rewrite(hl, replace_element(elements, 4, child), delimiters), *self.held]
        self._held_hl = None
        self.held = None
        return text

    def _level(
        self,
        level: HierarchyLevel,
        depth: int,
        parent: str,
        dependant: bool,
        delimiters: Delimiters,
    ) -> list[str]:
        """A loop's text (``dependant``: the claim is a patient's, below its
        subscriber's loop)."""
        hl = level.hl
        elements = replace_element(hl.elements, 1, self.ids[depth])
        elements = replace_element(elements, 2, parent)
        rest = [segment.raw for segment in level.segments[1:]]
        if level.level_code == "20" or depth == _BILLING or (depth == _SUBSCRIBER and dependant):
            child = "1"
        elif depth == _SUBSCRIBER and hl.get(4) != "0":
            self._held_hl = (hl, elements)
            self.held = rest
            return []
        else:
            child = "0"
        return [rewrite(hl, replace_element(elements, 4, child), delimiters), *rest]


def _claim(outcome: Outcome, delimiters: Delimiters) -> Iterator[str]:
    """The claim's segments, one string each."""
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

    def add_plain(self, plain: PlainTransaction) -> None:
        self._writer.add_plain(plain)

    def add_copied(self, claim: CopiedClaim) -> None:
        self._writer.add_copied(claim)

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
