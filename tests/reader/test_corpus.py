"""Every file of the public corpus: read, or refused with X12InputError naming
a segment position; and byte-for-byte reproduction from ``Segment.raw``."""

from __future__ import annotations

from pathlib import Path

import pytest

from scrubber.errors import X12InputError
from scrubber.x12.reader import X12Reader
from scrubber.x12.source import TextSource
from scrubber.x12.tokenizer import Tokenizer
from tests.corpus import CORPUS_DIR, corpus_params, require_corpus, sample_files

pytestmark = pytest.mark.corpus

# Known outcome per corpus file: (claims, lines) when it reads, or
# (segment position, start of the problem) when it is refused. A file added
# to the corpus later is still checked by the generic rules below.
REFUSED_GS = "functional group GS01="
EXPECTED: dict[str, tuple[int, int] | tuple[int, str]] = {
    "TigerShark__837I-Examples.txt": (1, "ISA is not 106 characters wide: ISA02"),
    "X12Parser__Example1_2_And_3_Combined.txt": (2, REFUSED_GS + "'HC'"),
    "X12Parser__FromBogeyone.txt": (2, REFUSED_GS + "'HN' (277"),
    "X12Parser__Spec_3.1.1.txt": (2, REFUSED_GS + "'HC'"),
    "X12Parser__Spec_3.1.2_TwoClaimsForTheSameProvider.txt": (2, REFUSED_GS + "'HC'"),
    "X12Parser__UnicodeExample.txt": (5, "input ends inside the transaction set"),
    "badX12__X222-ambulance.edi": (1, 4),
    "badX12__X222-anesthesia.edi": (1, 1),
    "badX12__X222-chiropractic.edi": (1, 1),
    "badX12__X222-commercial-health-insurance.edi": (1, 4),
    "badX12__X222-drug-administered-in-the-physician-office.edi": (1, 2),
    "badX12__segment_terminator.edi": (1, "input ends inside the interchange"),
    "badX12__unknown_segment_error.edi": (2, REFUSED_GS + "'HS' (270"),
    "synthetic/derived__x12__institutional-claim_fixed.837i": (1, 2),
    "synthetic/synthetic__277ca_claim_and_line_rejection.txt": (2, REFUSED_GS + "'HN' (277"),
    "synthetic/synthetic__radonc_837p_2claims_valid.txt": (2, 10),
    "synthetic/synthetic__radonc_837p_2claims_with_errors.txt": (2, 10),
    "x12-parser-library__837.edi": (1, 1),
    "x12-parser__x12_277CA_accepted.txt": (2, REFUSED_GS + "'HN' (277"),
    "x12-parser__x12_277CA_rejected.txt": (2, REFUSED_GS + "'HN' (277"),
    "x12-parser__x12_999_rejected.txt": (2, REFUSED_GS + "'FA' (999"),
    "x12-parser__x12_bad_first_line.txt": (1, "ISA is not 106 characters wide: ISA02"),
    "x12-parser__x12_bad_segment_identifier.txt": (6, "bad segment identifier in '*IC*"),
    "x12-parser__x12_bad_valid_code.txt": (2, 2),
    "x12-parser__x12_complex.txt": (6, 10),
    "x12-parser__x12_loop_errors3_missing_loops.txt": (1, 1),
    "x12-parser__x12_many_claims.txt": (820, 820),
    "x12-parser__x12_missing_elements.txt": (2, 2),
    "x12-parser__x12_multiple_gs.txt": (6, 6),
    "x12-parser__x12_multiple_isa.txt": (4, 4),
    "x12-parser__x12_multiple_st.txt": (4, 4),
    "x12-parser__x12_no_isa_line.txt": (1, "expected an ISA interchange header"),
    "x12-parser__x12_segments_out_of_order.txt": (2, 2),
    "x12-parser__x12_valid.txt": (2, 2),
    "x12-parser__x12_valid_different_separators.txt": (2, 2),
    "x12-parser__x223-test.txt": (1, 1),
    "x12__claim-level-status.277": (2, REFUSED_GS + "'HN' (277"),
    "x12__demo.ambulance.example5.837": (1, 4),
    "x12__demo.cob.example3.A.837": (1, 3),
    "x12__demo.drug.example10.2.837": (1, 6),
    "x12__demo.example1.837": (1, 4),
    "x12__institutional-claim.837i": (1, 2),
    "x12__ppo-repriced-claim.837i": (1, 2),
    "x12__two-claims-single-provider.837i": (2, 3),
}


@pytest.mark.parametrize("path", corpus_params())
def test_corpus_file_reads_or_is_refused_cleanly(path: Path | None) -> None:
    require_corpus()
    assert path is not None
    reader = X12Reader(path)
    outcome: tuple[int, int] | tuple[int, str]
    try:
        claims = list(reader.claims())
    except X12InputError as error:
        # Every corpus refusal is about a segment: the message names it.
        assert error.position is not None, str(error)
        assert str(error).startswith(f"segment {error.position}")
        assert "\n" not in str(error)
        outcome = (error.position, error.problem)
    else:
        assert all(c.lines for c in claims)
        outcome = (len(claims), sum(len(c.lines) for c in claims))
    expected = EXPECTED.get(str(path.relative_to(CORPUS_DIR)))
    if expected is None:
        return
    if isinstance(expected[1], str):
        assert isinstance(outcome[1], str), f"expected a refusal, read {outcome}"
        assert outcome[0] == expected[0]
        assert outcome[1].startswith(expected[1]), outcome[1]
    else:
        assert outcome == expected


def test_every_expected_file_is_in_the_corpus() -> None:
    root = require_corpus()
    missing = [name for name in EXPECTED if not (root / name).is_file()]
    assert missing == []


def _roundtrip_params() -> list[object]:
    samples = [pytest.param(p, id=f"sample:{p.name}") for p in sample_files()]
    return samples + corpus_params()


@pytest.mark.parametrize("path", _roundtrip_params())
def test_raw_segments_reproduce_the_input_byte_for_byte(path: Path | None) -> None:
    if path is None or CORPUS_DIR in path.parents:
        require_corpus()
    assert path is not None
    data = path.read_bytes()
    source = TextSource(data)
    tokenizer = Tokenizer(source.chunks(), [])
    raws: list[str] = []
    try:
        for segment in tokenizer.segments():
            raws.append(segment.raw)
    except X12InputError:
        # The segment boundaries themselves are unusable (no ISA, bad ISA,
        # bad segment id): nothing to reproduce.
        assert CORPUS_DIR in path.parents
        return
    text = "".join(raws) + tokenizer.trailer
    assert source.encoding.encode(text) == data
    assert tokenizer.count == len(raws) > 0
    # Through the reader too: its segment count and trailer agree.
    reader = X12Reader(data)
    try:
        list(reader.claims())
    except X12InputError:
        return
    assert reader.segment_count == len(raws)
    assert reader.trailer == tokenizer.trailer


def test_missing_corpus_skips_but_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests import corpus as conftest

    monkeypatch.setattr(conftest, "CORPUS_DIR", tmp_path / "absent")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="EDI corpus not found"):
        conftest.require_corpus()
    assert conftest.corpus_files() == []
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        conftest.require_corpus()
