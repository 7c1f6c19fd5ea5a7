"""Pass one: compact, hashable facts extracted from a claim.

A :class:`LineFact` carries everything a rule needs about one service line
and the claim around it (patient key, entity, site, DOS, code, modifiers,
units, component, setting, authorization/documentation flags). Contexts are
built from facts, never from claims, so a streaming engine or a history
store only has to keep facts. Facts hold no names or dates of birth in
clear beyond the patient key used for matching; never log them.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import NamedTuple

from scrubber.model import Claim, ClaimKind, DateRange, Person, ServiceLine
from scrubber.pickling import by_fields

FREESTANDING_POS = frozenset({"11"})
HOSPITAL_POS = frozenset({"19", "21", "22", "23"})
CLOSING_FREQUENCIES = frozenset({"1", "4"})  # 837I CLM05-3: course end (b)
VOID_FREQUENCY = "8"  # CLM05-3: void/cancel of a prior claim
SITE_BYPASS_MODIFIERS = ("XS", "59")


class Component(StrEnum):
    PROFESSIONAL = "PC"  # modifier 26
    TECHNICAL = "TC"  # modifier TC, and every 837I line
    GLOBAL = "global"


class Setting(StrEnum):
    FREESTANDING = "freestanding"  # 837P POS 11
    HOSPITAL = "hospital"  # 837P POS 19/21/22/23
    HOSPITAL_FACILITY = "hospital-facility"  # 837I
    OTHER = "other"  # 837P with any other POS


class PatientKey(NamedTuple):
    """Payer id + subscriber member id, plus the 2000C patient's name and DOB.

    Keys like this one are named tuples, not dataclasses: contexts hash them
    for every line (a tuple hashes and compares in C)."""

    payer_id: str
    member_id: str
    last_name: str = ""
    first_name: str = ""
    birth_date: dt.date | None = None


#: ``ClaimRef.source`` of a stored claim that was rejected: the payer never got
#: it, so its lines are performed services (course context: fractions,
#: simulations, plans) but not billed ones (they do not use up a limit such as
#: one port image per five fractions). See ``EvaluationView.survives``.
UNBILLED_SOURCE = "history-rejected"


class ClaimRef(NamedTuple):
    """Identifies a claim among the facts of a context.

    ``claim_id`` is CLM01; ``seq`` is the claim's position in the batch (or
    history) it came from and ``source`` names that batch. Only ``seq`` and
    ``source`` make otherwise identical claims distinct; ordering between
    claims uses ``claim_id`` first, so it does not depend on batch order.
    """

    claim_id: str
    source: str
    seq: int

    def sort_key(self) -> tuple[str, str, int]:
        return (self.claim_id, self.source, self.seq)


class LineFact(NamedTuple):
    """One service line, reduced to what rules decide on.

    A named tuple, not a dataclass, like :class:`PatientKey`: every line of a
    batch is made into one twice (pass 1, then decoded for the decide step)
    and rules hash and compare them; a tuple is built, hashed and compared
    in C (a frozen dataclass sets each field through ``object.__setattr__``,
    several times slower)."""

    claim: ClaimRef
    lx: int
    line_control: str
    patient: PatientKey
    entity: str
    site: str
    dos: dt.date | None
    code: str
    modifiers: tuple[str, ...]
    units: Decimal
    kind: ClaimKind
    component: Component
    setting: Setting
    authorized: bool  # REF*G1 on the claim or the line
    documented: bool  # PWK on the claim or the line

    @property
    def payer_id(self) -> str:
        return self.patient.payer_id

    @property
    def site_bypass(self) -> str:
        """The XS/59 modifier asserting a different site, or ``""``."""
        modifiers = self.modifiers
        if modifiers:  # a loop, not next() over a generator: asked for many lines
            for modifier in SITE_BYPASS_MODIFIERS:
                if modifier in modifiers:
                    return modifier
        return ""

    @property
    def coded(self) -> str:
        """Code with modifiers, as a biller writes it: ``77387-TC``."""
        return "-".join((self.code, *self.modifiers))

    def sort_key(self) -> tuple[dt.date, tuple[str, str, int], int]:
        """Order of lines across claims: DOS, claim, LX (independent of batch order)."""
        return (self.dos or dt.date.min, self.claim.sort_key(), self.lx)

    def same_claim(self, other: LineFact) -> bool:
        return self.claim == other.claim


#: A sort key giving dated lines the order of :meth:`LineFact.sort_key`, in C:
#: ``claim`` (a :class:`ClaimRef`) compares as its ``sort_key()``, its own
#: fields in order. Only for lines with a DOS (None does not compare with a date).
DATED_ORDER = operator.attrgetter("dos", "claim", "lx")


class ChargeDefects(NamedTuple):
    """Why a claim's money does not reconcile (rules IG004, IG005).

    ``total`` is CLM02 and ``lines_total`` the sum of the line charges
    (SV102/SV203); ``sub_cent_lines`` the LX numbers whose charge has more than
    two decimal places, and ``sub_cent_total`` whether CLM02 has."""

    total: Decimal
    lines_total: Decimal
    sub_cent_lines: tuple[int, ...]
    sub_cent_total: bool

    @property
    def unbalanced(self) -> bool:
        return self.total != self.lines_total

    @property
    def sub_cent(self) -> bool:
        return self.sub_cent_total or bool(self.sub_cent_lines)


@dataclass(frozen=True, slots=True)
class ClaimFacts:
    """The facts of one claim. ``closing_span`` is set on an 837I claim with
    frequency code 1 or 4: the dates it covers (course end, RULES.md 2 (b)).
    ``charge_defects`` is ``None`` when every amount has at most two decimal
    places and CLM02 is the sum of the line charges (facts read back from a
    history store carry ``None``: they are context, never decided again)."""

    ref: ClaimRef
    kind: ClaimKind
    patient: PatientKey
    entity: str
    frequency_code: str
    lines: tuple[LineFact, ...]
    closing_span: DateRange | None
    charge_defects: ChargeDefects | None = None

    @property
    def payer_id(self) -> str:
        return self.patient.payer_id

    @property
    def is_void(self) -> bool:
        """A void (CLM05-3 = 8) cancels an earlier claim: it bills nothing, so it
        is neither context for other claims nor subject to the coding rules."""
        return self.frequency_code == VOID_FREQUENCY


def facts_of(claim: Claim, seq: int, source: str = "") -> ClaimFacts:
    """Extract the facts of ``claim``; ``seq``/``source`` identify it in a context."""
    ref = ClaimRef(claim.patient_control_number, source, seq)
    patient = patient_key(claim)
    entity = claim.billing_npi.strip()
    kind = claim.kind
    claim_authorized = any(a.strip() for a in claim.prior_authorizations)
    claim_documented = bool(claim.attachments)
    sites = _Sites(claim)
    settings = _Settings(claim, kind)
    lines = tuple(
        _line_fact(
            line,
            ref,
            patient,
            entity,
            kind,
            sites(line),
            settings,
            claim_authorized,
            claim_documented,
        )
        for line in claim.lines
    )
    return ClaimFacts(
        ref=ref,
        kind=kind,
        patient=patient,
        entity=entity,
        frequency_code=claim.frequency_code,
        lines=lines,
        closing_span=_closing_span(claim, lines),
        charge_defects=charge_defects(claim),
    )


def charge_defects(claim: Claim) -> ChargeDefects | None:
    """What keeps ``claim``'s amounts from reconciling to the cent, or ``None``."""
    lines_total = sum((line.charge for line in claim.lines), Decimal(0))
    sub_cent_lines = tuple(line.number for line in claim.lines if _sub_cent(line.charge))
    sub_cent_total = _sub_cent(claim.total_charge)
    if lines_total == claim.total_charge and not sub_cent_lines and not sub_cent_total:
        return None
    return ChargeDefects(claim.total_charge, lines_total, sub_cent_lines, sub_cent_total)


def _sub_cent(amount: Decimal) -> bool:
    """More than two decimal places that are not zeros (``117.005``; not ``117.000``)."""
    try:
        return amount != amount.quantize(_CENT)
    except InvalidOperation:  # more digits than the context holds (the reader refuses them)
        return True


_CENT = Decimal("0.01")


def patient_key(claim: Claim) -> PatientKey:
    return patient_key_of(claim.payer_id, claim.subscriber.member_id, claim.patient)


def patient_key_of(payer_id: str, member_id: str, patient: Person | None) -> PatientKey:
    """The patient key of a claim of this payer (2010BB NM109), subscriber
    member id and patient (2010CA, when a 2000C loop exists)."""
    key = PatientKey(payer_id.strip(), member_id.strip().upper())
    if patient is None:
        return key
    return PatientKey(
        key.payer_id,
        key.member_id,
        patient.last_name.strip().upper(),
        patient.first_name.strip().upper(),
        patient.birth_date,
    )


def normalize_icd10(code: str) -> str:
    """ICD-10 codes compare without dots and case: ``c34.1`` -> ``C341``."""
    return code.replace(".", "").strip().upper()


def _line_fact(
    line: ServiceLine,
    ref: ClaimRef,
    patient: PatientKey,
    entity: str,
    kind: ClaimKind,
    site: str,
    settings: _Settings,
    claim_authorized: bool,
    claim_documented: bool,
) -> LineFact:
    modifiers = _modifiers(line.modifiers) if line.modifiers else ()
    # Positional, in field order: a named tuple binds keywords several times slower.
    return LineFact(
        ref,  # claim
        line.number,  # lx
        line.line_control,  # line_control
        patient,  # patient
        entity,  # entity
        site,  # site
        line.dos.start if line.dos is not None else None,  # dos
        line.procedure.strip().upper(),  # code
        modifiers,  # modifiers
        line.units,  # units
        kind,  # kind
        _component(kind, modifiers),  # component
        settings(line),  # setting
        claim_authorized or _any_text(line.prior_authorizations),  # authorized
        claim_documented or bool(line.attachments),  # documented
    )


def _modifiers(modifiers: tuple[str, ...]) -> tuple[str, ...]:
    """The modifiers as rules compare them (trimmed, upper case, no blank);
    cached when short (a batch repeats a few combinations on every line; a
    hostile SV101 of 60,000 characters is not kept)."""
    if sum(map(len, modifiers)) > _CACHED_MODIFIERS:
        return _cleaned(modifiers)
    return _cached_modifiers(modifiers)


_CACHED_MODIFIERS = 32  # characters (four modifiers of two, with room for blanks)


def _cleaned(modifiers: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(m.strip().upper() for m in modifiers if m.strip())


_cached_modifiers = functools.lru_cache(maxsize=1024)(_cleaned)


def _any_text(values: tuple[str, ...]) -> bool:
    """Whether any of ``values`` is not blank."""
    return bool(values) and any(v.strip() for v in values)


def _component(kind: ClaimKind, modifiers: tuple[str, ...]) -> Component:
    if kind is ClaimKind.INSTITUTIONAL:
        return Component.TECHNICAL
    if "26" in modifiers:
        return Component.PROFESSIONAL
    if "TC" in modifiers:
        return Component.TECHNICAL
    return Component.GLOBAL


class _Settings:
    """The setting of each line of one claim: every 837I line is
    hospital-facility; an 837P line's follows its place of service (SV105),
    else the claim's (CLM05-1)."""

    def __init__(self, claim: Claim, kind: ClaimKind) -> None:
        self._institutional = kind is ClaimKind.INSTITUTIONAL
        self._claim_pos = claim.facility_code

    def __call__(self, line: ServiceLine) -> Setting:
        if self._institutional:
            return Setting.HOSPITAL_FACILITY
        pos = (line.place_of_service or self._claim_pos).strip()
        if pos in FREESTANDING_POS:
            return Setting.FREESTANDING
        if pos in HOSPITAL_POS:
            return Setting.HOSPITAL
        return Setting.OTHER


class _Sites:
    """The site of each line of one claim (a normalised ICD-10 code): the
    principal diagnosis on an 837I, the first pointed diagnosis on an 837P
    (``Claim.diagnosis_for_pointer``). The claim's diagnoses are read once."""

    def __init__(self, claim: Claim) -> None:
        self._institutional = claim.kind is ClaimKind.INSTITUTIONAL
        if self._institutional:
            self._principal = normalize_icd10(claim.principal_diagnosis)
        else:
            self._claim = claim
            self._pointed: dict[int, str] = {}

    def __call__(self, line: ServiceLine) -> str:
        if self._institutional:
            return self._principal
        if not line.diagnosis_pointers:
            return ""
        pointer = line.diagnosis_pointers[0]
        site = self._pointed.get(pointer)
        if site is None:
            site = normalize_icd10(self._claim.diagnosis_for_pointer(pointer))
            self._pointed[pointer] = site
        return site


def _closing_span(claim: Claim, lines: tuple[LineFact, ...]) -> DateRange | None:
    if claim.kind is not ClaimKind.INSTITUTIONAL:
        return None
    if claim.frequency_code not in CLOSING_FREQUENCIES:
        return None
    if claim.statement_period is not None:
        return claim.statement_period
    dates = [line.dos for line in lines if line.dos is not None]
    return DateRange(min(dates), max(dates)) if dates else None


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(ClaimFacts)
