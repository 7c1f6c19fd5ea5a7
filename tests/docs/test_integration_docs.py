"""docs/integration.md cannot rot: every block marked ``sh test`` runs with bash
(exit status as its ``exit=N``, else 0) in a folder holding ``edi_samples/``;
every ``python test`` block is executed with the real API; the other Python
blocks (Bots, Airflow wiring: neither is installed) must compile. Whatever a
block writes is checked: X12 with pyx12, JSON and XML parsed. And the
pre-commit hook runs its entry on the files its pattern selects."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from scrubber.x12.conformance import check_conformance
from tests.corpus import ROOT, SAMPLES_DIR

DOC = ROOT / "docs" / "integration.md"
FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    language: str
    tested: bool
    exit_status: int
    body: str
    line: int

    def __str__(self) -> str:
        return f"{self.language}@line{self.line}"


def blocks() -> list[Block]:
    text = DOC.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        words = match["info"].split()
        if not words:
            continue
        status = next((int(w[5:]) for w in words if w.startswith("exit=")), 0)
        line = text.count("\n", 0, match.start()) + 1
        found.append(Block(words[0], "test" in words[1:], status, match["body"], line))
    return found


def _workdir(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    (work / "edi_samples").symlink_to(SAMPLES_DIR)
    return work


def _check_outputs(work: Path) -> list[str]:
    """Every file the block wrote, checked; their names."""
    written = sorted(p for p in work.rglob("*") if p.is_file() and "edi_samples" not in p.parts)
    for path in written:
        if path.suffix == ".x12":
            text = path.read_bytes().decode("utf-8-sig")
            assert check_conformance(text).valid, path
        elif path.suffix == ".gz":
            assert check_conformance(gzip.decompress(path.read_bytes()).decode()).valid, path
        elif path.suffix == ".json":
            assert json.loads(path.read_text())["schema"] == "scrubber-report/1"
        elif path.suffix == ".xml":
            assert ET.parse(path).getroot().tag == "testsuites"
        elif path.suffix == ".txt":
            lines = path.read_text().splitlines()
            assert lines and all(line.startswith(("::error ", "::warning ")) for line in lines)
        else:
            raise AssertionError(f"unexpected output {path}")
    return [str(p.relative_to(work)) for p in written]


def _env() -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)  # where the scrubber console script is
    return {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}


SHELL = [b for b in blocks() if b.language == "sh" and b.tested]
PYTHON = [b for b in blocks() if b.language == "python"]


def test_the_doc_has_its_recipes() -> None:
    assert len(SHELL) >= 7
    assert sum(b.tested for b in PYTHON) == 2 and len(PYTHON) == 4
    bodies = "\n".join(b.body for b in SHELL)
    for command in ("scrubber filter", "scrubber check"):
        assert command in bodies


@pytest.mark.parametrize("block", SHELL, ids=str)
def test_shell_block(block: Block, tmp_path: Path) -> None:
    work = _workdir(tmp_path)
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", block.body],
        cwd=work, env=_env(), capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert result.returncode == block.exit_status, result.stderr
    assert "Traceback" not in result.stderr
    written = _check_outputs(work)
    if not written:  # a block that prints: scrubber check's findings
        *findings, summary = result.stdout.splitlines()
        line = re.compile(r"^edi_samples/\S+:\S+:\d+: IG\d{3} \[")
        assert findings and all(line.match(f) for f in findings)
        assert summary.startswith("Found ")


@pytest.mark.parametrize("block", PYTHON, ids=str)
def test_python_block(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = compile(block.body, f"{DOC}:{block.line}", "exec")
    if not block.tested:
        return  # Bots / Airflow wiring: compiled only (neither is installed)
    work = _workdir(tmp_path)
    monkeypatch.chdir(work)
    exec(code, {"__name__": "docs_recipe"})
    assert _check_outputs(work), "the block wrote nothing"


def _hook() -> dict[str, str]:
    """The single hook of .pre-commit-hooks.yaml (flat ``key: value`` lines)."""
    hook: dict[str, str] = {}
    for line in (ROOT / ".pre-commit-hooks.yaml").read_text().splitlines():
        match = re.match(r"^(?:- |  )(\w+): (.*)$", line)
        if match:
            hook[match[1]] = match[2]
    return hook


def test_pre_commit_hook_runs_check_on_the_files_it_selects(tmp_path: Path) -> None:
    hook = _hook()
    assert hook["id"] == "scrubber-check" and hook["language"] == "python"
    assert "PHI" in (ROOT / ".pre-commit-hooks.yaml").read_text()
    pattern = re.compile(hook["files"])
    work = _workdir(tmp_path)
    staged = ["edi_samples/837p_hospital_pro_pos22.x12", "notes.txt", "README.md", "setup.cfg"]
    selected = [name for name in staged if pattern.search(name)]
    assert selected == ["edi_samples/837p_hospital_pro_pos22.x12"]
    assert all(pattern.search(name) for name in ("a.837", "b.edi", "dir/c.x12"))
    before = sorted(work.rglob("*"))
    run = subprocess.run(
        [*hook["entry"].split(), "--as-of", "2026-11-26", *selected],
        cwd=work, env=_env(), capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert run.returncode == 1 and "IG108 [reject-claim]" in run.stdout
    assert sorted(work.rglob("*")) == before
