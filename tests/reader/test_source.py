"""Every accepted kind of source gives the same claims."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from scrubber.errors import X12InputError
from scrubber.x12.reader import X12Reader, read_claims
from scrubber.x12.source import TextSource
from tests.reader.helpers import base_837p, read, read_error, summary

TEXT = base_837p()
EXPECTED = summary(read(TEXT)[0])


@pytest.fixture
def x12_file(tmp_path: Path) -> Path:
    path = tmp_path / "claims.x12"
    path.write_bytes(TEXT.encode())
    return path


def test_path_str(x12_file: Path) -> None:
    claims, reader = read(str(x12_file))
    assert summary(claims) == EXPECTED
    assert reader.name == str(x12_file)


def test_pathlib_path(x12_file: Path) -> None:
    claims, reader = read(x12_file)
    assert summary(claims) == EXPECTED
    assert reader.name == str(x12_file)


@pytest.mark.parametrize("name", ["ISA_batch.x12", "ST0001.txt", "GS-2026.edi"])
def test_path_that_starts_like_a_segment_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path(name).write_text(TEXT)
    claims, reader = read(name)
    assert summary(claims) == EXPECTED
    assert reader.name == name


def test_bytes() -> None:
    claims, reader = read(TEXT.encode())
    assert summary(claims) == EXPECTED
    assert reader.name == "<bytes>"


@pytest.mark.parametrize(
    "text", [TEXT, TEXT.replace("~\n", "~"), "\ufeff" + TEXT, "\n  " + TEXT], ids=str.__len__
)
def test_str_text(text: str) -> None:
    claims, reader = read(text)
    assert summary(claims) == EXPECTED
    assert reader.name == "<text>"


def test_binary_stream(x12_file: Path) -> None:
    claims, _ = read(io.BytesIO(TEXT.encode()))
    assert summary(claims) == EXPECTED
    with x12_file.open("rb") as stream:
        claims, reader = read(stream)
        assert reader.name == str(x12_file)
    assert summary(claims) == EXPECTED


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"\xef\xbb\xbf" + TEXT.encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    claims, reader = read("-")
    assert summary(claims) == EXPECTED
    assert reader.name == "<stdin>"
    assert reader.encoding.bom


def test_read_claims_function(x12_file: Path) -> None:
    assert summary(list(read_claims(x12_file))) == EXPECTED


def test_missing_file(tmp_path: Path) -> None:
    error = read_error(tmp_path / "nope.x12")
    assert error.position is None
    assert str(error).startswith(f"cannot read {tmp_path / 'nope.x12'}")


def test_directory(tmp_path: Path) -> None:
    error = read_error(tmp_path)
    assert str(error).startswith(f"cannot read {tmp_path}")


def test_invalid_utf16() -> None:
    data = TEXT.encode("utf-16-le") + b"\x00\xdc"  # a lone low surrogate
    error = read_error(data)
    assert "utf-16-le" in str(error)


def test_chunk_boundaries_do_not_matter(monkeypatch: pytest.MonkeyPatch) -> None:
    import scrubber.x12.source

    for size in (1, 2, 3, 7, 106, 107):
        monkeypatch.setattr(scrubber.x12.source, "CHUNK_BYTES", size)
        for data in (TEXT.encode(), TEXT.encode("utf-16-be"), "\ufeff".encode() + TEXT.encode()):
            reader = X12Reader(io.BytesIO(data))
            assert summary(list(reader.claims())) == EXPECTED, (size, data[:4])
            assert reader.segment_count == TEXT.count("~")


def test_mixed_utf8_and_non_utf8_bytes_is_refused() -> None:
    """UTF-8 text early and a stray byte after the first chunk cannot round-trip."""
    data = "ISA*é ".encode() + b"x" * (3 << 20) + b"\xff tail"
    source = TextSource(io.BytesIO(data))
    with pytest.raises(X12InputError, match="mixes UTF-8"):
        "".join(source.chunks())


def test_ascii_then_non_utf8_byte_falls_back_to_latin1() -> None:
    data = b"ISA*" + b"x" * (3 << 20) + b"\xff tail"
    source = TextSource(io.BytesIO(data))
    text = "".join(source.chunks())
    assert source.encoding.codec == "latin-1"
    assert source.encoding.encode(text) == data


@pytest.mark.parametrize("gap", [0, 10, 3 << 20], ids=["adjacent", "same-chunk", "later-chunk"])
def test_mixed_encodings_are_refused_wherever_the_chunks_fall(gap: int) -> None:
    """UTF-8 characters, then a byte that is not UTF-8: refused whether the
    stray byte falls in the same read chunk as the UTF-8 text or a later one."""
    data = "ISA*é ".encode() + b"x" * gap + b"\xe9 tail"
    source = TextSource(io.BytesIO(data))
    with pytest.raises(X12InputError, match="mixes UTF-8"):
        "".join(source.chunks())


def test_utf8_bom_then_non_utf8_byte_is_refused() -> None:
    """A UTF-8 byte order mark declares UTF-8; a Latin-1 byte later is an
    error naming the mark (not a fall-back that could not be written back)."""
    data = b"\xef\xbb\xbf" + TEXT.encode().replace(b"ACME", b"AC\xc9ME", 1)
    assert data != b"\xef\xbb\xbf" + TEXT.encode()
    error = read_error(data)
    assert "byte order mark" in str(error)
