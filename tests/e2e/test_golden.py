"""Golden end-to-end: each sample's outputs equal the reviewed expected files
(regenerate with ``python -m tests.e2e.golden``, never automatically)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scrubber.x12.conformance import check_conformance

from .golden import GOLDEN, rendered, run_case, samples


@pytest.mark.parametrize("sample", samples(), ids=lambda p: p.stem)
def test_golden(sample: Path) -> None:
    folder = GOLDEN / sample.stem
    assert folder.is_dir(), f"no expected outputs for {sample.name}: run python -m tests.e2e.golden"
    files = rendered(run_case(sample))
    expected = {p.name for p in folder.iterdir()}
    assert set(files) == expected
    for name, data in files.items():
        assert data == (folder / name).read_bytes(), f"{sample.stem}/{name} differs"
        if name.endswith(".x12"):
            result = check_conformance(data.decode("utf-8-sig"))
            assert result.valid, [str(e) for e in result.errors]
