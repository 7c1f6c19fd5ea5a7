"""Writing plain claims: one outcome per claim (``Fanout.add``) vs one plain
transaction per ST-SE (``Fanout.add_plain``, issue 15), in one run.

    python benchmarks/plain_write.py [FILE] [--claims N] [--repeat R] [--html]

FILE defaults to ``benchmarks/data/out_of_scope-N.x12`` (generated when
missing, as ``bench.py --batch out_of_scope`` does). The file is read and
decided first, and its plain transactions made by the test oracle
(:func:`scrubber.testing.plain.with_plain_transactions`): none of that is
timed. Timed (CPU seconds, ``time.process_time``, best of R): writing the
default outputs (cleaned 837, 277CA, report JSON; ``--html``: the worklist
page too) into memory, each way, from the first claim to ``close``. The
outputs of both ways are checked equal.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import write_out_of_scope  # noqa: E402

from scrubber.api import make_engine  # noqa: E402
from scrubber.model import PlainTransaction  # noqa: E402
from scrubber.outputs.ack277 import AckSettings  # noqa: E402
from scrubber.outputs.fanout import Fanout  # noqa: E402
from scrubber.outputs.registry import OutputKind, kinds  # noqa: E402
from scrubber.outputs.report_sink import ReportSink  # noqa: E402
from scrubber.outputs.sink import RunInfo  # noqa: E402
from scrubber.outputs.targets import MemoryTarget  # noqa: E402
from scrubber.rules.outcome import Outcome, pair_outcomes  # noqa: E402
from scrubber.testing.plain import with_plain_transactions  # noqa: E402
from scrubber.x12.reader import X12Reader  # noqa: E402

AS_OF = dt.date(2026, 6, 30)
NOW = dt.datetime(2026, 7, 1, 9, 30)
Item = Outcome | PlainTransaction


def write(
    items: Sequence[Item], run: RunInfo, chosen: Sequence[OutputKind], trailer: str
) -> tuple[float, dict[str, str | None]]:
    """CPU seconds writing ``items`` through a fresh fanout, and the outputs."""
    targets = {kind.name: MemoryTarget() for kind in chosen}
    start = time.process_time()
    fanout = Fanout.of(chosen, run, targets)
    for item in items:
        if isinstance(item, PlainTransaction):
            fanout.add_plain(item)
        else:
            fanout.add(item)
    fanout.close(trailer, [])
    seconds = time.process_time() - start
    report = fanout.sinks["report"]
    assert isinstance(report, ReportSink)
    if report.compact_path:
        os.unlink(report.compact_path)
    return seconds, {name: target.value for name, target in targets.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path, nargs="?")
    parser.add_argument("--claims", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--html", action="store_true", help="write the worklist page too")
    args = parser.parse_args(argv)
    path = args.file or HERE / "data" / f"out_of_scope-{args.claims}.x12"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        write_out_of_scope(path, args.claims)
    data = path.read_bytes()
    engine = make_engine("clean", AS_OF.isoformat(), None, None)
    reader = X12Reader(data, path.name)
    claims = list(reader.claims())
    outcomes = pair_outcomes(claims, engine.decide_batch(claims))
    items = with_plain_transactions(data, outcomes, reader.warnings)
    plain = [item for item in items if isinstance(item, PlainTransaction)]
    print(
        f"{path.name}: {len(claims)} claims, {len(plain)} plain transactions "
        f"holding {sum(len(p.claims) for p in plain)} claims"
    )
    chosen = kinds(["html"] if args.html else [])
    run = RunInfo(
        name=path.name, profile="clean", as_of=AS_OF, rule_set=engine.rule_set,
        encoding=reader.encoding, ack=AckSettings(NOW, 1),
    )  # fmt: skip
    best = {"add": float("inf"), "add_plain": float("inf")}
    for _ in range(args.repeat):
        slow, by_claim = write(outcomes, run, chosen, reader.trailer)
        fast, by_transaction = write(items, run, chosen, reader.trailer)
        assert by_claim == by_transaction, "the outputs differ"
        best["add"] = min(best["add"], slow)
        best["add_plain"] = min(best["add_plain"], fast)
    names = ", ".join(kind.name for kind in chosen)
    print(f"writing {names} (CPU s, best of {args.repeat}):")
    print(f"  add (one outcome a claim):       {best['add']:.3f}")
    print(f"  add_plain (one a transaction):   {best['add_plain']:.3f}")
    print(f"  ratio:                           {best['add'] / best['add_plain']:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
