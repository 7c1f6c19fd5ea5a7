"""``scrubber scrub --batch``: one batch across many files (scrubber.pipeline.batch)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scrubber.cli.main import main
from scrubber.history import open_store
from tests.corpus import sample_files
from tests.history.conftest import TEST_KEY
from tests.pipeline.batch_files import (
    BATCH_AS_OF,
    SPLIT_AS_OF,
    outputs_of,
    run_batch,
    split_course,
    weekly_batch,
)

EPOCH = "1767225600"


@pytest.fixture(autouse=True)
def _fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def _findings(report: Path) -> dict[str, list[str]]:
    """Each claim's rule codes, from a report file."""
    claims = json.loads(report.read_text())["claims"]
    return {claim["claim_id"]: sorted(f["rule"] for f in claim["findings"]) for claim in claims}


@pytest.mark.parametrize("sample", sample_files(), ids=lambda path: path.name)
def test_a_batch_of_one_writes_what_scrub_writes(sample: Path, tmp_path: Path) -> None:
    argv = [str(sample), "--as-of", "2026-01-01", "--quiet", "-j", "1"]
    assert main(["scrub", *argv, "-o", str(tmp_path / "scrub")]) == main(
        ["scrub", "--batch", *argv, "-o", str(tmp_path / "batch")]
    )
    scrubbed = outputs_of(tmp_path / "scrub")
    assert len(scrubbed) >= 2
    assert outputs_of(tmp_path / "batch") == scrubbed


def test_a_course_split_across_files_is_decided_as_one(tmp_path: Path) -> None:
    paths = [str(path) for path in split_course(tmp_path)]
    argv = ["--as-of", SPLIT_AS_OF.isoformat(), "--quiet", "-j", "1"]
    assert main(["scrub", *paths, *argv, "-o", str(tmp_path / "apart")]) == 0
    assert main(["scrub", "--batch", *paths, *argv, "-o", str(tmp_path / "batch")]) == 1
    apart = _findings(tmp_path / "apart" / "week1b.report.json")
    together = _findings(tmp_path / "batch" / "week1b.report.json")
    assert "IG405" not in apart["W1B"]  # file by file: one port film per block, wrongly
    assert "IG405" in together["W1B"]  # one batch: the second port film of fractions 1-5
    clean = (tmp_path / "batch" / "week1b.clean.x12").read_text()
    assert "77417" not in clean and clean.count("77385") == 2
    assert "IG405" not in _findings(tmp_path / "batch" / "week1a.report.json")["W1A"]


def test_any_number_of_processes_writes_the_same(tmp_path: Path) -> None:
    paths = weekly_batch(tmp_path / "in")
    serial = run_batch(paths, tmp_path / "j1", BATCH_AS_OF, jobs=1)
    split = run_batch(paths, tmp_path / "j2", BATCH_AS_OF, jobs=2, min_bytes=1)
    assert outputs_of(tmp_path / "j1") == outputs_of(tmp_path / "j2")
    assert [r.exit_status for r in serial] == [r.exit_status for r in split]
    # The courses cross files: the batch finds what file-by-file scrubs cannot.
    rules = {rule for path in paths for rules in _findings(
        tmp_path / "j1" / f"{path.stem}.report.json").values() for rule in rules}  # fmt: skip
    assert "IG405" in rules


def test_an_unusable_input_refuses_the_whole_batch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = split_course(tmp_path)[0]
    bad = tmp_path / "bad.x12"
    bad.write_text("ISA*this is not an interchange~")
    out = tmp_path / "out"
    assert main(["scrub", "--batch", str(good), str(bad), "-o", str(out), "--quiet"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and error[0].startswith(f"scrubber: {bad}: ")
    assert list(out.iterdir()) == []


def test_a_batch_is_one_store_batch_and_recording_it_twice_changes_nothing(
    tmp_path: Path,
) -> None:
    paths = weekly_batch(tmp_path / "in", patients=3)
    url = f"sqlite:///{tmp_path / 'history.db'}"
    with open_store(url, TEST_KEY) as store:
        run_batch(paths, tmp_path / "first", BATCH_AS_OF, history=store, jobs=2, min_bytes=1)
        recorded = store.dump()
        counts = store.counts()
    assert len(recorded["batches"]) == 1
    with open_store(url, TEST_KEY) as store:
        run_batch(paths, tmp_path / "second", BATCH_AS_OF, history=store)
        assert store.dump() == recorded and store.counts() == counts
    without = run_batch(paths, tmp_path / "none", BATCH_AS_OF)
    assert outputs_of(tmp_path / "first") == outputs_of(tmp_path / "none")
    assert outputs_of(tmp_path / "second") == outputs_of(tmp_path / "none")
    assert sum(r.exit_status for r in without) > 0
