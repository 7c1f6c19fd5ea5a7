"""Limits on hostile input: what is refused, what is warned about, what is read.

Each test feeds a real 837 shape (see ``benchmarks/hostile_shapes.py``) and
checks the decision documented in :mod:`scrubber.x12.reader` ("Limits").
"""

from __future__ import annotations

import tracemalloc
from datetime import date
from pathlib import Path

from scrubber import scrub
from scrubber.model import ClaimKind, Delimiters
from scrubber.testing import ClaimSpec, EnvelopeSpec, LineSpec, build_837
from scrubber.x12.reader import X12Reader
from scrubber.x12.tokenizer import MAX_SEGMENT_CHARS
from tests.reader.helpers import read, read_error

AS_OF = "2026-11-26"


def one_claim(lines: int = 1, kind: ClaimKind = ClaimKind.PROFESSIONAL, **env: object) -> str:
    specs = [LineSpec("77385", dos=date(2025, 9, 1)) for _ in range(lines)]
    envelope = EnvelopeSpec(**env)  # type: ignore[arg-type]
    return build_837([ClaimSpec("PCN1", specs)], kind, envelope)


def test_segment_without_terminator_is_refused_in_one_line_naming_segment_and_limit() -> None:
    isa = one_claim().split("\n", 1)[0]
    error = read_error(isa + "\nGS*HC*" + "A" * (MAX_SEGMENT_CHARS + 10))
    message = str(error)
    assert error.position == 2 and error.segment_id == "GS"
    assert "65,536" in message and "GS" in message and "\n" not in message


def test_long_segment_with_terminator_is_refused() -> None:
    text = one_claim().replace("LX*1~", "NTE*ADD" + "*X" * 40_000 + "~\nLX*1~", 1)
    error = read_error(text)
    assert error.segment_id == "NTE" and "65,536" in str(error)


def test_a_file_without_terminators_is_never_held_whole(tmp_path: Path) -> None:
    path = tmp_path / "no-terminator.x12"
    isa = one_claim().split("\n", 1)[0]
    with open(path, "w", encoding="ascii") as out:
        out.write(isa + "\nGS*HC*")
        for _ in range(20):
            out.write("A" * (1 << 20))
    tracemalloc.start()
    try:
        error = read_error(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.segment_id == "GS"
    assert peak < 6 * (1 << 20), peak  # a chunk and a segment, not the 20 MB


def test_empty_segments_give_one_warning_per_interchange() -> None:
    text = one_claim().replace("LX*1~", "~" * 1000 + "LX*1~", 1)
    claims, reader = read(text)
    assert [len(c.lines) for c in claims] == [1]
    [warning] = reader.warnings
    assert warning.problem.startswith("1,000 empty segments")
    assert warning.position == _position_of(one_claim(), "LX*1")

    second = one_claim(interchange_control=2).replace("SE*", "~~~SE*", 1)
    _, reader = read(text + second)
    assert [w.problem[:20] for w in reader.warnings] == [
        "1,000 empty segments",
        "3 empty segments (tw",
    ]


def test_empty_segments_keep_the_report_small_and_the_clean_837_exact() -> None:
    text = one_claim().replace("LX*1~", "~" * 20_000 + "LX*1~", 1)
    result = scrub(text, as_of=AS_OF)
    assert len(result.report["warnings"]) == 1
    assert len(str(result.report)) < 10_000
    assert result.clean_x12 == text  # the empty segments are kept where they were


def test_a_run_of_empty_segments_beyond_the_limit_is_refused() -> None:
    text = one_claim().replace("LX*1~", "~" * (MAX_SEGMENT_CHARS + 1) + "LX*1~", 1)
    error = read_error(text)
    assert "empty segments" in str(error) and "65,536" in str(error)


def test_whitespace_after_the_last_segment_beyond_the_limit_is_refused() -> None:
    error = read_error(one_claim() + "\n" * (MAX_SEGMENT_CHARS + 200))
    assert "whitespace" in str(error) and "65,536" in str(error)


def test_837p_claim_over_50_lines_is_read_with_one_warning_naming_clm_and_limit() -> None:
    claims, reader = read(one_claim(50))
    assert len(claims[0].lines) == 50 and reader.warnings == []
    text = one_claim(51)
    claims, reader = read(text)
    assert len(claims[0].lines) == 51
    [warning] = reader.warnings
    assert warning.segment_id == "CLM" and "51 service lines" in warning.problem
    assert "837P" in warning.problem and "50" in warning.problem
    assert warning.position == _position_of(text, "CLM*")


def test_837i_claim_over_999_lines_is_read_with_one_warning() -> None:
    _, reader = read(one_claim(999, ClaimKind.INSTITUTIONAL))
    assert reader.warnings == []
    claims, reader = read(one_claim(1000, ClaimKind.INSTITUTIONAL))
    assert len(claims[0].lines) == 1000
    [warning] = reader.warnings
    assert "1,000 service lines" in warning.problem and "999" in warning.problem


def test_transaction_over_5000_claims_is_read_with_one_warning_naming_st() -> None:
    specs = [ClaimSpec(f"C{i}", [LineSpec("77385")], member_id=f"M{i}") for i in range(5001)]
    reader = X12Reader(build_837(specs))
    assert sum(1 for _ in reader.claims()) == 5001
    [warning] = reader.warnings
    assert warning.segment_id == "ST" and warning.position == 3
    assert "5,001 claims" in warning.problem and "5,000" in warning.problem


def test_interchanges_with_other_delimiters_are_read_like_the_same_ones() -> None:
    texts = [
        one_claim(interchange_control=1),
        one_claim(interchange_control=2, delimiters=Delimiters("|", "<", "{", "!")),
        one_claim(interchange_control=3),
    ]
    claims, reader = read("".join(texts))
    assert [c.lines[0].procedure for c in claims] == ["77385"] * 3
    assert reader.warnings == []


def _position_of(text: str, prefix: str) -> int:
    return next(i for i, s in enumerate(text.split("~\n"), start=1) if s.startswith(prefix))
