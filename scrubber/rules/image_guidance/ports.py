"""IG401-IG408: port images (CPT 77417; the standard's "74177" heading is a typo)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from types import MappingProxyType

from scrubber.rules.facts import DATED_ORDER, LineFact
from scrubber.rules.findings import Action
from scrubber.rules.image_guidance.common import (
    ERAS_AB,
    STANDARD,
    in_sets,
    named,
    same_day_conflict,
    subject,
)
from scrubber.rules.radonc import codeset
from scrubber.rules.radonc.courses import BLOCK_SIZE, Course, CourseKey
from scrubber.rules.rule import EvaluationView, Hit, Rule, Stage

PORT_SECTION = f"{STANDARD}: Port Images (CPT 77417)"


def _is_port(fact: LineFact, ev: EvaluationView) -> bool:
    return ev.codes.is_in(fact.code, codeset.PORT)


def _course_with_fractions(fact: LineFact, ev: EvaluationView) -> Course | None:
    course = ev.context.course_of(fact)
    return course if course is not None and course.days else None


IG401_MESSAGE = "{subject}: port images are technical only; modifier 26 is not billable."


def check_ig401(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if _is_port(fact, ev) and "26" in fact.modifiers:
        yield Hit(IG401_MESSAGE.format(subject=subject(fact)))


IG401 = Rule(
    code="IG401",
    ignores_other_codes=True,
    name="port-technical-only",
    eras=ERAS_AB,
    stage=Stage.LINE,
    action=Action.REMOVE_LINE,
    trigger="77417 with modifier 26",
    message=IG401_MESSAGE,
    fix="Do not bill 77417-26; port images have no professional component.",
    citation=f"{PORT_SECTION}: technical only",
    example="837P 77417-26 -> line removed.",
    status_code="A7:453",
    line_check=check_ig401,
    applies_to=(codeset.PORT,),
)

IG402_MESSAGE = "{subject} bills {units} units: port images are billed with a quantity of 1."


def check_ig402(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if _is_port(fact, ev) and fact.units > 1:
        yield Hit(
            IG402_MESSAGE.format(subject=subject(fact), units=fact.units),
            repaired_units=Decimal(1),
        )


IG402 = Rule(
    code="IG402",
    ignores_other_codes=True,
    name="port-quantity-one",
    eras=ERAS_AB,
    stage=Stage.LINE,
    action=Action.REPAIR,
    trigger="77417 with units > 1",
    message=IG402_MESSAGE,
    fix="Bill 77417 with units 1 (charge unchanged), whatever the number of images.",
    citation=f"{PORT_SECTION}, Standards: billable as a quantity of one",
    example="77417 x3 -> units repaired to 1.",
    status_code="A8:476",
    line_check=check_ig402,
    applies_to=(codeset.PORT,),
)

IG403_MESSAGE = "{subject} is not billable on the same day and site as image guidance {partners}."


def check_ig403(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if not _is_port(fact, ev):
        return
    yield from same_day_conflict(ev, fact, in_sets(ev.codes, codeset.IGRT), IG403_MESSAGE)


IG403 = Rule(
    code="IG403",
    ignores_other_codes=True,
    name="port-with-igrt-same-day",
    eras=ERAS_AB,
    stage=Stage.LINE,
    action=Action.REMOVE_LINE,
    trigger="77417 on the DOS of an IGRT-group line, same site (even one another rule removes)",
    message=IG403_MESSAGE,
    fix="Do not bill port images on a day IGRT is billed for the same site.",
    citation=f"{PORT_SECTION}, Standards: not billable with IGRT (77387) on the same DOS and site",
    example="77385 + 77387-TC + 77417 on 2025-03-03 -> 77417 removed (the 77387-TC too, IG105).",
    status_code="A8:735",
    line_check=check_ig403,
    applies_to=(codeset.PORT,),
)

IG404_MESSAGE = "{subject} is part of verification simulation {partners} on that day and site."


def check_ig404(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if not _is_port(fact, ev):
        return
    yield from same_day_conflict(
        ev, fact, in_sets(ev.codes, codeset.VERIFICATION_SIMULATION), IG404_MESSAGE
    )


IG404 = Rule(
    code="IG404",
    ignores_other_codes=True,
    name="port-with-verification-sim",
    eras=ERAS_AB,
    stage=Stage.LINE,
    action=Action.REMOVE_LINE,
    trigger="77417 on the DOS of 77280, same site",
    message=IG404_MESSAGE,
    fix="Do not bill port images with a verification simulation for the same site.",
    citation=f"{PORT_SECTION}, Standards: not billable with verification simulation (77280)",
    example="77280 + 77417 on 2025-03-10, same site -> 77417 removed.",
    status_code="A8:735",
    line_check=check_ig404,
    applies_to=(codeset.PORT,),
)

IG405_MESSAGE = (
    "{subject} is a second port image in fractions {first}-{last} of the course; "
    "already billed: {kept}."
)


def _port_blocks(key: CourseKey, ev: EvaluationView) -> Mapping[LineFact, LineFact]:
    """For each surviving port image of the courses of ``key``: the first
    surviving port image of its course's block of five fractions (itself when
    it is the first). All courses of a key at once: once per course, a key of
    many courses would scan its lines once per course."""
    first_in_block: dict[tuple[int, int], LineFact] = {}
    result: dict[LineFact, LineFact] = {}
    port_codes = ev.codes.codes_in(codeset.PORT)  # _is_port, for every line of the key
    ports = sorted(
        (
            fact
            for fact in ev.context.lines_of_course_key(key)
            if fact.code in port_codes and ev.survives(fact)
        ),
        key=DATED_ORDER,
    )
    for port in ports:
        assert port.dos is not None  # context lines are dated
        course = ev.context.course_of(port)
        block = None if course is None else course.block_of(port.dos)
        if course is None or block is None:
            continue
        result[port] = first_in_block.setdefault((course.number, block), port)
    return MappingProxyType(result)


def check_ig405(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if not _is_port(fact, ev) or fact.dos is None or not ev.survives(fact):
        return
    course = _course_with_fractions(fact, ev)
    if course is None:
        return
    blocks = ev.memo(("IG405", course.key), lambda: _port_blocks(course.key, ev))
    first = blocks.get(fact)
    if first is None or first == fact:
        return
    block = course.block_of(fact.dos) or 0
    yield Hit(
        IG405_MESSAGE.format(
            subject=subject(fact),
            first=block * BLOCK_SIZE + 1,
            last=(block + 1) * BLOCK_SIZE,
            kept=f"{named(first, fact)} on {first.dos}",
        )
    )


IG405 = Rule(
    code="IG405",
    ignores_other_codes=True,
    name="port-once-per-five-fractions",
    eras=ERAS_AB,
    stage=Stage.COUNT,
    action=Action.REMOVE_LINE,
    trigger=(
        "a second 77417 within one block of five fractions of the course (blocks 1-5, "
        "6-10, ...; a 77417's block is that of the DOS's first fraction; with no fraction "
        "that day, the next fraction's; after the last fraction, the last one's); counts "
        "only port images no other rule removes"
    ),
    message=IG405_MESSAGE,
    fix="Bill port images at most once per five fractions.",
    citation=f"{PORT_SECTION}, Standards: billed once for each five fractions",
    example="77417 on fractions 1 and 4 of a course -> the one on fraction 4 removed.",
    status_code="A8:259",
    line_check=check_ig405,
    applies_to=(codeset.PORT,),
)

IG406_MESSAGE = (
    "{subject} falls on fraction {numbers} of {total}, one of the last three fractions of "
    "the course (course end known: {how})."
)


def check_ig406(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if not _is_port(fact, ev) or fact.dos is None:
        return
    course = _course_with_fractions(fact, ev)
    if course is None or course.last_fraction is None or course.end is None:
        return
    if course.in_last_fractions(fact.dos):
        numbers = course.fractions_on(fact.dos)
        yield Hit(
            IG406_MESSAGE.format(
                subject=subject(fact),
                numbers="/".join(str(n) for n in numbers),
                total=course.last_fraction,
                how=course.end.value,
            )
        )


IG406 = Rule(
    code="IG406",
    ignores_other_codes=True,
    name="port-last-three-fractions",
    eras=ERAS_AB,
    stage=Stage.LINE,
    action=Action.REMOVE_LINE,
    trigger=(
        "77417 whose DOS falls on one of the last three fractions of a course whose end is known"
    ),
    message=IG406_MESSAGE,
    fix="Do not bill port images during the last three fractions of a course.",
    citation=f"{PORT_SECTION}, Standards: not approved during the last three fractions",
    example="25-fraction course with known end, 77417 on fraction 24 -> removed.",
    status_code="A8:259",
    line_check=check_ig406,
    applies_to=(codeset.PORT,),
)

IG407_MESSAGE = (
    "{subject}: the course is still open (fraction {count} on {last_day} is the latest "
    "known), so whether it falls in the last three fractions cannot be decided yet; "
    "provisional."
)


def check_ig407(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if not _is_port(fact, ev) or fact.dos is None:
        return
    course = _course_with_fractions(fact, ev)
    if course is not None and course.end is None and course.could_be_in_last_fractions(fact.dos):
        yield Hit(
            IG407_MESSAGE.format(
                subject=subject(fact), count=course.fraction_count, last_day=course.last_day
            )
        )


IG407 = Rule(
    code="IG407",
    ignores_other_codes=True,
    name="port-course-open",
    eras=ERAS_AB,
    stage=Stage.LINE,
    action=Action.WARN,
    trigger=(
        "77417 that IG406 cannot decide because the course end is unknown: it is on one "
        "of the last three fractions known so far, or after the last known fraction"
    ),
    message=IG407_MESSAGE,
    fix="Supply the course registry (--courses) or the final 837I so the end is known.",
    citation=f"{PORT_SECTION}, Standards: not approved during the last three fractions",
    example="Course with fractions up to yesterday and no registry -> warn (provisional).",
    line_check=check_ig407,
    applies_to=(codeset.PORT,),
)

IG408_MESSAGE = (
    "{subject}: no fraction of this patient, entity and site is known, so the port-image "
    "frequency rules cannot be applied; not evaluated."
)


def check_ig408(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if _is_port(fact, ev) and _course_with_fractions(fact, ev) is None:
        yield Hit(IG408_MESSAGE.format(subject=subject(fact)))


IG408 = Rule(
    code="IG408",
    ignores_other_codes=True,
    name="port-no-fraction-data",
    eras=ERAS_AB,
    stage=Stage.LINE,
    action=Action.NOT_EVALUATED,
    trigger="77417 on a course with no fraction known at all",
    message=IG408_MESSAGE,
    fix="Scrub the port image together with the course's delivery claims (or use --history).",
    citation=f"{PORT_SECTION}, Standards: once per five fractions, not in the last three",
    example="77417 alone on a claim, no delivery in batch or history -> not evaluated.",
    line_check=check_ig408,
    applies_to=(codeset.PORT,),
)

RULES = (IG401, IG402, IG403, IG404, IG405, IG406, IG407, IG408)
