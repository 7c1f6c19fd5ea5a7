"""``scrubber scrub --history URL`` and ``scrub(..., history=URL)`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scrubber import cli, scrub
from scrubber.history import open_store
from scrubber.testing import build_837
from tests.history.builders import course_specs, last_dos, weekly
from tests.history.conftest import TEST_KEY


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRUBBER_HISTORY_KEY", TEST_KEY.decode())


def _findings(report: dict[str, object]) -> list[tuple[str, str, object]]:
    claims = report["claims"]
    assert isinstance(claims, list)
    return [(c["claim_id"], f["rule"], f["line"]) for c in claims for f in c["findings"]]


def test_api_weekly_files_with_history_url_match_one_file(store_url: str) -> None:
    specs = course_specs()
    as_of = last_dos(specs)
    single = scrub(build_837(specs), as_of=as_of)
    split: list[tuple[str, str, object]] = []
    for week in weekly(specs):
        result = scrub(build_837(week), as_of=last_dos(week), history=store_url)
        split.extend(_findings(result.report))
    settled = sorted(f for f in split if f[1] != "IG407")
    assert settled == sorted(f for f in _findings(single.report) if f[1] != "IG407")
    assert {f for f in _findings(single.report) if f[1] == "IG407"} <= set(split)
    assert ("PCNMBR0001D04", "IG405", 2) in split
    with open_store(store_url, TEST_KEY) as store:
        assert store.counts()["claims"] == len(specs)


def test_api_accepts_an_open_store_and_is_idempotent(sqlite_url: str) -> None:
    text = build_837(course_specs(fractions=5))
    with open_store(sqlite_url, TEST_KEY) as store:
        first = scrub(text, as_of=last_dos(course_specs(fractions=5)), history=store)
        before = store.dump()
        second = scrub(text, as_of=last_dos(course_specs(fractions=5)), history=store)
        assert store.dump() == before
    assert second.report == first.report
    assert second.clean_x12 == first.clean_x12


def test_cli_scrub_history_then_retro(
    tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = []
    for number, week in enumerate(weekly(course_specs()), start=1):
        path = tmp_path / f"week{number}.x12"
        path.write_text(build_837(week))
        inputs.append(path)
    out = tmp_path / "out"
    out.mkdir()
    for path in inputs:  # one run per weekly file, as a practice would
        argv = ["scrub", str(path), "-o", str(out), "--history", sqlite_url, "--quiet",
                "--as-of", "2025-04-04"]  # fmt: skip
        assert cli.main(argv) in (0, 1)
    report = json.loads((out / f"{inputs[-1].stem}.report.json").read_text())
    assert ("PCNMBR0001D24", "IG407", 2) in _findings(report)
    capsys.readouterr()
    assert cli.main(["retro", "--history", sqlite_url, "--as-of", "2025-06-01"]) == 1
    assert "claim PCNMBR0001D24 line 2" in capsys.readouterr().out


def test_cli_scrub_history_without_key_is_a_usage_error(
    tmp_path: Path,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("SCRUBBER_HISTORY_KEY")
    path = tmp_path / "in.x12"
    path.write_text(build_837(course_specs(fractions=2)))
    assert cli.main(["scrub", str(path), "-o", str(tmp_path), "--history", sqlite_url]) == 2
    err = capsys.readouterr().err
    assert "SCRUBBER_HISTORY_KEY" in err and "Traceback" not in err
