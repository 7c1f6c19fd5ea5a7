"""Real 837 text for the history tests, read back through the reader."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from scrubber.model import Claim
from scrubber.testing import ClaimSpec, LineSpec, build_837, weekdays
from scrubber.x12.reader import read_claims

COURSE_START = dt.date(2025, 3, 3)  # a Monday
PORT_FRACTIONS = (1, 4, 6, 24)  # RULES.md 5, example 4


def treatment_days(count: int = 25, start: dt.date = COURSE_START) -> list[dt.date]:
    """``count`` weekdays from ``start``."""
    return weekdays(start, count)


def course_specs(
    member_id: str = "MBR0001",
    *,
    prefix: str = "PCN",
    fractions: int = 25,
    port_fractions: Sequence[int] = PORT_FRACTIONS,
    npi: str = "1234567893",
    site: str = "C61",
    start: dt.date = COURSE_START,
    label: str | None = None,
) -> list[ClaimSpec]:
    """One 837P claim per treatment day: IMRT delivery plus either a port
    film (on ``port_fractions``) or the IGRT professional part; an IMRT plan
    a week before day 1. The port film is line 2."""
    days = treatment_days(fractions, start)
    tag = member_id if label is None else label  # claim ids: prefix + tag + D<n>
    specs = [
        ClaimSpec(
            f"{prefix}{tag}P",
            [LineSpec("77301", dos=start - dt.timedelta(days=7))],
            member_id=member_id,
            billing_npi=npi,
            diagnoses=(site,),
        )
    ]
    for number, day in enumerate(days, start=1):
        lines = [LineSpec("77385", dos=day)]
        if number in port_fractions:
            lines.append(LineSpec("77417", dos=day))
        else:  # a port film on an IGRT day is IG403, not what these tests are about
            lines.append(LineSpec("77387", modifiers=("26",), dos=day))
        specs.append(
            ClaimSpec(
                f"{prefix}{tag}D{number:02d}",
                lines,
                member_id=member_id,
                billing_npi=npi,
                diagnoses=(site,),
            )
        )
    return specs


def weekly(specs: Sequence[ClaimSpec]) -> list[list[ClaimSpec]]:
    """Split claims into files by ISO week of their first line's DOS."""
    weeks: dict[tuple[int, int], list[ClaimSpec]] = {}
    for spec in specs:
        iso = spec.lines[0].dos.isocalendar()
        weeks.setdefault((iso.year, iso.week), []).append(spec)
    return [weeks[key] for key in sorted(weeks)]


def claims_of(specs: Sequence[ClaimSpec]) -> list[Claim]:
    """Build the 837 text and read it back (the path a real file takes)."""
    return list(read_claims(build_837(list(specs))))


def last_dos(specs: Sequence[ClaimSpec]) -> dt.date:
    return max(line.dos for spec in specs for line in spec.lines)
