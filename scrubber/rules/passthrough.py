"""The fast path for claims no rule looks at (issue 15): telling them apart
from their raw segments, before any claim model or fact is built.

A clearinghouse sees mostly claims of no interest to the loaded packs: office
visits, labs, hospital stays. :class:`Passthrough` finds them among the
grouped segments the reader hands it; the pipeline then keeps no facts for
them in pass 1, decides nothing for them, and in pass 2 writes them as what
deciding them would give: accepted, with no finding. Pass 2 tells them apart
again: a claim one pass finds plain and the other does not is the input
changing between the passes (an input error, as a claim of another subject
is).

Why that is the decision deciding would give (the soundness argument; each
point is a condition :meth:`Passthrough.plain` checks, or a property of the
rules that :func:`passthrough_of` requires):

1. **No line the rules look at.** Every service line's procedure code
   (SV101-2 / SV202-2, stripped and upper-cased exactly as
   :func:`~scrubber.rules.facts.facts_of` makes ``LineFact.code``) is in no
   loaded pack's code table (the merged :attr:`Engine.codes
   <scrubber.rules.engine.Engine.codes>`: the packs' own data decides, not a
   list kept here). A LINE or COUNT rule with ``applies_to`` is never called
   for such a line; every loaded rule must promise
   (``Rule.ignores_other_codes``) that it gives no hit on such a claim and
   never reads such a line as context of another line, or there is no fast
   path at all. The image-guidance rules keep that promise: IG000 and IG001
   return at once for a code outside the table, every other LINE/COUNT rule
   has ``applies_to``, and every look at the context (same-day partners,
   IGRT days, fractions, courses, port blocks) filters lines by code set.
2. **Nothing for the claim-level rules.** At least one service line (IG003),
   CLM02 and every line charge valid amounts with at most two decimal places
   (IG004) and CLM02 the sum of the line charges (IG005; the report's
   charge warning needs the same). With no line finding, nothing is removed
   or rejected, so IG002 cannot fire either.
3. **No context for other claims.** A claim's facts reach other claims only
   through the context (:func:`~scrubber.rules.context.build_context`):
   same-day and course lines (only read through code sets, point 1),
   fractions and courses (built from code-table codes only), and the
   closing span of an 837I claim with frequency code 1 or 4, which ends a
   course of its patient + entity + site whatever its codes (RULES.md 2 (b)):
   such claims are never plain. Nothing else of a claim is context (the
   patient key and entity only group facts).
4. **Read the same way.** A plain claim's model builds without an error or a
   warning (valid LX01, charges, units, diagnosis pointers, service dates,
   statement dates and dates of birth): the reader's errors and warnings do
   not depend on the fast path.

**Whole transactions from the text.** Most plain claims come in ST-SE
transactions of nothing but plain claims. :attr:`Passthrough.text_scan`
(:mod:`scrubber.x12.plain_text`) recognises such a transaction in the raw
text when it is canonical (a strict subset of what the reader reads
without a warning) and checks the conditions above on the text; the reader
then takes it whole: pass 1 only counts its claims, pass 2 hands it to the
outputs as one :class:`~scrubber.model.PlainTransaction` (no segment, no
claim model) when every output takes one
(:func:`scrubber.pipeline.passes.text_scan_for`). Anything else is read
segment by segment and told apart claim by claim as above.

Void claims (frequency 8) with lines are accepted as they are; they may be
plain. A history store records every claim of a batch (its facts and
decision), so the pipeline uses no fast path when it records
(:func:`scrubber.pipeline.passes.passthrough_for`). Otherwise it runs
wherever the two passes run: ``scrub``, its shards, ``scrub --batch``
(:mod:`scrubber.pipeline.batch`) and Spark's tasks (:mod:`scrubber.spark.job`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Sequence
from decimal import Decimal

from scrubber.errors import InputWarning
from scrubber.model import ClaimKind, Delimiters, HierarchyLevel, Segment
from scrubber.pickling import by_attributes
from scrubber.rules.engine import Engine
from scrubber.rules.facts import CLOSING_FREQUENCIES
from scrubber.x12.fields import (
    AMOUNT_DIGITS,
    QUANTITY_DIGITS,
    is_line_number,
    is_pointer,
    own_segments,
    period,
    person,
    x12_decimal,
)
from scrubber.x12.plain_text import TextScan
from scrubber.x12.reader import MAX_CLAIMS_PER_TRANSACTION, MAX_LINES

#: Set to ``0`` to turn the fast path off (to compare, or to rule it out).
SWITCH = "SCRUBBER_FAST_PATH"
_CENT = Decimal("0.01")


class Passthrough:
    """Tells plain claims (see the module docstring) for a reader
    (:class:`~scrubber.x12.reader.PlainTest`), given the codes the loaded
    packs look at."""

    def __init__(self, codes: Collection[str]) -> None:
        self._codes = codes
        #: Whole transactions of plain claims, taken from their text
        #: (:mod:`scrubber.x12.plain_text`; the same conditions, on the text).
        self.text_scan = TextScan(codes, CLOSING_FREQUENCIES, MAX_LINES, MAX_CLAIMS_PER_TRANSACTION)

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
        if not lines:
            return False
        component = delimiters.component
        professional = kind is ClaimKind.PROFESSIONAL
        codes = self._codes
        procedure_at = 1 if professional else 2
        for line in lines:  # first what most claims of a radiation-oncology batch fail
            service = line[1].elements
            procedure = _element(service, procedure_at).split(component)
            if (procedure[1] if len(procedure) > 1 else "").strip().upper() in codes:
                return False
        clm = segments[0].elements
        total = _amount(clm[2] if len(clm) > 2 else "")
        if total is None:
            return False
        if not professional and _frequency(clm, component) in CLOSING_FREQUENCIES:
            return False
        if not _statement_read(segments):
            return False
        at = _PROFESSIONAL if professional else _INSTITUTIONAL
        lines_total = _ZERO
        for line in lines:
            charge = _line_charge(line, at, component)
            if charge is None:
                return False
            lines_total += charge
        if lines_total != total:
            return False
        return _birth_date_read(subscriber.segments, "IL") and (
            patient is None or _birth_date_read(patient.segments, "QC")
        )


#: Where SV1 (837P) / SV2 (837I) hold the charge, units and diagnosis
#: pointers (0: none).
_PROFESSIONAL = (2, 4, 7)
_INSTITUTIONAL = (3, 5, 0)
_ZERO = Decimal(0)
# Amounts and units most claims carry: certainly valid X12 decimals (amounts
# with at most two decimal places); anything else is checked exactly.
_PLAIN_AMOUNT = re.compile(r"[0-9]{1,15}(?:\.[0-9]{0,2})?")
_PLAIN_UNITS = re.compile(r"[0-9]{1,9}(?:\.[0-9]{0,5})?")


def _element(elements: tuple[str, ...], index: int) -> str:
    return elements[index] if index < len(elements) else ""


def _frequency(clm: tuple[str, ...], component: str) -> str:
    """CLM05-3, as the reader reads it."""
    facility = _element(clm, 5).split(component)
    return facility[2] if len(facility) > 2 else ""


def _line_charge(
    line: tuple[Segment, ...], at: tuple[int, int, int], component: str
) -> Decimal | None:
    """The line's charge when the line (whose code is none the packs look
    at) is plain, else ``None``."""
    if not is_line_number(_element(line[0].elements, 1)):
        return None
    service = line[1].elements
    charge_at, units_at, pointers_at = at
    units = _element(service, units_at)
    if _PLAIN_UNITS.fullmatch(units) is None and x12_decimal(units, QUANTITY_DIGITS) is None:
        return None
    if pointers_at and not _pointers_read(_element(service, pointers_at), component):
        return None
    if not _first_dates_read(own_segments(line)[2:], "472"):  # the line's own DTP*472
        return None
    return _amount(_element(service, charge_at))


def _amount(value: str) -> Decimal | None:
    """``value`` as an amount with at most two decimal places, else ``None``."""
    if _PLAIN_AMOUNT.fullmatch(value) is not None:
        return Decimal(value)
    amount = x12_decimal(value, AMOUNT_DIGITS)
    if amount is None or amount != amount.quantize(_CENT):
        return None
    return amount


def _statement_read(segments: tuple[Segment, ...]) -> bool:
    """The claim's first DTP*434 (statement dates, the reader reads no other)
    holds valid dates, if there is one."""
    return _first_dates_read(own_segments(segments), "434")


def _first_dates_read(segments: Sequence[Segment], qualifier: str) -> bool:
    """The first DTP with ``qualifier`` among ``segments`` holds valid dates
    (:func:`~scrubber.x12.fields.period`), if there is one."""
    for segment in segments:
        elements = segment.elements
        if elements[0] == "DTP" and _element(elements, 1) == qualifier:
            return period(_element(elements, 2), _element(elements, 3)) is not None
    return True


def _pointers_read(value: str, component: str) -> bool:
    """SV107 pointers the reader reads without a warning."""
    return all(is_pointer(p) for p in value.split(component) if p)


def _birth_date_read(segments: Sequence[Segment], entity: str) -> bool:
    """The person's DMG date of birth reads without a warning: what
    :func:`~scrubber.x12.fields.person` warns of."""
    warnings: list[InputWarning] = []
    person(segments, entity, warnings)
    return not warnings


def switched_off() -> bool:
    """Whether :data:`SWITCH` turns the fast path off: plain claims, and the
    claims pass 2 copies (:func:`scrubber.pipeline.passes.copies_for`)."""
    return os.environ.get(SWITCH, "1") == "0"


def passthrough_of(engine: Engine) -> Passthrough | None:
    """The fast path for ``engine``'s packs, or ``None`` when one of its
    rules does not promise ``ignores_other_codes`` (or the fast path is
    switched off: :data:`SWITCH`)."""
    if switched_off():
        return None
    if not all(active.rule.ignores_other_codes for active in engine.rules):
        return None
    return Passthrough(frozenset(engine.codes.entries))


# Shipped to Spark's workers (cloudpickle): see scrubber.pickling.
by_attributes(Passthrough, ())
