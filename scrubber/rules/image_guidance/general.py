"""IG000-IG005: dates of service outside every rule version, codes not valid
for their DOS, claims left with nothing billable, and claims whose service
lines or money cannot be accounted for (no service line, sub-cent amounts,
CLM02 not the sum of the line charges)."""

from __future__ import annotations

from collections.abc import Iterator

from scrubber.rules.facts import LineFact
from scrubber.rules.findings import Action
from scrubber.rules.image_guidance.common import (
    CATALOGUE,
    ERAS_AB,
    NO_RULE_VERSION,
    STANDARD,
    subject,
)
from scrubber.rules.radonc.eras import ERA_A_START, Era, era_of
from scrubber.rules.rule import ClaimOutcome, EvaluationView, Hit, Rule, Stage
from scrubber.x12.segment_text import format_amount

IG000_MESSAGE = "{subject}: {reason}; no rule version covers it, so it was not evaluated."


def check_ig000(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if not ev.codes.in_scope(fact.code):
        return
    if era_of(fact.dos) is Era.UNDATED:
        reason = "the line has no date of service"
    else:
        reason = f"the date of service is before {ERA_A_START.isoformat()}"
    yield Hit(IG000_MESSAGE.format(subject=subject(fact), reason=reason))


IG000 = Rule(
    code="IG000",
    ignores_other_codes=True,
    name="out-of-scope-dos",
    eras=NO_RULE_VERSION,
    stage=Stage.LINE,
    action=Action.NOT_EVALUATED,
    trigger="in-scope code with DOS before 2015-01-01 (or no DOS at all)",
    message=IG000_MESSAGE,
    fix="Check the date of service; claims for DOS before 2015 need manual review.",
    citation=f"{CATALOGUE}, IG000; RULES.md section 3 (not-evaluated)",
    example="837P 77417 on 2014-12-31 -> not evaluated (IG000), never silently clean.",
    line_check=check_ig000,
)

IG001_MESSAGE = "{subject} is not valid for that date of service ({validity}); {successor}."


def check_ig001(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    entry = ev.codes.get(fact.code)
    if entry is None or fact.dos is None or entry.valid_on(fact.dos):
        return
    if entry.valid_to is not None and fact.dos > entry.valid_to:
        validity = f"deleted after {entry.valid_to.isoformat()}"
    else:
        valid_from = entry.valid_from.isoformat() if entry.valid_from else "?"
        validity = f"valid from {valid_from}"
    deliveries = ev.memo(
        ("IG001", fact.patient, fact.entity, fact.dos), lambda: _valid_deliveries(fact, ev)
    )
    successor = (entry.successor or "report a code valid on that date").format(
        delivery=" / ".join(deliveries) or "the delivery code"
    )
    yield Hit(IG001_MESSAGE.format(subject=subject(fact), validity=validity, successor=successor))


def _valid_deliveries(fact: LineFact, ev: EvaluationView) -> list[str]:
    """The delivery codes billed on the fact's day that are valid on it (once a day)."""
    assert fact.dos is not None
    return sorted(
        {
            other.code
            for other in ev.context.same_day(fact)
            if ev.codes.is_fraction(other.code)
            and (e := ev.codes.get(other.code)) is not None
            and e.valid_on(fact.dos)
        }
    )


IG001 = Rule(
    code="IG001",
    ignores_other_codes=True,
    name="code-not-valid-for-dos",
    eras=ERAS_AB,
    stage=Stage.LINE,
    action=Action.REJECT_CLAIM,
    trigger=(
        "a code of the code-set table used outside its valid DOS (76950/77421/0197T from "
        "2015; G6001-G6017, 77385, 77386, 77401, 77014 from 2026; 77436-77439 before 2026)"
    ),
    message=IG001_MESSAGE,
    fix="Report the successor code named in the message for this date of service.",
    citation=(
        f"{STANDARD}: introduction (2015 deletions and 77387); RULES.md section 1 "
        "(code sets and valid DOS, 2026 deletions)"
    ),
    example=(
        "837P POS 11, DOS 2026-02-02: 77407 + G6002 -> rejected: 'report 77387-26 for the "
        "professional part; the technical part is in 77407'."
    ),
    status_code="A7:454",
    line_check=check_ig001,
)

IG002_MESSAGE = "Every line of claim {claim} is removed by other rules ({lines}): nothing billable."


def check_ig002(outcome: ClaimOutcome) -> Iterator[Hit]:
    numbers = [fact.lx for fact in outcome.facts.lines]
    if outcome.rejected or not numbers or not set(numbers) <= outcome.removed:
        return
    lines = ", ".join(f"line {n}" for n in numbers)
    yield Hit(IG002_MESSAGE.format(claim=outcome.facts.ref.claim_id, lines=lines))


IG002 = Rule(
    code="IG002",
    ignores_other_codes=True,
    name="nothing-billable",
    eras=ERAS_AB,
    stage=Stage.CLAIM,
    action=Action.REJECT_CLAIM,
    trigger="every line of a claim is removed by other rules",
    message=IG002_MESSAGE,
    fix="Do not submit the claim; none of its services is separately billable.",
    citation=f"{CATALOGUE}, IG002; RULES.md section 3 (remove-line)",
    example="837P with only 77387-TC on an IMRT delivery DOS billed elsewhere -> rejected.",
    status_code="A3:21",
    claim_check=check_ig002,
    mandatory=True,
)

# The claim-integrity rules below look at no date of service: they hold in every era.
EVERY_ERA = ERAS_AB | NO_RULE_VERSION
# IG003-IG005 are this scrubber's own (issue 16), proposed for RULES.md section 4.
OWN_RULE = "scrubber catalogue (not yet in RULES.md)"
MONEY_POLICY = (
    "README 'Money'; 005010X222A1/X223A2: CLM02 is the total of the 2400 line charges, "
    "amounts (data element 782) in dollars and cents"
)

IG003_MESSAGE = "Claim {claim} has no service line (no LX/SV1/SV2 loop 2400): nothing to bill."


def check_ig003(outcome: ClaimOutcome) -> Iterator[Hit]:
    if not outcome.facts.lines:
        yield Hit(IG003_MESSAGE.format(claim=outcome.facts.ref.claim_id))


IG003 = Rule(
    code="IG003",
    ignores_other_codes=True,
    name="no-service-line",
    eras=EVERY_ERA,
    stage=Stage.CLAIM,
    action=Action.REJECT_CLAIM,
    trigger="a claim (void or not) without any 2400 service line loop",
    message=IG003_MESSAGE,
    fix="Bill each service on its own LX + SV1/SV2 line; a claim needs at least one.",
    citation=(
        f"{OWN_RULE}, IG003; 005010X222A1/X223A2 loop 2400 (service line, required: "
        "at least one per claim)"
    ),
    example="837P CLM*PCN2*100.00 followed by the next HL, no LX -> rejected.",
    status_code="A3:21",
    claim_check=check_ig003,
    mandatory=True,
)

IG004_MESSAGE = "Claim {claim} carries amounts with more than two decimal places ({amounts})."


def check_ig004(outcome: ClaimOutcome) -> Iterator[Hit]:
    defects = outcome.facts.charge_defects
    if defects is None or not defects.sub_cent:
        return
    where = [f"CLM02 {format_amount(defects.total)}"] if defects.sub_cent_total else []
    where += [f"line {number}" for number in defects.sub_cent_lines]
    yield Hit(IG004_MESSAGE.format(claim=outcome.facts.ref.claim_id, amounts=", ".join(where)))


IG004 = Rule(
    code="IG004",
    ignores_other_codes=True,
    name="sub-cent-amount",
    eras=EVERY_ERA,
    stage=Stage.CLAIM,
    action=Action.REJECT_CLAIM,
    trigger="CLM02 or a line charge (SV102/SV203) with a non-zero third decimal (117.005)",
    message=IG004_MESSAGE,
    fix="Bill every charge in dollars and cents (at most two decimal places).",
    citation=f"{OWN_RULE}, IG004; {MONEY_POLICY}",
    example="837P SV1*HC:77417*117.005 -> rejected; no cleaned claim could reconcile it.",
    status_code="A7:178",
    claim_check=check_ig004,
    mandatory=True,
)

IG005_MESSAGE = (
    "Claim {claim}: CLM02 {total} is not the sum of its line charges {lines} "
    "(difference {difference})."
)


def check_ig005(outcome: ClaimOutcome) -> Iterator[Hit]:
    defects = outcome.facts.charge_defects
    if defects is None or not defects.unbalanced or not outcome.facts.lines:
        return
    yield Hit(
        IG005_MESSAGE.format(
            claim=outcome.facts.ref.claim_id,
            total=format_amount(defects.total),
            lines=format_amount(defects.lines_total),
            difference=format_amount(defects.total - defects.lines_total),
        )
    )


IG005 = Rule(
    code="IG005",
    ignores_other_codes=True,
    name="claim-total-mismatch",
    eras=EVERY_ERA,
    stage=Stage.CLAIM,
    action=Action.REJECT_CLAIM,
    trigger="CLM02 differs from the sum of the claim's line charges (SV102/SV203)",
    message=IG005_MESSAGE,
    fix="Make CLM02 the total of the line charges (and check each line's charge).",
    citation=f"{OWN_RULE}, IG005; {MONEY_POLICY}",
    example="837P CLM02 300.00 with lines 100.00 + 150.00 -> rejected (out of balance).",
    status_code="A7:400",
    claim_check=check_ig005,
    mandatory=True,
)

RULES = (IG000, IG001, IG002, IG003, IG004, IG005)
