"""Long fuzzing run: mutate seed files for a while, check every property,
print the distinct findings.

    python benchmarks/fuzz_long.py [--minutes 15] [--seed 1] [--operators all|safe|a,b]
                                   [--save DIR] [--no-cli] [--no-shards] [--no-history]

Seeds: ``edi_samples/*.x12``, the public corpus (``../shared/edi_corpus``,
read in place) and the small built seeds of
:func:`scrubber.testing.mutations.built_seeds`. Each execution applies one to
three mutation operators (all of them by default, the known-open ones
included) and runs :func:`scrubber.testing.invariants.check_input` (API,
CLI ``-j 1`` and ``-j 2``, fresh history store, re-scrub) in the clean or
strict profile. A finding is a crash (its signature: exception type and
innermost scrubber function) or a violated property; each distinct one is
printed once with the first mutant that showed it, whose text is saved in
``--save`` (default ``fuzz-findings/``) to replay with
``scrubber scrub FILE``. An execution over ``--timeout`` seconds is a
finding too (``timeout``). Exit status 1 when anything was found.
"""

from __future__ import annotations

import argparse
import collections
import random
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from scrubber.testing.invariants import check_input, crash_signature
from scrubber.testing.mutations import (
    OPERATORS,
    SAFE_OPERATORS,
    Mutant,
    SeedDoc,
    built_seeds,
    known_open_shape,
    load_seeds,
    random_mutant,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "edi_samples"
CORPUS = (ROOT / ".." / "shared" / "edi_corpus").resolve()
MAX_SEED_BYTES = 100_000  # larger corpus files (one of 330 kB) would dominate the run


class Timeout(Exception):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Timeout()


def seeds(max_bytes: int) -> list[SeedDoc]:
    paths = sorted(SAMPLES.glob("*.x12"))
    if CORPUS.is_dir():
        paths += sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".md")
    else:
        print(f"corpus not found at {CORPUS}: samples and built seeds only", file=sys.stderr)
    return load_seeds([p for p in paths if p.stat().st_size <= max_bytes]) + built_seeds()


def operator_names(spec: str) -> list[str]:
    if spec == "all":
        return list(OPERATORS)
    if spec == "safe":
        return list(SAFE_OPERATORS)
    names = spec.split(",")
    unknown = [name for name in names if name not in OPERATORS]
    if unknown:
        raise SystemExit(f"unknown operators {unknown}; known: {', '.join(OPERATORS)}")
    return names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--operators", default="all")
    parser.add_argument("--save", type=Path, default=Path("fuzz-findings"))
    parser.add_argument("--timeout", type=int, default=120)
    parser.add_argument("--max-seed-bytes", type=int, default=MAX_SEED_BYTES)
    parser.add_argument("--no-cli", action="store_true")
    parser.add_argument("--no-shards", action="store_true")
    parser.add_argument("--no-history", action="store_true")
    args = parser.parse_args()
    pool = seeds(args.max_seed_bytes)
    names = operator_names(args.operators)
    rng = random.Random(args.seed)
    signal.signal(signal.SIGALRM, _alarm)
    args.save.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + args.minutes * 60
    counts: collections.Counter[str] = collections.Counter()
    first: dict[str, tuple[Mutant, str, str]] = {}
    executions = 0
    print(f"{len(pool)} seeds, operators: {', '.join(names)}", flush=True)
    while time.monotonic() < deadline:
        mutant = random_mutant(pool, rng, names)
        profile = rng.choice(("clean", "strict"))
        executions += 1
        signal.alarm(args.timeout)
        try:
            check_input(
                mutant.text,
                profile=profile,
                cli=not args.no_cli,
                shards=not args.no_shards,
                history=not args.no_history,
            )
        except Timeout:
            _record("timeout", mutant, profile, "", counts, first, args.save)
        except Exception as error:  # every crash is a finding, whatever its type
            _record(crash_signature(error), mutant, profile, str(error), counts, first, args.save)
        finally:
            signal.alarm(0)
        if executions % 100 == 0:
            print(f"{executions} executions, {len(counts)} distinct findings", flush=True)
    _summary(executions, counts, first)
    return 1 if counts else 0


def _record(
    signature: str,
    mutant: Mutant,
    profile: str,
    message: str,
    counts: collections.Counter[str],
    first: dict[str, tuple[Mutant, str, str]],
    save: Path,
) -> None:
    counts[signature] += 1
    if signature in first:
        return
    first[signature] = (mutant, profile, message.splitlines()[0] if message else "")
    path = save / f"finding-{len(first):03d}.x12"
    path.write_bytes(mutant.text.encode("utf-8"))
    print(f"NEW {signature} ({profile}): {mutant.describe()} -> {path}", flush=True)


def _summary(
    executions: int,
    counts: collections.Counter[str],
    first: dict[str, tuple[Mutant, str, str]],
) -> None:
    print(f"\n{executions} executions, {len(counts)} distinct findings")
    for signature, count in counts.most_common():
        mutant, profile, message = first[signature]
        shape = known_open_shape(mutant.text)
        tag = f" [known open: {shape}]" if shape else " [NEW]"
        print(f"{count:6d}  {signature}{tag}")
        print(f"        first: {mutant.describe()} ({profile}) {message[:160]}")


if __name__ == "__main__":
    sys.exit(main())
