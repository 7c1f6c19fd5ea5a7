"""Rule eras by date of service (RULES.md section 4)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

ERA_A_START = dt.date(2015, 1, 1)
ERA_B_START = dt.date(2026, 1, 1)


class Era(StrEnum):
    """Which version of the rules a DOS falls under.

    ``A`` is the standard (2015-01-01..2025-12-31), ``B`` the 2026 code set.
    ``PRE`` (before 2015) and ``UNDATED`` (no DOS at all) fall under no rule
    version: in-scope lines there are reported ``not-evaluated`` (IG000).
    """

    PRE = "pre-2015"
    A = "A"
    B = "B"
    UNDATED = "undated"


def era_of(dos: dt.date | None) -> Era:
    if dos is None:
        return Era.UNDATED
    if dos < ERA_A_START:
        return Era.PRE
    if dos < ERA_B_START:
        return Era.A
    return Era.B
