"""End-to-end benchmark: ``scrubber scrub`` vs pyx12 reading vs a plain split.

    python benchmarks/bench.py [--claims N] [--pyx12-segments S] [--no-jobs]
        [--batch realistic|out_of_scope|mixed|mixed_st] [--repeat R]

1. Generates (or reuses, cached in ``benchmarks/data/``, git-ignored) a
   realistic batch: N radiation-oncology claims, half 837P then half 837I
   in one file (see ``generate.py``: whole courses of many patients and
   practices, five to ten lines a claim).
2. ``scrubber scrub FILE`` end to end in a child process (both passes,
   the rules, all three outputs written) on all cores (``-j`` = CPU count:
   the file is split in shards, see ``scrubber/shards/``) and with
   ``-j 1``: claims/s, segments/s, MB/s, and the peak RSS of the largest
   process (``wait4`` rusage, which covers the workers it waited for).
3. pyx12 ``X12ContextReader`` merely reading (2300 loop trees): it runs
   about 7k segments/s, so it reads a PREFIX of the same file (whole
   interchanges, about S segments); ``scrubber scrub`` is timed on that same
   prefix too, so the ratio compares like with like.
4. The floor: a plain ``str.split`` tokenisation of the whole file
   (segments, then elements), streamed in 1 MB chunks.
5. ``-j`` scaling: the 837P half and the 837I half as two inputs, ``-j 1``
   vs ``-j 2``.

``--batch out_of_scope`` (issue 15) measures the same on a clearinghouse's
other traffic instead: N office-visit/lab 837P claims of three lines, 1,000
claims an interchange, no code any loaded pack looks at (the fast path);
``--batch mixed``: 95% of those and 5% radiation-oncology claims of realistic
courses (every 20th claim); ``--batch mixed_st``: the same 5% as every 20th
transaction (a radiation-oncology practice's transactions among the
others'). None has the two-input ``-j`` scaling run.

Before timing, the installed ``scrubber`` package's modules are compiled to
bytecode (``compileall``), as ``pip install`` does: an editable checkout run
with ``PYTHONDONTWRITEBYTECODE`` set (or from a read-only tree) otherwise
compiles every module changed since its ``.pyc`` at each start, and that
start-up, not the scrub, is what gets measured (about 0.2 G instructions, a
fifth of the parent's, after a merge had touched most sources).

``--repeat R`` runs each timed measurement (both scrubs, the floor, pyx12
and the scrub of its prefix; not the fast-path-off run) R times in turn and
keeps the best (the shortest), as ``timeit`` advises: on a shared machine
the other runs measure the neighbours. Each ratio still compares figures of
this one run.
"""

from __future__ import annotations

import argparse
import compileall
import os
import py_compile
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import write_out_of_scope, write_realistic  # noqa: E402
from read_speed import prefix, pyx12_read  # noqa: E402

from scrubber.model import ClaimKind  # noqa: E402
from scrubber.x12.source import TextSource  # noqa: E402
from scrubber.x12.tokenizer import Tokenizer  # noqa: E402

DATA = HERE / "data"
AS_OF = "2026-06-30"
T = TypeVar("T")


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    status: int


def scrubber_bin() -> list[str]:
    return [sys.executable, "-m", "scrubber.cli"]


def fresh_bytecode() -> None:
    """Compile the imported ``scrubber`` package's modules to ``.pyc``, as
    ``pip install`` does (see the module docstring); a compiled build's
    ``.so`` modules are left as they are."""
    import scrubber

    package = Path(scrubber.__file__).parent
    compileall.compile_dir(
        package, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP
    )


def timed_child(args: list[str], env: dict[str, str] | None = None) -> Run:
    """Run ``args``; wall time and the child's own peak RSS (wait4 rusage)."""
    started = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return Run(seconds, usage.ru_maxrss / 1024, child.returncode)


def scrub(inputs: list[Path], out: Path, jobs: int = 1, fast_path: bool = True) -> Run:
    """``scrubber scrub`` (``fast_path=False``: with SCRUBBER_FAST_PATH=0, as before issue 15)."""
    args = [*scrubber_bin(), "scrub", *map(str, inputs), "-o", str(out), "--quiet"]
    env = None if fast_path else {**os.environ, "SCRUBBER_FAST_PATH": "0"}
    run = timed_child([*args, "--as-of", AS_OF, "-j", str(jobs)], env)
    if run.status not in (0, 1):
        raise SystemExit(f"scrubber scrub failed with exit status {run.status}")
    return run


def report_run(label: str, run: Run, claims: int, segments: int, mb: float) -> None:
    print(
        f"{label}: {run.seconds:.2f} s = {claims / run.seconds:,.0f} claims/s, "
        f"{segments / run.seconds:,.0f} segments/s, {mb / run.seconds:.2f} MB/s; "
        f"peak RSS {run.peak_rss_mb:.0f} MB (largest process)"
    )


def best_of(repeat: int, measure: Callable[[], T], seconds: Callable[[T], float]) -> T:
    """The shortest of ``repeat`` runs of ``measure``."""
    return min((measure() for _ in range(max(repeat, 1))), key=seconds)


def _seconds(run: Run) -> float:
    return run.seconds


def batch_files(claims: int) -> tuple[Path, Path, Path]:
    """(837P half, 837I half, both in one file), generated once and cached."""
    DATA.mkdir(exist_ok=True)
    half = claims // 2
    p_file = DATA / f"realistic2-P-{half}.x12"
    i_file = DATA / f"realistic2-I-{claims - half}.x12"
    both = DATA / f"realistic2-PI-{claims}.x12"
    if not p_file.exists():
        print(f"generating {p_file} ...", flush=True)
        write_realistic(p_file.with_suffix(".tmp"), half, ClaimKind.PROFESSIONAL)
        p_file.with_suffix(".tmp").replace(p_file)
    if not i_file.exists():
        print(f"generating {i_file} ...", flush=True)
        tmp = i_file.with_suffix(".tmp")
        write_realistic(
            tmp,
            claims - half,
            ClaimKind.INSTITUTIONAL,
            first_control=500_001,
            first_patient=5_000_000,  # hospital patients, not the practices'
        )
        tmp.replace(i_file)
    if not both.exists():
        with both.with_suffix(".tmp").open("wb") as out:
            for part in (p_file, i_file):
                out.write(part.read_bytes())
        both.with_suffix(".tmp").replace(both)
    return p_file, i_file, both


def shaped_file(shape: str, claims: int) -> Path:
    """The ``out_of_scope``, ``mixed`` or ``mixed_st`` batch of ``claims`` claims, cached."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"{shape}-{claims}.x12"
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        tmp = path.with_suffix(".tmp")
        mixed = shape.startswith("mixed")
        write_out_of_scope(
            tmp, claims, radonc_every=20 if mixed else 0, by_transaction=shape == "mixed_st"
        )
        tmp.replace(path)
    return path


def count(path: Path) -> tuple[int, int]:
    """(segments, claims) of ``path``, with our tokenizer."""
    segments = claims = 0
    for segment in Tokenizer(TextSource(path).chunks(), []).segments():
        segments += 1
        claims += segment.elements[0] == "CLM"
    return segments, claims


def split_floor(path: Path) -> float:
    """Seconds for a plain str.split tokenisation (segments, then elements)."""
    started = time.perf_counter()
    rest = ""
    with path.open(encoding="ascii", newline="") as stream:
        while chunk := stream.read(1 << 20):
            pieces = (rest + chunk).split("~")
            rest = pieces.pop()
            for piece in pieces:
                piece.strip().split("*")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=40_000, help="claims in the batch")
    parser.add_argument("--pyx12-segments", type=int, default=30_000)
    parser.add_argument("--no-jobs", action="store_true", help="skip the -j scaling run")
    parser.add_argument(
        "--batch", choices=("realistic", "out_of_scope", "mixed", "mixed_st"), default="realistic"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each measurement; the best is kept"
    )
    args = parser.parse_args(argv)
    repeat = args.repeat
    fresh_bytecode()

    if args.batch == "realistic":
        p_file, i_file, both = batch_files(args.claims)
        what = "837P+837I"
    else:
        both = shaped_file(args.batch, args.claims)
        args.no_jobs = True
        what = (
            "837P, "
            + {
                "out_of_scope": "all out of scope",
                "mixed": "5% radiation oncology",
                "mixed_st": "5% radiation oncology, by transaction",
            }[args.batch]
        )
    size = both.stat().st_size
    mb = size / 1e6
    segments, claims = count(both)
    print(f"batch: {both} ({mb:.1f} MB, {segments:,} segments, {claims:,} claims, {what})")
    print(f"machine: {os.cpu_count()} CPUs, python {sys.version.split()[0]}")
    if repeat > 1:
        print(f"each time below: the best of {repeat} runs")

    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        run = best_of(repeat, lambda: scrub([both], out, jobs=cores), _seconds)
        report_run(f"scrubber scrub (end to end, -j {cores})", run, claims, segments, mb)
        one = best_of(repeat, lambda: scrub([both], out, jobs=1), _seconds) if cores > 1 else run
        if cores > 1:
            report_run("scrubber scrub (end to end, -j 1)", one, claims, segments, mb)
        if args.batch != "realistic":
            off = scrub([both], out, jobs=1, fast_path=False)
            report_run("  same, -j 1, SCRUBBER_FAST_PATH=0", off, claims, segments, mb)
            print(f"  the fast path makes -j 1 {off.seconds / one.seconds:.2f}x faster")
        floor = best_of(repeat, lambda: split_floor(both), float)
        print(
            f"plain str.split (floor)          : {floor:.2f} s = "
            f"{segments / floor:,.0f} segments/s, {mb / floor:.1f} MB/s"
        )
        print(f"  scrub (-j {cores}) is {run.seconds / floor:.1f}x the split floor's time")
        if cores > 1:
            print(f"  scrub (-j 1) is {one.seconds / floor:.1f}x the split floor's time")

        small = out / "prefix.x12"
        small_segments = prefix(both, args.pyx12_segments, small)
        small_claims = count(small)[1]
        their_claims, theirs = best_of(repeat, lambda: pyx12_read(small), lambda read: read[1])
        assert their_claims == small_claims, (their_claims, small_claims)
        (out / "prefix").mkdir()
        mine = best_of(repeat, lambda: scrub([small], out / "prefix"), _seconds)
        print(
            f"pyx12 X12ContextReader, reading only, on a PREFIX of the batch "
            f"({small_segments:,} segments, {small_claims:,} claims, whole interchanges): "
            f"{theirs:.2f} s = {small_segments / theirs:,.0f} segments/s"
        )
        print(
            f"scrubber scrub on that same prefix: {mine.seconds:.2f} s = "
            f"{small_segments / mine.seconds:,.0f} segments/s (includes ~0.3 s start-up)"
        )
        print(
            f"  ratio, same prefix file          : scrub end to end is "
            f"{theirs / mine.seconds:.1f}x faster than pyx12 reading"
        )
        theirs_rate = small_segments / theirs
        for label, timed in ((f"-j {cores}", run), ("-j 1", one)):
            print(
                f"  ratio, segments/s (full batch, {label}, vs pyx12 on prefix): "
                f"{(segments / timed.seconds) / theirs_rate:.1f}x"
            )

        if not args.no_jobs:
            serial = scrub([p_file, i_file], out, jobs=1)
            parallel = scrub([p_file, i_file], out, jobs=2)
            print(
                f"-j scaling, 2 inputs ({p_file.name}, {i_file.name}): -j 1 {serial.seconds:.2f} s,"
                f" -j 2 {parallel.seconds:.2f} s = {serial.seconds / parallel.seconds:.2f}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
