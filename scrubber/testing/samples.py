"""Build valid 837P/837I text from a compact description, for tests.

Pipelines that call the scrubber can use these builders to test their own
integration without hand-writing EDI; the project uses them for its samples,
tests and benchmarks. Output conforms to 005010X222A1 / 005010X223A2 (the
test-suite validates it with pyx12).

>>> text = build_837([ClaimSpec("PCN1", [LineSpec("77385", dos=date(2025, 3, 3))])])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from scrubber.model import ClaimKind, Delimiters


@dataclass(frozen=True)
class LineSpec:
    """One service line. ``revenue_code`` is used on 837I only."""

    procedure: str
    modifiers: Sequence[str] = ()
    dos: date = date(2025, 3, 3)
    dos_end: date | None = None
    charge: Decimal = Decimal("100.00")
    units: Decimal = Decimal(1)
    pointers: Sequence[int] = (1,)
    revenue_code: str = "0333"
    place_of_service: str = ""
    line_control: str = ""
    prior_authorization: str = ""
    attachment: bool = False


@dataclass(frozen=True)
class PatientSpec:
    """A 2000C patient who is not the subscriber."""

    last_name: str = "ROE"
    first_name: str = "ALEX"
    birth_date: date = date(2010, 6, 1)


@dataclass(frozen=True)
class ClaimSpec:
    """One claim. ``facility_code`` is the place of service on 837P (11,
    22, ...) and the facility type on 837I (13 for 13x hospital outpatient)."""

    claim_id: str
    lines: Sequence[LineSpec]
    member_id: str = "MBR0001"
    last_name: str = "DOE"
    first_name: str = "JANE"
    birth_date: date = date(1960, 1, 15)
    payer_id: str = "PAYER01"
    billing_npi: str = "1234567893"
    facility_code: str = "11"
    frequency_code: str = "1"
    diagnoses: Sequence[str] = ("C61",)
    prior_authorization: str = ""
    attachment: bool = False
    payer_claim_number: str = ""
    patient: PatientSpec | None = None
    total_charge: Decimal | None = None  # CLM02; None: the sum of the line charges


@dataclass(frozen=True)
class EnvelopeSpec:
    """Control numbers and layout of the generated interchange."""

    delimiters: Delimiters = field(default_factory=Delimiters)
    newline: str = "\n"
    interchange_control: int = 1
    group_control: int = 1
    claims_per_transaction: int = 0  # 0: all claims in one ST-SE
    sender_id: str = "SUBMITTER01"
    receiver_id: str = "RECEIVER01"
    created: date = date(2026, 1, 5)


@dataclass
class _Writer:
    delimiters: Delimiters
    newline: str
    segments: list[str] = field(default_factory=list)

    def add(self, *elements: str) -> None:
        self.segments.append(self.delimiters.element.join(elements).rstrip(self.delimiters.element))

    def composite(self, *parts: str) -> str:
        return self.delimiters.component.join(parts).rstrip(self.delimiters.component)

    def text(self) -> str:
        end = self.delimiters.segment + self.newline
        return "".join(segment + end for segment in self.segments)


@dataclass(frozen=True)
class GroupSpec:
    """One GS-GE functional group of an interchange built by :func:`build_interchange`.

    ``claims_per_transaction`` splits the claims into several ST-SE (0: one ST).
    """

    claims: Sequence[ClaimSpec]
    kind: ClaimKind = ClaimKind.PROFESSIONAL
    group_control: int = 1
    claims_per_transaction: int = 0


def build_837(
    claims: Iterable[ClaimSpec],
    kind: ClaimKind = ClaimKind.PROFESSIONAL,
    envelope: EnvelopeSpec | None = None,
) -> str:
    """One interchange with one functional group holding ``claims``."""
    env = envelope or EnvelopeSpec()
    group = GroupSpec(list(claims), kind, env.group_control, env.claims_per_transaction)
    return build_interchange([group], env)


def build_interchange(groups: Sequence[GroupSpec], envelope: EnvelopeSpec | None = None) -> str:
    """One ISA-IEA interchange holding one GS-GE per :class:`GroupSpec`.

    Several interchanges in one file are simply concatenated outputs (give
    each its own ``interchange_control``; delimiters may differ per ISA).
    """
    env = envelope or EnvelopeSpec()
    out = _Writer(env.delimiters, env.newline)
    _interchange_header(out, env)
    for group in groups:
        _group(out, group, env)
    out.add("IEA", str(len(groups)), f"{env.interchange_control:09d}")
    return out.text()


def _group(out: _Writer, group: GroupSpec, env: EnvelopeSpec) -> None:
    claim_list = list(group.claims)
    size = group.claims_per_transaction or max(len(claim_list), 1)
    batches = [claim_list[i : i + size] for i in range(0, len(claim_list), size)] or [[]]
    stamp = env.created
    out.add(
        "GS",
        "HC",
        env.sender_id,
        env.receiver_id,
        stamp.strftime("%Y%m%d"),
        "1200",
        str(group.group_control),
        "X",
        _version(group.kind),
    )
    for number, batch in enumerate(batches, start=1):
        _transaction(out, batch, group.kind, f"{number:04d}", env)
    out.add("GE", str(len(batches)), str(group.group_control))


def _interchange_header(out: _Writer, env: EnvelopeSpec) -> None:
    d = env.delimiters
    stamp = env.created
    out.add(
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        "ZZ",
        env.sender_id.ljust(15),
        "ZZ",
        env.receiver_id.ljust(15),
        stamp.strftime("%y%m%d"),
        "1200",
        d.repetition,
        "00501",
        f"{env.interchange_control:09d}",
        "0",
        "T",
        d.component,
    )


def _version(kind: ClaimKind) -> str:
    return "005010X222A1" if kind is ClaimKind.PROFESSIONAL else "005010X223A2"


def _transaction(
    out: _Writer, claims: list[ClaimSpec], kind: ClaimKind, control: str, env: EnvelopeSpec
) -> None:
    start = len(out.segments)
    out.add("ST", "837", control, _version(kind))
    out.add("BHT", "0019", "00", f"BATCH{control}", env.created.strftime("%Y%m%d"), "1200", "CH")
    out.add("NM1", "41", "2", "ACME RADIATION ONCOLOGY", "", "", "", "", "46", "SUB12345")
    out.add("PER", "IC", "BILLING OFFICE", "TE", "5555551234")
    out.add("NM1", "40", "2", "EXAMPLE PAYER", "", "", "", "", "46", "RCV001")
    hl = 0
    billing_hl = ""
    last_npi = None
    for claim in claims:
        if claim.billing_npi != last_npi:
            hl += 1
            billing_hl, last_npi = str(hl), claim.billing_npi
            _billing_provider(out, billing_hl, claim.billing_npi, kind)
        hl += 1
        subscriber_hl = str(hl)
        _subscriber(out, subscriber_hl, billing_hl, claim)
        if claim.patient is not None:
            hl += 1
            _patient(out, str(hl), subscriber_hl, claim.patient)
        _claim(out, claim, kind)
    out.add("SE", str(len(out.segments) - start + 1), control)


def _billing_provider(out: _Writer, hl: str, npi: str, kind: ClaimKind) -> None:
    out.add("HL", hl, "", "20", "1")
    taxonomy = "2085R0001X" if kind is ClaimKind.PROFESSIONAL else "282N00000X"
    out.add("PRV", "BI", "PXC", taxonomy)
    out.add("NM1", "85", "2", "ACME RADIATION ONCOLOGY", "", "", "", "", "XX", npi)
    out.add("N3", "100 MAIN ST")
    out.add("N4", "SPRINGFIELD", "IL", "627011234")
    out.add("REF", "EI", "123456789")


def _subscriber(out: _Writer, hl: str, parent: str, claim: ClaimSpec) -> None:
    has_patient = claim.patient is not None
    out.add("HL", hl, parent, "22", "1" if has_patient else "0")
    relationship = "" if has_patient else "18"
    out.add("SBR", "P", relationship, "GRP1234", "", "", "", "", "", "CI")
    out.add("NM1", "IL", "1", claim.last_name, claim.first_name, "", "", "", "MI", claim.member_id)
    if not has_patient:
        out.add("N3", "200 OAK AVE")
        out.add("N4", "SPRINGFIELD", "IL", "62702")
        out.add("DMG", "D8", claim.birth_date.strftime("%Y%m%d"), "F")
    out.add("NM1", "PR", "2", "EXAMPLE PAYER", "", "", "", "", "PI", claim.payer_id)


def _patient(out: _Writer, hl: str, parent: str, patient: PatientSpec) -> None:
    out.add("HL", hl, parent, "23", "0")
    out.add("PAT", "19")
    out.add("NM1", "QC", "1", patient.last_name, patient.first_name)
    out.add("N3", "200 OAK AVE")
    out.add("N4", "SPRINGFIELD", "IL", "62702")
    out.add("DMG", "D8", patient.birth_date.strftime("%Y%m%d"), "M")


def _claim(out: _Writer, claim: ClaimSpec, kind: ClaimKind) -> None:
    total = claim.total_charge
    if total is None:
        total = sum((line.charge for line in claim.lines), Decimal(0))
    professional = kind is ClaimKind.PROFESSIONAL
    qualifier = "B" if professional else "A"
    facility = out.composite(claim.facility_code, qualifier, claim.frequency_code)
    if professional:
        out.add("CLM", claim.claim_id, _amount(total), "", "", facility, "Y", "A", "Y", "Y")
    else:
        out.add("CLM", claim.claim_id, _amount(total), "", "", facility, "", "A", "Y", "Y")
        if claim.lines:
            first = min(line.dos for line in claim.lines)
            last = max(line.dos_end or line.dos for line in claim.lines)
            out.add("DTP", "434", "RD8", f"{first:%Y%m%d}-{last:%Y%m%d}")
        out.add("CL1", "3", "", "01")
    if claim.attachment:
        out.add("PWK", "09", "BM", "", "", "AC", f"DOC{claim.claim_id}")
    if claim.payer_claim_number:
        out.add("REF", "F8", claim.payer_claim_number)
    if claim.prior_authorization:
        out.add("REF", "G1", claim.prior_authorization)
    _diagnoses(out, claim.diagnoses, professional)
    if professional:
        out.add("NM1", "82", "1", "ONCOLOGIST", "RAD", "", "", "", "XX", "9876543213")
        out.add("PRV", "PE", "PXC", "2085R0001X")
    else:
        out.add("NM1", "71", "1", "ONCOLOGIST", "RAD", "", "", "", "XX", "9876543213")
    for number, line in enumerate(claim.lines, start=1):
        _line(out, number, line, professional)


def _diagnoses(out: _Writer, codes: Sequence[str], professional: bool) -> None:
    composites = [out.composite("ABK" if i == 0 else "ABF", code) for i, code in enumerate(codes)]
    if professional:
        out.add("HI", *composites[:12])
        return
    out.add("HI", composites[0])
    if composites[1:]:
        out.add("HI", *composites[1:13])


def _line(out: _Writer, number: int, line: LineSpec, professional: bool) -> None:
    out.add("LX", str(number))
    code = out.composite("HC", line.procedure, *line.modifiers)
    units = f"{line.units.normalize():f}"
    if professional:
        pointers = out.composite(*(str(p) for p in line.pointers))
        out.add("SV1", code, _amount(line.charge), "UN", units, line.place_of_service, "", pointers)
    else:
        out.add("SV2", line.revenue_code, code, _amount(line.charge), "UN", units)
    if line.attachment:
        out.add("PWK", "09", "BM", "", "", "AC", f"DOCL{number}")
    if line.dos_end is not None and line.dos_end != line.dos:
        out.add("DTP", "472", "RD8", f"{line.dos:%Y%m%d}-{line.dos_end:%Y%m%d}")
    else:
        out.add("DTP", "472", "D8", f"{line.dos:%Y%m%d}")
    if line.prior_authorization and professional:
        out.add("REF", "G1", line.prior_authorization)  # no line-level G1 in 837I
    if line.line_control:
        out.add("REF", "6R", line.line_control)


def _amount(value: Decimal) -> str:
    """Two decimal places (``100.00``); an amount with more (``117.005``) keeps
    them all, so that tests can build the sub-cent charges the rules reject."""
    text = f"{value:.2f}"
    return text if Decimal(text) == value else f"{value.normalize():f}"


def weekdays(start: date, count: int) -> list[date]:
    """``count`` Monday-Friday dates from ``start`` on: a course's treatment days."""
    days: list[date] = []
    day = start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days
