"""A large file split into shards (``-j N``) with a history store: the same
outputs, the same store content and the same later decisions as a serial
run, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pytest

import scrubber.pipeline.shards.plan
from scrubber.api import make_engine
from scrubber.history import open_store
from scrubber.outputs.ack277 import AckSettings
from scrubber.pipeline.files import FilesResult, scrub_to_files
from scrubber.pipeline.shards import plan_shards
from scrubber.pipeline.spool import ReplayableSource
from scrubber.testing import ClaimSpec, EnvelopeSpec, GroupSpec, build_interchange
from tests.history.builders import course_specs, last_dos, weekly
from tests.history.conftest import TEST_KEY

ACK = AckSettings(dt.datetime(2025, 6, 2, 9, 30), control_start=500)
PATIENTS = 6


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRUBBER_HISTORY_KEY", TEST_KEY.decode())


@pytest.fixture
def small_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any file of two interchanges or more is worth splitting."""
    monkeypatch.setattr(scrubber.pipeline.shards.plan, "MIN_SHARD_BYTES", 1)


def _courses() -> list[ClaimSpec]:
    """Several patients' 25-fraction courses (the same practice), claims in
    DOS order so that each patient's course spreads over the whole file."""
    specs = [
        claim
        for number in range(PATIENTS)
        for claim in course_specs(f"MBR{number:04d}", prefix=f"P{number}-")
    ]
    return sorted(specs, key=lambda spec: (spec.lines[0].dos, spec.claim_id))


def _file(specs: Sequence[ClaimSpec], path: Path, per_interchange: int = 6) -> Path:
    """``specs`` as one file of many interchanges."""
    chunks = [specs[i : i + per_interchange] for i in range(0, len(specs), per_interchange)]
    path.write_text(
        "".join(
            build_interchange([GroupSpec(chunk)], EnvelopeSpec(interchange_control=number))
            for number, chunk in enumerate(chunks, start=1)
        )
    )
    return path


def _scrub(path: Path, out: Path, url: str, as_of: dt.date, jobs: int) -> FilesResult:
    out.mkdir(parents=True, exist_ok=True)
    engine = make_engine("clean", as_of, None, None)
    with open_store(url, TEST_KEY) as store, ReplayableSource(str(path), str(path)) as source:
        return scrub_to_files(source, engine, out, path.stem, ack_settings=ACK, history=store,
                              jobs=jobs)  # fmt: skip


def _outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_sharded_weeks_with_history_match_a_serial_run(
    tmp_path: Path, small_shards: None, store_url: str
) -> None:
    """Weekly files, each split in three shards, scrubbed in turn into one
    store: every week's outputs and the store's content are those of the
    same weeks scrubbed serially into another store (SQLite); a later week
    sees the earlier weeks' claims (IG407 at the course end)."""
    specs = _courses()
    weeks = weekly(specs)
    as_of = last_dos(specs)
    serial_url = f"sqlite:///{tmp_path / 'serial.db'}"
    assert serial_url != store_url
    stores = {1: serial_url, 3: store_url}
    split = 0
    for number, week in enumerate(weeks, start=1):
        path = _file(week, tmp_path / f"week{number}.x12")
        split += len(plan_shards(str(path), 3)) > 1
        results = {}
        for jobs, url in stores.items():
            out = tmp_path / f"j{jobs}" / f"week{number}"
            results[jobs] = (_scrub(path, out, url, as_of, jobs), _outputs(out))
        assert results[3][1] == results[1][1], f"week {number}"
        assert results[3][0].report_head == results[1][0].report_head
    assert split >= len(weeks) - 1
    with open_store(serial_url, TEST_KEY) as serial, open_store(store_url, TEST_KEY) as sharded:
        assert sharded.counts() == serial.counts()
        assert _claims_and_decisions(sharded.dump()) == _claims_and_decisions(serial.dump())
    last = (tmp_path / "j3" / f"week{len(weeks)}" / f"week{len(weeks)}.report.json").read_text()
    assert '"IG407"' in last


def _claims_and_decisions(dump: dict[str, list[tuple[object, ...]]]) -> dict[str, object]:
    """The store's rows without surrogate ids and timestamps that differ
    between two stores (row order and batch ids are the stores' own)."""
    return {
        table: sorted(repr(row[1:]) for row in rows)
        for table, rows in dump.items()
        if table not in ("batches", "migrations")
    }


def test_sharded_file_twice_is_idempotent(
    tmp_path: Path, small_shards: None, sqlite_url: str
) -> None:
    """The same sharded file twice: the store does not change and the
    outputs are the same (as for a serial run)."""
    specs = _courses()
    path = _file(specs, tmp_path / "all.x12")
    assert len(plan_shards(str(path), 2)) == 2
    first = _scrub(path, tmp_path / "one", sqlite_url, last_dos(specs), 2)
    with open_store(sqlite_url, TEST_KEY) as store:
        before = store.dump()
    second = _scrub(path, tmp_path / "two", sqlite_url, last_dos(specs), 2)
    with open_store(sqlite_url, TEST_KEY) as store:
        assert store.dump() == before
    assert second.report_head == first.report_head
    assert _outputs(tmp_path / "one") == _outputs(tmp_path / "two")


def test_cli_splits_a_file_scrubbed_with_history(
    tmp_path: Path,
    small_shards: None,
    sqlite_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``scrubber scrub FILE --history URL -j 2``: the file is split (the
    ``input.sharded`` log event) and the store holds every claim."""
    from scrubber import cli

    specs = _courses()
    path = _file(specs, tmp_path / "all.x12")
    monkeypatch.setenv("SCRUBBER_LOG_LEVEL", "info")
    argv = ["scrub", str(path), "-o", str(tmp_path / "out"), "--history", sqlite_url,
            "--quiet", "--as-of", last_dos(specs).isoformat(), "-j", "2"]  # fmt: skip
    assert cli.main(argv) == 1
    assert '"input.sharded"' in capsys.readouterr().err
    with open_store(sqlite_url, TEST_KEY) as store:
        assert store.counts()["claims"] == len(specs)
