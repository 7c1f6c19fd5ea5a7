"""Whole transactions taken from the text (issue 15, :mod:`scrubber.x12.plain_text`).

The scan must be sound: whatever it takes must read exactly as the reader
reads it segment by segment. Each test reads an input twice, with and
without the scan (pass 1's reader: plain claims not built), and compares
everything the reader gives: the items in order (a plain claim's
transaction with its header segments, every other claim's model), the
warnings, the counts, the trailer, or the error. Inputs: canonical
out-of-scope batches (which the scan must take), random mixes of plain and
radiation-oncology claims, mutants of plain files, the samples and the
corpus, read whole and in small chunks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scrubber.x12.tokenizer
from scrubber.errors import X12InputError
from scrubber.model import ClaimKind, Delimiters, PlainTransaction
from scrubber.rules.engine import Engine
from scrubber.rules.findings import ClaimDecision, ClaimStatus
from scrubber.rules.outcome import checked_outcome
from scrubber.rules.passthrough import Passthrough, passthrough_of
from scrubber.testing import ClaimSpec, EnvelopeSpec, GroupSpec, LineSpec, build_interchange
from scrubber.testing.mutations import Mutant, mutants, seeds_from_texts
from scrubber.testing.plain import eligible, plain_transaction_of, transaction_texts
from scrubber.x12.plain_text import TextScan
from scrubber.x12.reader import Passed, X12Reader
from tests.corpus import corpus_params, require_corpus, sample_files
from tests.pipeline.test_fast_path import mixes

AS_OF = dt.date(2026, 3, 31)
_PLAIN = passthrough_of(Engine(as_of=AS_OF))
assert _PLAIN is not None
PLAIN: Passthrough = _PLAIN
PROF = ClaimKind.PROFESSIONAL
OFFICE = [("99213", "95.00"), ("80053", "38.50"), ("36415", "12.00"), ("71046", "63.20")]


def counting_scan() -> TextScan:
    """A scan like the pipeline's, of its own: its ``taken`` and ``checked``
    count the transactions it takes and those it checks (not taken again
    from what it remembers)."""
    scan = PLAIN.text_scan
    return TextScan(scan._codes, scan._closing, scan._max_lines, scan._max_claims)


class Trickle(io.RawIOBase):
    """A byte stream that hands out at most ``size`` bytes a read."""

    def __init__(self, data: bytes, size: int) -> None:
        self._data = io.BytesIO(data)
        self._size = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(min(len(buffer), self._size))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def office_claim(number: int, lines: int = 3) -> ClaimSpec:
    specs = [
        LineSpec(code, dos=dt.date(2026, 1, 5 + number % 20), charge=Decimal(fee))
        for code, fee in (OFFICE[(number + n) % len(OFFICE)] for n in range(lines))
    ]
    return ClaimSpec(f"OV{number:05d}", specs, member_id=f"W{number:05d}", diagnoses=("I10",))


def out_of_scope(claims: int, per_transaction: int, kind: ClaimKind = PROF) -> str:
    specs = [office_claim(n, 1 + n % 3) for n in range(claims)]
    if kind is ClaimKind.INSTITUTIONAL:
        specs = [dataclasses.replace(s, facility_code="13", frequency_code="7") for s in specs]
    return build_interchange([GroupSpec(specs, kind, 1, per_transaction)], EnvelopeSpec())


def read(source: object, scan: TextScan | None) -> tuple[object, ...]:
    """Everything pass 1's reader gives of ``source``, or its error."""
    reader = X12Reader(source, "in.x12", plain=PLAIN, build_plain=False, scan=scan)  # type: ignore[arg-type]
    try:
        items: list[tuple[str, object]] = []  # a run of passed claims as that many passed ones
        for item in reader.read():
            if type(item) is Passed:
                items += [("passed", item.transaction)] * item.run
            else:
                items.append(("claim", repr(item)))
    except X12InputError as error:
        return ("error", str(error), reader.segment_count)
    return (
        items,
        [w.as_dict() for w in reader.warnings],
        reader.segment_count,
        reader.claim_count,
        reader.transaction_count,
        reader.trailer,
    )


def assert_same_reading(text: str, chunk: int | None = None) -> int:
    """``text`` reads the same with and without the scan (whole, or in
    chunks of ``chunk`` bytes); the transactions the scan took."""
    data = text.encode("utf-8")
    scan = counting_scan()

    def source() -> object:
        return data if chunk is None else Trickle(data, chunk)

    assert read(source(), scan) == read(source(), None)
    return scan.taken


def assert_same_plain(text: str) -> int:
    """Pass 2's reader with the scan gives, for each transaction it takes,
    the :class:`PlainTransaction` the test oracle makes from the reader's
    claim models and the input's text (and that text is what the cleaned 837
    of the transaction would be); every other item as the reader without the
    scan gives it. The transactions taken."""
    data = text.encode("utf-8")
    fast = X12Reader(data, "in.x12", plain=PLAIN, scan=PLAIN.text_scan)
    slow = X12Reader(data, "in.x12", plain=PLAIN)
    try:
        taken = list(fast.read())
    except X12InputError as error:
        with pytest.raises(X12InputError) as raised:
            list(slow.read())
        assert str(raised.value) == str(error)
        return 0
    read = list(slow.read())
    texts = transaction_texts(data)
    count = 0
    for item in taken:
        if type(item) is not PlainTransaction:
            assert repr(item) == repr(read.pop(0))
            continue
        count += 1
        run, read = read[: len(item.claims)], read[len(item.claims) :]
        claims = [passed.claim for passed in run if type(passed) is Passed and passed.claim]
        assert len(claims) == len(item.claims)
        source = texts[claims[0].transaction.st.position]
        expected = plain_transaction_of(claims[0].transaction, claims, source.text, source.segments)
        assert item == expected
        accepted = ClaimDecision(ClaimStatus.ACCEPTED, ())
        outcomes = [checked_outcome(claim, accepted) for claim in claims]
        assert eligible(outcomes, source, slow.warnings)
    assert not read
    assert [w.as_dict() for w in fast.warnings] == [w.as_dict() for w in slow.warnings]
    return count


def test_a_canonical_out_of_scope_batch_is_taken_whole() -> None:
    text = out_of_scope(40, 10)
    assert assert_same_reading(text) == 4
    assert assert_same_reading(text, chunk=97) == 4  # read ahead across chunks for the SE
    assert assert_same_plain(text) == 4
    assert assert_same_plain(out_of_scope(12, 4, ClaimKind.INSTITUTIONAL)) == 3


def test_institutional_claims_are_taken_unless_they_close_a_course() -> None:
    text = out_of_scope(12, 4, ClaimKind.INSTITUTIONAL)
    assert assert_same_reading(text) == 3
    closing = text.replace(":A:7*", ":A:1*", 1)
    assert closing != text
    assert assert_same_reading(closing) == 2


@pytest.mark.parametrize(
    ("old", "new", "taken"),
    [
        ("HC:99213", "HC:77417", 1),  # a code of the pack's table
        ("HC:99213", "HC:99213 ", 1),  # read as the code after stripping: not canonical
        ("*95.00*", "*95.001*", 1),  # sub-cent charge: CLM02 no longer the sum
        ("D8*20260105", "D8*20260132", 1),  # not a date: the reader warns
        ("DMG*D8*", "DMG*D8*1", 1),  # not a date of birth
        ("HL*2*1*22*", "HL*3*1*22*", 1),  # HL ids out of order
        ("SE*", "SE*9", 1),  # a wrong segment count: a warning
        ("~\nCLM", "~\n~\nCLM", 1),  # an empty segment: a warning
        ("LX*1~", "LX*1~\nLX*1~", 0),  # a line with no service: fatal, nothing after it read
        ("NM1*IL", "N M*IL", 0),  # a bad segment id: fatal too
    ],
)
def test_a_transaction_the_reader_would_read_otherwise_is_not_taken(
    old: str, new: str, taken: int
) -> None:
    """The first of two transactions changed: only the second is taken
    (none when the first is fatal: reading stops there)."""
    text = out_of_scope(6, 3)
    changed = text.replace(old, new, 1)
    assert changed != text
    assert assert_same_reading(changed) == taken


def test_a_transaction_longer_than_the_read_ahead_is_read_segment_by_segment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(scrubber.x12.tokenizer, "MAX_TAKEN_CHARS", 500)
    text = out_of_scope(20, 10)
    assert assert_same_reading(text, chunk=64) == 0
    assert assert_same_reading(text) == 2  # the whole text is at hand: nothing to read ahead


def test_an_error_after_taken_transactions_names_the_same_segment() -> None:
    text = out_of_scope(9, 3)
    broken = text[: text.rindex("LX*")] + "SV1*HC:99213*1*UN*1~\n" + text[text.rindex("LX*") :]
    reading = read(broken.encode(), counting_scan())
    assert reading[0] == "error"
    assert reading == read(broken.encode(), None)


def test_the_scan_needs_a_terminator_that_is_not_whitespace() -> None:
    scan = PLAIN.text_scan
    text = out_of_scope(3, 3)
    start = text.index("~", text.index("ST*")) + 1
    comma = Delimiters("*", ":", "^", "\n")
    assert scan.scan(text, start, ClaimKind.PROFESSIONAL, comma, "", "0001") is None
    tilde = Delimiters("*", ":", "^", "~")
    assert scan.scan(text, start, ClaimKind.PROFESSIONAL, tilde, "\n", "0001") is not None


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixes(), st.sampled_from([None, 61, 4096]))
def test_random_mixes_read_the_same(text: str, chunk: int | None) -> None:
    assert_same_reading(text, chunk)
    assert_same_plain(text)


SEEDS = seeds_from_texts(
    [
        ("office-p", out_of_scope(6, 3)),
        ("office-i", out_of_scope(4, 2, ClaimKind.INSTITUTIONAL)),
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutants(SEEDS))
def test_mutants_of_plain_files_read_the_same(mutant: Mutant) -> None:
    assert_same_reading(mutant.text)
    assert_same_plain(mutant.text)


def _read_the_same(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", errors="replace")
    assert_same_reading(text)
    assert_same_reading(text, chunk=251)
    assert_same_plain(text)


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: p.name)
def test_samples_read_the_same(path: Path) -> None:
    _read_the_same(path)


@pytest.mark.corpus
@pytest.mark.parametrize("path", corpus_params())
def test_corpus_reads_the_same(path: Path | None) -> None:
    require_corpus()
    assert path is not None
    _read_the_same(path)


def test_values_that_look_like_segments_are_not_read_as_segments() -> None:
    """With no newline between segments, an NTE holding ``SV1*...*40.00``
    is not a service line: CLM02 still differs from the sum of the lines."""
    text = out_of_scope(3, 3).replace("~\n", "~")
    claim = text.index("CLM*OV00000*")
    owed = text[claim:].split("*")[2]
    more = f"{Decimal(owed) + 40:.2f}"
    fake = text.replace(f"CLM*OV00000*{owed}*", f"CLM*OV00000*{more}*", 1)
    fake = fake.replace("~LX*1~", "~NTE*ADD*SV1*HC:99213*40.00~LX*1~", 1)
    assert assert_same_reading(text) == 1
    assert assert_same_reading(fake) == 0


def test_pass_two_takes_what_pass_one_took_without_checking_it_again() -> None:
    """The same scan reading the same text twice (pass 1, then pass 2) checks
    each transaction once; a transaction whose text changed in between is
    checked again, and the change is seen."""
    text = out_of_scope(30, 10)
    scan = counting_scan()
    first = read(text.encode(), scan)
    assert (scan.taken, scan.checked) == (3, 3)
    assert read(text.encode(), scan) == first
    assert (scan.taken, scan.checked) == (6, 3)
    changed = text.replace("HC:80053*38.50", "HC:77417*38.50", 1)  # a code of the table now
    assert read(changed.encode(), scan) == read(changed.encode(), None)
    assert (scan.taken, scan.checked) == (8, 4)


def test_a_date_of_service_checked_before_does_not_pass_for_a_date_of_birth() -> None:
    """A DTP's RD8 value, checked once and remembered, is no valid DMG value."""
    text = out_of_scope(6, 3)
    second = text.index("ST*837*0002")
    first_half, second_half = text[:second], text[second:]
    line_dates = first_half[first_half.index("DTP*472*D8*") :].split("~", 1)[0]
    first_half = first_half.replace(line_dates, "DTP*472*RD8*20260105-20260106", 1)
    birth = second_half[second_half.index("DMG*D8*") :].split("~", 1)[0]
    second_half = second_half.replace(birth, "DMG*RD8*20260105-20260106", 1)
    assert assert_same_reading(first_half + second_half) == 1
