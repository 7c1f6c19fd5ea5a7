"""One output interface: a new output is one class and one registration.

The ``counts`` output below (the claims by status, ``S.counts.txt``) is a
throwaway :class:`~scrubber.outputs.sink.Sink` registered by a fixture; with
nothing else changed it is written beside the cleaned 837, the 277CA and the
report by a serial run, by a sharded ``-j 2`` run (its parts joined in the
parent) and by the Python API, and the three others stay byte-identical.

Files touched to add it: 1 (this module: the class and its ``register``
line). A shipped output is the same: 2 files (its module in
``scrubber/outputs/`` and one ``register(...)`` line in
``scrubber/outputs/registry.py``), 3 with a command-line flag for an
optional one.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

import scrubber.outputs
import scrubber.pipeline.shards.plan
from scrubber import scrub
from scrubber.api import make_engine
from scrubber.outputs.ack277 import AckSettings
from scrubber.outputs.registry import OutputKind, kinds, register, unregister
from scrubber.outputs.sink import Part, RunEnd, RunInfo, Target
from scrubber.pipeline.files import FilesResult, scrub_to_files
from scrubber.pipeline.spool import ReplayableSource
from scrubber.rules.outcome import Outcome
from tests.pipeline.test_shards import _course_text, _info_log, _shards_logged, _small_interchange

AS_OF = "2026-11-26"
ACK = AckSettings(dt.datetime(2026, 1, 6, 9, 30), control_start=7)
STATUSES = ("accepted", "corrected", "rejected")


class CountsSink:
    """The claims by status, one ``status count`` line each (a shard's part:
    its counts, merged by the join)."""

    def __init__(self, run: RunInfo, target: Target) -> None:
        self._part = run.part
        self._target = target
        self._counts: Counter[str] = Counter()

    def add(self, outcome: Outcome) -> None:
        self._counts[str(outcome.status)] += 1

    def close(self, end: RunEnd) -> Counter[str] | None:
        if self._part:
            return self._counts
        self._write(self._counts)
        return None

    def join(self, parts: Sequence[Part], end: RunEnd) -> None:
        total: Counter[str] = Counter()
        for part in parts:
            assert isinstance(part.done, Counter)
            total.update(part.done)
        self._write(total)

    def _write(self, counts: Counter[str]) -> None:
        out = self._target.open("utf-8")
        out.write("".join(f"{status} {counts[status]}\n" for status in STATUSES))


@pytest.fixture
def counts() -> Iterator[OutputKind]:
    kind = register(OutputKind("counts", ".counts.txt", CountsSink))  # the one registration
    yield kind
    unregister(kind.name)


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    """Twelve interchanges of whole courses (accepted and corrected claims),
    then one of claims rejected (77014 alone)."""
    text = _course_text() + _small_interchange(99, ["R1", "R2"], procedure="77014")
    path = tmp_path / "batch.x12"
    path.write_text(text, encoding="utf-8")
    return path


def _scrub_files(path: Path, out: Path, jobs: int) -> tuple[FilesResult, dict[str, bytes], int]:
    """``scrub_to_files`` into ``out``: its result, the files by name, the shards used."""
    out.mkdir()
    engine = make_engine("clean", AS_OF, None, None)
    with _info_log() as log, ReplayableSource(str(path), str(path)) as source:
        result = scrub_to_files(source, engine, out, "S", ack_settings=ACK, jobs=jobs)
    files = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    return result, files, _shards_logged(log.getvalue())


def _expected_counts(result: FilesResult) -> bytes:
    summary = result.report_head["summary"]
    return "".join(f"{status} {summary[status]}\n" for status in STATUSES).encode()


def test_a_registered_sink_is_written_beside_the_others_serial_and_sharded(
    counts: OutputKind, batch: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial, serial_files, shards = _scrub_files(batch, tmp_path / "serial", jobs=1)
    assert shards == 0
    assert sorted(serial_files) == sorted(
        ["S.clean.x12", "S.277ca.x12", "S.report.json", "S.counts.txt"]
    )
    assert serial_files["S.counts.txt"] == _expected_counts(serial)
    summary = serial.report_head["summary"]
    assert all(summary[status] > 0 for status in STATUSES), summary
    assert serial.outputs["counts"] == tmp_path / "serial" / "S.counts.txt"

    monkeypatch.setattr(scrubber.pipeline.shards.plan, "MIN_SHARD_BYTES", 1)
    sharded, sharded_files, shards = _scrub_files(batch, tmp_path / "sharded", jobs=2)
    assert shards == 2
    assert sharded_files == serial_files  # counts included, every byte
    assert [p.name for p in sharded.written] == [p.name for p in serial.written]

    unregister(counts.name)
    try:
        _, without, _ = _scrub_files(batch, tmp_path / "without", jobs=1)
    finally:
        register(counts)
    assert without == {k: v for k, v in serial_files.items() if k != "S.counts.txt"}


def test_a_registered_sink_is_in_the_api_result(counts: OutputKind, batch: Path) -> None:
    result = scrub(batch, as_of=AS_OF)
    summary = result.report["summary"]
    expected = "".join(f"{status} {summary[status]}\n" for status in STATUSES)
    assert result.outputs["counts"] == expected
    assert result.outputs["report"] is not None and result.outputs["ack"] == result.ack_277ca


def test_an_optional_kind_is_written_only_when_wanted(batch: Path, tmp_path: Path) -> None:
    kind = register(OutputKind("counts", ".counts.txt", CountsSink, optional=True))
    try:
        assert [k.name for k in kinds()] == ["clean", "ack", "report"]
        assert [k.name for k in kinds(["counts"])] == ["clean", "ack", "report", "counts"]
        assert [k.name for k in kinds(["html"])] == ["clean", "ack", "report", "html"]
        assert "counts" not in scrub(batch, as_of=AS_OF).outputs
        assert scrub(batch, as_of=AS_OF, outputs=["counts"]).outputs["counts"]
        engine = make_engine("clean", AS_OF, None, None)
        with ReplayableSource(str(batch)) as source:
            result = scrub_to_files(
                source, engine, tmp_path, "S", ack_settings=ACK, wanted=["counts"]
            )
        assert result.written[-1] == tmp_path / "S.counts.txt"
        assert (tmp_path / "S.counts.txt").read_bytes() == _expected_counts(result)
        with pytest.raises(ValueError, match="no such output: pdf"):
            kinds(["pdf"])
    finally:
        unregister(kind.name)


def test_kinds_clash_by_name_or_suffix() -> None:
    with pytest.raises(ValueError, match="clashes"):
        register(OutputKind("report", ".other.json", CountsSink))
    with pytest.raises(ValueError, match="clashes"):
        register(OutputKind("other", ".report.json", CountsSink))


def test_outputs_import_no_higher_layer() -> None:
    """``scrubber/outputs`` is below the pipeline: none of its modules imports
    ``scrubber.pipeline``, ``scrubber.api`` or ``scrubber.cli`` (even lazily)."""
    higher = ("scrubber.pipeline", "scrubber.api", "scrubber.cli")
    outputs = Path(scrubber.outputs.__file__).parent
    found = []
    for module in sorted(outputs.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            found += [f"{module.name}: {n}" for n in names if n.startswith(higher)]
    assert len(list(outputs.glob("*.py"))) > 10
    assert found == []
