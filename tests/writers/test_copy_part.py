"""Copying a shard's part into an output (``copy_part``, ``copy_text``): in the
kernel between regular files, through Python's buffers otherwise; the output
reads the same either way, and writes after a copy land after it."""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from scrubber.outputs.targets import copy_part, copy_text

TEXT = "ISA*00*~\nST*837*0001~\n" * 5000 + "é~\n"  # 115,003 characters, one not ASCII


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "latin-1"])
def test_a_part_is_appended_between_regular_files(tmp_path: Path, codec: str) -> None:
    part = tmp_path / "part"
    part.write_text(TEXT, encoding=codec.replace("-sig", ""), newline="")
    out_path = tmp_path / "out"
    with open(out_path, "w", encoding=codec, newline="") as out:
        out.write("HEAD~\n")
        copy_part(part, codec.replace("-sig", ""), out)
        copy_part(part, codec.replace("-sig", ""), out)
        out.write("IEA*1~\n")
    assert _read(out_path, codec) == "HEAD~\n" + TEXT * 2 + "IEA*1~\n"


def test_the_copy_is_made_in_the_kernel_between_regular_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real: Callable[[int, int, int], int] | None = getattr(os, "copy_file_range", None)
    calls: list[int] = []  # (os.copy_file_range is Linux only: elsewhere the buffers copy)

    def counted(source: int, target: int, count: int) -> int:
        calls.append(count)
        assert real is not None
        return real(source, target, count)

    monkeypatch.setattr(os, "copy_file_range", counted if real else None, raising=False)
    part = tmp_path / "part"
    part.write_text(TEXT, encoding="utf-8", newline="")
    with open(tmp_path / "out", "w", encoding="utf-8", newline="") as out:
        copy_part(part, "utf-8", out)
    assert bool(calls) == bool(real)  # (in the kernel where it can be)
    assert _read(tmp_path / "out", "utf-8") == TEXT


def test_a_pipe_gets_the_part_through_the_buffers(tmp_path: Path) -> None:
    part = tmp_path / "part"
    part.write_text(TEXT, encoding="utf-8", newline="")
    read_end, write_end = os.pipe()
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(_drain(read_end)))
    reader.start()
    with open(write_end, "w", encoding="utf-8", newline="") as out:
        copy_part(part, "utf-8", out)
        out.write("END")
    reader.join()
    assert received[0].decode("utf-8") == TEXT + "END"


def test_a_spool_is_copied_from_its_start(tmp_path: Path) -> None:
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        spool.write(TEXT)
        out_path = tmp_path / "out"
        with open(out_path, "w", encoding="utf-8") as out:
            out.write("[")
            copy_text(spool, out)
            out.write("]")
    assert out_path.read_text(encoding="utf-8") == "[" + TEXT + "]"


def test_a_refused_kernel_copy_falls_back_with_nothing_copied_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(source: int, target: int, count: int) -> int:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", refused, raising=False)
    part = tmp_path / "part"
    part.write_text(TEXT, encoding="utf-8", newline="")
    with open(tmp_path / "out", "w", encoding="utf-8", newline="") as out:
        copy_part(part, "utf-8", out)
    assert _read(tmp_path / "out", "utf-8") == TEXT


def _drain(fd: int) -> bytes:
    with open(fd, "rb") as pipe:
        return pipe.read()


def _read(path: Path, codec: str) -> str:
    with open(path, encoding=codec, newline="") as text:
        return text.read()


@pytest.mark.parametrize("in_kernel", [True, False])
def test_a_write_after_a_first_copy_adds_no_byte_order_mark(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_kernel: bool
) -> None:
    """The output's file object learns where the copy left the file: a codec
    that writes a BOM at the start of a file writes none after the copy."""
    if not in_kernel:
        monkeypatch.setattr(os, "copy_file_range", None, raising=False)
    part = tmp_path / "part"
    part.write_bytes(b"\xef\xbb\xbfISA~\n")  # (a part that starts with the BOM itself)
    with open(tmp_path / "out", "w", encoding="utf-8-sig", newline="") as out:
        copy_part(part, "utf-8-sig", out)
        out.write("IEA~\n")
        assert out.tell() == len("\ufeffISA~\nIEA~\n".encode())
    assert (tmp_path / "out").read_bytes() == b"\xef\xbb\xbfISA~\nIEA~\n"
