"""``scrubber filter`` as a pipeline runs it: 837 on stdin, the cleaned 837 on
stdout (exactly what ``scrub`` writes to S.clean.x12), exit 0 or 2; and
``scrub --exit-zero``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import pyx12.errors

from scrubber.cli import main
from scrubber.testing import ClaimSpec, LineSpec, build_837
from scrubber.x12.conformance import check_conformance
from tests.corpus import corpus_params, require_corpus, sample_files
from tests.modes.support import AS_OF, listing, run_cli

REJECTED_ONLY = build_837([ClaimSpec("PCN2", [LineSpec("G6002")], facility_code="22")])


def _scrub(path: Path, out: Path) -> tuple[int, Path]:
    result = run_cli(["scrub", str(path), "-o", str(out), *AS_OF, "--quiet"])
    return result.returncode, out / f"{path.stem}.clean.x12"


@pytest.mark.parametrize("sample", sample_files(), ids=lambda p: p.name)
def test_filter_stdout_is_scrubs_clean_file_and_conforms(sample: Path, tmp_path: Path) -> None:
    status, clean = _scrub(sample, tmp_path / "scrub")
    assert status in (0, 1)
    ack, report = tmp_path / "ack.x12", tmp_path / "report.json"
    result = run_cli(
        ["filter", "--ack", str(ack), "--report", str(report), *AS_OF], sample.read_bytes()
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    assert result.stdout == clean.read_bytes()
    assert check_conformance(result.stdout.decode("utf-8-sig")).valid
    assert check_conformance(ack.read_text()).valid
    scrubbed = json.loads((tmp_path / "scrub" / f"{sample.stem}.report.json").read_text())
    filtered = json.loads(report.read_text())
    assert filtered["input"] == "-"
    assert {**filtered, "input": scrubbed["input"]} == scrubbed
    # The 277CA: the same as scrub's for the same run moment (SOURCE_DATE_EPOCH).
    assert ack.read_bytes() == (tmp_path / "scrub" / f"{sample.stem}.277ca.x12").read_bytes()
    assert {p.name for p in tmp_path.iterdir()} == {"scrub", "ack.x12", "report.json"}


def test_filter_exit_0_when_claims_rejected_and_stdout_empty(tmp_path: Path) -> None:
    source = tmp_path / "bad.x12"
    source.write_text(REJECTED_ONLY)
    assert _scrub(source, tmp_path)[0] == 1  # what scrub says
    assert not (tmp_path / "bad.clean.x12").exists()
    ack = tmp_path / "ack.x12"
    result = run_cli(["filter", "--ack", str(ack), *AS_OF], REJECTED_ONLY.encode())
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
    assert "STC*A3" in ack.read_text()


def test_filter_unusable_input_exit_2_one_line_nothing_written(tmp_path: Path) -> None:
    ack, report = tmp_path / "ack.x12", tmp_path / "report.json"
    broken = REJECTED_ONLY.replace("GS*HC", "GS*HX")
    args = ["filter", "--ack", str(ack), "--report", str(report), *AS_OF]
    for stdin in (broken.encode(), b""):
        result = run_cli(args, stdin)
        assert result.returncode == 2
        assert result.stdout == b""
        lines = result.stderr.decode().splitlines()
        assert len(lines) == 1 and lines[0].startswith("scrubber: <stdin>: "), lines
    assert "segment 2 (GS)" in run_cli(args, broken.encode()).stderr.decode()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--ack", "no/such/folder/ack.x12"], "folder does not exist"),
        (["--profile", "lax"], "invalid choice"),
        (["--policy", "missing.toml"], "missing.toml"),
        (["--history", "sqlite:///no/such/dir/h.db", "--no-record"], "--history"),
    ],
)
def test_filter_usage_errors_exit_2(tmp_path: Path, args: list[str], fragment: str) -> None:
    result = run_cli(["filter", *args], REJECTED_ONLY.encode(), cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == b""
    assert len(result.stderr.splitlines()) == 1 and fragment in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()
    assert list(tmp_path.iterdir()) == []


def test_filter_in_a_shell_pipeline_writes_only_the_named_files(tmp_path: Path) -> None:
    sample = sorted(sample_files())[0]
    before = listing(tmp_path)
    result = run_cli(["filter", "--ack", "a.x12", *AS_OF], sample.read_bytes(), cwd=tmp_path)
    assert result.returncode == 0
    assert set(listing(tmp_path)) - set(before) == {"a.x12"}


def test_scrub_exit_zero(tmp_path: Path) -> None:
    source = tmp_path / "bad.x12"
    source.write_text(REJECTED_ONLY)
    plain = run_cli(["scrub", str(source), "-o", str(tmp_path), *AS_OF, "--quiet"])
    zero = run_cli(["scrub", str(source), "-o", str(tmp_path), *AS_OF, "--quiet", "--exit-zero"])
    assert (plain.returncode, zero.returncode) == (1, 0)
    (tmp_path / "broken.x12").write_text(REJECTED_ONLY.replace("GS*HC", "GS*HX"))
    broken = run_cli(["scrub", str(tmp_path / "broken.x12"), "--exit-zero", "-o", str(tmp_path)])
    assert broken.returncode == 2


@pytest.mark.corpus
@pytest.mark.parametrize("path", corpus_params())
def test_filter_corpus_file_matches_scrub(path: Path | None, tmp_path: Path) -> None:
    require_corpus()
    assert path is not None
    # scrub in this process (its subprocess runs are tested above), filter as a subprocess
    status = main(["scrub", str(path), "-o", str(tmp_path), *AS_OF, "--quiet"])
    clean = tmp_path / f"{path.stem}.clean.x12"
    result = run_cli(["filter", *AS_OF], path.read_bytes())
    assert b"Traceback" not in result.stderr
    if status == 2:
        assert result.returncode == 2 and result.stdout == b""
        assert len(result.stderr.splitlines()) == 1
        return
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    if not clean.exists():
        assert result.stdout == b""
        return
    assert result.stdout == clean.read_bytes()
    try:
        original = check_conformance(path.read_text(encoding="utf-8", errors="replace"))
    except pyx12.errors.EngineError:  # pyx12 has no map for this version (X222A2 ...)
        return
    conformance = check_conformance(result.stdout.decode("utf-8", errors="replace"))
    assert conformance.valid or not original.valid, [str(e) for e in conformance.errors]
