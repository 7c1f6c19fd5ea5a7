"""IG101-IG111: IGRT (77387, 77014, 76498, G6001/G6002/G6017) per fraction, by
modality, bundled with IMRT and SRS/SBRT delivery, Medicare G codes by setting,
and the 2026 professional-only 77387."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from scrubber.model import ClaimKind
from scrubber.rules.facts import DATED_ORDER, Component, LineFact, Setting
from scrubber.rules.findings import Action
from scrubber.rules.image_guidance.common import (
    ERA_A,
    ERA_B,
    ERAS_AB,
    LISTED_AT_MOST,
    STANDARD,
    in_sets,
    listed,
    same_day_conflict,
    subject,
)
from scrubber.rules.radonc import codeset
from scrubber.rules.radonc.courses import Course, Modality
from scrubber.rules.radonc.eras import Era, era_of
from scrubber.rules.rule import EvaluationView, Hit, Rule, Stage

IGRT_SECTION = f"{STANDARD}: Image Guided Radiation Therapy, IGRT (CPT 77387)"


def _is_igrt(fact: LineFact, ev: EvaluationView) -> bool:
    return ev.codes.is_in(fact.code, codeset.IGRT)


def _is_77387(fact: LineFact, ev: EvaluationView) -> bool:
    return ev.codes.is_in(fact.code, codeset.IGRT_CPT)


def _course_label(course: Course) -> str:
    return f"course {course.number} for site {course.key.site or '(none)'} from {course.start}"


# IG101 ---------------------------------------------------------------------

IG101_REMOVE = "{subject} exceeds one IGRT per fraction: {allowed}; already billed: {kept}."
IG101_REPAIR = "{subject} bills {units} IGRT units; {allowed}: units reduced to {repaired}."


def check_ig101(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if not _is_igrt(fact, ev) or not ev.survives(fact):
        return
    fractions = ev.context.fractions_on(fact)
    if fractions:
        allowed = f"{fractions} fraction(s) that day allow {fractions} unit(s)"
    else:
        allowed = "no delivery billed that day allows 1 unit"
    day = ev.memo(
        ("IG101", fact.patient, fact.entity, fact.dos, fact.component),
        lambda: _IgrtDay(fact, ev, Decimal(fractions or 1)),
    )
    index = day.index(fact)
    remaining = day.remaining[index]
    if fact.units <= remaining:
        return
    if remaining >= 1:
        yield Hit(
            IG101_REPAIR.format(
                subject=subject(fact), units=fact.units, allowed=allowed, repaired=remaining
            ),
            action=Action.REPAIR,
            repaired_units=remaining,
        )
    else:
        kept = listed(day.lines[: min(index, LISTED_AT_MOST)], fact, index)
        yield Hit(IG101_REMOVE.format(subject=subject(fact), allowed=allowed, kept=kept or "-"))


class _IgrtDay:
    """The surviving IGRT lines of one patient + entity + DOS + component, in
    line order, with the units still allowed before each (computed once a
    day, so that a day of N IGRT lines costs O(N), not O(N^2))."""

    def __init__(self, fact: LineFact, ev: EvaluationView, allowance: Decimal) -> None:
        self.lines = sorted(
            (
                other
                for other in ev.context.same_day(fact)
                if other.component is fact.component and _is_igrt(other, ev) and ev.survives(other)
            ),
            key=DATED_ORDER,
        )
        self.remaining = [allowance]
        self._first: dict[LineFact, int] = {}
        for position, other in enumerate(self.lines):
            left = self.remaining[-1]
            self.remaining.append(left - min(other.units, left))
            self._first.setdefault(other, position)

    def index(self, fact: LineFact) -> int:
        """How many lines come before ``fact`` (the first line equal to it)."""
        return self._first.get(fact, len(self.lines))


IG101 = Rule(
    code="IG101",
    ignores_other_codes=True,
    name="igrt-one-per-fraction",
    eras=ERAS_AB,
    stage=Stage.COUNT,
    action=Action.REMOVE_LINE,
    action_text="remove-line (whole excess lines), repair (units)",
    trigger=(
        "IGRT-group units on one DOS for one patient+entity+component exceed that DOS's "
        "fractions (or exceed 1 when the entity bills no delivery that DOS); counts only "
        "lines no other rule removes"
    ),
    message=IG101_REMOVE + " | " + IG101_REPAIR,
    fix="Bill one IGRT unit per external-beam fraction delivered that day.",
    citation=f"{IGRT_SECTION}, Standards: one IGRT procedure per external beam fraction",
    example=(
        "837P, DOS 2025-04-01: 77412 x1 + 77387-26 (line 2) + 77387-26 (line 3) -> line 3 "
        "removed; 77387-26 x3 with one fraction -> units repaired to 1."
    ),
    status_code="A8:259",
    line_check=check_ig101,
    applies_to=(codeset.IGRT,),
)

# IG102-IG104: modality ---------------------------------------------------------

IG102_MESSAGE = (
    "{subject} is in a 2D course ({course}): IGRT is not medically necessary for 2D "
    "radiation therapy."
)


def check_ig102(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if not _is_igrt(fact, ev):
        return
    course = ev.context.course_of(fact)
    if course is not None and course.modality is Modality.TWO_D:
        yield Hit(IG102_MESSAGE.format(subject=subject(fact), course=_course_label(course)))


IG102 = Rule(
    code="IG102",
    ignores_other_codes=True,
    name="igrt-not-for-2d",
    eras=ERAS_AB,
    stage=Stage.LINE,
    action=Action.REJECT_CLAIM,
    trigger="IGRT-group line in a course whose modality is 2D",
    message=IG102_MESSAGE,
    fix="Do not bill image guidance for a 2D course.",
    citation=f"{IGRT_SECTION}, Standards: IGRT is not medically necessary for 2D",
    example="Course planned with 77306 only, 77387-26 billed -> claim rejected.",
    status_code="A8:732",
    line_check=check_ig102,
    applies_to=(codeset.IGRT,),
)


def _needs_3d_authorization(fact: LineFact) -> bool:
    """IG103's scope: era A, technical or global (every 837I line is technical)."""
    return era_of(fact.dos) is Era.A and fact.component is not Component.PROFESSIONAL


IG103_MESSAGE = (
    "{subject} is IGRT in a 3D course ({course}) without a prior authorization (REF*G1 on "
    "the claim or the line)."
)


def check_ig103(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if not _is_igrt(fact, ev) or fact.authorized or not _needs_3d_authorization(fact):
        return
    course = ev.context.course_of(fact)
    if course is not None and course.modality is Modality.THREE_D:
        yield Hit(IG103_MESSAGE.format(subject=subject(fact), course=_course_label(course)))


IG103 = Rule(
    code="IG103",
    ignores_other_codes=True,
    name="igrt-3d-needs-auth",
    eras=ERA_A,
    stage=Stage.LINE,
    action=Action.REJECT_CLAIM,
    trigger=(
        "IGRT-group line, TC or global or 837I, in a 3D course with no prior authorization "
        "(REF*G1 on the claim or the line)"
    ),
    message=IG103_MESSAGE,
    fix="Obtain the authorization for IGRT with 3D conformal delivery and report it in REF*G1.",
    citation=f"{IGRT_SECTION}, Standards: IGRT technical component with 3D allowed when authorized",
    example="77295 plan, 77387-TC without REF*G1 on 2025-05-05 -> claim rejected.",
    status_code="A6:252:PR",
    line_check=check_ig103,
    applies_to=(codeset.IGRT,),
)

IG104_MESSAGE = (
    "{subject} is IGRT in a course of modality {modality} ({course}): subject to physician review."
)
IG104_NO_COURSE = (
    "{subject} is IGRT with no course data (no delivery, plan or simulation for this "
    "patient, entity and site): modality unknown, subject to physician review."
)


def check_ig104(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if not _is_igrt(fact, ev):
        return
    course = ev.context.course_of(fact)
    if course is None:
        yield Hit(IG104_NO_COURSE.format(subject=subject(fact)))
        return
    review = course.modality in (Modality.PROTON, Modality.UNKNOWN) or (
        course.modality is Modality.THREE_D and fact.authorized
    )
    if review:
        yield Hit(
            IG104_MESSAGE.format(
                subject=subject(fact), modality=course.modality.value, course=_course_label(course)
            )
        )


IG104 = Rule(
    code="IG104",
    ignores_other_codes=True,
    name="igrt-non-imrt-review",
    eras=ERAS_AB,
    stage=Stage.LINE,
    action=Action.WARN,
    trigger=(
        "IGRT-group line in a proton or unknown-modality course, or in a 3D course that "
        "has its authorization (REF*G1 on the claim or the line)"
    ),
    message=IG104_MESSAGE,
    fix="Keep the IGRT documentation ready: a physician reviewer will ask for it.",
    citation=(
        f"{IGRT_SECTION}, Standards: IGRT may be subject to physician review in non-IMRT cases"
    ),
    example="Proton course 77523 + 77387-26 -> warn (physician review).",
    line_check=check_ig104,
    applies_to=(codeset.IGRT,),
)

# IG105-IG107: bundled with the delivery ---------------------------------------

IG105_MESSAGE = "{subject} is bundled into IMRT delivery {partners}."


def _technical_77387(fact: LineFact, ev: EvaluationView) -> bool:
    return _is_77387(fact, ev) and fact.component is Component.TECHNICAL


def check_ig105(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if not _technical_77387(fact, ev):
        return
    yield from same_day_conflict(
        ev, fact, in_sets(ev.codes, codeset.IMRT_BUNDLES_IGRT), IG105_MESSAGE
    )


IG105 = Rule(
    code="IG105",
    ignores_other_codes=True,
    name="igrt-tc-bundled-with-imrt",
    eras=ERA_A,
    stage=Stage.LINE,
    action=Action.REMOVE_LINE,
    trigger=(
        "77387-TC line, or an 837I 77387 line, on the DOS of an IMRT delivery 77385/77386 "
        "(not G6015/G6016) of the same patient+entity+site"
    ),
    message=IG105_MESSAGE,
    fix="Do not bill the technical component of IGRT with IMRT delivery.",
    citation=f"{IGRT_SECTION}: technical component bundled with IMRT delivery (77385, 77386)",
    example=(
        "837P POS 11, DOS 2025-03-03: 77385 (line 1) + 77387-TC (line 2) -> line 2 removed: "
        "'77387-TC on 2025-03-03 (line 2) is bundled into IMRT delivery 77385 (line 1).'"
    ),
    status_code="A8:735",
    line_check=check_ig105,
    applies_to=(codeset.IGRT_CPT,),
)

IG106_MESSAGE = (
    "{subject} is a global IGRT line on the DOS of IMRT delivery {partners}: the technical "
    "part is bundled; report 77387-26."
)


def check_ig106(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if fact.kind is not ClaimKind.PROFESSIONAL or fact.component is not Component.GLOBAL:
        return
    if not _is_77387(fact, ev):
        return
    yield from same_day_conflict(
        ev, fact, in_sets(ev.codes, codeset.IMRT_BUNDLES_IGRT), IG106_MESSAGE
    )


IG106 = Rule(
    code="IG106",
    ignores_other_codes=True,
    name="igrt-global-with-imrt",
    eras=ERA_A,
    stage=Stage.LINE,
    action=Action.REJECT_CLAIM,
    trigger="837P global 77387 (no 26/TC) on an IMRT delivery (77385/77386) DOS",
    message=IG106_MESSAGE,
    fix="Report 77387-26 (professional component only) on IMRT delivery days.",
    citation=f"{IGRT_SECTION}: technical component bundled with IMRT delivery",
    example="837P POS 11: 77385 + 77387 (no modifier) on 2025-03-03 -> rejected, report 77387-26.",
    status_code="A7:453",
    line_check=check_ig106,
    applies_to=(codeset.IGRT_CPT,),
)

IG107_MESSAGE = (
    "{subject} is bundled into SRS/SBRT delivery {partners} (guidance is included in the "
    "delivery code)."
)


def check_ig107(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if not _technical_77387(fact, ev):
        return
    yield from same_day_conflict(ev, fact, in_sets(ev.codes, codeset.SRS_SBRT), IG107_MESSAGE)


IG107 = Rule(
    code="IG107",
    ignores_other_codes=True,
    name="igrt-tc-with-srs-sbrt",
    eras=ERAS_AB,
    stage=Stage.LINE,
    action=Action.REMOVE_LINE,
    trigger="77387-TC or 837I 77387 line on the DOS of an SRS/SBRT delivery",
    message=IG107_MESSAGE,
    fix="Do not bill the technical component of IGRT with SRS/SBRT delivery.",
    citation="RULES.md section 4, IG107 (guidance included in SRS/SBRT delivery codes)",
    example="837I: 77373 + 77387 on 2025-06-02 -> 77387 removed.",
    status_code="A8:735",
    line_check=check_ig107,
    applies_to=(codeset.IGRT_CPT,),
)

# IG108-IG109: Medicare G codes ----------------------------------------------

IG108_INSTITUTIONAL = (
    "{subject} is a Medicare freestanding/professional G code on an institutional (837I) "
    "claim; hospital facilities report 77387."
)
IG108_HOSPITAL = (
    "{subject} is billed from a hospital place of service without modifier 26; in a "
    "hospital the G code is billable professionally only."
)


def check_ig108(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if not ev.codes.is_in(fact.code, codeset.IGRT_MEDICARE_FREESTANDING):
        return
    if fact.kind is ClaimKind.INSTITUTIONAL:
        yield Hit(IG108_INSTITUTIONAL.format(subject=subject(fact)), status_code="A8:228")
    elif fact.setting is Setting.HOSPITAL and fact.component is not Component.PROFESSIONAL:
        yield Hit(IG108_HOSPITAL.format(subject=subject(fact)), status_code="A8:249")


IG108 = Rule(
    code="IG108",
    ignores_other_codes=True,
    name="gcode-setting",
    eras=ERA_A,
    stage=Stage.LINE,
    action=Action.REJECT_CLAIM,
    trigger=(
        "G6001/G6002/G6017 on an 837I claim, or on an 837P hospital-setting line "
        "(POS 19/21/22/23) without modifier 26"
    ),
    message=IG108_INSTITUTIONAL + " | " + IG108_HOSPITAL,
    fix="Hospitals report 77387; hospital-based physicians report the G code with modifier 26.",
    citation=(
        f"{STANDARD}: introduction (G codes for freestanding centers, POS 11, and "
        "physicians billing professionally from a hospital outpatient department)"
    ),
    example="837I TOB 131, DOS 2025-03-03: G6002 -> claim rejected (A8:228).",
    status_code="A8:249",
    status_codes="A8:228 (837I) / A8:249 (837P)",
    line_check=check_ig108,
    applies_to=(codeset.IGRT_MEDICARE_FREESTANDING,),
)

IG109_MESSAGE = "{subject}: G6017 describes a technical service only; modifier 26 is invalid."


def check_ig109(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    codes = ev.codes
    if (
        codes.is_in(fact.code, codeset.IGRT_MEDICARE_FREESTANDING)
        and codes.is_in(fact.code, codeset.TECHNICAL_ONLY)
        and "26" in fact.modifiers
    ):
        yield Hit(IG109_MESSAGE.format(subject=subject(fact)))


IG109 = Rule(
    code="IG109",
    ignores_other_codes=True,
    name="gcode-technical-only",
    eras=ERA_A,
    stage=Stage.LINE,
    action=Action.REJECT_CLAIM,
    trigger="G6017 with modifier 26",
    message=IG109_MESSAGE,
    fix="Report G6017 without modifier 26 (it has no professional component).",
    citation="RULES.md section 4, IG109 (G6017 intrafraction tracking is technical only)",
    example="837P POS 22: G6017-26 -> claim rejected.",
    status_code="A7:453",
    line_check=check_ig109,
    applies_to=(codeset.IGRT_MEDICARE_FREESTANDING,),
)

# IG110-IG111: 2026 ------------------------------------------------------------

IG110_MESSAGE = (
    "{subject}: from 2026 the technical part of image guidance is included in the delivery "
    "code; only 77387-26 is billable."
)


def check_ig110(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if _technical_77387(fact, ev):
        yield Hit(IG110_MESSAGE.format(subject=subject(fact)))


IG110 = Rule(
    code="IG110",
    ignores_other_codes=True,
    name="igrt-professional-only-2026",
    eras=ERA_B,
    stage=Stage.LINE,
    action=Action.REMOVE_LINE,
    trigger="77387-TC line or 837I 77387 line on a 2026+ DOS",
    message=IG110_MESSAGE,
    fix="From 2026 do not bill 77387-TC; the delivery codes 77402/77407/77412 include guidance.",
    citation="RULES.md sections 1 and 4, IG110 (2026 delivery levels include imaging guidance)",
    example="837P POS 11, DOS 2026-01-05: 77412 + 77387-TC -> 77387-TC removed.",
    status_code="A8:735",
    line_check=check_ig110,
    applies_to=(codeset.IGRT_CPT,),
)

IG111_MESSAGE = "{subject} is a global IGRT line on a 2026+ DOS: report 77387-26."


def check_ig111(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if (
        fact.kind is ClaimKind.PROFESSIONAL
        and fact.component is Component.GLOBAL
        and _is_77387(fact, ev)
    ):
        yield Hit(IG111_MESSAGE.format(subject=subject(fact)))


IG111 = Rule(
    code="IG111",
    ignores_other_codes=True,
    name="igrt-global-2026",
    eras=ERA_B,
    stage=Stage.LINE,
    action=Action.REJECT_CLAIM,
    trigger="837P global 77387 (no 26/TC) on a 2026+ DOS",
    message=IG111_MESSAGE,
    fix="Report 77387-26 (professional component only) from 2026.",
    citation="RULES.md sections 1 and 4, IG111 (2026 delivery levels include imaging guidance)",
    example="837P POS 11, DOS 2026-01-05: 77387 without modifier -> rejected, report 77387-26.",
    status_code="A7:453",
    line_check=check_ig111,
    applies_to=(codeset.IGRT_CPT,),
)

RULES = (IG101, IG102, IG103, IG104, IG105, IG106, IG107, IG108, IG109, IG110, IG111)
