"""``scrubber spark``'s inputs: paths, URIs and globs resolved and read
through Hadoop (local mode), a large file cut into several units, a
file system the Python side cannot open; outputs byte for byte those of
``scrubber scrub --batch`` on the same files."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from scrubber.api import make_engine
from scrubber.cli.main import main
from scrubber.errors import X12InputError
from scrubber.outputs.registry import kinds
from scrubber.pipeline.batch import BatchOutputs
from scrubber.pipeline.shards.plan import interchange_separator
from scrubber.spark.files import find_inputs, probe
from scrubber.spark.job import SparkBatch, run_job
from scrubber.spark.units import unit_rows
from tests.history.builders import course_specs
from tests.pipeline.batch_files import (
    BATCH_AS_OF,
    batch_inputs,
    outputs_of,
    run_batch,
    weekly_batch,
    write_file,
)

if TYPE_CHECKING:
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

AS_OF = BATCH_AS_OF.isoformat()


@pytest.fixture(autouse=True)
def _fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")


@pytest.fixture
def spark(spark_context: SparkContext) -> SparkSession:
    from pyspark.sql import SparkSession

    return SparkSession.builder.getOrCreate()


def _scrub_batch(paths: list[Path], out: Path) -> int:
    files = [str(path) for path in paths]
    return main(["scrub", "--batch", *files, "--as-of", AS_OF, "--quiet", "-o", str(out)])


def _spark(patterns: list[str], out: Path) -> int:
    """``scrubber spark`` (the session of the tests is the active one)."""
    return main(["spark", *patterns, "--as-of", AS_OF, "--quiet", "-o", str(out)])


def _without_input_name(outputs: dict[str, bytes]) -> dict[str, object]:
    """The outputs with each report's ``input`` (the name the input was
    given by) left out: the rest byte for byte."""
    made: dict[str, object] = {}
    for name, data in outputs.items():
        if name.endswith(".report.json"):
            report = json.loads(data)
            report.pop("input")
            made[name] = report
        else:
            made[name] = data
    return made


def test_globs_and_a_folder_with_spaces_read_what_the_shell_would(
    spark_context: SparkContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An absolute ``*`` glob, and a relative ``{a,b}`` and ``?`` glob: the
    files, their order and their names (the reports' ``input``) are those
    the shell gives ``scrub --batch``."""
    folder = tmp_path / "drop of today"
    paths = weekly_batch(folder, patients=2)
    (folder / "notes.txt").write_text("not an 837")
    assert len(paths) >= 3
    status = _scrub_batch(paths, tmp_path / "batch")
    assert _spark([f"{folder}/*.x12"], tmp_path / "star") == status
    assert outputs_of(tmp_path / "star") == outputs_of(tmp_path / "batch")
    # {a,b} and ?, relative: two files of the batch, as scrub --batch reads them
    monkeypatch.chdir(tmp_path)
    pick = [path.relative_to(tmp_path) for path in (paths[0], paths[2])]
    status = _scrub_batch(pick, tmp_path / "pick")
    pattern = f"{folder.name}/week{{{paths[0].stem[4:]},{paths[2].stem[4:]}}}.x?2"
    assert _spark([pattern], tmp_path / "braces") == status
    assert outputs_of(tmp_path / "braces") == outputs_of(tmp_path / "pick")
    assert len(outputs_of(tmp_path / "pick")) == 3 * len(pick)


def test_a_glob_matching_nothing_is_one_line_and_exit_2(
    spark_context: SparkContext, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weekly_batch(tmp_path / "in", patients=1)
    pattern = f"{tmp_path}/in/*.edi"
    assert _spark([f"{tmp_path}/in/*.x12", pattern], tmp_path / "out") == 2
    err = capsys.readouterr().err.strip()
    assert err == f"scrubber spark: {pattern}: no file matches"
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    # a scheme without its connector on Spark's classpath (hadoop-aws for s3a)
    assert _spark(["s3a://claims-bucket/in/*.x12"], tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert err.startswith("scrubber spark: s3a://claims-bucket/in/*.x12: ")
    assert "S3AFileSystem not found" in err and "hadoop-aws" in err
    assert err.count("\n") == 1


def test_finding_inputs_sorts_each_pattern_and_names_each_file_once(
    spark: SparkSession, tmp_path: Path
) -> None:
    paths = weekly_batch(tmp_path / "in", patients=1)
    found = find_inputs(spark, [str(paths[1]), f"file://{tmp_path}/in/*.x12", str(tmp_path / "in")])
    assert [file.name for file in found] == [
        str(paths[1]),
        *(f"file:{path}" for path in paths if path != paths[1]),
    ]
    assert [file.size for file in found[:1]] == [paths[1].stat().st_size]


def _large_file(folder: Path) -> Path:
    """One file of many small interchanges, a CRLF after every segment."""
    specs = [c for n in range(3) for c in course_specs(f"MBR{n:04d}", prefix=f"L{n}-")]
    path = write_file(folder / "large.x12", specs, per_interchange=3)
    path.write_bytes(path.read_bytes().replace(b"~\n", b"~\r\n"))
    return path


def test_a_large_file_from_a_file_uri_is_read_by_several_tasks(
    spark: SparkSession, tmp_path: Path
) -> None:
    path = _large_file(tmp_path)
    size = path.stat().st_size
    assert size > 8 * 4096
    uri = path.as_uri()  # file:///...
    found = probe(spark, uri)
    separator = interchange_separator(found.head)
    assert separator == b"~\r\nISA*"
    rows = unit_rows(spark, [found.uri], [separator], split_bytes=4096)
    units = rows.map(lambda row: row[1]).distinct().count()
    assert rows.getNumPartitions() > 4 and units > 4
    run_batch([path], tmp_path / "batch", BATCH_AS_OF)
    (tmp_path / "spark").mkdir()
    inputs = [
        source.__class__(uri, source.name, source.stem, source.ack)
        for source in batch_inputs([path])
    ]
    batch = SparkBatch(
        inputs, make_engine("clean", BATCH_AS_OF, None, None),
        BatchOutputs(kinds(), tmp_path / "spark"), split_bytes=4096,
    )  # fmt: skip
    run_job(spark.sparkContext, batch)
    assert outputs_of(tmp_path / "spark") == outputs_of(tmp_path / "batch")
    # and the CLI on the URI: the report names the input by its URI
    status = _scrub_batch([path], tmp_path / "cli-batch")
    assert _spark([uri], tmp_path / "cli-spark") == status
    spark_out = outputs_of(tmp_path / "cli-spark")
    assert _without_input_name(spark_out) == _without_input_name(outputs_of(tmp_path / "cli-batch"))
    assert json.loads(spark_out["large.report.json"])["input"] == uri


def test_inputs_on_a_file_system_python_cannot_open(
    spark_context: SparkContext, tmp_path: Path
) -> None:
    """viewfs:// is Hadoop's in-JVM mount table file system: the Python
    side cannot open its paths, so executors must read through Hadoop."""
    paths = weekly_batch(tmp_path / "in", patients=2)
    paths.append(_large_file(tmp_path / "in"))
    table = f"scrubbertest{uuid.uuid4().hex[:8]}"
    hadoop = spark_context._jsc.hadoopConfiguration()
    hadoop.set(f"fs.viewfs.mounttable.{table}.link./claims", (tmp_path / "in").as_uri())
    pattern = f"viewfs://{table}/claims/*.x12"
    assert not os.path.exists(pattern.replace("*", "large"))
    status = _scrub_batch(sorted(paths), tmp_path / "batch")
    assert _spark([pattern], tmp_path / "spark") == status
    spark_out = outputs_of(tmp_path / "spark")
    assert _without_input_name(spark_out) == _without_input_name(outputs_of(tmp_path / "batch"))
    report = json.loads(spark_out["large.report.json"])
    assert report["input"] == f"viewfs://{table}/claims/large.x12"


def test_an_input_error_names_the_input_and_its_place(
    spark: SparkSession, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A defect in one unit of a cut file: the inputs are read whole again,
    and the error is the one scrub --batch gives; nothing is written."""
    path = _large_file(tmp_path)
    data = path.read_bytes()
    middle = data.index(b"ISA*", len(data) // 2)
    path.write_bytes(data[:middle] + b"ISA*BROKEN~\r\n" + data[middle:])
    others = weekly_batch(tmp_path / "in", patients=1)
    files = [*others, path]
    assert _scrub_batch(files, tmp_path / "batch") == 2
    batch_err = capsys.readouterr().err
    assert batch_err.startswith(f"scrubber: {path}:") and batch_err.count("\n") == 1
    (tmp_path / "spark").mkdir()
    batch = SparkBatch(
        batch_inputs(files), make_engine("clean", BATCH_AS_OF, None, None),
        BatchOutputs(kinds(), tmp_path / "spark"), split_bytes=4096,
    )  # fmt: skip
    with pytest.raises(X12InputError) as raised:
        run_job(spark.sparkContext, batch)
    assert f"scrubber: {getattr(raised.value, 'source', '')}: {raised.value}\n" == batch_err
    assert not list((tmp_path / "spark").iterdir())
    # an empty file and one that is no X12 at all: the messages of scrub --batch
    (tmp_path / "empty.x12").write_bytes(b"")
    (tmp_path / "junk.x12").write_bytes(b"hello, not an 837")
    for bad in ("empty.x12", "junk.x12"):
        files = [*others, tmp_path / bad]
        assert _scrub_batch(files, tmp_path / "batch") == 2
        batch_err = capsys.readouterr().err
        assert _spark([str(file) for file in files], tmp_path / "spark") == 2
        assert capsys.readouterr().err == batch_err


def test_every_layout_of_the_shard_tests_in_one_batch_cut_small(
    spark: SparkSession, tmp_path: Path
) -> None:
    """The files of the shard tests (CRLF and blank lines between
    interchanges, no newlines, BOM, 837P and 837I, UTF-8 and Latin-1 names,
    reader warnings, claimless interchanges, other delimiters in later ISAs,
    one interchange, UTF-16, a newline terminator) as ONE batch read in
    splits of 8 KB: the bytes of scrub --batch."""
    from tests.pipeline.test_shards import LAYOUTS, UNSPLIT_FILES

    layouts = {**LAYOUTS, **UNSPLIT_FILES}
    separators, units = _assert_split_like_batch(spark, tmp_path, layouts)
    assert units > 2 * len(layouts)  # the files were cut
    assert separators.count(None) == 4  # UTF-16 (3), newline terminator: read whole


def test_a_separator_inside_a_value_is_no_cut(spark: SparkSession, tmp_path: Path) -> None:
    """The separator as a value of an interchange with other delimiters: a
    false cut, its units do not read, so the inputs are read whole: still
    the bytes of scrub --batch."""
    from tests.pipeline.test_shards import LAYOUTS, decoy_separator

    layouts = {"decoy": decoy_separator, "lf": LAYOUTS["no-newlines"]}
    separators, _ = _assert_split_like_batch(spark, tmp_path, layouts)
    decoy = separators[0]
    assert decoy is not None and decoy_separator().count(decoy) == 1  # Spark's reader cuts there


def _assert_split_like_batch(
    spark: SparkSession, tmp_path: Path, layouts: dict[str, Callable[[], bytes]]
) -> tuple[list[bytes | None], int]:
    """Spark (splits of 8 KB) writes what scrub --batch writes for the
    ``layouts`` as one batch; each file's separator and the units."""
    (tmp_path / "in").mkdir()
    paths = []
    for name, make in sorted(layouts.items()):
        path = tmp_path / "in" / f"{name}.x12"
        path.write_bytes(make())
        paths.append(path)
    run_batch(paths, tmp_path / "batch", BATCH_AS_OF)
    (tmp_path / "spark").mkdir()
    batch = SparkBatch(
        batch_inputs(paths), make_engine("clean", BATCH_AS_OF, None, None),
        BatchOutputs(kinds(), tmp_path / "spark"), split_bytes=8192,
    )  # fmt: skip
    run_job(spark.sparkContext, batch)
    assert outputs_of(tmp_path / "spark") == outputs_of(tmp_path / "batch")
    assert len(outputs_of(tmp_path / "spark")) == 3 * len(paths)
    found = [probe(spark, str(path)) for path in paths]
    separators = [interchange_separator(file.head) for file in found]
    rows = unit_rows(spark, [file.uri for file in found], separators, split_bytes=8192)
    return separators, rows.map(lambda row: (row[0], row[1])).distinct().count()
