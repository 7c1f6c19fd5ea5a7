"""Write the 277CA (005010X214) that acknowledges every claim of an input.

Contract (:func:`write_277ca`):

* One ISA per input interchange (sender and receiver swapped), one GS (HN)
  per input functional group, one 277 per input 837 ST-SE that holds claims,
  with the input's delimiters and newline style. Control numbers count up
  from ``control_start``; dates and times are ``now``.
* 2000A/2100A information source: the 837's receiver (1000B); 2200A TRN02 and
  2200B TRN02: the 837's BHT03. 2000B/2100B information receiver: the 837's
  submitter (1000A), with accepted/rejected counts and amounts (QTY 90/AA,
  AMT YU/YY; amounts are the submitted CLM02s).
* 2000C per billing provider HL (STC ``A1:19``, QTY QA/QC, AMT YU/YY).
* 2000D per claim: patient name and subscriber member id, TRN02 = CLM01,
  claim service dates. Accepted and corrected claims: STC ``A2:20``, action
  ``WQ`` (a corrected claim's STC12 says which lines were removed or
  repaired). Rejected claims: STC ``A3:21``, action ``U``, claim-level status
  codes of the findings in STC10/STC11, STC12 free text naming the rules and
  lines; each offending line (a line with a ``reject-claim``, ``remove-line``
  or ``repair`` finding) in a 2220D loop: SVC, STC from the findings' status
  codes (STC03 ``U``), ``REF*FJ`` = the line's REF*6R or its LX number, and
  DTP*472.
* Free text is sanitized of the interchange's separators (see
  :func:`~scrubber.x12.segment_text.sanitize_text`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby

from scrubber.model import (
    Claim,
    ClaimKind,
    CopiedClaim,
    DateRange,
    Delimiters,
    Group,
    HierarchyLevel,
    Interchange,
    Person,
    PlainClaim,
    PlainTransaction,
    Segment,
    ServiceLine,
    Transaction,
)
from scrubber.outputs.sink import AckSettings as AckSettings
from scrubber.outputs.sink import Part, RunEnd, RunInfo, Target
from scrubber.outputs.targets import copy_part
from scrubber.outputs.text_spool import TextSpool
from scrubber.rules.findings import Action, ClaimStatus, Finding
from scrubber.rules.outcome import ZERO, Outcome
from scrubber.x12.segment_text import format_amount, format_quantity, prefix_of, sanitize_text

VERSION = "005010X214"
CLAIM_REJECTED = "A3:21"
CLAIM_ACCEPTED = "A2:20"
RECEIVED = "A1:19"
FREE_TEXT_LIMIT = 264
_CONTROL_LIMIT = 999_999_999
_LINE_ACTIONS = frozenset({Action.REJECT_CLAIM, Action.REMOVE_LINE, Action.REPAIR})


def control_after(start: int, used: int) -> int:
    """The control number that follows ``used`` numbers taken from ``start``
    (numbers run 1..999999999 and wrap around)."""
    return (start - 1 + used) % _CONTROL_LIMIT + 1


def default_control_start(now: dt.datetime) -> int:
    """A 9-digit control number from the time of day and day of year (unique per
    second within a year), for runs that keep no counter."""
    return int(now.strftime("%j%H%M%S")) % 1_000_000_000 or 1


def write_277ca(outcomes: Sequence[Outcome], settings: AckSettings) -> str:
    """The 277CA text acknowledging ``outcomes`` (every claim of the input, in order)."""
    parts: list[str] = []
    writer = Ack277Writer(settings, parts.append)
    for outcome in outcomes:
        writer.add(outcome)
    writer.close()
    return "".join(parts)


class Ack277Writer:
    """The 277CA, streamed: :meth:`add` every outcome in input order, then
    :meth:`close`. The 2000B/2000C totals precede the claims they count, so a
    277's claim loops are rendered as their outcomes come and held in a
    :class:`~scrubber.outputs.text_spool.TextSpool` (memory up to its limit,
    then a temporary file) until the 837 ST-SE ends; no outcome is kept.
    Same output as :func:`write_277ca`."""

    def __init__(
        self, settings: AckSettings, write: Callable[[str], object], *, continued: bool = False
    ) -> None:
        # continued: this output follows 277 text written before (a shard of a
        # file after the first that acknowledged claims): its first segment
        # takes the newline prefix like every later one.
        self._writer = _Writer(settings, write)
        self._writer.started = continued
        self._interchange: Interchange | None = None
        self._group: Group | None = None
        self._transaction: _Ack | None = None
        self._group_control = ""
        self._interchange_control = ""
        self._groups = 0
        self._transactions = 0

    def add(self, outcome: Outcome) -> None:
        self._writer.claim_of(self._ack_of(outcome.claim.transaction), outcome)

    def add_plain(self, plain: PlainTransaction) -> None:
        """Acknowledge every claim of ``plain``: what :meth:`add` writes for
        each one as an accepted outcome with no finding."""
        if not plain.claims:
            return
        self._writer.plain_claims(self._ack_of(plain.transaction), plain.claims)

    def add_copied(self, claim: CopiedClaim) -> None:
        """Acknowledge ``claim``: what :meth:`add` writes for it as an
        accepted outcome with no finding."""
        self._writer.plain_claims(self._ack_of(claim.transaction), (claim.plain,))

    def close(self) -> None:
        self._end_interchange()
        self._writer.flush()

    def _ack_of(self, transaction: Transaction) -> _Ack:
        """The 277 of ``transaction``'s claims (opened here when it is not the open one)."""
        if self._transaction is None or transaction is not self._transaction.source:
            self._open(transaction)
        assert self._transaction is not None
        return self._transaction

    def _open(self, transaction: Transaction) -> None:
        group = transaction.group
        self._end_transaction()
        if group is not self._group:
            self._end_group()
            if group.interchange is not self._interchange:
                self._end_interchange()
                self._interchange = group.interchange
                self._interchange_control = self._writer.open_interchange(transaction)
            self._group = group
            self._group_control = self._writer.open_group(group)
        self._transactions += 1
        self._transaction = _Ack(transaction, f"{self._transactions:04d}", self._group_control)

    def _end_transaction(self) -> None:
        if self._transaction is None:
            return
        self._writer.transaction(self._transaction)
        self._writer.flush()
        self._transaction = None

    def _end_group(self) -> None:
        self._end_transaction()
        if self._group is None:
            return
        self._writer.add("GE", str(self._transactions), self._group_control)
        self._group = None
        self._transactions = 0
        self._groups += 1

    def _end_interchange(self) -> None:
        self._end_group()
        if self._interchange is None:
            return
        self._writer.add("IEA", str(self._groups), self._interchange_control)
        self._writer.flush()
        self._interchange = None
        self._groups = 0


@dataclass
class _Tally:
    """Claims counted for a 277's 2000B or 2000C totals (amounts: CLM02s)."""

    total: Decimal = ZERO
    accepted: int = 0
    accepted_amount: Decimal = ZERO
    rejected: int = 0
    rejected_amount: Decimal = ZERO

    def count_accepted(self, claims: int, amount: Decimal) -> None:
        """``claims`` accepted claims of CLM02s summing to ``amount``."""
        self.total += amount
        self.accepted += claims
        self.accepted_amount += amount

    def count(self, amount: Decimal, rejected: bool) -> None:
        """One claim of CLM02 ``amount``, rejected or not."""
        self.total += amount
        if rejected:
            self.rejected += 1
            self.rejected_amount += amount
        else:
            self.accepted += 1
            self.accepted_amount += amount


@dataclass
class _Provider:
    """A 2000C loop being written: its claims are held until its totals are known."""

    billing: HierarchyLevel
    npi: str
    hl_id: str
    tally: _Tally = field(default_factory=_Tally)
    claims: TextSpool = field(default_factory=TextSpool)


@dataclass
class _Ack:
    """One 277 being written, for the 837 transaction ``source``."""

    source: Transaction
    control: str
    group_control: str
    tally: _Tally = field(default_factory=_Tally)
    body: TextSpool = field(default_factory=TextSpool)  # finished 2000C loops
    provider: _Provider | None = None
    next_id: int = 3  # HL 1 and 2: the 2000A and 2000B loops


class Ack277Sink:
    """The 277CA as a :class:`~scrubber.outputs.sink.Sink`, in the input's
    codec. A part's control numbers start where the earlier parts' end
    (``run.ack``, set by the caller), so the join concatenates the parts."""

    def __init__(self, run: RunInfo, target: Target) -> None:
        self._codec = run.encoding.codec
        self._out = target.open(self._codec)
        self._writer = Ack277Writer(run.ack, self._out.write, continued=run.continued)

    def add(self, outcome: Outcome) -> None:
        self._writer.add(outcome)

    def add_plain(self, plain: PlainTransaction) -> None:
        self._writer.add_plain(plain)

    def add_copied(self, claim: CopiedClaim) -> None:
        self._writer.add_copied(claim)

    def close(self, end: RunEnd) -> None:
        self._writer.close()

    def join(self, parts: Sequence[Part], end: RunEnd) -> None:
        for part in parts:
            copy_part(part.path, self._codec, self._out)


class _Writer:
    def __init__(self, settings: AckSettings, write: Callable[[str], object]) -> None:
        self.settings = settings
        self.parts: list[str] = []
        self._write = write
        self.started = False  # anything added yet (flushed or not)
        self.control = settings.control_start
        self.delimiters = Delimiters()
        self.newline = ""
        self.date = settings.now.strftime("%Y%m%d")
        self.time = settings.now.strftime("%H%M")

    def flush(self) -> None:
        if self.parts:
            self._write("".join(self.parts))
            self.parts = []

    def add(self, *elements: str) -> None:
        self.parts.append(self.segment(elements))

    def segment(self, elements: Sequence[str]) -> str:
        """One segment's text: trailing empty elements dropped, newline prefix."""
        values = list(elements)
        while len(values) > 1 and values[-1] == "":
            values.pop()
        prefix = self.newline if self.started else ""
        self.started = True
        return prefix + self.delimiters.element.join(values) + self.delimiters.segment

    def _next_control(self) -> int:
        number = self.control
        self.control = control_after(self.control, 1)
        return number

    # Envelopes ---------------------------------------------------------------

    def open_interchange(self, first: Transaction) -> str:
        """The ISA for the interchange of ``first`` (its first transaction with
        a claim); returns ISA13."""
        interchange = first.group.interchange
        self.delimiters = d = interchange.delimiters
        isa = interchange.isa
        self.newline = prefix_of(first.group.gs, d)
        control = f"{self._next_control():09d}"
        self.add(
            "ISA", "00", " " * 10, "00", " " * 10,
            isa.get(7), isa.get(8), isa.get(5), isa.get(6),
            self.settings.now.strftime("%y%m%d"), self.time,
            d.repetition or "^", "00501", control, "0", interchange.usage or "P", d.component,
        )  # fmt: skip
        return control

    def open_group(self, group: Group) -> str:
        gs = group.gs
        control = str(self._next_control())
        self.add("GS", "HN", gs.get(3), gs.get(2), self.date, self.time, control, "X", VERSION)
        return control

    # The 277 ------------------------------------------------------------------

    def claim_of(self, ack: _Ack, outcome: Outcome) -> None:
        """Render ``outcome``'s 2000D loop into its 2000C loop (opened here
        when its billing provider changes) and count it."""
        claim = outcome.claim
        provider = self._counted(ack, claim.billing, claim.billing_npi)
        amount, rejected = outcome.charge_in, outcome.rejected
        ack.tally.count(amount, rejected)
        provider.tally.count(amount, rejected)
        provider.claims.add_all(self.claim(outcome, str(ack.next_id), provider.hl_id))
        ack.next_id += 1

    def plain_claims(self, ack: _Ack, claims: Sequence[PlainClaim]) -> None:
        """What :meth:`claim_of` does for each of ``claims`` in turn as an
        accepted outcome with no finding: one loop, the claims of each
        billing provider loop counted together (every claim of a
        clearinghouse batch passes here)."""
        loop, status, created = self.claim_loop, self.accepted_status, ack.source.created
        for _, same_billing in groupby(claims, key=_billing_loop):
            run = list(same_billing)
            provider = self._counted(ack, run[0].billing, run[0].billing_npi)
            texts: list[str] = []
            for hl_id, claim in enumerate(run, ack.next_id):
                texts += loop(
                    str(hl_id), provider.hl_id, claim.person, claim.member_id, claim.claim_id,
                    status(claim.charge, ""), claim.bill_type, claim.dates, created,
                )  # fmt: skip
            total = sum((claim.charge for claim in run), ZERO)
            ack.next_id += len(run)
            ack.tally.count_accepted(len(run), total)
            provider.tally.count_accepted(len(run), total)
            provider.claims.add_all(texts)

    def _counted(self, ack: _Ack, billing: HierarchyLevel, npi: str) -> _Provider:
        """The 2000C loop of the claim being added: the open one, unless the
        claim's billing loop is another (then the open one ends and one opens)."""
        provider = ack.provider
        if provider is None or provider.billing is not billing:
            self._end_provider(ack)
            provider = _Provider(billing, npi, str(ack.next_id))
            ack.provider = provider
            ack.next_id += 1
        return provider

    def _end_provider(self, ack: _Ack) -> None:
        provider = ack.provider
        if provider is None:
            return
        for segment in self.provider(provider):
            ack.body.add(segment)
        ack.body.extend(provider.claims)
        ack.provider = None

    def transaction(self, ack: _Ack) -> None:
        """The 277 of ``ack``: its header and totals, then the held loops."""
        self._end_provider(ack)
        self.flush()
        start = len(self.parts)
        source, control, tally = ack.source, ack.control, ack.tally
        self.add("ST", "277", control, VERSION)
        self.add(
            "BHT", "0085", "08", f"277CA{ack.group_control}{control}", self.date, self.time, "TH"
        )
        header = source.header
        interchange = source.group.interchange
        receiver = _find_nm1(header, "40")
        submitter = _find_nm1(header, "41")
        # 2000A information source (the 837's receiver)
        self.add("HL", "1", "", "20", "1")
        source_qualifier = receiver.get(8) if receiver and receiver.get(8) in _SOURCE_QUALS else ""
        self.add(
            "NM1", "PR", "2", _name(receiver, "RECEIVER"), "", "", "", "",
            source_qualifier or "46",
            receiver.get(9) if receiver and receiver.get(9) else interchange.receiver_id,
        )  # fmt: skip
        self.add("TRN", "1", source.reference or "0")
        self.add("DTP", "050", "D8", self.date)
        self.add("DTP", "009", "D8", self.date)
        # 2000B information receiver (the 837's submitter)
        self.add("HL", "2", "1", "21", "1")
        person = submitter is not None and submitter.get(2) == "1"
        self.add(
            "NM1", "41", "1" if person else "2", _name(submitter, "SUBMITTER"),
            submitter.get(4) if submitter and person else "",
            submitter.get(5) if submitter and person else "", "", "",
            "46",
            submitter.get(9) if submitter and submitter.get(9) else interchange.sender_id,
        )  # fmt: skip
        self.add("TRN", "2", source.reference or "0")
        self.add("STC", RECEIVED.replace(":", self.delimiters.component), self.date, "WQ",
                 format_amount(tally.total))  # fmt: skip
        self.parts.extend(self._totals(tally, "90", "AA"))
        segments = len(self.parts) - start + ack.body.segments
        self.flush()
        ack.body.drain(self._write)
        self.add("SE", str(segments + 1), control)

    def _totals(self, tally: _Tally, accepted_qty: str, rejected_qty: str) -> list[str]:
        made = []
        if tally.accepted:
            made.append(self.segment(("QTY", accepted_qty, str(tally.accepted))))
        if tally.rejected:
            made.append(self.segment(("QTY", rejected_qty, str(tally.rejected))))
        if tally.accepted:
            made.append(self.segment(("AMT", "YU", format_amount(tally.accepted_amount))))
        if tally.rejected:
            made.append(self.segment(("AMT", "YY", format_amount(tally.rejected_amount))))
        return made

    def provider(self, provider: _Provider) -> list[str]:
        """The 2000C loop's own segments (its claims' loops follow them)."""
        out: list[str] = []
        nm1 = _find_nm1(provider.billing.segments, "85")
        organization = nm1 is None or nm1.get(2) != "1"
        qualifier, identifier = _provider_id(nm1, provider.npi)
        self.put(out, "HL", provider.hl_id, "2", "19", "1")
        self.put(
            out, "NM1", "85", "2" if organization else "1", _name(nm1, "BILLING PROVIDER"),
            "" if organization or nm1 is None else nm1.get(4),
            "" if organization or nm1 is None else nm1.get(5), "", "",
            qualifier, identifier,
        )  # fmt: skip
        self.put(out, "TRN", "1", "0")
        self.put(out, "STC", RECEIVED.replace(":", self.delimiters.component), "", "WQ",
                 format_amount(provider.tally.total))  # fmt: skip
        out.extend(self._totals(provider.tally, "QA", "QC"))
        return out

    def put(self, out: list[str], *elements: str) -> None:
        """One segment's text onto ``out``."""
        out.append(self.segment(elements))

    def claim(self, outcome: Outcome, hl_id: str, parent: str) -> list[str]:
        """The 2000D loop of ``outcome``'s claim (and its 2220D loops)."""
        claim = outcome.claim
        if outcome.rejected:
            comp = self.delimiters.component
            extra = _claim_level_codes(outcome.decision.findings)
            status = self.segment((
                "STC", CLAIM_REJECTED.replace(":", comp), self.date, "U",
                format_amount(outcome.charge_in), "", "", "", "", "",
                *(code.replace(":", comp) for code in extra),
                *([""] * (2 - len(extra))),
                self._text(_rejection_text(outcome)),
            ))  # fmt: skip
        else:
            status = self.accepted_status(outcome.charge_in, _correction_text(outcome))
        out = self.claim_loop(
            hl_id, parent, claim.patient or claim.subscriber, claim.subscriber.member_id,
            claim.patient_control_number, status,
            claim.bill_type if claim.kind is ClaimKind.INSTITUTIONAL else "",
            claim_dates(claim), claim.transaction.created,
        )  # fmt: skip
        if outcome.rejected:
            for line, findings in _offending_lines(outcome):
                out.extend(self.line(claim, line, findings))
        return out

    def accepted_status(self, charge: Decimal, note: str) -> str:
        """The 2200D STC (text) of an accepted claim of CLM02 ``charge``
        (``note``: what a correction changed, "" when none)."""
        if not note:  # STC05 is the last element written (the amount is never empty)
            e = self.delimiters.element
            first = self.newline if self.started else ""
            self.started = True
            code = CLAIM_ACCEPTED.replace(":", self.delimiters.component)
            return (
                f"{first}STC{e}{code}{e}{self.date}{e}WQ{e}{format_amount(charge)}"
                f"{self.delimiters.segment}"
            )
        return self.segment((
            "STC", CLAIM_ACCEPTED.replace(":", self.delimiters.component), self.date, "WQ",
            format_amount(charge), "", "", "", "", "", "", "", self._text(note),
        ))  # fmt: skip

    def claim_loop(
        self,
        hl_id: str,
        parent: str,
        person: Person,
        member_id: str,
        claim_id: str,
        status: str,
        bill_type: str,
        dates: DateRange | None,
        created: str,
    ) -> list[str]:
        """A 2000D loop without its 2220D loops: HL, NM1*QC (``person``, the
        subscriber's ``member_id``), TRN (CLM01), the STC segment ``status``
        (text), REF*BLT (837I ``bill_type``), DTP*472 (``dates``, else the
        837's BHT04 ``created``).

        Every claim takes this loop, so its segments are joined here rather
        than through :meth:`segment`: only DTP's last element can be empty
        (no date and no BHT04), and it is dropped as :meth:`segment` drops it."""
        e, t, start = self.delimiters.element, self.delimiters.segment, self.newline
        first = start if self.started else ""
        self.started = True
        name = person.last_name or "UNKNOWN"
        out = [
            f"{first}HL{e}{hl_id}{e}{parent}{e}PT{t}",
            f"{start}NM1{e}QC{e}1{e}{name}{e}{person.first_name}{e}{e}{e}{e}"
            f"MI{e}{member_id or 'UNKNOWN'}{t}",
            f"{start}TRN{e}2{e}{claim_id or '0'}{t}",
            status,
        ]
        if bill_type:
            out.append(f"{start}REF{e}BLT{e}{bill_type}{t}")
        qualifier, period = _period(dates, created)
        if period:
            out.append(f"{start}DTP{e}472{e}{qualifier}{e}{period}{t}")
        else:
            out.append(f"{start}DTP{e}472{e}{qualifier}{t}")
        return out

    def line(self, claim: Claim, line: ServiceLine, findings: list[Finding]) -> list[str]:
        out: list[str] = []
        comp = self.delimiters.component
        procedure = comp.join((line.qualifier or "HC", line.procedure, *line.modifiers))
        institutional = claim.kind is ClaimKind.INSTITUTIONAL
        self.put(
            out, "SVC", procedure, format_amount(line.charge), "",
            line.revenue_code if institutional else "", "", "", format_quantity(line.units),
        )  # fmt: skip
        codes = _line_codes(findings)
        self.put(
            out, "STC", codes[0].replace(":", comp), self.date, "U",
            "", "", "", "", "", "",
            *(code.replace(":", comp) for code in codes[1:3]),
        )  # fmt: skip
        self.put(out, "REF", "FJ", line.line_control or str(line.number))
        if line.dos is not None:
            self.put(out, "DTP", "472", *_period(line.dos, ""))
        return out

    def _text(self, text: str) -> str:
        return sanitize_text(text, self.delimiters, FREE_TEXT_LIMIT)


def _billing_loop(claim: PlainClaim) -> int:
    """The identity of ``claim``'s billing provider loop: a 2000C loop ends
    where the object changes (:meth:`_Writer._counted`), not its value."""
    return id(claim.billing)


_SOURCE_QUALS = frozenset({"46", "FI", "PI", "XV"})


def _find_nm1(segments: Iterable[Segment], entity: str) -> Segment | None:
    return next((s for s in segments if s.id == "NM1" and s.get(1) == entity), None)


def _provider_id(nm1: Segment | None, npi: str) -> tuple[str, str]:
    """2100C NM108/NM109: the NPI (XX), else the 837's id as a tax id (FI) or
    service provider number (SV)."""
    if npi:
        return "XX", npi
    if nm1 is not None and len(nm1.get(9)) >= 2:
        qualifier = nm1.get(8)
        return ("FI" if qualifier in ("FI", "24", "34", "EI") else "SV"), nm1.get(9)
    return "SV", "UNKNOWN"


def _name(nm1: Segment | None, fallback: str) -> str:
    return nm1.get(3) if nm1 is not None and nm1.get(3) else fallback


def claim_dates(claim: Claim) -> DateRange | None:
    """The claim's dates of service as its 2000D DTP*472 gives them: the 837I
    statement period, else the span of its lines' dates (``None``: no date)."""
    if claim.statement_period is not None:
        return claim.statement_period
    dates = [line.dos for line in claim.lines if line.dos is not None]
    if not dates:
        return None
    return DateRange(min(d.start for d in dates), max(d.end for d in dates))


def _period(dates: DateRange | None, fallback: str) -> tuple[str, str]:
    if dates is None:
        return ("D8", fallback)
    start, end = dates.start, dates.end
    if start == end:
        return ("D8", _ccyymmdd(start))
    return ("RD8", f"{_ccyymmdd(start)}-{_ccyymmdd(end)}")


@functools.lru_cache(maxsize=4096)
def _ccyymmdd(day: dt.date) -> str:
    """``day`` as D8 text (cached: a batch's claims share few days)."""
    return f"{day:%Y%m%d}"


def _claim_level_codes(findings: Iterable[Finding]) -> list[str]:
    """Up to two distinct claim-level status codes for 2200D STC10/STC11."""
    codes: list[str] = []
    for finding in findings:
        if finding.line is not None or finding.action is not Action.REJECT_CLAIM:
            continue
        for code in (finding.status_code, *finding.extra_status_codes):
            if code and code != CLAIM_REJECTED and code not in codes:
                codes.append(code)
    return codes[:2]


def _offending_lines(outcome: Outcome) -> list[tuple[ServiceLine, list[Finding]]]:
    by_number: dict[int, list[Finding]] = {}
    for finding in outcome.decision.findings:
        if finding.line is not None and finding.action in _LINE_ACTIONS:
            by_number.setdefault(finding.line, []).append(finding)
    lines = {line.number: line for line in outcome.claim.lines}
    return [(lines[n], by_number[n]) for n in sorted(by_number) if n in lines]


def _line_codes(findings: list[Finding]) -> list[str]:
    """Distinct status codes of a line's findings, reject-claim findings first;
    ``A3:21`` when none of them carries one."""
    ordered = sorted(findings, key=lambda f: f.action is not Action.REJECT_CLAIM)
    codes: list[str] = []
    for finding in ordered:
        for code in (finding.status_code, *finding.extra_status_codes):
            if code and code not in codes:
                codes.append(code)
    return codes or [CLAIM_REJECTED]


def _rejection_text(outcome: Outcome) -> str:
    """``Rejected: IG001 lines 1, 3; IG108 claim. <first message>`` - the rules and
    lines first, so that they survive the 264-character limit."""
    findings = [f for f in outcome.decision.findings if f.action in _LINE_ACTIONS]
    findings.sort(key=lambda f: f.action is not Action.REJECT_CLAIM)
    return _rules_and_lines("Rejected", findings)


def _rules_and_lines(verb: str, findings: list[Finding]) -> str:
    if not findings:
        return verb + "."
    where: dict[str, list[str]] = {}
    for finding in findings:
        places = where.setdefault(finding.rule, [])
        place = "claim" if finding.line is None else str(finding.line)
        if place not in places:
            places.append(place)
    parts = []
    for rule, places in where.items():
        lines = [p for p in places if p != "claim"]
        text = rule
        if "claim" in places:
            text += " claim"
        if lines:
            text += f" line{'s' if len(lines) > 1 else ''} {', '.join(lines)}"
        parts.append(text)
    return f"{verb} {'; '.join(parts)}. {findings[0].message}"


def _correction_text(outcome: Outcome) -> str:
    if outcome.decision.status is not ClaimStatus.CORRECTED:
        return ""
    changes = [
        f
        for f in outcome.decision.findings
        if f.action in (Action.REMOVE_LINE, Action.REPAIR) and f.line is not None
    ]
    removed = sorted({f.line for f in changes if f.action is Action.REMOVE_LINE and f.line})
    repaired = sorted({f.line for f in changes if f.action is Action.REPAIR and f.line})
    parts = []
    if removed:
        parts.append("lines removed " + ", ".join(map(str, removed)))
    if repaired:
        parts.append("units repaired on lines " + ", ".join(map(str, repaired)))
    rules = ", ".join(dict.fromkeys(f.rule for f in changes))
    return f"Accepted as corrected ({rules}) - {'; '.join(parts)}" if parts else ""
