"""``scrubber show INPUT``: the claims and lines of a file, as a table or JSON.

For people testing against sample files: shows what the reader understood
(ids, codes, modifiers, units, charges, dates) and any input warnings.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from scrubber.model import Claim, ServiceLine
from scrubber.status import ExitStatus
from scrubber.x12.reader import X12Reader

HEADER = ("claim", "st", "LX", "rev", "procedure", "units", "charge", "DOS", "ptr", "6R")


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("show", help="show the claims and service lines of an 837 file")
    parser.add_argument("input", help="an 837P/837I file, or - for standard input")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    args.input_name = args.input
    reader = X12Reader(args.input)
    if args.format == "json":
        document = {
            "input": reader.name,
            "claims": [claim_as_dict(claim) for claim in reader.claims()],
            "warnings": [w.as_dict() for w in reader.warnings],
        }
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        write_table(reader, sys.stdout)
    return ExitStatus.OK


def write_table(reader: X12Reader, out: TextIO) -> None:
    rows = [HEADER, *(_rows(reader.claims()))]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    for row in rows:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        out.write("\n")
    out.write(f"{reader.claim_count} claims, {reader.segment_count} segments\n")
    for warning in reader.warnings:
        out.write(f"warning: {warning}\n")


def _rows(claims: Iterator[Claim]) -> Iterator[tuple[str, ...]]:
    for claim in claims:
        st = claim.transaction.control_number
        yield (
            f"{claim.patient_control_number} {claim.kind.value[:4]} "
            f"{claim.facility_code}:{claim.frequency_code} total {claim.total_charge}",
            st,
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        )
        for line in claim.lines:
            yield (
                "",
                "",
                str(line.number),
                line.revenue_code,
                _procedure(line),
                f"{line.units}",
                f"{line.charge}",
                str(line.dos or "?"),
                ":".join(str(p) for p in line.diagnosis_pointers),
                line.line_control,
            )


def _procedure(line: ServiceLine) -> str:
    return "-".join((line.procedure, *line.modifiers))


def claim_as_dict(claim: Claim) -> dict[str, Any]:
    """The fields the rules use, JSON-ready (money and dates as strings)."""
    return {
        "claim_id": claim.patient_control_number,
        "kind": claim.kind.value,
        "transaction": {
            "isa13": claim.transaction.group.interchange.control_number,
            "gs06": claim.transaction.group.control_number,
            "st02": claim.transaction.control_number,
        },
        "total_charge": str(claim.total_charge),
        "facility_code": claim.facility_code,
        "frequency_code": claim.frequency_code,
        "billing_npi": claim.billing_npi,
        "payer_id": claim.payer_id,
        "prior_authorizations": list(claim.prior_authorizations),
        "payer_claim_number": claim.payer_claim_number,
        "diagnoses": [d.code for d in claim.diagnoses],
        "lines": [line_as_dict(line) for line in claim.lines],
    }


def line_as_dict(line: ServiceLine) -> dict[str, Any]:
    return {
        "line": line.number,
        "revenue_code": line.revenue_code,
        "qualifier": line.qualifier,
        "procedure": line.procedure,
        "modifiers": list(line.modifiers),
        "charge": str(line.charge),
        "units": str(line.units),
        "place_of_service": line.place_of_service,
        "diagnosis_pointers": list(line.diagnosis_pointers),
        "dos": _dos(line),
        "line_control": line.line_control,
        "prior_authorizations": list(line.prior_authorizations),
    }


def _dos(line: ServiceLine) -> dict[str, str] | None:
    if line.dos is None:
        return None
    return {"start": line.dos.start.isoformat(), "end": line.dos.end.isoformat()}
