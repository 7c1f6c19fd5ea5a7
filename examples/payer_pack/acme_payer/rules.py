"""ACME100: an office visit billed with radiation oncology needs ACME's review."""

from __future__ import annotations

from collections.abc import Iterator

from scrubber.rules.facts import LineFact
from scrubber.rules.findings import Action
from scrubber.rules.radonc.eras import Era
from scrubber.rules.rule import EvaluationView, Hit, Rule, Stage

REVIEW = "acme-review"  # code set of codes.csv
PAYER_ID = "ACME1"  # ACME's payer id (NM1*PR NM109): the rule applies to its claims only

ACME100_MESSAGE = "{code} on line {lx} is reviewed by ACME before payment; attach the visit note."


def check_acme100(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if fact.payer_id != PAYER_ID or not ev.codes.is_in(fact.code, REVIEW):
        return
    if fact.documented:
        return  # a PWK attachment is the visit note
    yield Hit(ACME100_MESSAGE.format(code=fact.code, lx=fact.lx))


ACME100 = Rule(
    code="ACME100",
    name="acme-visit-needs-review",
    eras=frozenset({Era.A, Era.B}),
    stage=Stage.LINE,
    action=Action.WARN,
    trigger="an acme-review code (99213, 99214) on an ACME claim without a PWK attachment",
    message=ACME100_MESSAGE,
    fix="Attach the visit note (PWK) so ACME can review the visit without a records request.",
    citation="ACME Health provider manual, section 12.4 (example)",
    example="837P to payer ACME1: 77412 + 99213 without PWK -> warn ACME100 on the 99213 line.",
    applies_to=(REVIEW,),
    line_check=check_acme100,
)

RULES = (ACME100,)
