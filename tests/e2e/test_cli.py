"""The scrub and validate commands as a biller or a pipeline runs them."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from scrubber import X12InputError, scrub
from scrubber.cli import main
from scrubber.testing import ClaimSpec, LineSpec, build_837

AS_OF = ["--as-of", "2026-11-26"]
CLEAN = build_837([ClaimSpec("PCN1", [LineSpec("77385"), LineSpec("77387", ("26",))])])
MIXED = build_837(
    [
        ClaimSpec("PCN1", [LineSpec("77385"), LineSpec("77387", ("TC",))]),
        ClaimSpec("PCN2", [LineSpec("G6002")], facility_code="22"),
    ]
)


def _run(args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrubber.cli", *args],
        input=stdin.decode(),
        capture_output=True,
        text=True,
        check=False,
    )


def test_exit_0_and_byte_identical_clean(tmp_path: Path) -> None:
    source = tmp_path / "ok.x12"
    source.write_text(CLEAN)
    assert main(["scrub", str(source), "-o", str(tmp_path), *AS_OF, "--quiet"]) == 0
    assert (tmp_path / "ok.clean.x12").read_bytes() == source.read_bytes()
    assert "STC*A2:20" in (tmp_path / "ok.277ca.x12").read_text()
    report = json.loads((tmp_path / "ok.report.json").read_text())
    assert report["summary"]["accepted"] == 1


def test_exit_1_text_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "mixed.x12"
    source.write_text(MIXED)
    assert main(["scrub", str(source), "-o", str(tmp_path), *AS_OF]) == 1
    out = capsys.readouterr().out
    assert "2 claims: 0 accepted, 1 corrected, 1 rejected" in out
    assert "charges: input 300.00 = clean 100.00 + removed lines 100.00" in out
    assert "top rules: IG105 x1" in out


def test_no_clean_file_when_all_rejected_and_stale_removed(tmp_path: Path) -> None:
    source = tmp_path / "bad.x12"
    source.write_text(build_837([ClaimSpec("PCN2", [LineSpec("G6002")], facility_code="22")]))
    (tmp_path / "bad.clean.x12").write_text("stale")
    assert main(["scrub", str(source), "-o", str(tmp_path), *AS_OF, "--quiet"]) == 1
    assert not (tmp_path / "bad.clean.x12").exists()
    assert (tmp_path / "bad.277ca.x12").exists()


def test_stdin_json_and_stem(tmp_path: Path) -> None:
    result = _run(["scrub", "-", "-o", str(tmp_path), *AS_OF, "--format", "json"], MIXED.encode())
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["input"] == "-"
    assert {p.name for p in tmp_path.iterdir()} == {
        "stdin.clean.x12", "stdin.277ca.x12", "stdin.report.json",
    }  # fmt: skip
    assert result.stderr == ""


def test_bad_input_one_line_and_good_inputs_still_processed(tmp_path: Path) -> None:
    good = tmp_path / "good.x12"
    good.write_text(CLEAN)
    bad = tmp_path / "broken.x12"
    bad.write_text(CLEAN.replace("SV1*HC:77385*100.00", "SV1*HC:77385*1O0.00"))
    result = _run(["scrub", str(bad), str(good), "-o", str(tmp_path), *AS_OF, "--quiet"])
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert str(bad) in lines[0] and "segment " in lines[0]
    assert (tmp_path / "good.277ca.x12").exists()
    assert not (tmp_path / "broken.277ca.x12").exists()


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--as-of", "2026-13-01"], "not a date"),
        (["--profile", "lax"], "invalid choice"),
        (["--policy", "missing.toml"], "missing.toml"),
    ],
)
def test_usage_errors_one_line(tmp_path: Path, args: list[str], fragment: str) -> None:
    source = tmp_path / "ok.x12"
    source.write_text(CLEAN)
    result = _run(["scrub", str(source), "-o", str(tmp_path), *args])
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and fragment in result.stderr


def test_validate_command(tmp_path: Path) -> None:
    source = tmp_path / "in.x12"
    source.write_text(CLEAN)
    assert main(["validate", str(source), "-o", str(tmp_path)]) == 0
    assert "IK5*A" in (tmp_path / "in.999.x12").read_text()
    source.write_text(CLEAN.replace("SE*29*0001", "SE*9*0001"))
    assert main(["validate", str(source), "-o", str(tmp_path)]) == 1
    source.write_text("hello")
    assert main(["validate", str(source), "-o", str(tmp_path)]) == 2


def test_api_accepts_every_source_kind(tmp_path: Path) -> None:
    path = tmp_path / "m.x12"
    path.write_text(MIXED)
    results = [
        scrub(source, as_of="2026-11-26")
        for source in (str(path), path, MIXED, MIXED.encode(), io.BytesIO(MIXED.encode()))
    ]
    assert all(r.report["claims"] == results[0].report["claims"] for r in results)
    assert results[0].clean_x12 is not None and "PCN1" in results[0].clean_x12
    assert "STC*A3:21" in results[0].ack_277ca
    with pytest.raises(X12InputError, match="segment"):
        scrub(MIXED.replace("GS*HC", "GS*HX"))


def test_output_directory_is_created(tmp_path: Path) -> None:
    source = tmp_path / "ok.x12"
    source.write_text(CLEAN)
    out = tmp_path / "new" / "nested"
    assert main(["scrub", str(source), "-o", str(out), *AS_OF, "--quiet"]) == 0
    assert (out / "ok.clean.x12").read_bytes() == source.read_bytes()
    assert main(["validate", str(source), "-o", str(tmp_path / "v")]) == 0
    assert (tmp_path / "v" / "ok.999.x12").is_file()


def test_output_directory_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    source = tmp_path / "ok.x12"
    source.write_text(CLEAN)
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = _run(["scrub", str(source), "-o", str(blocker), *AS_OF])
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "cannot create output directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_text_summary_points_at_claim_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "mixed.x12"
    source.write_text(MIXED)
    main(["scrub", str(source), "-o", str(tmp_path), *AS_OF])
    out = capsys.readouterr().out.splitlines()
    assert (
        "  PCN1 line 2: IG105 [remove-line] 77387-TC on 2025-03-03 (line 2) is bundled"
        in "\n".join(out)
    )
    assert any(line.startswith("  PCN2 line 1: IG108 [reject-claim]") for line in out)
