"""Hostile input shapes at two sizes: does cost grow linearly?

    python benchmarks/hostile_shapes.py [--shapes a,b] [--scale 1.0] [--timeout 120]

Each shape grows one dimension an input can grow (empty segments, a
segment without a terminator, claims of one patient, lines of one claim,
interchanges with alternating delimiters, claims of one ST, elements of one
segment). For each it writes the input at size N and 2N into
``benchmarks/data/hostile/``, runs ``scrubber scrub FILE -j 1 --quiet`` in
a child process (``python -m scrubber``: set ``PYTHONPATH`` to measure
another checkout) and prints wall seconds, the child's peak RSS (``wait4``
rusage) and CPU seconds (user + system, steadier than wall time when the
machine is shared), its exit code and the size of the JSON report, then the
ratios time(2N)/time(N) and cpu(2N)/cpu(N): about 2 is linear, about 4
quadratic (a refused input costs about the same at both sizes). ``--scale``
multiplies every size (0.1 for a quick look).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from scrubber.model import ClaimKind, Delimiters
from scrubber.testing import ClaimSpec, EnvelopeSpec, LineSpec, build_837

DATA = Path(__file__).resolve().parent / "data" / "hostile"
START = date(2025, 9, 1)
MIXED = (("77385", ()), ("77387", ("26",)), ("77387", ("TC",)), ("77417", ()), ("77427", ()))


def _claim(claim_id: str, lines: list[LineSpec], member: str = "MBR0001") -> ClaimSpec:
    return ClaimSpec(claim_id, lines, member_id=member)


def _one_claim_text(lines: list[LineSpec], kind: ClaimKind = ClaimKind.PROFESSIONAL) -> str:
    return build_837([_claim("PCN1", lines)], kind)


def empty_segments(n: int) -> Iterator[str]:
    """One claim whose last line is followed by ``n`` empty segments."""
    text = _one_claim_text([LineSpec("77385")])
    head, tail = text.split("SE*", 1)
    yield head
    block = "~" * 65536
    left = n
    while left > 0:
        yield block[: min(left, len(block))]
        left -= len(block)
    yield "SE*" + tail


def empty_segments_spread(n: int) -> Iterator[str]:
    """One claim of ``n`` lines, an empty segment after each LX (runs under the limit)."""
    text = _one_claim_text(
        [LineSpec("77385", dos=START + timedelta(days=i % 40)) for i in range(n)]
    )
    yield text.replace("~\nSV1*", "~~\nSV1*")


def no_terminator(n: int) -> Iterator[str]:
    """An ISA declaring ``~``, then ``n`` bytes without one."""
    text = _one_claim_text([LineSpec("77385")])
    yield text.split("\n", 1)[0] + "\nGS*HC*"
    block = "A" * 65536
    left = n
    while left > 0:
        yield block[: min(left, len(block))]
        left -= len(block)


def claims_one_patient(n: int) -> Iterator[str]:
    """``n`` claims of one patient (a placeholder member id) in one ST, each a
    treatment day (delivery, IGRT, now and then a port image) over 300 days."""
    claims = []
    for i in range(n):
        dos = START + timedelta(days=i % 300)
        lines = [LineSpec("77385", dos=dos), LineSpec("77387", ("26",), dos=dos)]
        if i % 4 == 0:
            lines.append(LineSpec("77417", dos=dos))
        claims.append(_claim(f"P{i}", lines, "999999999"))
    yield build_837(claims)


def lines_one_dos(n: int) -> Iterator[str]:
    """One claim of ``n`` lines on one date of service (IGRT + IMRT)."""
    codes = (("77385", ()), ("77387", ("26",)), ("77387", ("TC",)))
    lines = [LineSpec(codes[i % 3][0], codes[i % 3][1], dos=START) for i in range(n)]
    yield _one_claim_text(lines)


def lines_forty_days(n: int) -> Iterator[str]:
    """One claim of ``n`` lines over 40 days, mixed codes."""
    lines = [
        LineSpec(MIXED[i % 5][0], MIXED[i % 5][1], dos=START + timedelta(days=i % 40))
        for i in range(n)
    ]
    yield _one_claim_text(lines)


_ALTERNATE = (Delimiters(), Delimiters("|", "<", "{", "!"))


def interchanges_alternating(n: int) -> Iterator[str]:
    """``n`` one-claim interchanges whose delimiters alternate."""
    for i in range(n):
        env = EnvelopeSpec(delimiters=_ALTERNATE[i % 2], interchange_control=i + 1)
        claim = _claim(f"I{i}", [LineSpec("77385")], f"M{i:08d}")
        yield build_837([claim], envelope=env)


def interchanges_same(n: int) -> Iterator[str]:
    """``n`` one-claim interchanges, all with the same delimiters (reference)."""
    for i in range(n):
        env = EnvelopeSpec(interchange_control=i + 1)
        claim = _claim(f"I{i}", [LineSpec("77385")], f"M{i:08d}")
        yield build_837([claim], envelope=env)


def claims_one_st(n: int) -> Iterator[str]:
    """``n`` claims of distinct patients in one ST-SE."""
    claims = [_claim(f"C{i}", [LineSpec("77385")], f"M{i:08d}") for i in range(n)]
    yield build_837(claims)


_SEVEN = ("77385", "77387", "77014", "77336", "77427", "77470", "77385")


def claims_one_st_seven(n: int) -> Iterator[str]:
    """``n`` claims of distinct patients in one ST-SE, seven lines each (issue 15's
    shape: 5,000 claims is the implementation guide's limit for one transaction)."""
    claims = [_claim(f"C{i}", [LineSpec(code) for code in _SEVEN], f"M{i:08d}") for i in range(n)]
    yield build_837(claims)


def claims_many_st_seven(n: int) -> Iterator[str]:
    """The claims of ``claims_one_st_seven`` in transactions of 1,000 (reference:
    what the batch itself holds, whatever the transactions' size)."""
    claims = [_claim(f"C{i}", [LineSpec(code) for code in _SEVEN], f"M{i:08d}") for i in range(n)]
    yield build_837(claims, envelope=EnvelopeSpec(claims_per_transaction=1_000))


_OFFICE = ("99213", "80053", "36415")


def plain_one_st(n: int) -> Iterator[str]:
    """``n`` office-visit/lab claims (three lines, no code the rules look at) of
    distinct patients in one ST-SE: a transaction the text path takes whole
    (N and 2N: up to the guide's 5,000 claims an ST-SE). Past 5,000 the reader
    warns, so the transaction is read claim by claim (each still plain): a
    dearer path, linear too."""
    claims = [_claim(f"O{i}", [LineSpec(code) for code in _OFFICE], f"M{i:08d}") for i in range(n)]
    yield build_837(claims)


def elements_one_segment(n: int) -> Iterator[str]:
    """One claim holding a NTE segment of ``n`` elements."""
    text = _one_claim_text([LineSpec("77385")])
    head, tail = text.split("LX*1~", 1)
    yield head + "NTE*ADD" + "*X" * n + "~\nLX*1~" + tail


@dataclass(frozen=True)
class Shape:
    name: str
    build: Callable[[int], Iterator[str]]
    size: int  # N; the shape is also written at 2N
    unit: str


SHAPES = (
    Shape("empty_segments", empty_segments, 1_000_000, "empty segments"),
    Shape("empty_segments_spread", empty_segments_spread, 25_000, "lines"),
    Shape("no_terminator", no_terminator, 50_000_000, "bytes"),
    Shape("one_patient_claims", claims_one_patient, 10_000, "claims"),
    Shape("lines_one_dos", lines_one_dos, 2_500, "lines"),
    Shape("lines_forty_days", lines_forty_days, 25_000, "lines"),
    Shape("interchanges_alternating", interchanges_alternating, 15_000, "interchanges"),
    Shape("interchanges_same", interchanges_same, 15_000, "interchanges"),
    Shape("claims_one_st", claims_one_st, 10_000, "claims"),
    Shape("claims_one_st_seven", claims_one_st_seven, 5_000, "claims"),
    Shape("claims_many_st_seven", claims_many_st_seven, 5_000, "claims"),
    Shape("plain_one_st", plain_one_st, 2_500, "claims"),
    Shape("elements_one_segment", elements_one_segment, 1_000_000, "elements"),
)


def write(shape: Shape, n: int) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"{shape.name}-{n}.x12"
    if not path.exists():
        partial = path.with_suffix(".part")
        with open(partial, "w", encoding="utf-8", newline="") as out:
            for text in shape.build(n):
                out.write(text)
        partial.rename(path)
    return path


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu: float  # user + system seconds of the child (steadier than wall time on a shared machine)
    rss_mb: float
    exit_code: int  # -1: killed at the timeout
    report_mb: float


def scrub(path: Path, timeout: float) -> Run:
    """``scrubber scrub PATH -j 1 --quiet`` in a child: wall time, peak RSS, exit code."""
    with tempfile.TemporaryDirectory() as out:
        args = [
            sys.executable,
            "-m",
            "scrubber",
            "scrub",
            str(path),
            "-o",
            out,
            "-j",
            "1",
            "--quiet",
        ]
        start = time.perf_counter()
        # cwd: not the checkout, whose scrubber/ would shadow PYTHONPATH's.
        child = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=out
        )
        killed = False
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if not killed and time.perf_counter() - start > timeout:
                child.kill()
                killed = True
            time.sleep(0.02)
        child.returncode = status  # reaped here: Popen must not wait for it again
        seconds = time.perf_counter() - start
        code = -1 if killed else os.waitstatus_to_exitcode(status)
        reports = list(Path(out).glob("*.report.json"))
        size = sum(r.stat().st_size for r in reports) / 1e6
        cpu = usage.ru_utime + usage.ru_stime
        return Run(seconds, cpu, usage.ru_maxrss / 1024, code, size)


def _row(label: str, n: int, path: Path, run: Run) -> str:
    code = "timeout" if run.exit_code == -1 else f"exit {run.exit_code}"
    return (
        f"  {label:>3} = {n:>11,} ({path.stat().st_size / 1e6:7.1f} MB): {run.seconds:7.2f} s "
        f"(CPU {run.cpu:6.2f} s), RSS {run.rss_mb:5.0f} MB, {code}, "
        f"report {run.report_mb:.2f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shapes", default="", help="comma-separated names (default: all)")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    wanted = {s for s in args.shapes.split(",") if s}
    for shape in SHAPES:
        if wanted and shape.name not in wanted:
            continue
        n = max(int(shape.size * args.scale), 1)
        print(f"{shape.name}: {shape.build.__doc__}", flush=True)
        runs = []
        for label, size in (("N", n), ("2N", 2 * n)):
            path = write(shape, size)
            run = scrub(path, args.timeout)
            runs.append(run)
            print(_row(label, size, path, run), flush=True)
        ratio = runs[1].seconds / runs[0].seconds
        cpu = runs[1].cpu / runs[0].cpu
        rss = runs[1].rss_mb / runs[0].rss_mb
        print(
            f"  time(2N)/time(N) = {ratio:.2f}, cpu(2N)/cpu(N) = {cpu:.2f}, "
            f"rss(2N)/rss(N) = {rss:.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
