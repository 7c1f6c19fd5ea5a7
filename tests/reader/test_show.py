"""``scrubber show``: table and JSON output, and unusable input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scrubber.cli import main
from tests.corpus import SAMPLES_DIR, require_corpus

SAMPLE = SAMPLES_DIR / "837p_hospital_pro_pos22.x12"


def test_show_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", str(SAMPLE)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == [
        "claim",
        "st",
        "LX",
        "rev",
        "procedure",
        "units",
        "charge",
        "DOS",
        "ptr",
        "6R",
    ]
    assert out[-1] == "50 claims, 1815 segments"
    assert out[1].split()[:5] == ["HP01P", "prof", "22:1", "total", "1776.50"]
    assert out[2].split() == ["1", "77263", "1", "310.00", "2025-09-10", "1", "HP01PL1"]
    assert sum(1 for line in out if "77387-26" in line) == 161
    ranges = [line for line in out if re.search(r"\d{4}-\d\d-\d\d\.\.\d{4}-\d\d-\d\d", line)]
    # 42 weekly 77427 lines; the 21-fraction course ends with a one-day week (D8).
    assert len(ranges) == 41 and all("77427" in line for line in ranges)


def test_show_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "--format", "json", str(SAMPLE)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["input"] == str(SAMPLE)
    assert document["warnings"] == []
    claims = document["claims"]
    assert len(claims) == 50
    first = claims[0]
    assert first["claim_id"] == "HP01P"
    assert first["kind"] == "professional"
    assert first["transaction"] == {"isa13": "000000201", "gs06": "2001", "st02": "0001"}
    assert first["total_charge"] == "1776.50"
    assert first["billing_npi"] == "1679576722"
    assert first["lines"][1] == {
        "line": 2,
        "revenue_code": "",
        "qualifier": "HC",
        "procedure": "77290",
        "modifiers": ["26"],
        "charge": "273.00",
        "units": "1",
        "place_of_service": "",
        "diagnosis_pointers": [1],
        "dos": {"start": "2025-09-10", "end": "2025-09-10"},
        "line_control": "HP01PL2",
        "prior_authorizations": [],
    }


def test_show_warnings_in_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "warn.x12"
    path.write_text(SAMPLE.read_text().replace("SE|", "SE|9999", 1))
    assert main(["show", "--format", "json", str(path)]) == 0
    [warning] = json.loads(capsys.readouterr().out)["warnings"]
    assert warning["segment"] == "SE"
    assert warning["problem"].startswith("SE01 declares '9999")


def test_show_bad_corpus_file(capsys: pytest.CaptureFixture[str]) -> None:
    path = require_corpus() / "x12-parser__x12_bad_segment_identifier.txt"
    assert main(["show", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"scrubber: {path}: segment 6: bad segment identifier")


def test_show_refused_277_from_stdin_in_a_subprocess() -> None:
    path = require_corpus() / "x12__claim-level-status.277"
    done = subprocess.run(
        [sys.executable, "-m", "scrubber.cli", "show", "-"],
        input=path.read_bytes(),
        capture_output=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == b""
    err = done.stderr.decode()
    assert "Traceback" not in err
    assert err.count("\n") == 1
    assert err.startswith("scrubber: -: segment 2 (GS): functional group GS01='HN' (277")


def test_show_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "/nonexistent/claims.x12"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("scrubber: /nonexistent/claims.x12: cannot read /nonexistent/claims.x12")
