"""``scrubber check`` as a developer's CI runs it: one line per finding, the
same findings ``scrub`` reports, no file written, exit 0 / 1 / 2."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from scrubber.cli import main
from scrubber.cli.commands.check_findings import unique_name
from scrubber.testing import ClaimSpec, LineSpec, build_837
from tests.corpus import SAMPLES_DIR, corpus_files, require_corpus, sample_files
from tests.modes.support import AS_OF, listing, run_cli

CLEAN = build_837([ClaimSpec("PCN1", [LineSpec("77385"), LineSpec("77387", ("26",))])])
LINE = re.compile(
    r"^(?P<file>[^:]+):(?P<claim>[^:]+):(?P<line>\d+): (?P<rule>IG\d{3}) \[(?P<action>[a-z-]+)\] \S"
)
CHANGING = {"reject-claim", "remove-line", "repair"}


def _report_findings(report: dict[str, Any], file: str) -> list[tuple[str, str, int, str, str]]:
    """The report's findings as check names them (a claim id's N-th
    occurrence in the input is ``ID#N``)."""
    seen: dict[str, int] = {}
    found = []
    for claim in report["claims"]:
        name = unique_name(claim["claim_id"], seen)
        found += [(file, name, f["line"] or 0, f["rule"], f["action"]) for f in claim["findings"]]
    return found


def _json_findings(document: list[dict[str, Any]]) -> list[tuple[str, str, int, str, str]]:
    return [(f["file"], f["claim"], f["line"], f["rule"], f["action"]) for f in document]


def _scrub_reports(paths: list[Path], out: Path) -> dict[str, dict[str, Any]]:
    reports = {}
    for path in paths:
        main(["scrub", str(path), "-o", str(out), *AS_OF, "--quiet"])
        report = out / f"{path.stem}.report.json"
        if report.exists():
            reports[str(path)] = json.loads(report.read_text())
    return reports


def test_samples_text_same_findings_as_scrub_and_nothing_written(tmp_path: Path) -> None:
    samples = [str(p.relative_to(SAMPLES_DIR.parent)) for p in sample_files()]
    root = SAMPLES_DIR.parent
    before_samples, before_cwd = listing(SAMPLES_DIR), listing(tmp_path)
    result = run_cli(["check", *(str(root / s) for s in samples), *AS_OF], cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr == b""
    assert (listing(SAMPLES_DIR), listing(tmp_path)) == (before_samples, before_cwd)
    *lines, summary = result.stdout.decode().splitlines()
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), [line for line, m in zip(lines, parsed, strict=True) if not m]
    found = [(m["file"], m["claim"], int(m["line"]), m["rule"], m["action"]) for m in parsed if m]
    expected = []
    reports = _scrub_reports(sorted(root / s for s in samples), tmp_path / "o")
    for path, report in reports.items():
        expected += _report_findings(report, path)
    assert sorted(found) == sorted(expected)
    assert any(f[2] == 0 for f in found)  # claim-level findings print line 0
    changing = sum(f[4] in CHANGING for f in found)
    assert summary == f"Found {len(found)} findings ({changing} change or reject a claim) " \
        "in 116 claims, 4 files."  # fmt: skip
    # sorted: input order, then claim order in the input, then line
    claim_order = {
        (path, c["claim_id"]): n for path, r in reports.items() for n, c in enumerate(r["claims"])
    }
    order = [
        (samples.index(str(Path(f[0]).relative_to(root))), claim_order[f[0], f[1]], f[2], f[3])
        for f in found
    ]
    assert order == sorted(order)


def test_clean_input_exit_0_and_warnings_allowed(tmp_path: Path) -> None:
    clean = run_cli(["check", "-", *AS_OF], CLEAN.encode(), cwd=tmp_path)
    assert clean.returncode == 0
    assert clean.stdout.decode() == "All checked: no findings in 1 claims, 1 file.\n"
    sample = SAMPLES_DIR / "837p_freestanding_pos11.x12"
    warn_only = run_cli(["check", str(sample), "--select", "IG104", *AS_OF, "--format", "json"])
    document = json.loads(warn_only.stdout)
    assert document and {f["action"] for f in document} == {"warn"}
    assert {f["severity"] for f in document} == {"warning"}
    assert warn_only.returncode == 0
    assert list(tmp_path.iterdir()) == []


def test_select_and_ignore_codes_and_prefixes() -> None:
    sample = str(SAMPLES_DIR / "837p_freestanding_pos11.x12")

    def rules(*options: str) -> set[str]:
        result = run_cli(["check", sample, *AS_OF, "--format", "json", *options])
        return {f["rule"] for f in json.loads(result.stdout)}

    every = rules()
    assert len(every) > 3
    assert rules("--select", "IG1") == {r for r in every if r.startswith("IG1")}
    assert rules("--select", "ig1", "--ignore", "IG105,IG104") == {
        r for r in every if r.startswith("IG1") and r not in {"IG104", "IG105"}
    }
    assert rules("--ignore", "IG") == set()
    bad = run_cli(["check", sample, "--select", "XX9"])
    assert bad.returncode == 2 and b"matches no rule" in bad.stderr and bad.stdout == b""


def test_github_annotations(tmp_path: Path) -> None:
    sample = SAMPLES_DIR / "837p_hospital_pro_pos22.x12"
    result = run_cli(["check", str(sample), *AS_OF, "--format", "github"])
    document = json.loads(run_cli(["check", str(sample), *AS_OF, "--format", "json"]).stdout)
    lines = result.stdout.decode().splitlines()
    assert len(lines) == len(document) and result.returncode == 1
    for line, finding in zip(lines, document, strict=True):
        level = "error" if finding["action"] in CHANGING else "warning"
        title = f"{finding['rule']} [{finding['action']}]"
        assert line.startswith(f"::{level} file={sample},title={title}::{finding['claim']}")
        assert finding["message"].replace("%", "%25") in line


def test_junit_one_case_per_claim_and_failures(tmp_path: Path) -> None:
    sample = SAMPLES_DIR / "837p_hospital_pro_pos22.x12"
    broken = tmp_path / "broken.x12"
    broken.write_text(CLEAN.replace("GS*HC", "GS*HX"))
    result = run_cli(["check", str(sample), str(broken), *AS_OF, "--format", "junit"])
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and str(broken).encode() in result.stderr
    root = ET.fromstring(result.stdout)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    report = _scrub_reports([sample], tmp_path / "o")[str(sample)]
    cases = suites[0].findall("testcase")
    assert [c.get("name") for c in cases] == [c["claim_id"] for c in report["claims"]]
    failed = [c for c in report["claims"] if c["status"] != "accepted"]
    assert suites[0].get("failures") == str(len(failed))
    assert suites[0].get("tests") == str(len(report["claims"]))
    by_name = {c.get("name"): c for c in cases}
    for claim in report["claims"]:
        changing = [f for f in claim["findings"] if f["action"] in CHANGING]
        failures = by_name[claim["claim_id"]].findall("failure")
        assert sorted(str(f.get("type")) for f in failures) == sorted(f["rule"] for f in changing)
    rejected = cases[[c["status"] for c in report["claims"]].index("rejected")]
    assert "\nFix: " in "".join(rejected.itertext())
    error_suite = suites[1]
    assert error_suite.get("errors") == "1" and error_suite.find("testcase/error") is not None
    assert root.get("tests") == str(len(report["claims"]) + 1)


@pytest.mark.corpus
def test_corpus_same_findings_as_scrub_nothing_written(tmp_path: Path) -> None:
    corpus = require_corpus()
    files = corpus_files()
    before = listing(corpus)
    work = tmp_path / "cwd"
    work.mkdir()
    result = run_cli(["check", *map(str, files), *AS_OF, "--format", "json"], cwd=work)
    assert listing(corpus) == before and list(work.iterdir()) == []
    assert b"Traceback" not in result.stderr
    reports = _scrub_reports(files, tmp_path / "o")
    unusable = [p for p in files if str(p) not in reports]
    assert unusable and result.returncode == 2
    errors = result.stderr.decode().splitlines()
    assert len(errors) == len(unusable)
    assert all(str(p) in line for p, line in zip(unusable, errors, strict=True))
    expected = [f for path, r in reports.items() for f in _report_findings(r, path)]
    assert sorted(_json_findings(json.loads(result.stdout))) == sorted(expected)
