"""The pytest plugin (scrubber.pytest_plugin), driven by pytest's own
``pytester``: off by default, one item per claim, sidecar expectations,
--scrub-update, failure text; and this project's own collection untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from scrubber.testing import ClaimSpec, LineSpec, build_837
from tests.corpus import ROOT

ACCEPTED = ClaimSpec("PCN1", [LineSpec("77385"), LineSpec("77387", ("26",))])
CORRECTED = ClaimSpec("PCN2", [LineSpec("77385"), LineSpec("77387", ("TC",))])
REJECTED = ClaimSpec("PCN3", [LineSpec("G6002")], facility_code="22")
INI = "[pytest]\nscrub_as_of = 2026-11-26\n"


def _batch(pytester: pytest.Pytester, *specs: ClaimSpec, name: str = "batch.x12") -> Path:
    path = pytester.path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(build_837(list(specs or (ACCEPTED, CORRECTED))))
    return path


def test_entry_point_registered() -> None:
    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins.get("scrubber") == "scrubber.pytest_plugin"


def test_collects_nothing_by_default(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    _batch(pytester)
    pytester.makepyfile(test_ok="def test_ok(): pass")
    result = pytester.runpytest("--collect-only", "-q")
    assert result.ret == 0
    assert [line for line in result.outlines if "::" in line] == ["test_ok.py::test_ok"]


def test_one_item_per_claim_and_accepted_only_without_sidecar(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    _batch(pytester, ACCEPTED, CORRECTED, ACCEPTED)
    collected = pytester.runpytest("--scrub-claims", "--collect-only", "-q")
    items = [line for line in collected.outlines if "::" in line]
    assert items == ["batch.x12::PCN1", "batch.x12::PCN2", "batch.x12::PCN1#2"]
    result = pytester.runpytest("--scrub-claims")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            # (fnmatch: "?" for the brackets, which it reads as character sets)
            "claim PCN2 (as of 2026-11-26): expected accepted (no expectation in a sidecar),"
            " got corrected ?IG105?",
            "  line 2: IG105 ?remove-line? 77387-TC on * (line 2) is bundled*",
            "*    fix: Do not bill the technical component of IGRT with IMRT delivery.",
            "*FAILED batch.x12::PCN2*",
        ]
    )


def test_ini_globs_select_files_even_outside_testpaths(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI + "testpaths = tests\nscrub_claims = samples/*.x12\n")
    _batch(pytester, ACCEPTED, name="samples/a.x12")
    _batch(pytester, CORRECTED, name="other/b.x12")
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_ok.py").write_text("def test_ok(): pass\n")
    result = pytester.runpytest("--collect-only", "-q")
    items = sorted(line for line in result.outlines if "::" in line)
    assert items == ["samples/a.x12::PCN1", "tests/test_ok.py::test_ok"]
    explicit = pytester.runpytest("--collect-only", "-q", "tests")
    assert [line for line in explicit.outlines if "::" in line] == ["tests/test_ok.py::test_ok"]


def test_scrub_update_writes_sidecars_then_they_decide(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    batch = _batch(pytester, ACCEPTED, CORRECTED, REJECTED)
    pytester.runpytest("--scrub-claims", "--scrub-update").assert_outcomes(passed=3)
    sidecar = batch.with_name("batch.x12.scrub.json")
    document = json.loads(sidecar.read_text())
    assert document["as_of"] == "2026-11-26"
    assert document["claims"] == {
        "PCN1": {"status": "accepted", "rules": []},
        "PCN2": {"status": "corrected", "rules": ["IG105"]},
        "PCN3": {"status": "rejected", "rules": ["IG108"]},
    }
    pytester.runpytest("--scrub-claims").assert_outcomes(passed=3)
    document["claims"]["PCN2"] = {"status": "accepted", "rules": []}
    sidecar.write_text(json.dumps(document))
    result = pytester.runpytest("--scrub-claims")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["claim PCN2 *: expected accepted, got corrected ?IG105?"])
    # The claim is fixed in the fixture (IGRT professional part only): it is accepted now.
    batch.write_text(build_837([ACCEPTED, ClaimSpec("PCN2", ACCEPTED.lines), REJECTED]))
    pytester.runpytest("--scrub-claims", "-k", "PCN2").assert_outcomes(passed=1, deselected=2)
    pytester.runpytest("--scrub-claims", "--scrub-update", "-k", "PCN2")
    assert json.loads(sidecar.read_text())["claims"]["PCN3"]["status"] == "rejected"  # kept
    # A claim taken out of the fixture: a warning names it; --scrub-update drops it.
    batch.write_text(build_837([ACCEPTED, ClaimSpec("PCN2", ACCEPTED.lines)]))
    warned = pytester.runpytest("--scrub-claims")
    warned.assert_outcomes(passed=2, warnings=1)
    warned.stdout.fnmatch_lines(["*batch.x12.scrub.json expects claims not in batch.x12: PCN3*"])
    pytester.runpytest("--scrub-claims", "--scrub-update").assert_outcomes(passed=2)
    assert list(json.loads(sidecar.read_text())["claims"]) == ["PCN1", "PCN2"]


def test_keyword_exitfirst_and_junit(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    _batch(pytester, REJECTED, CORRECTED, ACCEPTED)
    pytester.runpytest("--scrub-claims", "-x").assert_outcomes(failed=1)
    pytester.runpytest("--scrub-claims", "-k", "PCN1").assert_outcomes(passed=1, deselected=2)
    pytester.runpytest("--scrub-claims", "--junitxml=out.xml").assert_outcomes(passed=1, failed=2)
    suite = ET.parse(pytester.path / "out.xml").getroot().find("testsuite")
    assert suite is not None
    cases = {c.get("name"): c.find("failure") is not None for c in suite.iter("testcase")}
    assert cases == {"PCN3": True, "PCN2": True, "PCN1": False}


def test_unusable_file_is_a_one_line_collection_error(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    path = _batch(pytester)
    path.write_text(path.read_text().replace("GS*HC", "GS*HX"))
    result = pytester.runpytest("--scrub-claims")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*batch.x12: segment 2 (GS): *"])
    assert "Traceback" not in result.stdout.str()


def test_plugin_in_a_real_process(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    _batch(pytester)
    result = pytester.runpytest_subprocess("--scrub-claims", "-q")
    result.assert_outcomes(passed=1, failed=1)


def test_this_projects_collection_is_unchanged() -> None:
    """tests/e2e holds golden .x12 files: the installed plugin collects none."""

    # With the plugin off nothing imports the installed scrubber before the
    # tests' conftest, after pytest put this folder first on sys.path: the
    # collection imports the sources, which CI's run of the compiled build
    # would refuse (tests/conftest.py). Collecting is all this test runs.
    env = {k: v for k, v in os.environ.items() if k != "SCRUBBER_EXPECT_COMPILED"}

    def collect(*extra: str) -> list[str]:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
             *extra, "tests/e2e"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=600,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        return [line for line in result.stdout.splitlines() if "::" in line]

    with_plugin = collect()
    assert any(p.suffix == ".x12" for p in (ROOT / "tests" / "e2e").rglob("*"))
    assert with_plugin and with_plugin == collect("-p", "no:scrubber")
    assert not any(".x12::" in line for line in with_plugin)
