"""Generate a large synthetic 837 file, streaming to disk.

    python benchmarks/generate.py OUT --claims 200000 --kind P [--simple --lines 6]

Default (``realistic``): a clearinghouse batch of many radiation-oncology
practices and patients, each patient a whole course: a planning claim
(simulation, treatment plan, dosimetry, devices) then treatment claims of two
to four treatment days each (delivery + IGRT professional component per day,
weekly physics/management and port films), five to ten lines a claim. Claims
are ordered as a clearinghouse receives them: by submission day, then
practice (one ISA per practice and day, ST-SE of at most 500 claims), so the
claims of one patient are spread over the file. Most claims are clean; a
realistic minority has the billing errors the rules catch (IGRT technical
component billed with IMRT, port films too often, ...).

``--simple``: the older uniform layout (every claim a treatment week with the
same five codes; 1,000 claims an interchange).

Memory stays flat however large the file; output is deterministic for given
arguments.
"""

from __future__ import annotations

import argparse
import heapq
import random
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from scrubber.model import ClaimKind
from scrubber.testing import (
    ClaimSpec,
    EnvelopeSpec,
    GroupSpec,
    LineSpec,
    PatientSpec,
    build_interchange,
)

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


# Realistic batches --------------------------------------------------------------

PRACTICES = 12
CLAIMS_PER_ST = 500
SITES = ("C61", "C50911", "C3490", "C7931", "C220", "C20", "C153", "C710")
PLANNING = [
    ("77263", (), "210.00"),  # clinical treatment planning, complex
    ("77290", (), "950.00"),  # simulation, complex
    ("77301", (), "2600.00"),  # IMRT plan
    ("77300", (), "160.00"),  # basic dosimetry calculation
    ("77300", (), "160.00"),
    ("77338", (), "1250.00"),  # MLC device(s) for IMRT
    ("77334", (), "320.00"),  # treatment devices, complex
    ("77334", (), "320.00"),
]
FEES = {**FEES, "77386": "1650.00", "77412": "620.00", "77336": "115.00"}


def _npi(base: int) -> str:
    """A 10-digit NPI with a valid Luhn check digit (prefix 80840)."""
    digits = f"{base:09d}"
    total = 24  # the 80840 prefix's contribution
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            value = value - 9 if value > 9 else value
        total += value
    return digits + str((10 - total % 10) % 10)


NPIS = [_npi(123456780 + 7919 * n) for n in range(PRACTICES)]


def _course(rng: random.Random, patient: int, start: date, kind: ClaimKind) -> list[ClaimSpec]:
    """The claims of one patient's course, in DOS order."""
    practice = patient % PRACTICES
    npi = NPIS[practice]
    site = SITES[rng.randrange(len(SITES))]
    member = f"M{patient:09d}"
    pos = "11" if practice % 3 else "22"
    delivery = rng.choice(("77385", "77386", "77386", "77412"))
    fractions = rng.choice((5, 15, 20, 25, 28, 30, 33, 35, 39))
    sloppy = rng.random() < 0.12  # a practice's coder who bills IGRT-TC with IMRT
    claims: list[ClaimSpec] = []
    control = 0

    def claim(lines: list[LineSpec]) -> None:
        nonlocal control
        control += 1
        claims.append(
            ClaimSpec(
                f"P{patient:07d}C{control:02d}",
                lines,
                member_id=member,
                last_name=f"PATIENT{patient % 9973}",
                first_name="ALEX" if patient % 2 else "SAM",
                birth_date=date(1940 + patient % 45, 1 + patient % 12, 1 + patient % 28),
                payer_id=f"PAYER{patient % 7:02d}",
                billing_npi=npi,
                facility_code=pos if kind is ClaimKind.PROFESSIONAL else "13",
                diagnoses=(site, "Z5111"),
                patient=PatientSpec() if patient % 17 == 0 else None,
                prior_authorization=f"AUTH{patient:07d}" if patient % 5 == 0 else "",
            )
        )

    day = start
    claim(
        [
            LineSpec(code, mods, dos=day, charge=Decimal(fee), line_control=f"{patient}P{i}")
            for i, (code, mods, fee) in enumerate(PLANNING[: 5 + rng.randrange(4)], start=1)
        ]
    )
    day += timedelta(days=7 + rng.randrange(7))
    done = 0
    week_ports = 0
    while done < fractions:
        days = min(rng.choice((2, 3, 4)), fractions - done)
        lines: list[LineSpec] = []
        for _ in range(days):
            while day.weekday() >= 5:
                day += timedelta(days=1)
            done += 1
            lines.append(LineSpec(delivery, (), dos=day, charge=Decimal(FEES[delivery])))
            weekly = day.weekday() == 0 or done == 1
            ports = weekly and (week_ports < 2 or rng.random() < 0.1)
            # IGRT (professional part on 837P; on 837I only with 3D delivery,
            # IMRT bundles it there) - not on a port-film day.
            igrt = not ports and (kind is ClaimKind.PROFESSIONAL or delivery == "77412")
            if igrt or (sloppy and rng.random() < 0.3):
                mods = ("TC",) if sloppy and rng.random() < 0.5 else ("26",)
                lines.append(LineSpec("77387", mods, dos=day, charge=Decimal(FEES["77387"])))
            if weekly:
                lines.append(LineSpec("77427", (), dos=day, charge=Decimal(FEES["77427"])))
                lines.append(LineSpec("77336", (), dos=day, charge=Decimal(FEES["77336"])))
                if ports:
                    lines.append(LineSpec("77417", (), dos=day, charge=Decimal(FEES["77417"])))
                    week_ports += 1
            day += timedelta(days=1)
        numbered = [
            LineSpec(
                line.procedure,
                line.modifiers,
                dos=line.dos,
                charge=line.charge,
                line_control=f"{patient}T{done}L{number}",
            )
            for number, line in enumerate(lines[:10], start=1)
        ]
        claim(numbered)
    if kind is ClaimKind.INSTITUTIONAL:
        claims = [_institutional(c) for c in claims]
        last = claims[-1]
        from dataclasses import replace

        claims = [replace(c, frequency_code="2" if i == 0 else "3") for i, c in enumerate(claims)]
        claims[-1] = replace(last, frequency_code="4")
    return claims


def realistic_batches(
    count: int, kind: ClaimKind, seed: int = 2025, first_patient: int = 0
) -> Iterator[tuple[date, int, list[ClaimSpec]]]:
    """``(submission day, practice, claims)`` batches holding ``count`` claims
    in all, in the order a clearinghouse receives them. Patients are numbered
    from ``first_patient`` (give two batches disjoint patients)."""
    rng = random.Random(seed)
    first = date(2025, 1, 6)
    pending: list[tuple[date, int, int, int, ClaimSpec]] = []  # submit, practice, seq
    patient = first_patient
    produced = 0
    day = first
    starts_per_day = 24
    order = 0
    while produced < count:
        for _ in range(starts_per_day):
            for spec in _course(rng, patient, day + timedelta(days=rng.randrange(3)), kind):
                submit = max(line.dos for line in spec.lines) + timedelta(days=1)
                order += 1
                heapq.heappush(pending, (submit, patient % PRACTICES, order, patient, spec))
            patient += 1
        day += timedelta(days=1)
        batch: dict[int, list[ClaimSpec]] = {}
        while pending and pending[0][0] < day and produced < count:
            _, practice, _, _, spec = heapq.heappop(pending)
            batch.setdefault(practice, []).append(spec)
            produced += 1
        for practice in sorted(batch):
            yield day - timedelta(days=1), practice, batch[practice]


def write_realistic(
    path: Path,
    count: int,
    kind: ClaimKind,
    *,
    append: bool = False,
    first_control: int = 1,
    first_patient: int = 0,
) -> int:
    """Write (or append) ``count`` realistic claims; return the bytes written."""
    written = 0
    batches = realistic_batches(count, kind, 2025 + first_control, first_patient)
    with path.open("a" if append else "w", encoding="ascii", newline="") as out:
        for control, (day, practice, batch) in enumerate(batches, start=first_control):
            group = GroupSpec(batch, kind, control, CLAIMS_PER_ST)
            envelope = EnvelopeSpec(
                interchange_control=control,
                group_control=control,
                sender_id=f"PRACTICE{practice:02d}",
                created=day,
            )
            written += out.write(build_interchange([group], envelope))
    return written


# Out-of-scope traffic (issue 15) ---------------------------------------------------

#: Office visits, labs, venipuncture, ECG, chest X-ray: codes no rule pack of
#: this project looks at (the benchmark checks that against the loaded packs).
OFFICE_CODES = [
    ("99213", (), "95.00"),
    ("99214", ("25",), "140.00"),
    ("36415", (), "12.00"),
    ("80053", (), "38.50"),
    ("85025", (), "22.75"),
    ("81002", (), "9.10"),
    ("93000", (), "41.00"),
    ("71046", ("26",), "63.20"),
]
OFFICE_DIAGNOSES = (("I10", "E119"), ("Z0000",), ("J069", "R05"), ("E785", "I10", "Z79899"))


def office_claim(number: int, lines: int = 3) -> ClaimSpec:
    """An office-visit/lab 837P claim (``lines`` lines), patient ``number``."""
    day = date(2026, 1, 5) + timedelta(days=number % 150)
    specs = []
    for index in range(lines):
        code, modifiers, fee = OFFICE_CODES[(number + index * 3) % len(OFFICE_CODES)]
        specs.append(LineSpec(code, modifiers, dos=day, charge=Decimal(fee)))
    return ClaimSpec(
        f"OV{number:09d}",
        specs,
        member_id=f"W{number % 40000:09d}",
        last_name=f"PERSON{number % 7919}",
        first_name="KIM" if number % 2 else "LEE",
        birth_date=date(1950 + number % 50, 1 + number % 12, 1 + number % 28),
        payer_id=f"PAYER{number % 9:02d}",
        billing_npi=NPIS[number // 50 % PRACTICES],  # runs of 50 claims a practice
        facility_code="11",
        diagnoses=OFFICE_DIAGNOSES[number % len(OFFICE_DIAGNOSES)],
    )


def write_out_of_scope(
    path: Path, count: int, lines: int = 3, radonc_every: int = 0, by_transaction: bool = False
) -> int:
    """Write ``count`` 837P claims, 1,000 an interchange (ST-SE of 100): office
    visits and labs (:func:`office_claim`); with ``radonc_every`` = N, every
    N-th claim is a radiation-oncology claim of a realistic course instead
    (the mixed batch: N = 20 is 95% out of scope, 5% radiation oncology), or
    with ``by_transaction`` every claim of every N-th transaction (a
    radiation-oncology practice's transactions among the others').
    Returns the bytes written."""
    radonc = (
        spec
        for _, _, batch in realistic_batches(10 * count + 100, ClaimKind.PROFESSIONAL)
        for spec in batch
    )
    written = 0
    with path.open("w", encoding="ascii", newline="") as out:
        for control, start in enumerate(range(0, count, CLAIMS_PER_INTERCHANGE), start=1):
            batch = [
                next(radonc)
                if radonc_every and _of_radonc(number, radonc_every, by_transaction)
                else office_claim(number, lines)
                for number in range(start, min(start + CLAIMS_PER_INTERCHANGE, count))
            ]
            group = GroupSpec(batch, ClaimKind.PROFESSIONAL, control, CLAIMS_PER_TRANSACTION)
            envelope = EnvelopeSpec(interchange_control=control, group_control=control)
            written += out.write(build_interchange([group], envelope))
    return written


def _of_radonc(number: int, every: int, by_transaction: bool) -> bool:
    """Whether claim ``number`` of an out-of-scope batch is a radiation-oncology one."""
    if by_transaction:
        return number // CLAIMS_PER_TRANSACTION % every == 0
    return number % every == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a large synthetic 837 file.")
    parser.add_argument("out", type=Path)
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=6, help="service lines per claim")
    parser.add_argument("--kind", choices=("P", "I"), default="P", help="837P or 837I")
    parser.add_argument("--simple", action="store_true", help="the older uniform layout")
    args = parser.parse_args(argv)
    kind = ClaimKind.PROFESSIONAL if args.kind == "P" else ClaimKind.INSTITUTIONAL
    if args.simple:
        size = write(args.out, args.claims, args.lines, kind)
        print(f"{args.out}: {args.claims} claims x {args.lines} lines, {size / 1e6:.1f} MB")
    else:
        size = write_realistic(args.out, args.claims, kind)
        print(f"{args.out}: {args.claims} claims (realistic courses), {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
