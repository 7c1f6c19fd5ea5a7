"""``scrub --batch`` vs ``scrubber spark`` on the same multi-file batch, in one run.

    python benchmarks/spark_bench.py [--claims N] [--files K] [--batch B]

Generates (once, benchmarks/data/) an 837P batch of N claims
(benchmarks/generate.py; ``--batch``: ``realistic``, the default, a
radiation-oncology batch; ``out_of_scope``, office visits and labs only;
``mixed_st``, every 20th transaction radiation oncology) cut into K files
at interchange boundaries (so patients' courses cross files), then measures, on the same inputs:

1. ``scrub --batch`` (scrubber.pipeline.batch) with 1 and 2 processes: claims/s;
2. Spark's fixed start-up cost: a local session started and one trivial job run;
3. ``scrubber spark`` (scrubber.spark.job) in local[1] and local[2]: claims/s
   of the job alone (the session already up), and the shuffle bytes per claim
   (Spark's own stage metrics: bytes written by the shuffles, compressed and
   encrypted as they are on disk);
4. the same claims as ONE file (the parts joined) read by Spark local[2] in
   splits of a quarter of the file: how many units (read tasks) it was cut
   into, and claims/s, against ``scrub --batch -j 2`` on that file;

and checks that every run wrote the same outputs, byte for byte.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import write_out_of_scope, write_realistic  # noqa: E402

from scrubber.api import make_engine  # noqa: E402
from scrubber.model import ClaimKind  # noqa: E402
from scrubber.outputs.ack277 import AckSettings  # noqa: E402
from scrubber.outputs.registry import kinds  # noqa: E402
from scrubber.pipeline.batch import BatchInput, BatchOutputs, scrub_batch  # noqa: E402
from scrubber.pipeline.shards import plan_shards  # noqa: E402
from scrubber.pipeline.shards.plan import interchange_separator  # noqa: E402
from scrubber.rules.engine import Engine  # noqa: E402

if TYPE_CHECKING:
    from pyspark import SparkContext

DATA = HERE / "data"
AS_OF = dt.date(2025, 9, 1)
NOW = dt.datetime(2026, 1, 5, 9, 30)


def make_inputs(claims: int, files: int, batch: str = "realistic") -> list[Path]:
    """The batch: one generated file cut into ``files`` files of whole interchanges."""
    name = "" if batch == "realistic" else f"{batch}-"
    folder = DATA / f"spark-{name}{claims}-{files}"
    paths = [folder / f"part{index:02d}.x12" for index in range(files)]
    if all(path.exists() for path in paths):
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    whole = folder / "whole.x12"
    if batch == "realistic":
        write_realistic(whole, claims, ClaimKind.PROFESSIONAL)
    else:
        write_out_of_scope(whole, claims, radonc_every=20 if batch == "mixed_st" else 0,
                           by_transaction=batch == "mixed_st")  # fmt: skip
    data = whole.read_bytes()
    ranges = plan_shards(str(whole), files, min_bytes=1)
    for path, span in zip(paths, ranges, strict=False):
        path.write_bytes(data[span.start : span.end])
    whole.unlink()
    return [path for path in paths if path.exists()]


def joined(paths: list[Path]) -> Path:
    """The parts as one file (its interchanges in order)."""
    whole = paths[0].parent / "joined.x12"
    if not whole.exists():
        whole.write_bytes(b"".join(path.read_bytes() for path in paths))
    return whole


def inputs_of(paths: list[Path]) -> list[BatchInput]:
    return [
        BatchInput(str(p), str(p), p.stem, AckSettings(NOW, 1000 * (n + 1)))
        for n, p in enumerate(paths)
    ]


def digest(folder: Path) -> str:
    files = sorted(p for p in folder.iterdir() if p.is_file())
    return hashlib.sha256(b"".join(p.name.encode() + p.read_bytes() for p in files)).hexdigest()


def shuffle_bytes(log_dir: Path) -> int:
    """Bytes the shuffles wrote, from Spark's event log (every task's metrics)."""
    total = 0
    for path in sorted(p for p in log_dir.rglob("*") if p.is_file()):
        with path.open(encoding="utf-8") as events:
            for line in events:
                if '"SparkListenerTaskEnd"' not in line:
                    continue
                metrics = json.loads(line).get("Task Metrics") or {}
                total += int(
                    metrics.get("Shuffle Write Metrics", {}).get("Shuffle Bytes Written", 0)
                )
    return total


def one_file(sc: SparkContext, whole: Path, count: int, engine: Engine, work: Path) -> bool:
    """Measure 4 (one file, cut into units by Spark's splits); whether
    Spark's outputs are those of ``scrub --batch -j 2``."""
    from pyspark.sql import SparkSession

    from scrubber.spark.job import SparkBatch, run_job
    from scrubber.spark.units import unit_rows

    size = whole.stat().st_size
    split = size // 4 + 1
    out = work / "one-batch"
    out.mkdir()
    scrub_batch(inputs_of([whole]), engine, BatchOutputs(kinds(), out), jobs=2)
    separator = interchange_separator(whole.read_bytes()[:4096])
    spark = SparkSession.builder.getOrCreate()
    rows = unit_rows(spark, [whole.resolve().as_uri()], [separator], split)
    units = rows.map(lambda row: row[1]).distinct().count()
    spark_out = work / "one-spark"
    spark_out.mkdir()
    start = time.perf_counter()
    run_job(sc, SparkBatch(inputs_of([whole]), engine, BatchOutputs(kinds(), spark_out), split))
    took = time.perf_counter() - start
    print(
        f"one file of {size / 1e6:.1f} MB, splits of {split / 1e6:.1f} MB: {units} units "
        f"(read tasks); spark local[2] job {took:.1f} s, {count / took:,.0f} claims/s"
    )
    return digest(out) == digest(spark_out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=8000)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--batch", choices=["realistic", "out_of_scope", "mixed_st"],
                        default="realistic")  # fmt: skip
    args = parser.parse_args()
    paths = make_inputs(args.claims, args.files, args.batch)
    count = args.claims
    size = sum(p.stat().st_size for p in paths)
    print(f"batch: {count} claims in {len(paths)} files, {size / 1e6:.1f} MB")
    engine = make_engine("clean", AS_OF, None, None)
    digests = {}
    with tempfile.TemporaryDirectory(prefix="spark-bench-") as work:
        for jobs in (1, 2):
            out = Path(work) / f"batch-j{jobs}"
            out.mkdir()
            start = time.perf_counter()
            scrub_batch(inputs_of(paths), engine, BatchOutputs(kinds(), out), jobs=jobs)
            took = time.perf_counter() - start
            digests[f"batch -j {jobs}"] = digest(out)
            print(f"scrub --batch -j {jobs}: {took:.1f} s, {count / took:,.0f} claims/s")
        from scrubber.spark.job import SparkBatch, run_job
        from scrubber.spark.runner import start_session

        for cores in (1, 2):
            start = time.perf_counter()
            logs = Path(work) / f"events-{cores}"
            logs.mkdir()
            conf = {
                "spark.default.parallelism": str(cores),
                "spark.eventLog.enabled": "true",
                "spark.eventLog.dir": logs.as_uri(),
                "spark.eventLog.compress": "false",
                "spark.eventLog.rolling.enabled": "false",
            }
            session = start_session(f"local[{cores}]", conf)
            sc = session.sparkContext
            sc.parallelize([1], 1).count()
            fixed = time.perf_counter() - start
            out = Path(work) / f"spark-{cores}"
            out.mkdir()
            start = time.perf_counter()
            run_job(sc, SparkBatch(inputs_of(paths), engine, BatchOutputs(kinds(), out)))
            took = time.perf_counter() - start
            print(f"spark local[{cores}]: job {took:.1f} s", flush=True)
            session.stop()
            shuffled = shuffle_bytes(logs)
            digests[f"spark local[{cores}]"] = digest(out)
            print(
                f"spark local[{cores}]: start-up {fixed:.1f} s; job {took:.1f} s, "
                f"{count / took:,.0f} claims/s; shuffle {shuffled / count:,.0f} bytes/claim"
            )
        session = start_session("local[2]", {"spark.default.parallelism": "2"})
        one_same = one_file(session.sparkContext, joined(paths), count, engine, Path(work))
        session.stop()
    same = len(set(digests.values())) == 1 and one_same
    print(f"outputs identical across all runs: {same}")
    print(f"(cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f})")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
