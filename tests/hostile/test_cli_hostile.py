"""The scrub command on hostile input and hostile surroundings, as a subprocess
(issue 16): one line on standard error and a conventional exit status, never a
traceback; outputs all written or none; no temporary file left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from scrubber.testing import ClaimSpec, LineSpec, build_837

AS_OF = ["--as-of", "2026-11-26"]
ROOT = Path(__file__).resolve().parents[2]
GOOD = build_837(
    [
        ClaimSpec("PCN1", [LineSpec("77385"), LineSpec("77387", ("TC",))]),
        ClaimSpec("PCN2", [LineSpec("77412")], member_id="M2"),
    ]
)


def _run(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrubber.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


def _one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


# Hostile 837 text: one line, exit 2 ---------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("LX*2~", "LX*2~\nLX*3~", "SV1 must follow LX"),
        ("LX*2~", "LX*\u00b2~", "LX01"),
        ("CLM*PCN2*100.00*", "CLM*PCN2*1E+27*", "CLM02"),
        ("SV1*HC:77412*100.00*UN*1*", "SV1*HC:77412*100.00*UN*1E+5000*", "SV104"),
    ],
)
@pytest.mark.parametrize("profile", ["clean", "strict"])
def test_hostile_837_is_refused_in_one_line(
    tmp_path: Path, old: str, new: str, words: str, profile: str
) -> None:
    assert old in GOOD
    source = tmp_path / "S.x12"
    source.write_text(GOOD.replace(old, new, 1))
    result = _run(["scrub", str(source), "-o", str(tmp_path), "--profile", profile, *AS_OF])
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert line.startswith(f"scrubber: {source}: segment ") and words in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["S.x12"]


def test_claim_without_service_lines_is_rejected_by_ig003(tmp_path: Path) -> None:
    segments = GOOD.split("~\n")
    start = next(i for i, s in enumerate(segments) if s.startswith("CLM*PCN2"))
    end = next(i for i, s in enumerate(segments) if s.startswith("SE*"))
    kept = [s for i, s in enumerate(segments) if not (start < i < end and i > start + 3)]
    kept = [s if not s.startswith("SE*") else f"SE*{len(kept) - 4}*0001" for s in kept]
    source = tmp_path / "S.x12"
    source.write_text("~\n".join(kept))
    result = _run(["scrub", str(source), "-o", str(tmp_path), "--quiet", *AS_OF])
    assert result.returncode == 1, result.stderr
    report = json.loads((tmp_path / "S.report.json").read_text())
    pcn2 = report["claims"][1]
    assert pcn2["status"] == "rejected" and [f["rule"] for f in pcn2["findings"]] == ["IG003"]
    assert "TRN*2*PCN2~\nSTC*A3:21" in (tmp_path / "S.277ca.x12").read_text()


def test_sub_cent_and_unbalanced_claims_are_rejected_and_totals_agree(tmp_path: Path) -> None:
    text = build_837(
        [
            ClaimSpec("SUB", [LineSpec("77412", charge=Decimal("1450.015")),
                              LineSpec("77417", charge=Decimal("117.005"))]),
            ClaimSpec("OFF", [LineSpec("77412")], member_id="M2", total_charge=Decimal("99.99")),
            ClaimSpec("OK", [LineSpec("77412")], member_id="M3"),
        ]
    )  # fmt: skip
    source = tmp_path / "S.x12"
    source.write_text(text)
    result = _run(["scrub", str(source), "-o", str(tmp_path), *AS_OF])
    assert result.returncode == 1, result.stderr
    assert (
        "charges: input 1767.01 = clean 100.00 + removed lines 0.00 + rejected claims 1667.01"
        in result.stdout
    )
    report = json.loads((tmp_path / "S.report.json").read_text())
    rules = {c["claim_id"]: [f["rule"] for f in c["findings"]] for c in report["claims"]}
    assert "IG004" in rules["SUB"] and "IG005" in rules["OFF"]
    assert report["summary"]["charges"] == {
        "input": "1767.01", "clean": "100.00", "removed_lines": "0.00",
        "rejected_claims": "1667.01",
    }  # fmt: skip
    ack = (tmp_path / "S.277ca.x12").read_text()
    assert "AMT*YY*1667.01~" in ack and "STC*A3:21*" in ack and "*U*1567.02*" in ack


# Names with control characters -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["bad\nname.x12", "bad\rname.x12", "esc\x1b[2Jname.x12"])
def test_control_characters_in_a_file_name_stay_on_one_line(tmp_path: Path, name: str) -> None:
    source = tmp_path / name
    source.write_text("not an 837")
    result = _run(["scrub", name, "-o", "out", *AS_OF], cwd=tmp_path)
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert "\x1b" not in line and "\r" not in line
    assert name.encode("unicode_escape").decode() in line


def test_control_characters_in_a_good_file_name_stay_on_one_line_in_the_summary(
    tmp_path: Path,
) -> None:
    (tmp_path / "two\nlines.x12").write_text(GOOD)
    result = _run(["scrub", "two\nlines.x12", "-o", "out", *AS_OF], cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[0].startswith("two\\nlines.x12: 2 claims:")
    assert (tmp_path / "out" / "two\nlines.report.json").exists()


# Outputs: all or nothing -------------------------------------------------------------------


def test_output_path_that_is_a_directory_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "S.x12"
    source.write_text(GOOD)
    out = tmp_path / "out"
    (out / "S.report.json").mkdir(parents=True)
    result = _run(["scrub", str(source), "-o", str(out), *AS_OF])
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert "Is a directory" in line and "S.report.json" in line and "none was written" in line
    assert sorted(p.name for p in out.iterdir()) == ["S.report.json"]
    assert (out / "S.report.json").is_dir()


def test_failed_commit_keeps_the_previous_run_outputs(tmp_path: Path) -> None:
    source = tmp_path / "S.x12"
    source.write_text(GOOD)
    assert _run(["scrub", str(source), "-o", str(tmp_path), "--quiet", *AS_OF]).returncode == 1
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    report = tmp_path / "S.report.json"
    report.unlink()
    report.mkdir()
    source.write_text(GOOD.replace("77387", "77417"))
    result = _run(["scrub", str(source), "-o", str(tmp_path), *AS_OF])
    assert result.returncode == 2
    _one_line(result.stderr)
    for name in ("S.clean.x12", "S.277ca.x12"):
        assert (tmp_path / name).read_bytes() == before[name]
    assert _leftovers(tmp_path) == []


# Signals --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def large_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 10 MB of realistic claims (the benchmark generator): several
    seconds of work, and two shards with -j 2."""
    path = tmp_path_factory.mktemp("large") / "L.x12"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(path), "--claims", "12000"],
        check=True,
        capture_output=True,
    )
    return path


def _processes_of(session: int) -> Iterator[int]:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == session:
                    yield int(entry.name)
            except (ProcessLookupError, PermissionError):
                continue


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the workers")
@pytest.mark.parametrize(
    ("signum", "jobs", "whole_group", "status", "word", "inputs"),
    [
        (signal.SIGINT, 1, True, 130, "interrupted", 1),
        (signal.SIGINT, 2, True, 130, "interrupted", 1),
        (signal.SIGTERM, 1, False, 143, "terminated", 1),
        (signal.SIGTERM, 2, False, 143, "terminated", 1),
        (signal.SIGTERM, 2, True, 143, "terminated", 1),
        (signal.SIGINT, 2, True, 130, "interrupted", 2),  # one worker per input
        (signal.SIGTERM, 2, False, 143, "terminated", 2),
    ],
)
def test_signal_mid_run_exits_cleanly(
    tmp_path: Path,
    large_input: Path,
    signum: signal.Signals,
    jobs: int,
    whole_group: bool,
    status: int,
    word: str,
    inputs: int,
) -> None:
    """Ctrl-C reaches the whole process group (shard workers too); SIGTERM
    the main process (``kill PID``) or the group (a service manager). With
    two inputs and -j 2, each input is scrubbed in its own worker."""
    out = tmp_path / "out"
    out.mkdir()
    paths = [large_input]
    if inputs == 2:
        paths.append(tmp_path / "L2.x12")
        paths[1].write_bytes(large_input.read_bytes())
    process = subprocess.Popen(
        [sys.executable, "-m", "scrubber.cli", "scrub", *map(str, paths), "-o", str(out),
         "-j", str(jobs), "--quiet", *AS_OF],
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not _leftovers(out) and time.monotonic() < deadline:  # outputs being written
        time.sleep(0.05)
    time.sleep(1.0)  # well into the run (the workers have started with -j 2)
    assert process.poll() is None, "the run ended before the signal: use a larger input"
    if whole_group:
        os.killpg(process.pid, signum)
    else:
        os.kill(process.pid, signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == status, stderr
    line = _one_line(stderr)
    assert line.startswith(f"scrubber: {word}")
    assert list(out.iterdir()) == []  # no output, no temporary file
    deadline = time.monotonic() + 10
    while list(_processes_of(process.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(_processes_of(process.pid)) == []  # no worker left running
