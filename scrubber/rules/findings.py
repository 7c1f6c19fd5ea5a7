"""What the rules decide: findings and per-claim decisions (plain data).

The decide step produces one :class:`ClaimDecision` per input claim; the
writers (cleaned 837, 277CA, report) consume nothing else from the rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from scrubber.pickling import by_fields


class Action(StrEnum):
    """What a finding does to its claim (RULES.md section 3)."""

    REJECT_CLAIM = "reject-claim"
    REMOVE_LINE = "remove-line"
    REPAIR = "repair"
    WARN = "warn"
    NOT_EVALUATED = "not-evaluated"


class ClaimStatus(StrEnum):
    ACCEPTED = "accepted"
    CORRECTED = "corrected"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule firing on one claim (``line is None``) or one service line.

    ``line`` is the LX number in the input. ``status_code`` is the 277CA
    STC01 composite (``"A8:735"``), ``""`` for rules that never reject.
    ``repaired_units`` is set on ``repair`` findings: the units the cleaned
    claim carries for that line. ``extra_status_codes`` are further 277CA
    status composites for the same finding (STC10, STC11), e.g. IG301's
    ``("A6:306",)`` after ``status_code`` ``"A6:294"``. ``rule_set`` is the
    versioned rule set that produced the finding (``image-guidance/2026.1``).
    """

    rule: str
    name: str
    action: Action
    line: int | None
    line_control: str
    procedure: str
    modifiers: tuple[str, ...]
    dos: dt.date | None
    message: str
    fix: str
    citation: str
    status_code: str = ""
    repaired_units: Decimal | None = None
    extra_status_codes: tuple[str, ...] = ()
    rule_set: str = ""


@dataclass(frozen=True, slots=True)
class ClaimDecision:
    """The outcome for one claim.

    ``status`` follows from the findings: any ``reject-claim`` finding (or
    every line removed) rejects; otherwise any ``remove-line``/``repair``
    corrects; otherwise the claim is accepted. ``removed_lines`` and
    ``repaired_units`` are keyed by input LX number and are empty for a
    rejected claim.
    """

    status: ClaimStatus
    findings: tuple[Finding, ...]
    removed_lines: frozenset[int] = frozenset()
    repaired_units: dict[int, Decimal] = field(default_factory=dict)


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(Finding, ClaimDecision)
