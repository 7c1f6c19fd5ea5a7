"""IG201-IG203: CT guidance for planning (77014)."""

from __future__ import annotations

from collections.abc import Iterator

from scrubber.model import ClaimKind
from scrubber.rules.facts import Component, LineFact
from scrubber.rules.findings import Action
from scrubber.rules.image_guidance.common import (
    ERA_A,
    STANDARD,
    in_sets,
    same_day_conflict,
    subject,
)
from scrubber.rules.radonc import codeset
from scrubber.rules.rule import EvaluationView, Hit, Rule, Stage

CT_SECTION = f"{STANDARD}: CT for Planning Purposes (CPT 77014)"


def _is_ct(fact: LineFact, ev: EvaluationView) -> bool:
    return ev.codes.is_in(fact.code, codeset.CT_GUIDANCE)


IG201_MESSAGE = "{subject} is bundled into simulation {partners} by the same entity on that day."


def check_ig201(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if not _is_ct(fact, ev):
        return
    yield from same_day_conflict(ev, fact, in_sets(ev.codes, codeset.SIMULATION), IG201_MESSAGE)


IG201 = Rule(
    code="IG201",
    ignores_other_codes=True,
    name="ct-bundled-with-simulation",
    eras=ERA_A,
    stage=Stage.LINE,
    action=Action.REMOVE_LINE,
    trigger="77014 on the DOS of 77280/77285/77290 billed by the same entity (same patient, site)",
    message=IG201_MESSAGE,
    fix="Do not bill planning CT on the day of the simulation; it is part of the simulation.",
    citation=f"{CT_SECTION}: CT performed with the initial simulation is bundled (77280-77290)",
    example="77290 and 77014-TC on 2025-02-10, same NPI -> 77014-TC removed; on 2025-02-11 passes.",
    status_code="A8:735",
    line_check=check_ig201,
    applies_to=(codeset.CT_GUIDANCE,),
)

IG202_MESSAGE = "{subject}: the professional component of planning CT is not billable."


def check_ig202(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if _is_ct(fact, ev) and "26" in fact.modifiers:
        yield Hit(IG202_MESSAGE.format(subject=subject(fact)))


IG202 = Rule(
    code="IG202",
    ignores_other_codes=True,
    name="ct-professional-not-billable",
    eras=ERA_A,
    stage=Stage.LINE,
    action=Action.REMOVE_LINE,
    trigger="77014 with modifier 26",
    message=IG202_MESSAGE,
    fix="Do not bill 77014-26; only the technical component is billable.",
    citation=f"{CT_SECTION}: the professional component is not billable",
    example="837P 77014-26 on 2025-02-11 -> line removed.",
    status_code="A7:453",
    line_check=check_ig202,
    applies_to=(codeset.CT_GUIDANCE,),
)

IG203_MESSAGE = (
    "{subject} is a global planning CT line on a professional claim: the global includes the "
    "non-billable professional part; report 77014-TC."
)


def check_ig203(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if (
        fact.kind is ClaimKind.PROFESSIONAL
        and fact.component is Component.GLOBAL
        and _is_ct(fact, ev)
    ):
        yield Hit(IG203_MESSAGE.format(subject=subject(fact)))


IG203 = Rule(
    code="IG203",
    ignores_other_codes=True,
    name="ct-global-on-professional-claim",
    eras=ERA_A,
    stage=Stage.LINE,
    action=Action.REJECT_CLAIM,
    trigger="837P 77014 with neither 26 nor TC",
    message=IG203_MESSAGE,
    fix="Report 77014-TC.",
    citation=f"{CT_SECTION}: the professional component is not billable",
    example="837P POS 11: 77014 (no modifier) on 2025-02-11 -> rejected, report 77014-TC.",
    status_code="A7:453",
    line_check=check_ig203,
    applies_to=(codeset.CT_GUIDANCE,),
)

RULES = (IG201, IG202, IG203)
