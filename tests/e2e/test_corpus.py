"""Every public corpus file: exit 0, 1 or 2; never a traceback; on 2 exactly one
line naming the file, the segment position and the problem; outputs conform."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import pyx12.errors

from scrubber.cli import main
from scrubber.x12.conformance import check_conformance
from tests.corpus import corpus_params, require_corpus

pytestmark = pytest.mark.corpus


@pytest.mark.parametrize("path", corpus_params())
def test_scrub_corpus_file(
    path: Path | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_corpus()
    assert path is not None
    status = main(["scrub", str(path), "-o", str(tmp_path), "--as-of", "2026-11-26", "--quiet"])
    captured = capsys.readouterr()
    assert status in (0, 1, 2)
    assert "Traceback" not in captured.err
    if status == 2:
        lines = captured.err.splitlines()
        assert len(lines) == 1, captured.err
        assert str(path) in lines[0]
        assert re.search(r"segment \d+|input is empty|cannot read|no claim", lines[0]), lines[0]
        assert not list(tmp_path.iterdir())
        return
    assert captured.err == ""
    ack = (tmp_path / f"{path.stem}.277ca.x12").read_text()
    assert check_conformance(ack).valid
    clean = tmp_path / f"{path.stem}.clean.x12"
    if clean.exists():
        try:
            original = check_conformance(path.read_text(encoding="utf-8", errors="replace"))
        except pyx12.errors.EngineError:  # pyx12 has no map for this version (X222A2 ...)
            return
        result = check_conformance(clean.read_text(encoding="utf-8", errors="replace"))
        # A cleaned file is as conformant as its input (the scrubber cannot fix
        # defects outside the claims it rewrites).
        assert result.valid or not original.valid, [str(e) for e in result.errors]
