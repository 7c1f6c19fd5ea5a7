"""IG301-IG303: unlisted MRI procedure (76498) used for guidance."""

from __future__ import annotations

from collections.abc import Iterator

from scrubber.rules.facts import LineFact
from scrubber.rules.findings import Action
from scrubber.rules.image_guidance.common import (
    ERAS_AB,
    STANDARD,
    same_day_conflict,
    subject,
)
from scrubber.rules.radonc import codeset
from scrubber.rules.rule import EvaluationView, Hit, Rule, Stage

MRI_SECTION = f"{STANDARD}: Unlisted MRI Procedure (CPT 76498)"
AUTHORIZATION_MISSING = "A6:252:PR"
DOCUMENTATION_MISSING = ("A6:294", "A6:306")


def _is_mri(fact: LineFact, ev: EvaluationView) -> bool:
    return ev.codes.is_in(fact.code, codeset.UNLISTED_MRI)


IG301_MESSAGE = "{subject} is an unlisted procedure that must be requested: {missing}."


def check_ig301(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if not _is_mri(fact, ev) or (fact.authorized and fact.documented):
        return
    missing = []
    codes: list[str] = []
    if not fact.authorized:
        missing.append("no prior authorization (REF*G1)")
        codes.append(AUTHORIZATION_MISSING)
    if not fact.documented:
        missing.append("no documentation attached (PWK)")
        codes.extend(DOCUMENTATION_MISSING)
    yield Hit(
        IG301_MESSAGE.format(subject=subject(fact), missing=" and ".join(missing)),
        status_code=codes[0],
        extra_status_codes=tuple(codes[1:]),
    )


IG301 = Rule(
    code="IG301",
    ignores_other_codes=True,
    name="unlisted-mri-needs-request",
    eras=ERAS_AB,
    stage=Stage.LINE,
    action=Action.REJECT_CLAIM,
    trigger=(
        "76498 without prior authorization (REF*G1 claim or line) or without documentation "
        "(PWK on claim or line)"
    ),
    message=IG301_MESSAGE,
    fix=(
        "Request the unlisted MRI procedure: report the authorization (REF*G1) and attach "
        "the documentation (PWK)."
    ),
    citation=f"{MRI_SECTION}, Standards: must be requested; documentation reviewed by a physician",
    example="76498 with REF*G1 but no PWK -> rejected (A6:294 + A6:306).",
    status_code=AUTHORIZATION_MISSING,
    status_codes="A6:252:PR (no authorization) / A6:294 + A6:306 (no documentation)",
    line_check=check_ig301,
    applies_to=(codeset.UNLISTED_MRI,),
)

IG302_MESSAGE = (
    "{subject} is bundled into image guidance {partners} on that day (MR guidance is within 77387)."
)


def check_ig302(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if not _is_mri(fact, ev):
        return
    codes = ev.codes

    def other_guidance(other: LineFact) -> bool:
        return codes.is_in(other.code, codeset.IGRT) and not codes.is_in(
            other.code, codeset.UNLISTED_MRI
        )

    yield from same_day_conflict(ev, fact, other_guidance, IG302_MESSAGE)


IG302 = Rule(
    code="IG302",
    ignores_other_codes=True,
    name="unlisted-mri-bundled",
    eras=ERAS_AB,
    stage=Stage.LINE,
    action=Action.REMOVE_LINE,
    trigger=(
        "76498 on the DOS of another IGRT-group line (77387, 77014, G6001/G6002/G6017), "
        "same patient+entity+site"
    ),
    message=IG302_MESSAGE,
    fix="Do not bill 76498 for MR guidance on a day IGRT is billed; it is within 77387.",
    citation=f"{MRI_SECTION}, Standards: approved only when not bundled into other services",
    example="77387-26 and 76498 on 2025-07-01, same site -> 76498 removed.",
    status_code="A8:735",
    line_check=check_ig302,
    applies_to=(codeset.UNLISTED_MRI,),
)

IG303_MESSAGE = (
    "{subject} has its request on file: rationale and documentation go to physician review."
)


def check_ig303(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if _is_mri(fact, ev) and fact.authorized and fact.documented:
        yield Hit(IG303_MESSAGE.format(subject=subject(fact)))


IG303 = Rule(
    code="IG303",
    ignores_other_codes=True,
    name="unlisted-mri-review",
    eras=ERAS_AB,
    stage=Stage.LINE,
    action=Action.WARN,
    trigger="76498 with authorization and documentation",
    message=IG303_MESSAGE,
    fix="Expect physician review of the unlisted MRI documentation.",
    citation=f"{MRI_SECTION}, Standards: rationale and documentation reviewed by a physician",
    example="76498 with REF*G1 and PWK -> warn.",
    line_check=check_ig303,
    applies_to=(codeset.UNLISTED_MRI,),
)

RULES = (IG301, IG302, IG303)
