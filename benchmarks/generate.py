"""Generate a large synthetic 837 file, streaming to disk.

    python benchmarks/generate.py OUT --claims 200000 --lines 6 --kind P

Claims are radiation-oncology treatment weeks (IMRT 77385, IGRT 77387-TC/26,
port films, management) built with :mod:`scrubber.testing`; every 1,000
claims form one ISA interchange (100 claims per ST-SE), so memory stays flat
however large the file. The output is deterministic for given arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from scrubber.model import ClaimKind
from scrubber.testing import ClaimSpec, EnvelopeSpec, GroupSpec, LineSpec, build_interchange

CLAIMS_PER_INTERCHANGE = 1000
CLAIMS_PER_TRANSACTION = 100
CODES = [("77385", ()), ("77387", ("TC",)), ("77387", ("26",)), ("77417", ()), ("77427", ())]
FEES = {"77385": "1450.00", "77387": "180.00", "77417": "55.00", "77427": "390.00"}


def claims(count: int, lines: int, start: int = 0) -> Iterator[ClaimSpec]:
    first_day = date(2025, 9, 1)
    for number in range(start, start + count):
        day = first_day + timedelta(days=number % 200)
        specs = []
        for index in range(lines):
            code, modifiers = CODES[index % len(CODES)]
            specs.append(
                LineSpec(
                    code,
                    modifiers,
                    dos=day + timedelta(days=index // len(CODES)),
                    charge=Decimal(FEES[code]),
                    line_control=f"C{number}L{index + 1}",
                )
            )
        yield ClaimSpec(
            f"CLM{number:09d}",
            specs,
            member_id=f"M{number % 50000:08d}",
            diagnoses=("C61", "Z5111"),
            facility_code="11",
        )


def write(path: Path, count: int, lines: int, kind: ClaimKind) -> int:
    """Write ``count`` claims to ``path``; return the number of bytes written."""
    written = 0
    with path.open("w", encoding="ascii", newline="") as out:
        for control, start in enumerate(range(0, count, CLAIMS_PER_INTERCHANGE), start=1):
            batch = list(claims(min(CLAIMS_PER_INTERCHANGE, count - start), lines, start))
            if kind is ClaimKind.INSTITUTIONAL:
                batch = [_institutional(c) for c in batch]
            group = GroupSpec(batch, kind, control, CLAIMS_PER_TRANSACTION)
            text = build_interchange([group], EnvelopeSpec(interchange_control=control))
            written += out.write(text)
    return written


def _institutional(claim: ClaimSpec) -> ClaimSpec:
    from dataclasses import replace

    lines = [replace(line, modifiers=(), revenue_code="0333") for line in claim.lines]
    return replace(claim, lines=lines, facility_code="13")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a large synthetic 837 file.")
    parser.add_argument("out", type=Path)
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=6, help="service lines per claim")
    parser.add_argument("--kind", choices=("P", "I"), default="P", help="837P or 837I")
    args = parser.parse_args(argv)
    kind = ClaimKind.PROFESSIONAL if args.kind == "P" else ClaimKind.INSTITUTIONAL
    size = write(args.out, args.claims, args.lines, kind)
    print(f"{args.out}: {args.claims} claims x {args.lines} lines, {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
