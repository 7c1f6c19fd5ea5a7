"""A store opened read-only (``scrub --no-record``, ``scrubber check``): the
same context as a recording scrub, and not one row changed, on SQLite and a
real PostgreSQL; a reader waits for no writer."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from scrubber import scrub
from scrubber.history import HistoryStoreError, open_store
from scrubber.history.connect import normalize_url
from scrubber.rules.radonc.registry import EMPTY_REGISTRY
from scrubber.testing import build_837
from tests.corpus import SAMPLES_DIR
from tests.history.builders import course_specs
from tests.history.conftest import TEST_KEY
from tests.modes.support import dump_store, run_cli

AS_OF = "2025-03-07"


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRUBBER_HISTORY_KEY", TEST_KEY.decode())


def _findings(report: dict[str, Any]) -> list[tuple[str, str, object, str]]:
    return [
        (c["claim_id"], f["rule"], f["line"] or 0, f["action"])
        for c in report["claims"]
        for f in c["findings"]
    ]


def _weeks(tmp_path: Path) -> list[Path]:
    """week1: the plan and fractions 1-3 (a port film on 1); week2: fractions
    4-5 (a port film on 4, IG405 only in the context of week 1)."""
    specs = course_specs()
    paths = []
    for number, part in enumerate((specs[:4], specs[4:6]), start=1):
        path = tmp_path / f"week{number}.x12"
        path.write_text(build_837(part))
        paths.append(path)
    return paths


def test_check_and_no_record_read_context_and_change_nothing(
    store_url: str, tmp_path: Path
) -> None:
    week1, week2, *_ = _weeks(tmp_path)
    scrub(week1, as_of=AS_OF, history=store_url)  # recorded: the context of week 2
    before = dump_store(store_url)
    assert before["claims"] and before["subjects"]

    checked = run_cli(["check", str(week2), "--history", store_url, "--as-of", AS_OF,
                       "--format", "json"])  # fmt: skip
    assert checked.returncode in (0, 1), checked.stderr
    out = tmp_path / "out"
    scrubbed = run_cli(["scrub", str(week2), "-o", str(out), "--history", store_url,
                        "--no-record", "--as-of", AS_OF, "--quiet"])  # fmt: skip
    assert scrubbed.returncode in (0, 1), scrubbed.stderr
    sample = SAMPLES_DIR / "837p_freestanding_pos11.x12"  # patients the store never saw
    others = run_cli(["check", str(sample), "--history", store_url, "--as-of", AS_OF])
    assert others.returncode == 1, others.stderr
    assert dump_store(store_url) == before

    no_record = _findings(json.loads((out / "week2.report.json").read_text()))
    as_checked = [
        (f["claim"], f["rule"], f["line"], f["action"]) for f in json.loads(checked.stdout)
    ]
    assert sorted(as_checked) == sorted(no_record)
    recorded = scrub(week2, as_of=AS_OF, history=store_url)  # the same context, recorded
    assert _findings(recorded.report) == no_record
    assert ("PCNMBR0001D04", "IG405", 2, "remove-line") in no_record  # the context mattered
    assert _findings(scrub(week2, as_of=AS_OF).report) != no_record
    assert dump_store(store_url) != before


def test_api_record_false(store_url: str, tmp_path: Path) -> None:
    week1, week2, *_ = _weeks(tmp_path)
    scrub(week1, as_of=AS_OF, history=store_url)
    before = dump_store(store_url)
    result = scrub(week2, as_of=AS_OF, history=store_url, record=False)
    assert dump_store(store_url) == before
    assert _findings(result.report) == _findings(
        scrub(week2, as_of=AS_OF, history=store_url).report
    )
    recorded = dump_store(store_url)
    with open_store(store_url, TEST_KEY) as writable:  # a store opened for writing:
        scrub(week2, as_of=AS_OF, history=writable, record=False)  # its batch is rolled back
    assert dump_store(store_url) == recorded
    with open_store(store_url, TEST_KEY, read_only=True) as store:
        with pytest.raises(HistoryStoreError, match="read-only"):
            store.add_registry(EMPTY_REGISTRY)
        scrub(week1, as_of=AS_OF, history=store)
    assert dump_store(store_url) != before


@contextmanager
def _writer_holding_locks(url: str) -> Iterator[None]:
    """Another process's write transaction, open: SQLite's write lock
    (BEGIN IMMEDIATE); on PostgreSQL every subject row locked FOR UPDATE."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        raw = sqlite3.connect(str(parsed.database), isolation_level=None)
        raw.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            raw.execute("ROLLBACK")
            raw.close()
        return
    engine = sa.create_engine(parsed)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT id FROM subjects FOR UPDATE")).all()
            yield
    finally:
        engine.dispose()


def test_a_reader_waits_for_no_writer(store_url: str, tmp_path: Path) -> None:
    week1, week2, *_ = _weeks(tmp_path)
    scrub(week1, as_of=AS_OF, history=store_url)
    with _writer_holding_locks(store_url):
        # A writer would wait for the lock (SQLite: up to 120 s; PostgreSQL: forever).
        checked = run_cli(["check", str(week2), "--history", store_url, "--as-of", AS_OF],
                          timeout=60)  # fmt: skip
        assert checked.returncode in (0, 1), checked.stderr


def test_read_only_store_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    week = _weeks(tmp_path)[0]
    result = run_cli(["check", str(week), "--history", f"sqlite:///{missing}"])
    assert result.returncode == 2 and result.stdout == b""
    assert "history store does not exist" in result.stderr.decode()
    assert len(result.stderr.splitlines()) == 1
    result = run_cli(["scrub", str(week), "-o", str(tmp_path), "--no-record",
                      "--history", f"sqlite:///{missing}"])  # fmt: skip
    assert result.returncode == 2
    assert not missing.exists()
    assert not (tmp_path / "week1.277ca.x12").exists()


@pytest.mark.corpus
def test_no_record_over_samples_and_corpus_changes_nothing(store_url: str, tmp_path: Path) -> None:
    from tests.corpus import corpus_files, require_corpus, sample_files

    require_corpus()
    scrub(sample_files()[0], as_of="2026-11-26", history=store_url)  # some context
    before = dump_store(store_url)
    inputs = [*sample_files(), *corpus_files()]
    out = tmp_path / "out"
    result = run_cli(["scrub", *map(str, inputs), "-o", str(out), "--history", store_url,
                      "--no-record", "--as-of", "2026-11-26", "--quiet"])  # fmt: skip
    assert result.returncode == 2  # the corpus holds unusable files; the others are scrubbed
    assert b"Traceback" not in result.stderr
    reports = {p.name.removesuffix(".report.json") for p in out.glob("*.report.json")}
    assert {p.stem for p in sample_files()} <= reports
    assert len(reports) == len(inputs) - len(result.stderr.splitlines())
    checked = run_cli(["check", *map(str, inputs), "--history", store_url, "--as-of",
                       "2026-11-26", "--format", "json"])  # fmt: skip
    assert checked.returncode == 2 and json.loads(checked.stdout)
    assert dump_store(store_url) == before
