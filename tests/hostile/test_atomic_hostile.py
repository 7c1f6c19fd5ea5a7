"""OutputSet.commit is all or nothing (issue 16): a target that cannot be
replaced fails before any rename, and a failure part-way (a full disk, a
signal) puts back what was already renamed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scrubber.outputs.atomic import OutputSet


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def _stage_three(outputs: OutputSet, directory: Path, text: bytes) -> None:
    for name in ("S.clean.x12", "S.277ca.x12", "S.report.json"):
        outputs.stage(directory / name, text)


def test_a_directory_in_the_way_fails_before_any_rename(tmp_path: Path) -> None:
    (tmp_path / "S.report.json").mkdir()
    with OutputSet() as outputs:
        _stage_three(outputs, tmp_path, b"new")
        with pytest.raises(IsADirectoryError) as caught:
            outputs.commit()
    assert caught.value.filename == str(tmp_path / "S.report.json")
    assert _names(tmp_path) == ["S.report.json"]


def test_a_stale_output_that_is_a_directory_fails_before_any_rename(tmp_path: Path) -> None:
    (tmp_path / "S.clean.x12").mkdir()
    with OutputSet() as outputs:
        outputs.stage(tmp_path / "S.277ca.x12", b"new")
        outputs.remove(tmp_path / "S.clean.x12")
        with pytest.raises(IsADirectoryError):
            outputs.commit()
    assert _names(tmp_path) == ["S.clean.x12"]


@pytest.mark.parametrize("fail_at", [1, 2, 3])
@pytest.mark.parametrize("interrupt", [False, True])
def test_a_failure_part_way_puts_the_previous_outputs_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: int, interrupt: bool
) -> None:
    """The rename of the ``fail_at``-th staged file fails (injected: a real
    disk rarely fails on cue); the earlier ones are rolled back."""
    for name in ("S.clean.x12", "S.277ca.x12"):
        (tmp_path / name).write_bytes(b"old " + name.encode())
    (tmp_path / "stale.json").write_bytes(b"stale")
    real_replace = os.replace
    calls: list[str] = []

    def failing_replace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        if str(source).endswith(".tmp"):
            calls.append(str(target))
            if len(calls) == fail_at:
                raise KeyboardInterrupt if interrupt else OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", failing_replace)
    with OutputSet() as outputs:
        _stage_three(outputs, tmp_path, b"new")
        outputs.remove(tmp_path / "stale.json")
        with pytest.raises(KeyboardInterrupt if interrupt else OSError):
            outputs.commit()
    assert _names(tmp_path) == ["S.277ca.x12", "S.clean.x12", "stale.json"]
    assert (tmp_path / "S.clean.x12").read_bytes() == b"old S.clean.x12"
    assert (tmp_path / "S.277ca.x12").read_bytes() == b"old S.277ca.x12"
    assert (tmp_path / "stale.json").read_bytes() == b"stale"


def test_a_successful_commit_leaves_no_backup(tmp_path: Path) -> None:
    (tmp_path / "S.clean.x12").write_bytes(b"old")
    (tmp_path / "stale.json").write_bytes(b"stale")
    with OutputSet() as outputs:
        _stage_three(outputs, tmp_path, b"new")
        outputs.remove(tmp_path / "stale.json")
        outputs.commit()
    assert _names(tmp_path) == ["S.277ca.x12", "S.clean.x12", "S.report.json"]
    assert (tmp_path / "S.clean.x12").read_bytes() == b"new"
