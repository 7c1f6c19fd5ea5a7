"""Read 837P/837I files into :class:`~scrubber.model.Claim` objects, streaming.

:class:`X12Reader` yields one claim at a time with its envelope and HL
context; it holds only the claim being built, the current HL loops and the
envelope headers, never the whole file.

How defects are handled (what a clearinghouse front end would do):

* Fatal (:class:`~scrubber.errors.X12InputError`, nothing is yielded after
  it): no ISA, an ISA that is not 106 characters, a version other than 5010,
  a functional group or transaction that is not an 837P/837I, a bad segment
  identifier, a segment where the 837 structure does not allow it (CLM before
  a subscriber HL, LX before CLM, SV1 outside a 2400 loop, GS inside an open
  group), a charge that is not a number, and a file that ends inside an
  envelope (missing SE/GE/IEA: the file is truncated and its last claim may
  be incomplete).
* Warnings (the claims are unambiguous; ``X12Reader.warnings``): wrong
  SE01/GE01/IEA01 counts, trailer control numbers that do not match their
  headers, ST03 different from GS08, empty segments, an unterminated last
  segment, HL parent ids that do not match, dates that are not dates.

Limits (what happens when an input grows past what an 837 holds; cost stays
linear in every dimension, see ``benchmarks/hostile_shapes.py``):

* A segment longer than 65,536 characters (with the whitespace and empty
  segments before it; ``tokenizer.MAX_SEGMENT_CHARS``) is **refused**
  (X12InputError naming the segment and the limit): 5010 837 segments are
  under 1,000 characters (the longest element, MSG01, has 264), so only a
  missing terminator or data that is not X12 gets there, and refusing it
  keeps memory bounded (it is never held whole). The same bound refuses more
  than 65,536 characters of whitespace between segments or after the last.
  Element lengths and counts are not checked one by one: the segment bound
  bounds them.
* Empty segments (``~~``) are a syntax defect, not a claim's: one warning per
  interchange, at the first one, counting them all.
* More service lines in a claim than the guide allows (50 in 837P, 999 in
  837I; ``MAX_LINES``) or more than 5,000 claims in one ST-SE
  (``MAX_CLAIMS_PER_TRANSACTION``): **read anyway**, with one warning per
  claim or transaction. The claims are unambiguous and deciding them is
  linear in their lines; refusing would lose the other claims of the file,
  and a payer's own front end reports the limit. The writers stream a
  transaction claim by claim, so its size does not bound memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol, cast

from scrubber.errors import InputWarning, X12InputError
from scrubber.model import (
    Claim,
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
from scrubber.pickling import by_fields
from scrubber.x12 import fields
from scrubber.x12.plain_claims import copied_claim, plain_claims
from scrubber.x12.plain_text import Scanned, TextScan
from scrubber.x12.segment_text import prefix_of
from scrubber.x12.source import Encoding, Source, TextSource
from scrubber.x12.tokenizer import Tokenizer, segments_of

SUPPORTED_VERSIONS = {
    "005010X222A1": ClaimKind.PROFESSIONAL,
    "005010X222A2": ClaimKind.PROFESSIONAL,
    "005010X223A2": ClaimKind.INSTITUTIONAL,
    "005010X223A3": ClaimKind.INSTITUTIONAL,
}
#: Implementation-guide limits that are warned about (see "Limits" above).
MAX_LINES = {ClaimKind.PROFESSIONAL: 50, ClaimKind.INSTITUTIONAL: 999}  # 2400 loop repeat
MAX_CLAIMS_PER_TRANSACTION = 5000  # CLM segments in one ST-SE
_GUIDE_NAMES = {ClaimKind.PROFESSIONAL: "837P", ClaimKind.INSTITUTIONAL: "837I"}
SUPPORTED_TEXT = "837P 005010X222A1 (or A2) and 837I 005010X223A2 (or A3)"
_GROUP_NAMES = {
    "HC": "837 health care claim",
    "HN": "277 claim status / acknowledgment",
    "FA": "999/997 functional acknowledgment",
    "HS": "270 eligibility inquiry",
    "HB": "271 eligibility response",
    "HP": "835 remittance advice",
    "HR": "276 claim status request",
    "BE": "834 benefit enrollment",
}


class PlainTest(Protocol):
    """Tells plain claims (issue 15's fast path): claims that need no claim
    model in pass 1 because no rule can act on them or read them as context
    (:class:`scrubber.rules.passthrough.Passthrough` is the one the pipeline uses)."""

    def plain(
        self,
        kind: ClaimKind,
        delimiters: Delimiters,
        subscriber: HierarchyLevel,
        patient: HierarchyLevel | None,
        segments: tuple[Segment, ...],
        lines: Sequence[tuple[Segment, ...]],
    ) -> bool:
        """Whether the claim of these grouped segments is plain."""
        ...


class _Taken(NamedTuple):
    """A transaction the text scan took: the text holding it, where its body
    starts, what the scan found, and the newline before its segments."""

    text: str
    start: int
    scanned: Scanned
    newline: str


class Passed(NamedTuple):
    """A plain claim as a reader with a :class:`PlainTest` yields it: its
    transaction, and its claim model when the reader builds plain claims
    (``None`` when not: pass 1 needs nothing else). With no model it may
    stand for ``run`` plain claims of the transaction in a row: a
    transaction the text scan took comes as one (pass 1 counts a
    clearinghouse batch's claims a transaction at a time)."""

    transaction: Transaction
    claim: Claim | None
    run: int = 1  # (not ``count``: a tuple's method)


@dataclass(frozen=True, slots=True)
class ReadOffsets:
    """Where a piece of an input starts within the whole (the segments, claims
    and transactions before it), so that positions and ordinals read from
    the piece are those of the whole input."""

    segments: int = 0
    claims: int = 0
    transactions: int = 0


@dataclass
class _TransactionState:
    """What is open while reading one ST-SE."""

    header: list[Segment]
    st: Segment
    transaction: Transaction | None = None
    billing: HierarchyLevel | None = None
    subscriber: HierarchyLevel | None = None
    patient: HierarchyLevel | None = None
    level: list[Segment] = field(default_factory=list)  # the HL loop being read
    claim: list[Segment] = field(default_factory=list)  # the 2300 segments being read
    lines: list[list[Segment]] = field(default_factory=list)  # its 2400 loops
    hl_ids: set[str] = field(default_factory=set)
    segment_count: int = 1
    claims: int = 0  # claims read in this ST


class X12Reader:
    """Streams the claims of one 837 input.

    ``warnings`` fills as the input is read; ``encoding`` and ``trailer``
    (whitespace after the last segment) are known once reading has started
    and ended; ``transactions`` lists every ST-SE read, claims or not.
    """

    def __init__(
        self,
        source: Source,
        name: str | None = None,
        *,
        keep_transactions: bool = True,
        offsets: ReadOffsets = ReadOffsets(),
        plain: PlainTest | None = None,
        build_plain: bool = True,
        scan: TextScan | None = None,
        copy: Callable[[int], bool] | None = None,
    ) -> None:
        self._text = TextSource(source, name)
        self.name = self._text.name
        self.warnings: list[InputWarning] = []
        # Every ST-SE read; a streaming consumer of a large file passes
        # keep_transactions=False so that they are not all kept.
        self.transactions: list[Transaction] = []
        self.transaction_count = offsets.transactions
        self._keep_transactions = keep_transactions
        self.claim_count = offsets.claims
        self._tokenizer = Tokenizer(self._text.chunks(), self.warnings, offsets.segments)
        self._last: Segment | None = None
        # Plain claims (see read()): told apart by ``plain``, built or not;
        # with ``scan``, whole transactions of them are taken from the text.
        self._plain = plain
        self._build_plain = build_plain
        self._scan = scan
        # Claims pass 2 copies (issue 15, goal 2): plain ones, and those
        # ``copy`` names by ordinal; each comes as a CopiedClaim, no model.
        self._copy = copy
        self._newline: tuple[Group | None, str] = (None, "")  # the open group's GS prefix

    @property
    def encoding(self) -> Encoding:
        return self._text.encoding

    @property
    def trailer(self) -> str:
        return self._tokenizer.trailer

    @property
    def segment_count(self) -> int:
        return self._tokenizer.count

    def claims(self) -> Iterator[Claim]:
        """Every claim, in input order (a reader made without ``plain`` and ``copy``)."""
        if self._plain is not None or self._copy is not None:
            raise ValueError("a reader that tells plain or copied claims apart is read with read()")
        return cast(Iterator[Claim], self.read())

    def read(self) -> Iterator[Claim | Passed | PlainTransaction | CopiedClaim]:
        """Every claim, in input order; with ``plain``, the claims it finds
        plain come as :class:`Passed` (holding the claim only with
        ``build_plain``). With ``scan`` too, a transaction the scan takes
        whole (:mod:`scrubber.x12.plain_text`) comes as one
        :class:`~scrubber.model.PlainTransaction` with ``build_plain``, else
        as a :class:`Passed` with no claim for each of its claims. With
        ``copy`` (and ``build_plain``), a plain claim, and a claim whose
        ordinal ``copy`` is true of, comes as a
        :class:`~scrubber.model.CopiedClaim`, no model built. Reading is
        otherwise the same: the same checks, errors and warnings, in the same
        order (``plain``, ``scan`` and ``copy`` must only pass claims whose
        model builds without an error or a warning)."""
        segments = self._tokenizer.segments()
        first = next(segments, None)
        if first is None:
            raise X12InputError("input is empty: no ISA interchange header")
        yield from self._interchanges(first, segments)

    # Envelope levels -------------------------------------------------------

    def _interchanges(
        self, first: Segment, segments: Iterator[Segment]
    ) -> Iterator[Claim | Passed | PlainTransaction | CopiedClaim]:
        segment: Segment | None = first
        while segment is not None:
            _expect(segment, "ISA", "an ISA interchange header")
            interchange = self._interchange(segment)
            groups = 0
            for inner in self._until(segments, "IEA", segment):
                groups += 1
                yield from self._group(inner, interchange, segments)
            _check_trailer(
                self.warnings, self._last, groups, "ISA13", interchange.control_number, "groups"
            )
            segment = next(segments, None)

    def _interchange(self, isa: Segment) -> Interchange:
        version = isa.get(12)
        if version != "00501":
            raise X12InputError(
                f"interchange version ISA12={version!r} is not supported: "
                f"this scrubber reads 5010 (00501) files, {SUPPORTED_TEXT}",
                isa.position,
                "ISA",
            )
        return Interchange(
            isa=isa,
            delimiters=self._tokenizer.delimiters,
            control_number=isa.get(13),
            sender_id=isa.get(6).strip(),
            receiver_id=isa.get(8).strip(),
            usage=isa.get(15),
        )

    def _group(
        self, gs: Segment, interchange: Interchange, segments: Iterator[Segment]
    ) -> Iterator[Claim | Passed | PlainTransaction | CopiedClaim]:
        _expect(gs, "GS", "a GS functional group header")
        group = Group(gs, interchange, gs.get(6), gs.get(8), _group_kind(gs))
        transactions = 0
        for st in self._until(segments, "GE", gs):
            transactions += 1
            yield from self._transaction(st, group, segments)
        _check_trailer(
            self.warnings, self._last, transactions, "GS06", group.control_number, "transactions"
        )

    def _transaction(
        self, st: Segment, group: Group, segments: Iterator[Segment]
    ) -> Iterator[Claim | Passed | PlainTransaction | CopiedClaim]:
        _expect(st, "ST", "an ST transaction set header")
        if st.get(1) != "837":
            raise X12InputError(
                f"transaction set ST01={st.get(1)!r} is not an 837 claim; "
                f"supported: {SUPPORTED_TEXT}",
                st.position,
                "ST",
            )
        if st.get(3) and st.get(3) != group.version:
            self.warnings.append(
                InputWarning(
                    f"ST03 {st.get(3)!r} differs from GS08 {group.version!r}", st.position, "ST"
                )
            )
        state = _TransactionState(header=[st], st=st)
        taken = self._take(st, group)
        if taken is not None:
            yield from self._taken(taken, state, group)
        # The reader's hot path: the body is read here, not through _until's
        # generator, and each segment is filed by a plain call (at most one
        # claim completes per segment).
        for segment in segments:
            if segment.elements[0] in _ENVELOPE_IDS:
                self._envelope_segment(segment, "SE", st)
                break
            state.segment_count += 1
            claim = self._transaction_segment(segment, state, group)
            if claim is not None:
                yield claim
        else:
            raise self._truncated("SE", st)
        claim = self._close_claim(state)
        if claim is not None:
            yield claim
        self._close_level(state)
        state.segment_count += 1
        if state.transaction is None:
            state.transaction = self._open_transaction(state, group)
        _check_trailer(
            self.warnings, self._last, state.segment_count, "ST02", st.get(2), "segments"
        )
        if state.claims > MAX_CLAIMS_PER_TRANSACTION:
            self.warnings.append(
                InputWarning(
                    f"transaction set holds {state.claims:,} claims; the implementation guide "
                    f"allows {MAX_CLAIMS_PER_TRANSACTION:,} an ST-SE: read anyway",
                    st.position,
                    "ST",
                )
            )

    # Transactions taken whole (issue 15's text path) --------------------------

    def _take(self, st: Segment, group: Group) -> _Taken | None:
        """The transaction of ``st`` when the text scan takes it whole."""
        scan = self._scan
        if scan is None:
            return None
        delimiters = self._tokenizer.delimiters
        known, newline = self._newline
        if known is not group:
            newline = prefix_of(group.gs, delimiters)
            self._newline = (group, newline)
        if not st.raw.startswith(newline + "ST"):  # empty segments or other whitespace before it
            return None
        if st.get(3) not in ("", group.version):  # (the reader warns of it)
            return None
        control, kind, ordinal = st.get(2), group.kind, self.transaction_count + 1

        def scanned(text: str, start: int) -> Scanned | None:
            return scan.scan(text, start, kind, delimiters, newline, control, ordinal)

        taken = self._tokenizer.take(scanned)
        if taken is None:
            return None
        text, start, found = taken
        return _Taken(text, start, found, newline)

    def _taken(
        self, taken: _Taken, state: _TransactionState, group: Group
    ) -> Iterator[Passed | PlainTransaction]:
        """Read a transaction the scan took: its header as segments; its
        claims as one :class:`PlainTransaction` (``build_plain``), else each
        as a :class:`Passed` with no claim. Its SE is read next, as usual."""
        text, start, scanned = taken.text, taken.start, taken.scanned
        delimiters = self._tokenizer.delimiters
        state.header.extend(
            segments_of(text[start : scanned.header_end], delimiters, state.st.position + 1)
        )
        state.segment_count += scanned.segments
        transaction = self._open_transaction(state, group)
        state.transaction = transaction
        state.claims = scanned.claims
        first = self.claim_count + 1
        self.claim_count += scanned.claims
        if not self._build_plain:
            yield Passed(transaction, None, scanned.claims)  # (the scan takes no claimless one)
            return
        kind, newline = group.kind, taken.newline
        claims = plain_claims(
            text, start, scanned.end, state.st.position, kind, delimiters, newline, first
        )
        se_end = text.index(delimiters.segment, scanned.end) + 1
        whole = state.st.raw + text[start:se_end]
        yield PlainTransaction(transaction, whole, scanned.segments + 2, claims)

    # Transaction body --------------------------------------------------------

    def _transaction_segment(
        self, segment: Segment, state: _TransactionState, group: Group
    ) -> Claim | Passed | CopiedClaim | None:
        """File one segment into the open loops; return the claim it completes, if any."""
        segment_id = segment.elements[0]  # (hot path: not the .id property)
        completed = None
        if segment_id == "HL":
            completed = self._close_claim(state)
            self._close_level(state)
            if state.transaction is None:
                state.transaction = self._open_transaction(state, group)
            state.level = [segment]
        elif segment_id == "CLM":
            completed = self._close_claim(state)
            self._close_level(state)
            if state.subscriber is None:
                raise _misplaced(segment, "CLM before any subscriber (HL*22) loop")
            state.claim = [segment]
        elif segment_id == "LX":
            if not state.claim:
                raise _misplaced(segment, "LX outside a claim (no CLM before it)")
            _check_line_complete(state, group)
            state.lines.append([segment])
        elif state.lines:
            line = state.lines[-1]
            if len(line) == 1 and segment_id not in ("SV1", "SV2"):
                raise _misplaced(segment, f"{_service_id(group)} must follow LX")
            if len(line) > 1 and segment_id in ("SV1", "SV2"):
                # An LX is missing: merging would lose this line's charge.
                raise _misplaced(
                    segment,
                    f"second {segment_id} in one service line (LX at segment "
                    f"{line[0].position}); each {segment_id} needs its own LX",
                )
            line.append(segment)
        elif state.claim:
            if segment_id in ("SV1", "SV2"):
                raise _misplaced(segment, f"{segment_id} outside a service line (no LX before it)")
            state.claim.append(segment)
        elif state.level:
            if segment_id in ("SV1", "SV2"):
                raise _misplaced(segment, f"{segment_id} outside a claim")
            state.level.append(segment)
        elif state.transaction is None:
            if segment_id in ("SV1", "SV2"):
                raise _misplaced(segment, f"{segment_id} in the transaction header")
            state.header.append(segment)
        else:
            raise _misplaced(segment, "segment outside any HL loop")
        return completed

    def _open_transaction(self, state: _TransactionState, group: Group) -> Transaction:
        header = tuple(state.header)
        bht = header[1] if len(header) > 1 and header[1].id == "BHT" else None
        if bht is None:
            raise _misplaced(state.st, "BHT must follow ST")
        transaction = Transaction(
            group=group,
            header=header,
            control_number=state.st.get(2),
            reference=bht.get(3),
            created=bht.get(4),
            ordinal=self.transaction_count + 1,
        )
        self.transaction_count += 1
        if self._keep_transactions:
            self.transactions.append(transaction)
        return transaction

    def _close_level(self, state: _TransactionState) -> None:
        if not state.level:
            return
        hl = state.level[0]
        level = HierarchyLevel(tuple(state.level), hl.get(1), hl.get(2), hl.get(3))
        state.level = []
        self._check_parent(level, state)
        state.hl_ids.add(level.hl_id)
        if level.level_code == "20":
            state.billing, state.subscriber, state.patient = level, None, None
        elif level.level_code == "22":
            if state.billing is None:
                raise _misplaced(hl, "subscriber HL*22 before any billing provider HL*20")
            state.subscriber, state.patient = level, None
        elif level.level_code == "23":
            if state.subscriber is None:
                raise _misplaced(hl, "patient HL*23 before any subscriber HL*22")
            state.patient = level
        else:
            raise X12InputError(
                f"HL03 level code {level.level_code!r} is not one of 20, 22, 23", hl.position, "HL"
            )

    def _check_parent(self, level: HierarchyLevel, state: _TransactionState) -> None:
        expected = {"22": state.billing, "23": state.subscriber}.get(level.level_code)
        if expected is not None and level.parent_id != expected.hl_id:
            self.warnings.append(
                InputWarning(
                    f"HL02 parent {level.parent_id!r} is not the enclosing HL {expected.hl_id!r}",
                    level.hl.position,
                    "HL",
                )
            )
        if level.hl_id in state.hl_ids:
            self.warnings.append(
                InputWarning(f"HL01 id {level.hl_id!r} repeats", level.hl.position, "HL")
            )

    def _close_claim(self, state: _TransactionState) -> Claim | Passed | CopiedClaim | None:
        if not state.claim:
            return None
        _check_line_complete(state, state.transaction.group if state.transaction else None)
        assert state.transaction is not None and state.billing is not None
        assert state.subscriber is not None
        self.claim_count += 1
        state.claims += 1
        kind = state.transaction.kind
        if len(state.lines) > MAX_LINES[kind]:
            self.warnings.append(
                InputWarning(
                    f"claim has {len(state.lines):,} service lines; the {_GUIDE_NAMES[kind]} "
                    f"implementation guide allows {MAX_LINES[kind]:,} a claim: read anyway",
                    state.claim[0].position,
                    "CLM",
                )
            )
        segments = tuple(state.claim)
        lines = [tuple(line) for line in state.lines]
        state.claim = []
        state.lines = []
        plain = self._plain
        passed = plain is not None and plain.plain(
            kind,
            state.transaction.group.interchange.delimiters,
            state.subscriber,
            state.patient,
            segments,
            lines,
        )
        if passed and not self._build_plain:
            return Passed(state.transaction, None)
        copy = self._copy
        if copy is not None and (passed or copy(self.claim_count)):
            return copied_claim(
                state.transaction, state.billing, state.subscriber, state.patient,
                segments, lines, self.claim_count, passed,
            )  # fmt: skip
        claim = build_claim(
            state.transaction,
            state.billing,
            state.subscriber,
            state.patient,
            segments,
            lines,
            self.claim_count,
            self.warnings,
        )
        return Passed(state.transaction, claim) if passed else claim

    def _until(
        self, segments: Iterator[Segment], closing: str, opener: Segment
    ) -> Iterator[Segment]:
        """The segments inside an envelope, up to its trailer ``closing``.

        The trailer is left in ``self._last`` for the count checks. A file
        that ends first, or another envelope segment before the trailer,
        is fatal.
        """
        child = _CHILD_OF.get(closing)
        for segment in segments:
            segment_id = segment.elements[0]
            if segment_id in _ENVELOPE_IDS and segment_id != child:
                self._envelope_segment(segment, closing, opener)
                return
            yield segment
        raise self._truncated(closing, opener)

    def _envelope_segment(self, segment: Segment, closing: str, opener: Segment) -> None:
        """An envelope segment inside the envelope ``opener`` opened: its trailer
        ``closing`` (left in ``self._last`` for the count checks), else fatal."""
        if segment.elements[0] != closing:
            raise X12InputError(
                f"{segment.id} inside the {_ENVELOPE_NAMES[closing]} opened at segment "
                f"{opener.position}, which has no {closing}",
                segment.position,
                segment.id,
            )
        self._last = segment

    def _truncated(self, closing: str, opener: Segment) -> X12InputError:
        return X12InputError(
            f"input ends inside the {_ENVELOPE_NAMES[closing]} opened at segment "
            f"{opener.position} (no {closing}): the file is truncated",
            self.segment_count,
        )


_ENVELOPE_IDS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})
_CHILD_OF = {"IEA": "GS", "GE": "ST"}
_ENVELOPE_NAMES = {"IEA": "interchange", "GE": "functional group", "SE": "transaction set"}


def _expect(segment: Segment, segment_id: str, what: str) -> None:
    if segment.id != segment_id:
        raise X12InputError(f"expected {what}, found {segment.id}", segment.position, segment.id)


def _misplaced(segment: Segment, problem: str) -> X12InputError:
    return X12InputError(f"segment out of place: {problem}", segment.position, segment.id)


def _check_line_complete(state: _TransactionState, group: Group | None) -> None:
    """The open service line, if any, has its SV1/SV2: an LX followed by another
    LX (or by the end of the claim) is a service line without a service."""
    if state.lines and len(state.lines[-1]) == 1:
        lx = state.lines[-1][0]
        service = _service_id(group) if group is not None else "SV1/SV2"
        raise X12InputError(
            f"service line without a service: {service} must follow LX "
            "(an LX followed by another LX or by the end of its claim)",
            lx.position,
            "LX",
        )


def _service_id(group: Group) -> str:
    return "SV1" if group.kind is ClaimKind.PROFESSIONAL else "SV2"


def _group_kind(gs: Segment) -> ClaimKind:
    version = gs.get(8)
    kind = SUPPORTED_VERSIONS.get(version)
    if kind is not None and gs.get(1) == "HC":
        return kind
    what = _GROUP_NAMES.get(gs.get(1), f"functional identifier {gs.get(1)!r}")
    raise X12InputError(
        f"functional group GS01={gs.get(1)!r} ({what}), GS08={version!r} is not supported: "
        f"this scrubber reads {SUPPORTED_TEXT}",
        gs.position,
        "GS",
    )


def _check_trailer(
    warnings: list[InputWarning],
    trailer: Segment | None,
    counted: int,
    header_name: str,
    header_control: str,
    what: str,
) -> None:
    """Warn when a trailer's count (element 1) or control number (element 2) is off."""
    assert trailer is not None
    declared = trailer.get(1)
    if declared != str(counted):
        warnings.append(
            InputWarning(
                f"{trailer.id}01 declares {declared!r} {what}, the input has {counted}",
                trailer.position,
                trailer.id,
            )
        )
    if trailer.get(2) != header_control:
        warnings.append(
            InputWarning(
                f"{trailer.id}02 {trailer.get(2)!r} does not match "
                f"{header_name} {header_control!r}",
                trailer.position,
                trailer.id,
            )
        )


def build_claim(
    transaction: Transaction,
    billing: HierarchyLevel,
    subscriber_level: HierarchyLevel,
    patient_level: HierarchyLevel | None,
    segments: tuple[Segment, ...],
    lines: list[tuple[Segment, ...]],
    ordinal: int,
    warnings: list[InputWarning],
) -> Claim:
    """Assemble a :class:`Claim` from its grouped segments."""
    clm = segments[0]
    kind = transaction.kind
    delimiters = transaction.group.interchange.delimiters
    facility = clm.get(5).split(delimiters.component)
    own = fields.own_segments(segments)
    statement = next(
        (fields.date_range(s, warnings) for s in own if s.id == "DTP" and s.get(1) == "434"),
        None,
    )
    return Claim(
        transaction=transaction,
        billing=billing,
        subscriber_level=subscriber_level,
        patient_level=patient_level,
        segments=segments,
        lines=tuple(
            fields.service_line(line, kind, delimiters, statement, warnings) for line in lines
        ),
        ordinal=ordinal,
        patient_control_number=clm.get(1),
        total_charge=fields.money(clm, 2, "total claim charge"),
        facility_code=facility[0],
        facility_qualifier=facility[1] if len(facility) > 1 else "",
        frequency_code=facility[2] if len(facility) > 2 else "",
        statement_period=statement,
        prior_authorizations=fields.references(own, "G1"),
        attachments=fields.attachments(own),
        payer_claim_number=next(iter(fields.references(own, "F8")), ""),
        diagnoses=fields.diagnoses(own, delimiters.component),
        billing_npi=fields.entity_id(billing.segments, "85"),
        payer_id=fields.entity_id(subscriber_level.segments, "PR"),
        subscriber=fields.person(subscriber_level.segments, "IL", warnings),
        patient=(fields.person(patient_level.segments, "QC", warnings) if patient_level else None),
    )


def read_claims(source: Source, name: str | None = None) -> Iterator[Claim]:
    """Stream the claims of an 837 source (see :class:`X12Reader`)."""
    return X12Reader(source, name).claims()


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(ReadOffsets)
