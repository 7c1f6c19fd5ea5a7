"""How decision time grows with the number of claims.

Builds synthetic batches of realistic courses (one 837P claim per patient
week: daily IMRT or 3D delivery, IGRT professional and technical lines, a
port image every few days; some 837I weeks), reads them through the reader
(not timed) and times ``Engine.decide_batch`` (facts, context, decisions).

    python benchmarks/decide_scaling.py [--sizes 1000,2000,4000,8000] [--repeat 3]

Prints one row per size: claims, lines, best CPU seconds of the process
(``time.process_time``, so other load on the machine distorts it less), best
wall seconds, and CPU microseconds per claim. Linear growth shows as a flat
microseconds-per-claim column.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from decimal import Decimal

from scrubber.model import Claim, ClaimKind
from scrubber.rules import Engine
from scrubber.testing import ClaimSpec, GroupSpec, LineSpec, build_interchange
from scrubber.x12.reader import read_claims

START = dt.date(2025, 9, 1)  # a Monday; courses run into 2026


def patient_weeks(
    patient: int, weeks: int, rng: random.Random
) -> list[tuple[ClaimKind, ClaimSpec]]:
    member = f"M{patient:07d}"
    npi = rng.choice(("1234567893", "1999999992", "1588667638"))
    institutional = rng.random() < 0.25
    delivery = rng.choice(("77385", "77412", "77412", "77373"))
    start = START + dt.timedelta(weeks=rng.randrange(0, 14))
    claims = []
    for week in range(weeks):
        lines = []
        for day in range(5):
            dos = start + dt.timedelta(weeks=week, days=day)
            lines.append(LineSpec(delivery, dos=dos))
            lines.append(LineSpec("77387", ("26",), dos=dos))
            if not institutional:
                lines.append(LineSpec("77387", ("TC",), dos=dos))
            if rng.random() < 0.25:
                lines.append(LineSpec("77417", dos=dos, units=Decimal(rng.choice((1, 1, 2)))))
        if week == 0:
            lines.insert(0, LineSpec(rng.choice(("77301", "77295", "77306")), dos=start))
        kind = ClaimKind.INSTITUTIONAL if institutional else ClaimKind.PROFESSIONAL
        spec = ClaimSpec(
            f"P{patient}W{week}",
            lines,
            member_id=member,
            billing_npi=npi,
            facility_code="13" if institutional else "11",
            frequency_code="1" if week == weeks - 1 else "3",
        )
        claims.append((kind, spec))
    return claims


def batch_text(claim_count: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    pairs: list[tuple[ClaimKind, ClaimSpec]] = []
    patient = 0
    while len(pairs) < claim_count:
        pairs += patient_weeks(patient, rng.randint(3, 7), rng)
        patient += 1
    pairs = pairs[:claim_count]
    rng.shuffle(pairs)
    groups = [
        GroupSpec([spec for k, spec in pairs if k is kind], kind, group_control=n + 1)
        for n, kind in enumerate(ClaimKind)
    ]
    return build_interchange([g for g in groups if g.claims])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,2000,4000,8000,16000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    engine = Engine(as_of=dt.date(2026, 3, 1))
    print(f"{'claims':>8} {'lines':>8} {'cpu s':>8} {'wall s':>8} {'us/claim':>9}")
    for size in (int(s) for s in args.sizes.split(",")):
        claims = list(read_claims(batch_text(size)))
        lines = sum(len(c.lines) for c in claims)
        runs = [_timed(engine, claims) for _ in range(args.repeat)]
        cpu = min(run[0] for run in runs)
        wall = min(run[1] for run in runs)
        per_claim = cpu / len(claims) * 1e6
        print(f"{len(claims):>8} {lines:>8} {cpu:>8.3f} {wall:>8.3f} {per_claim:>9.1f}")


def _timed(engine: Engine, claims: list[Claim]) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    engine.decide_batch(claims)
    return time.process_time() - cpu, time.perf_counter() - wall


if __name__ == "__main__":
    main()
