"""An independent extraction of claims and service lines with pyx12.

Used by the differential test: pyx12's ``X12ContextReader`` walks the
implementation guide's loop map, so it decides on its own which segments
belong to which 2300 / 2400 loop. Values are compared as pyx12 returns them
(strings), after the same light normalisation our model applies (Decimal
amounts, dates as CCYYMMDD text).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyx12.error_handler
import pyx12.params
import pyx12.x12context

# GS08/ST03 errata labels pyx12 4.0.0 has no map for, mapped to the ones it has.
ERRATA_FOR_PYX12 = {"005010X222A2": "005010X222A1", "005010X223A3": "005010X223A2"}


@dataclass(frozen=True)
class LineFacts:
    number: str
    revenue_code: str
    qualifier: str
    procedure: str
    modifiers: tuple[str, ...]
    charge: Decimal
    units: Decimal
    dos: str  # DTP*472 DTP03 as written ("" when the line has none)
    line_control: str


@dataclass(frozen=True)
class ClaimFacts:
    claim_id: str
    charge: Decimal
    facility_code: str
    lines: tuple[LineFacts, ...]


def for_pyx12(text: str) -> str:
    for label, known in ERRATA_FOR_PYX12.items():
        text = text.replace(label, known)
    return text


def pyx12_claims(text: str) -> list[ClaimFacts]:
    """Claims as pyx12 sees them (one interchange's delimiters: pyx12 reads
    the separators of the first ISA only)."""
    errh = pyx12.error_handler.errh_null()
    reader = pyx12.x12context.X12ContextReader(pyx12.params.params(), errh, io.StringIO(text))
    component = ""
    claims = []
    for node in reader.iter_segments("2300"):
        if node.id == "ISA":
            component = node.get_value("ISA16")
        if node.id != "2300":
            continue
        claims.append(
            ClaimFacts(
                claim_id=_value(node, "CLM01"),
                charge=Decimal(_value(node, "CLM02")),
                facility_code=_value(node, "CLM05-1"),
                lines=tuple(_line(line, component) for line in node.select("2400")),
            )
        )
    return claims


def _value(node: Any, path: str) -> str:
    value = node.get_value(path)
    return "" if value is None else str(value)


def _line(node: Any, component: str) -> LineFacts:
    professional = node.exists("SV1")
    service = "SV1" if professional else "SV2"
    composite = f"{service}01" if professional else f"{service}02"
    procedure = _value(node, composite).split(component) if component else []
    charge_at, units_at = ("02", "04") if professional else ("03", "05")
    return LineFacts(
        number=_value(node, "LX01"),
        revenue_code="" if professional else _value(node, "SV201"),
        qualifier=procedure[0] if procedure else "",
        procedure=procedure[1] if len(procedure) > 1 else "",
        modifiers=tuple(m for m in procedure[2:6] if m),
        charge=Decimal(_value(node, service + charge_at)),
        units=Decimal(_value(node, service + units_at) or "1"),
        dos=_value(node, "DTP[472]03"),
        line_control=_value(node, "REF[6R]02"),
    )
