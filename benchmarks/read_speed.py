"""Reading speed of our reader vs pyx12, and our peak memory at two sizes.

    python benchmarks/read_speed.py FILE [--pyx12-segments 60000]

* ours: reads every claim of FILE (full claim model) -> segments/s.
* pyx12: ``X12ContextReader.iter_segments("2300")`` (claim loop trees) is
  far slower, so it reads a PREFIX of FILE (whole interchanges, about
  ``--pyx12-segments`` segments); the ratio compares both readers on that
  same prefix file.
* peak RSS of a fresh process that reads the prefix and one that reads
  FILE with our reader: streaming means it must not grow with file size.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scrubber.x12.reader import X12Reader
from scrubber.x12.source import TextSource
from scrubber.x12.tokenizer import Tokenizer


def ours(path: Path) -> tuple[int, int, float]:
    """(claims, segments, seconds) for our reader."""
    started = time.perf_counter()
    reader = X12Reader(path)
    count = sum(1 for _ in reader.claims())
    return count, reader.segment_count, time.perf_counter() - started


def pyx12_read(path: Path) -> tuple[int, float]:
    """(claims, seconds) for pyx12's X12ContextReader building 2300 loop trees."""
    import pyx12.error_handler
    import pyx12.params
    import pyx12.x12context

    started = time.perf_counter()
    with path.open(encoding="ascii", newline="") as stream:
        text = io.StringIO(stream.read())
    reader = pyx12.x12context.X12ContextReader(
        pyx12.params.params(), pyx12.error_handler.errh_null(), text
    )
    count = sum(1 for node in reader.iter_segments("2300") if node.id == "2300")
    return count, time.perf_counter() - started


def prefix(path: Path, segments: int, out: Path) -> int:
    """Write the whole interchanges of ``path`` that fit in ``segments``; return the count."""
    written = 0
    pending: list[str] = []
    with out.open("w", encoding="ascii", newline="") as target:
        for segment in Tokenizer(TextSource(path).chunks(), []).segments():
            pending.append(segment.raw)
            if segment.id == "IEA":
                if written + len(pending) > segments and written:
                    break
                target.write("".join(pending))
                written += len(pending)
                pending = []
    return written


def peak_rss_mb(path: Path) -> float:
    """Peak RSS (MB) of a fresh Python process that reads ``path`` with our reader."""
    code = (
        "import resource,sys\n"
        "from scrubber.x12.reader import X12Reader\n"
        "n = sum(1 for _ in X12Reader(sys.argv[1]).claims())\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    return int(done.stdout.strip()) / 1024  # Linux reports KiB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--pyx12-segments", type=int, default=60_000)
    args = parser.parse_args(argv)
    size_mb = args.file.stat().st_size / 1e6

    claims, segments, seconds = ours(args.file)
    print(f"file: {args.file} ({size_mb:.1f} MB, {segments:,} segments, {claims:,} claims)")
    print(f"ours  full file : {segments / seconds:>12,.0f} segments/s ({seconds:.2f} s)")

    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "prefix.x12"
        small_segments = prefix(args.file, args.pyx12_segments, small)
        small_mb = small.stat().st_size / 1e6
        note = "the whole file" if small_segments == segments else "a PREFIX of the file"
        print(
            f"pyx12 is run on {note}: {small_segments:,} segments, {small_mb:.1f} MB "
            "(whole interchanges); both readers on that same file:"
        )
        mine = min(ours(small)[2] for _ in range(3))
        theirs_claims, theirs = pyx12_read(small)
        mine_claims = ours(small)[0]
        assert theirs_claims == mine_claims, (theirs_claims, mine_claims)
        print(f"ours  on prefix : {small_segments / mine:>12,.0f} segments/s ({mine:.3f} s)")
        print(f"pyx12 on prefix : {small_segments / theirs:>12,.0f} segments/s ({theirs:.2f} s)")
        print(f"ratio ours/pyx12: {theirs / mine:.1f}x (same {small_segments:,}-segment file)")

        rss_small, rss_big = peak_rss_mb(small), peak_rss_mb(args.file)
        print(
            f"peak RSS, ours  : {rss_small:.1f} MB reading {small_mb:.1f} MB; "
            f"{rss_big:.1f} MB reading {size_mb:.1f} MB"
        )
    print(
        f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs; "
        f"this process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
