"""Which implementation guide a claim was read under: 837P or 837I."""

from __future__ import annotations

from enum import StrEnum


class ClaimKind(StrEnum):
    """Which implementation guide a claim was read under."""

    PROFESSIONAL = "professional"  # 837P, 005010X222A1
    INSTITUTIONAL = "institutional"  # 837I, 005010X223A2
