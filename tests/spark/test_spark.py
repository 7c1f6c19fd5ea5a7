"""``scrubber spark`` in local mode: byte for byte the outputs of
``scrubber scrub --batch`` (and, for one input, of ``scrubber scrub``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import scrubber.spark.job
from scrubber.api import make_engine
from scrubber.cli.main import main
from scrubber.history import open_store
from scrubber.outputs.registry import kinds
from scrubber.pipeline.batch import BatchOutputs, bit_at, plan_units
from scrubber.pipeline.files import FilesResult
from scrubber.pipeline.passes import passthrough_for
from scrubber.rules.engine import Engine
from scrubber.rules.passthrough import Passthrough
from scrubber.spark.job import SparkBatch, run_job
from scrubber.spark.runner import SECURE_CONF
from tests.corpus import sample_files
from tests.history.conftest import TEST_KEY
from tests.pipeline.batch_files import (
    BATCH_AS_OF,
    SPLIT_AS_OF,
    batch_inputs,
    outputs_of,
    run_batch,
    split_course,
    weekly_batch,
)
from tests.pipeline.test_fast_path import fast_path, several_interchanges

if TYPE_CHECKING:
    from pyspark import SparkContext

    from scrubber.history import HistoryStore

EPOCH = "1767225600"
SPLIT = 4096  # bytes a Hadoop split: the test files are cut into several units


@pytest.fixture(autouse=True)
def _fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def _spark(
    sc: SparkContext,
    paths: list[Path],
    out: Path,
    as_of: dt.date,
    store: HistoryStore | None = None,
    min_bytes: int | None = None,
) -> list[FilesResult]:
    out.mkdir(parents=True, exist_ok=True)
    batch = SparkBatch(
        batch_inputs(paths), make_engine("clean", as_of, None, None), BatchOutputs(kinds(), out),
        split_bytes=min_bytes,
    )  # fmt: skip
    return run_job(sc, batch, store)


def test_the_session_authenticates_and_encrypts(spark_context: SparkContext) -> None:
    conf = spark_context.getConf()
    for name, value in SECURE_CONF.items():
        assert conf.get(name) == value, name


def test_spark_writes_what_scrub_batch_writes_on_the_samples(
    spark_context: SparkContext, tmp_path: Path
) -> None:
    samples = [str(path) for path in sample_files()]
    argv = [*samples, "--as-of", "2026-01-01", "--quiet"]
    status = main(["scrub", "--batch", *argv, "-o", str(tmp_path / "batch")])
    assert main(["spark", *argv, "-o", str(tmp_path / "spark")]) == status == 1
    batch = outputs_of(tmp_path / "batch")
    assert len(batch) >= 3 * len(samples) - 1
    assert outputs_of(tmp_path / "spark") == batch
    # One input: spark == scrub --batch == scrub (test_batch shows the latter).
    one = samples[-1:]
    assert (
        main(["spark", *one, "--as-of", "2026-01-01", "--quiet", "-o", str(tmp_path / "s1")]) == 1
    )
    assert (
        main(["scrub", *one, "--as-of", "2026-01-01", "--quiet", "-o", str(tmp_path / "c1")]) == 1
    )
    assert outputs_of(tmp_path / "s1") == outputs_of(tmp_path / "c1")


def test_spark_takes_the_fast_path_and_writes_what_scrub_batch_writes(
    spark_context: SparkContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain claims take the fast path on the executors too (no facts
    shuffled; whole transactions taken from their text; a mark in each
    unit's digest), and pass 1's tasks note which claims pass 2 may copy
    (a bit a claim, shipped back to the pass-2 tasks): a mixed file and an
    all-plain file, cut into several units, give the outputs of
    ``scrub --batch`` with the fast path off."""
    paths = [tmp_path / "mixed.x12", tmp_path / "plain.x12"]
    paths[0].write_text(several_interchanges(3))
    paths[1].write_text(several_interchanges(4, radonc=False))
    with fast_path(False):
        run_batch(paths, tmp_path / "batch", BATCH_AS_OF)
    shipped: list[Passthrough | None] = []  # what the driver hands the tasks of each pass

    def shipping(engine: Engine, keep_batch: bool) -> Passthrough | None:
        shipped.append(passthrough_for(engine, keep_batch))
        return shipped[-1]

    monkeypatch.setattr(scrubber.spark.job, "passthrough_for", shipping)
    copyable: list[int] = []  # per unit: its claims pass 1 found copyable
    decide_and_write = scrubber.spark.job._decide_and_write

    def noting(*args: Any) -> Any:
        reads = args[4].reads
        copyable.extend(sum(bit_at(r.copyable, n) for n in range(r.claims)) for r in reads)
        return decide_and_write(*args)

    monkeypatch.setattr(scrubber.spark.job, "_decide_and_write", noting)
    results = _spark(spark_context, paths, tmp_path / "spark", BATCH_AS_OF, min_bytes=SPLIT)
    assert len(shipped) == 2 and all(isinstance(plain, Passthrough) for plain in shipped)
    assert len(copyable) > 2 and sum(copyable) == 48  # (all read cleanly; pass 2 decides)
    assert outputs_of(tmp_path / "spark") == outputs_of(tmp_path / "batch")
    assert len(outputs_of(tmp_path / "batch")) == 6
    assert [result.report_head["summary"]["claims"] for result in results] == [24, 24]


def test_spark_decides_a_split_course_as_one_batch(
    spark_context: SparkContext, tmp_path: Path
) -> None:
    paths = split_course(tmp_path)
    run_batch(paths, tmp_path / "batch", SPLIT_AS_OF)
    run_batch(paths[1:], tmp_path / "alone", SPLIT_AS_OF)
    _spark(spark_context, paths, tmp_path / "spark", SPLIT_AS_OF)
    assert outputs_of(tmp_path / "spark") == outputs_of(tmp_path / "batch")
    assert b"IG405" in (tmp_path / "spark" / "week1b.report.json").read_bytes()
    assert b"IG405" not in (tmp_path / "alone" / "week1b.report.json").read_bytes()


def test_spark_cuts_files_into_ranges_and_records_history_once(
    spark_context: SparkContext, tmp_path: Path
) -> None:
    paths = weekly_batch(tmp_path / "in", patients=4)
    assert len(plan_units(batch_inputs(paths), 2, 1)) > len(paths)  # files are cut
    run_batch(paths, tmp_path / "batch", BATCH_AS_OF, jobs=2, min_bytes=1)
    _spark(spark_context, paths, tmp_path / "spark", BATCH_AS_OF, min_bytes=SPLIT)
    assert outputs_of(tmp_path / "spark") == outputs_of(tmp_path / "batch")
    url = f"sqlite:///{tmp_path / 'history.db'}"
    with open_store(url, TEST_KEY) as store:
        _spark(spark_context, paths, tmp_path / "first", BATCH_AS_OF, store, min_bytes=SPLIT)
        recorded = store.dump()
    with open_store(f"sqlite:///{tmp_path / 'cli.db'}", TEST_KEY) as store:
        run_batch(paths, tmp_path / "cli", BATCH_AS_OF, history=store)
        by_cli = store.dump()
    assert recorded["claims"] == by_cli["claims"] and recorded["lines"] == by_cli["lines"]
    assert len(recorded["batches"]) == 1
    with open_store(url, TEST_KEY) as store:  # the same inputs again: nothing changes
        _spark(spark_context, paths, tmp_path / "second", BATCH_AS_OF, store, min_bytes=SPLIT)
        assert store.dump() == recorded
    assert outputs_of(tmp_path / "first") == outputs_of(tmp_path / "cli")
    assert outputs_of(tmp_path / "second") == outputs_of(tmp_path / "batch")


def test_spark_with_postgresql_history_is_idempotent(
    spark_context: SparkContext, postgres_url: str, tmp_path: Path
) -> None:
    paths = weekly_batch(tmp_path / "in", patients=2)
    run_batch(paths, tmp_path / "batch", BATCH_AS_OF)
    with open_store(postgres_url, TEST_KEY) as store:
        _spark(spark_context, paths, tmp_path / "first", BATCH_AS_OF, store, min_bytes=SPLIT)
        recorded = store.dump()
    assert len(recorded["batches"]) == 1 and recorded["claims"]
    with open_store(postgres_url, TEST_KEY) as store:
        _spark(spark_context, paths, tmp_path / "second", BATCH_AS_OF, store, min_bytes=SPLIT)
        assert store.dump() == recorded
    assert outputs_of(tmp_path / "first") == outputs_of(tmp_path / "batch")
    assert outputs_of(tmp_path / "second") == outputs_of(tmp_path / "batch")
