"""Every rule: where it fires, its nearest look-alike where it must not, and its
era boundary (DOS 2025-12-31 vs 2026-01-01) where it has one.

Each case is a small batch written as 837 text and read back through the
reader. ``test_every_rule_has_cases`` keeps the table complete.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from scrubber.rules.findings import Action
from scrubber.rules.image_guidance import pack
from tests.rules.rulekit import AS_OF, FIRST_B, LAST_A, D, Entry, I, P, decide, line

NEXT = D + dt.timedelta(days=1)
B = dt.date(2026, 2, 2)


@dataclass(frozen=True)
class Case:
    rule: str
    fires: bool
    entries: tuple[Entry, ...]
    claim: str = "C1"
    line: int | None = None
    action: Action | None = None
    as_of: dt.date = AS_OF
    era: bool = False  # this case is one side of the rule's era boundary
    status: str | None = None
    words: tuple[str, ...] = ()  # text the message must contain


def fires(rule: str, *entries: Entry, **kw: object) -> Case:
    return Case(rule, True, entries, **kw)  # type: ignore[arg-type]


def silent(rule: str, *entries: Entry, **kw: object) -> Case:
    return Case(rule, False, entries, **kw)  # type: ignore[arg-type]


IMRT = line("77385")
CONV = line("77412")

CASES = [
    # IG000 out-of-scope-dos
    fires(
        "IG000",
        P("C1", line("77417", dt.date(2014, 12, 31))),
        line=1,
        action=Action.NOT_EVALUATED,
        words=("before 2015-01-01",),
    ),
    silent(
        "IG000",
        P("C1", line("77412", dt.date(2015, 1, 1)), line("77417", dt.date(2015, 1, 1))),
        line=2,
    ),
    silent("IG000", P("C1", line("99213", dt.date(2014, 12, 31))), line=1),
    # IG001 code-not-valid-for-dos
    fires(
        "IG001",
        P("C1", line("77421", dt.date(2015, 1, 1))),
        line=1,
        action=Action.REJECT_CLAIM,
        status="A7:454",
        words=("report 77387",),
    ),
    fires(
        "IG001",
        P("C1", line("77412", FIRST_B), line("G6002", FIRST_B)),
        line=2,
        era=True,
        words=("technical part is in 77412",),
    ),
    silent("IG001", P("C1", line("77412", LAST_A), line("G6002", LAST_A)), line=2, era=True),
    fires("IG001", P("C1", line("77385", FIRST_B)), line=1, era=True, words=("77402",)),
    silent("IG001", P("C1", line("77385", LAST_A)), line=1, era=True),
    fires("IG001", P("C1", line("77436", LAST_A)), line=1, era=True, words=("valid from",)),
    silent("IG001", P("C1", line("77436", FIRST_B)), line=1, era=True),
    # IG002 nothing-billable
    fires(
        "IG002",
        P("C0", IMRT),
        P("C1", line("77387", D, "TC")),
        line=None,
        action=Action.REJECT_CLAIM,
        status="A3:21",
    ),
    silent("IG002", P("C0", IMRT), P("C1", line("77387", D, "TC"), line("99213"))),
    # IG003 no-service-line
    fires(
        "IG003",
        P("C1", total_charge=Decimal("100.00")),
        action=Action.REJECT_CLAIM,
        status="A3:21",
        words=("no service line",),
    ),
    fires("IG003", P("C1", frequency_code="8")),  # a void without lines too
    fires("IG003", I("C1", total_charge=Decimal(0))),
    silent("IG003", P("C1", line("99213"))),
    # IG004 sub-cent-amount
    fires(
        "IG004",
        P("C1", line("77417", charge=Decimal("117.005")), line("77412")),
        action=Action.REJECT_CLAIM,
        status="A7:178",
        words=("line 1",),
    ),
    fires(
        "IG004",
        P("C1", line("77412", charge=Decimal("1450.015")), line("77412", charge=Decimal(".005"))),
        words=("line 1, line 2",),
    ),
    fires(
        "IG004",
        P("C1", line("77412"), total_charge=Decimal("100.001")),
        words=("CLM02 100.001",),
    ),
    silent("IG004", P("C1", line("77412", charge=Decimal("117.000")))),
    silent("IG004", P("C1", line("77412", charge=Decimal("117.01")))),
    # IG005 claim-total-mismatch
    fires(
        "IG005",
        P("C1", line("77412"), line("77417"), total_charge=Decimal("200.01")),
        action=Action.REJECT_CLAIM,
        status="A7:400",
        words=("CLM02 200.01", "line charges 200.00", "difference 0.01"),
    ),
    fires("IG005", I("C1", line("77412"), total_charge=Decimal("99.99"))),
    silent("IG005", P("C1", line("77412"), line("77417"), total_charge=Decimal("200"))),
    silent("IG005", P("C1", total_charge=Decimal("100.00"))),  # IG003 says it
    # IG101 igrt-one-per-fraction
    fires(
        "IG101",
        P("C1", CONV, line("77387", D, "26"), line("77387", D, "26")),
        line=3,
        action=Action.REMOVE_LINE,
        status="A8:259",
        words=("1 fraction(s)",),
    ),
    fires("IG101", P("C1", CONV, line("77387", D, "26", units=3)), line=2, action=Action.REPAIR),
    fires(
        "IG101",
        P("C1", line("77387", D, "26"), line("77387", D, "26")),
        line=2,
        words=("no delivery",),
    ),
    silent("IG101", P("C1", line("77412", units=2), line("77387", D, "26", units=2)), line=2),
    silent("IG101", P("C1", CONV, line("77387", D, "26"), line("77387", D, "TC")), line=3),
    silent("IG101", P("C1", CONV, line("77014", D, "26"), line("77387", D, "26")), line=3),
    fires(
        "IG101",
        P("C1", line("77412", FIRST_B), line("77387", FIRST_B, "26"), line("77387", FIRST_B, "26")),
        line=3,
        era=True,
    ),
    # IG102 igrt-not-for-2d
    fires(
        "IG102",
        P("C1", line("77306", D - dt.timedelta(days=7)), CONV, line("77387", D, "26")),
        line=3,
        action=Action.REJECT_CLAIM,
        status="A8:732",
    ),
    silent(
        "IG102",
        P("C1", line("77295", D - dt.timedelta(days=7)), CONV, line("77387", D, "26")),
        line=3,
    ),
    silent(
        "IG102",
        P(
            "C1",
            line("77306", D - dt.timedelta(days=7)),
            line("77301", D),
            CONV,
            line("77387", D, "26"),
        ),
        line=4,
    ),
    fires("IG102", P("C1", line("77402", FIRST_B), line("77387", FIRST_B, "26")), line=2, era=True),
    silent("IG102", P("C1", line("77402", LAST_A), line("77387", LAST_A, "26")), line=2, era=True),
    # IG103 igrt-3d-needs-auth
    fires(
        "IG103",
        P("C1", line("77295", D - dt.timedelta(days=7)), CONV, line("77387", D, "TC")),
        line=3,
        action=Action.REJECT_CLAIM,
        status="A6:252:PR",
    ),
    fires("IG103", I("C1", line("77295", D - dt.timedelta(days=7)), CONV, line("77387"))),
    silent(
        "IG103",
        P(
            "C1",
            line("77295", D - dt.timedelta(days=7)),
            CONV,
            line("77387", D, "TC"),
            prior_authorization="AUTH1",
        ),
        line=3,
    ),
    silent(
        "IG103",
        P(
            "C1",
            line("77295", D - dt.timedelta(days=7)),
            CONV,
            line("77387", D, "TC", prior_authorization="AUTH1"),
        ),
        line=3,
    ),
    silent(
        "IG103",
        P("C1", line("77295", D - dt.timedelta(days=7)), CONV, line("77387", D, "26")),
        line=3,
    ),
    fires(
        "IG103",
        P("C1", line("77295", LAST_A), line("77412", LAST_A), line("77387", LAST_A, "TC")),
        line=3,
        era=True,
    ),
    silent(
        "IG103",
        P("C1", line("77295", FIRST_B), line("77412", FIRST_B), line("77387", FIRST_B, "TC")),
        line=3,
        era=True,
    ),
    # IG104 igrt-non-imrt-review
    fires("IG104", P("C1", line("77523"), line("77387", D, "26")), line=2, action=Action.WARN),
    fires(
        "IG104",
        P(
            "C1",
            line("77295", D - dt.timedelta(days=7)),
            CONV,
            line("77387", D, "TC"),
            prior_authorization="AUTH1",
        ),
        line=3,
    ),
    fires("IG104", P("C1", CONV, line("77387", D, "26")), line=2, words=("unknown",)),
    # RULES.md: in a 3D course only an authorized IGRT line is sent to review;
    # an unauthorized professional line is not IG103's either, so nothing fires.
    silent(
        "IG104",
        P("C1", line("77295", D - dt.timedelta(days=7)), CONV, line("77387", D, "26")),
        line=3,
    ),
    silent("IG104", P("C1", IMRT, line("77387", D, "26")), line=2),
    silent(
        "IG104",
        P("C1", line("77301", D - dt.timedelta(days=7)), CONV, line("77387", D, "26")),
        line=3,
    ),
    # IG105 igrt-tc-bundled-with-imrt
    fires(
        "IG105",
        P("C1", IMRT, line("77387", D, "TC")),
        line=2,
        action=Action.REMOVE_LINE,
        status="A8:735",
        words=("77387-TC on 2025-03-03 (line 2) is bundled into IMRT delivery 77385 (line 1)",),
    ),
    fires("IG105", I("C1", IMRT, line("77387")), line=2),
    fires(
        "IG105",
        P("C0", IMRT),
        P("C1", line("77387", D, "TC"), line("99213")),
        line=1,
        words=("claim C0 line 1",),
    ),
    silent("IG105", P("C1", line("G6015"), line("77387", D, "TC")), line=2),
    silent("IG105", P("C1", IMRT, line("77387", NEXT, "TC")), line=2),
    silent(
        "IG105",
        P("C1", IMRT),
        P("C2", line("77387", D, "TC"), line("99213"), billing_npi="1999999992"),
        claim="C2",
        line=1,
    ),
    fires(
        "IG105",
        P("C1", IMRT, line("77387", D, "TC", "XS")),
        line=2,
        action=Action.WARN,
        words=("Bypassed by modifier XS",),
    ),
    fires("IG105", P("C1", line("77385", LAST_A), line("77387", LAST_A, "TC")), line=2, era=True),
    silent(
        "IG105", P("C1", line("77385", FIRST_B), line("77387", FIRST_B, "TC")), line=2, era=True
    ),
    # IG106 igrt-global-with-imrt
    fires(
        "IG106",
        P("C1", IMRT, line("77387")),
        line=2,
        action=Action.REJECT_CLAIM,
        status="A7:453",
        words=("report 77387-26",),
    ),
    silent("IG106", P("C1", IMRT, line("77387", D, "26")), line=2),
    silent("IG106", P("C1", CONV, line("77387")), line=2),
    fires("IG106", P("C1", line("77385", LAST_A), line("77387", LAST_A)), line=2, era=True),
    silent("IG106", P("C1", line("77385", FIRST_B), line("77387", FIRST_B)), line=2, era=True),
    # IG107 igrt-tc-with-srs-sbrt
    fires(
        "IG107",
        P("C1", line("77373"), line("77387", D, "TC")),
        line=2,
        action=Action.REMOVE_LINE,
        status="A8:735",
    ),
    fires("IG107", I("C1", line("77373"), line("77387")), line=2),
    silent("IG107", P("C1", line("77373"), line("77387", D, "26")), line=2),
    silent("IG107", P("C1", line("77373"), line("77387", NEXT, "TC")), line=2),
    fires("IG107", P("C1", line("77373", LAST_A), line("77387", LAST_A, "TC")), line=2, era=True),
    fires("IG107", P("C1", line("77373", FIRST_B), line("77387", FIRST_B, "TC")), line=2, era=True),
    # IG108 gcode-setting
    fires("IG108", I("C1", line("G6002")), line=1, action=Action.REJECT_CLAIM, status="A8:228"),
    fires("IG108", P("C1", line("G6001"), facility_code="22"), line=1, status="A8:249"),
    fires("IG108", P("C1", line("G6001", D, place_of_service="19")), line=1, status="A8:249"),
    silent("IG108", P("C1", line("G6001", D, "26"), facility_code="22"), line=1),
    silent("IG108", P("C1", line("G6001")), line=1),
    fires("IG108", I("C1", line("G6002", LAST_A)), line=1, era=True),
    silent("IG108", I("C1", line("G6002", FIRST_B)), line=1, era=True),
    # IG109 gcode-technical-only
    fires(
        "IG109",
        P("C1", line("G6017", D, "26"), facility_code="22"),
        line=1,
        action=Action.REJECT_CLAIM,
        status="A7:453",
    ),
    silent("IG109", P("C1", line("G6002", D, "26"), facility_code="22"), line=1),
    silent("IG109", P("C1", line("G6017")), line=1),
    fires("IG109", P("C1", line("G6017", LAST_A, "26")), line=1, era=True),
    silent("IG109", P("C1", line("G6017", FIRST_B, "26")), line=1, era=True),
    # IG110 igrt-professional-only-2026
    fires(
        "IG110",
        P("C1", line("77412", FIRST_B), line("77387", FIRST_B, "TC")),
        line=2,
        action=Action.REMOVE_LINE,
        status="A8:735",
        era=True,
    ),
    fires("IG110", I("C1", line("77412", B), line("77387", B)), line=2),
    silent("IG110", P("C1", line("77412", LAST_A), line("77387", LAST_A, "TC")), line=2, era=True),
    silent("IG110", P("C1", line("77412", B), line("77387", B, "26")), line=2),
    # IG111 igrt-global-2026
    fires(
        "IG111",
        P("C1", line("77412", FIRST_B), line("77387", FIRST_B)),
        line=2,
        action=Action.REJECT_CLAIM,
        status="A7:453",
        era=True,
    ),
    silent("IG111", P("C1", line("77412", LAST_A), line("77387", LAST_A)), line=2, era=True),
    silent("IG111", I("C1", line("77412", B), line("77387", B)), line=2),
    # IG201 ct-bundled-with-simulation
    fires(
        "IG201",
        P("C1", line("77290"), line("77014", D, "TC")),
        line=2,
        action=Action.REMOVE_LINE,
        status="A8:735",
    ),
    fires("IG201", P("C0", line("77280")), P("C1", line("77014", D, "TC")), line=1),
    silent("IG201", P("C1", line("77290"), line("77014", NEXT, "TC")), line=2),
    silent(
        "IG201",
        P("C0", line("77290"), billing_npi="1999999992"),
        P("C1", line("77014", D, "TC")),
        line=1,
    ),
    fires("IG201", P("C1", line("77290", LAST_A), line("77014", LAST_A, "TC")), line=2, era=True),
    silent(
        "IG201", P("C1", line("77290", FIRST_B), line("77014", FIRST_B, "TC")), line=2, era=True
    ),
    # IG202 ct-professional-not-billable
    fires(
        "IG202", P("C1", line("77014", D, "26")), line=1, action=Action.REMOVE_LINE, status="A7:453"
    ),
    silent("IG202", P("C1", line("77014", D, "TC")), line=1),
    fires("IG202", P("C1", line("77014", LAST_A, "26")), line=1, era=True),
    silent("IG202", P("C1", line("77014", FIRST_B, "26")), line=1, era=True),
    # IG203 ct-global-on-professional-claim
    fires(
        "IG203",
        P("C1", line("77014")),
        line=1,
        action=Action.REJECT_CLAIM,
        status="A7:453",
        words=("report 77014-TC",),
    ),
    silent("IG203", I("C1", line("77014")), line=1),
    silent("IG203", P("C1", line("77014", D, "TC")), line=1),
    fires("IG203", P("C1", line("77014", LAST_A)), line=1, era=True),
    silent("IG203", P("C1", line("77014", FIRST_B)), line=1, era=True),
    # IG301 unlisted-mri-needs-request
    fires(
        "IG301",
        P("C1", line("76498")),
        line=1,
        action=Action.REJECT_CLAIM,
        status="A6:252:PR",
        words=("no prior authorization", "no documentation"),
    ),
    fires(
        "IG301",
        P("C1", line("76498", D, prior_authorization="A1")),
        line=1,
        status="A6:294",
        words=("no documentation",),
    ),
    fires("IG301", P("C1", line("76498", D, attachment=True)), line=1, status="A6:252:PR"),
    silent("IG301", P("C1", line("76498", D, attachment=True), prior_authorization="A1"), line=1),
    fires("IG301", P("C1", line("76498", FIRST_B)), line=1, era=True),
    # IG302 unlisted-mri-bundled
    fires(
        "IG302",
        P(
            "C1",
            line("77387", D, "26"),
            line("76498", D, attachment=True),
            prior_authorization="A1",
        ),
        line=2,
        action=Action.REMOVE_LINE,
        status="A8:735",
    ),
    silent(
        "IG302",
        P(
            "C1",
            line("77387", D, "26"),
            line("76498", NEXT, attachment=True),
            prior_authorization="A1",
        ),
        line=2,
    ),
    silent(
        "IG302",
        P(
            "C1",
            line("77387", D, "26"),
            line("76498", D, attachment=True, pointers=(2,)),
            prior_authorization="A1",
            diagnoses=("C61", "C7951"),
        ),
        line=2,
    ),
    fires("IG302", P("C1", line("77387", FIRST_B, "26"), line("76498", FIRST_B)), line=2, era=True),
    # IG303 unlisted-mri-review
    fires(
        "IG303",
        P("C1", line("76498", D, attachment=True), prior_authorization="A1"),
        line=1,
        action=Action.WARN,
    ),
    silent("IG303", P("C1", line("76498", D, attachment=True)), line=1),
    # IG401 port-technical-only
    fires(
        "IG401",
        P("C1", CONV, line("77417", D, "26")),
        line=2,
        action=Action.REMOVE_LINE,
        status="A7:453",
    ),
    silent("IG401", P("C1", CONV, line("77417", D, "TC")), line=2),
    fires("IG401", P("C1", line("77412", FIRST_B), line("77417", FIRST_B, "26")), line=2, era=True),
    # IG402 port-quantity-one
    fires(
        "IG402",
        P("C1", CONV, line("77417", D, units=3)),
        line=2,
        action=Action.REPAIR,
        status="A8:476",
    ),
    silent("IG402", P("C1", CONV, line("77417", D, units=1)), line=2),
    fires(
        "IG402", P("C1", line("77412", FIRST_B), line("77417", FIRST_B, units=2)), line=2, era=True
    ),
    # IG403 port-with-igrt-same-day
    fires(
        "IG403",
        P("C1", CONV, line("77387", D, "26"), line("77417")),
        line=3,
        action=Action.REMOVE_LINE,
        status="A8:735",
    ),
    fires("IG403", P("C1", CONV, line("77014", D, "TC"), line("77417")), line=3),
    fires("IG403", P("C0", CONV, line("G6002")), P("C1", line("77417")), line=1),
    silent(
        "IG403",
        P(
            "C1",
            CONV,
            line("77387", D, "26", pointers=(2,)),
            line("77417"),
            diagnoses=("C61", "C7951"),
        ),
        line=3,
    ),
    silent("IG403", P("C1", CONV, line("77387", NEXT, "26"), line("77417")), line=3),
    fires(
        "IG403",
        P("C1", CONV, line("77387", D, "26"), line("77417", D, "XS")),
        line=3,
        action=Action.WARN,
        words=("XS",),
    ),
    fires(
        "IG403",
        P("C1", line("77412", FIRST_B), line("77387", FIRST_B, "26"), line("77417", FIRST_B)),
        line=3,
        era=True,
    ),
    # IG404 port-with-verification-sim
    fires(
        "IG404",
        P("C1", CONV, line("77280"), line("77417")),
        line=3,
        action=Action.REMOVE_LINE,
        status="A8:735",
    ),
    silent("IG404", P("C1", CONV, line("77290"), line("77417")), line=3),
    silent(
        "IG404",
        P("C1", CONV, line("77280", D, pointers=(2,)), line("77417"), diagnoses=("C61", "C7951")),
        line=3,
    ),
    fires(
        "IG404",
        P("C1", line("77412", FIRST_B), line("77280", FIRST_B), line("77417", FIRST_B)),
        line=3,
        era=True,
    ),
    # IG405 port-once-per-five-fractions (more in test_courses.py)
    fires(
        "IG405",
        P(
            "C1",
            *(line("77412", D + dt.timedelta(days=n)) for n in range(4)),
            line("77417", D),
            line("77417", D + dt.timedelta(days=3)),
        ),
        line=6,
        action=Action.REMOVE_LINE,
        status="A8:259",
        as_of=D,
    ),
    silent(
        "IG405",
        P(
            "C1",
            *(line("77412", D + dt.timedelta(days=n)) for n in range(6)),
            line("77417", D),
            line("77417", D + dt.timedelta(days=5)),
        ),
        line=8,
        as_of=D,
    ),
    # IG406 port-last-three-fractions
    fires(
        "IG406",
        P(
            "C1",
            *(line("77412", D + dt.timedelta(days=n)) for n in range(5)),
            line("77417", D + dt.timedelta(days=2)),
        ),
        line=6,
        action=Action.REMOVE_LINE,
        status="A8:259",
        words=("fraction 3 of 5",),
    ),
    silent(
        "IG406",
        P(
            "C1",
            *(line("77412", D + dt.timedelta(days=n)) for n in range(5)),
            line("77417", D + dt.timedelta(days=1)),
        ),
        line=6,
    ),
    silent(
        "IG406",
        P(
            "C1",
            *(line("77412", D + dt.timedelta(days=n)) for n in range(5)),
            line("77417", D + dt.timedelta(days=2)),
        ),
        line=6,
        as_of=D + dt.timedelta(days=5),
    ),
    # IG407 port-course-open
    fires("IG407", P("C1", CONV, line("77417")), line=2, action=Action.WARN, as_of=D),
    silent("IG407", P("C1", CONV, line("77417")), line=2, as_of=D + dt.timedelta(days=31)),
    fires("IG407", P("C1", CONV, line("77417")), line=2, as_of=D + dt.timedelta(days=30)),
    silent(
        "IG407",
        P("C1", *(line("77412", D + dt.timedelta(days=n)) for n in range(4)), line("77417")),
        line=5,
        as_of=D,
    ),
    fires(
        "IG407",
        P("C1", CONV, line("77417", D + dt.timedelta(days=2))),
        line=2,
        as_of=D + dt.timedelta(days=2),
    ),
    # IG408 port-no-fraction-data
    fires("IG408", P("C1", line("77417")), line=1, action=Action.NOT_EVALUATED),
    silent("IG408", P("C1", CONV, line("77417")), line=2),
    silent("IG408", P("C0", CONV), P("C1", line("77417")), line=1),
]


def _id(case: Case) -> str:
    verb = "fires" if case.fires else "silent"
    return f"{case.rule}-{verb}-{'-'.join(e.spec.claim_id for e in case.entries)}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_rule_case(case: Case) -> None:
    outcome = decide(case.entries, as_of=case.as_of)
    found = [
        f
        for f in outcome.findings(case.claim, case.rule)
        if case.line is None or f.line == case.line
    ]
    if not case.fires:
        assert found == [], [f.message for f in found]
        return
    assert len(found) == 1, outcome[case.claim].findings
    finding = found[0]
    if case.action is not None:
        assert finding.action is case.action
    if case.status is not None:
        assert finding.status_code == case.status
    for words in case.words:
        assert words in finding.message
    assert finding.rule_set == "image-guidance/2026.1"
    assert finding.citation and finding.fix and finding.name


def test_every_rule_has_cases() -> None:
    """Each rule fires somewhere and stays silent on a look-alike."""
    for rule in pack.rules:
        kinds = {case.fires for case in CASES if case.rule == rule.code}
        assert kinds == {True, False}, rule.code


def test_era_rules_have_boundary_cases() -> None:
    """Rules of only one era are tested on both sides of 2025-12-31/2026-01-01."""
    for rule in pack.rules:
        if rule.era_label in ("A", "B"):
            sides = {case.fires for case in CASES if case.rule == rule.code and case.era}
            assert sides == {True, False}, rule.code
