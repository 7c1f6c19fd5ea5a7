"""Delimiters, encodings and layout: the same claims whatever the file looks like."""

from __future__ import annotations

import codecs
from dataclasses import replace

import pytest

from scrubber.model import ClaimKind, Delimiters
from scrubber.testing import ClaimSpec, EnvelopeSpec, GroupSpec, build_interchange
from scrubber.x12.reader import X12Reader
from scrubber.x12.source import TextSource
from scrubber.x12.tokenizer import Tokenizer
from tests.reader.helpers import base_837i, base_837p, course_claims, lines_of, read, summary

EXPECTED = summary(read(base_837p())[0])

DELIMITER_SETS = [
    pytest.param(Delimiters("*", ":", "^", "~"), "\n", id="standard"),
    pytest.param(Delimiters("|", ">", "!", "~"), "", id="pipe-gt-bang-no-newline"),
    pytest.param(Delimiters("^", "\\", "{", "\n"), "", id="newline-terminator"),
    pytest.param(Delimiters("!", "}", "#", "'"), "\r\n", id="apostrophe-terminator-crlf"),
    pytest.param(Delimiters("\x1d", "\x1f", "\x1e", "\x1c"), "", id="control-characters"),
    pytest.param(Delimiters("+", "<", "&", "$"), "", id="plus-lt-amp-dollar"),
]


@pytest.mark.parametrize(("delimiters", "newline"), DELIMITER_SETS)
def test_any_delimiters_declared_by_the_isa(delimiters: Delimiters, newline: str) -> None:
    text = base_837p(delimiters=delimiters, newline=newline)
    claims, reader = read(text)
    assert summary(claims) == EXPECTED
    interchange = claims[0].transaction.group.interchange
    assert interchange.delimiters == delimiters
    assert reader.segment_count == len(lines_of(base_837p()))
    assert reader.warnings == []


def test_institutional_with_odd_delimiters() -> None:
    odd = Delimiters("|", ">", "!", "~")
    plain, _ = read(base_837i())
    claims, _ = read(base_837i(delimiters=odd, newline=""))
    assert summary(claims) == summary(plain)
    assert [line.revenue_code for line in claims[0].lines] == ["0333"] * 4
    assert claims[0].bill_type == "111"  # facility type 11 + frequency 1


def test_isa11_is_not_the_repetition_separator_before_5010() -> None:
    # A 4010 ISA11 is the standards identifier "U"; only 5010 declares a repetition separator.
    text = base_837p()
    tokenizer = Tokenizer(iter([text.replace("*^*00501*", "*U*00401*", 1)]), [])
    next(tokenizer.segments())
    assert tokenizer.delimiters.repetition == ""


@pytest.mark.parametrize(
    ("encode", "codec", "bom"),
    [
        (lambda t: codecs.BOM_UTF8 + t.encode(), "utf-8", True),
        (lambda t: t.encode("utf-16-le"), "utf-16-le", False),
        (lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"), "utf-16-le", True),
        (lambda t: t.encode("utf-16-be"), "utf-16-be", False),
        (lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), "utf-16-be", True),
        (lambda t: t.encode("latin-1"), "utf-8", False),
    ],
    ids=["utf8-bom", "utf16le", "utf16le-bom", "utf16be", "utf16be-bom", "ascii"],
)
def test_encodings(encode: object, codec: str, bom: bool) -> None:
    text = base_837p()
    data = encode(text)  # type: ignore[operator]
    claims, reader = read(data)
    assert summary(claims) == EXPECTED
    assert reader.encoding.codec == codec
    assert reader.encoding.bom is bom
    # The writer re-encodes the same way: the bytes come back exactly.
    assert reader.encoding.encode(text) == data


def test_latin1_bytes_that_are_not_utf8_are_read_and_kept() -> None:
    text = base_837p().replace("OAK AVE", "\xd1AK AV\xc9")
    data = text.encode("latin-1")
    claims, reader = read(data)
    assert summary(claims) == EXPECTED
    assert reader.encoding.codec == "latin-1"
    assert reader.encoding.encode(text) == data
    source = TextSource(data)
    assert "".join(source.chunks()) == text
    assert source.encoding.encode(text) == data


def test_utf8_multibyte_characters() -> None:
    text = base_837p().replace("*DOE*JANE*", "*DO\u00cb*J\u00c1NE*", 1)
    claims, reader = read(text.encode())
    assert claims[0].subscriber.last_name == "DO\u00cb"
    assert reader.encoding.codec == "utf-8"


@pytest.mark.parametrize(
    "layout",
    [
        pytest.param(lambda t: t.replace("~\n", "~\r\n"), id="crlf"),
        pytest.param(lambda t: t.replace("~\n", "~"), id="no-newlines"),
        pytest.param(lambda t: t.replace("~\n", "~\n\n\r\n"), id="blank-lines"),
        pytest.param(lambda t: t.replace("~\n", "~\n   \t"), id="leading-whitespace"),
        pytest.param(lambda t: "\n\n  " + t + "\n\n", id="whitespace-around-file"),
        pytest.param(lambda t: t.replace("~\n", "~\r"), id="cr-only"),
    ],
)
def test_whitespace_between_segments(layout: object) -> None:
    text = layout(base_837p())  # type: ignore[operator]
    claims, reader = read(text)
    assert summary(claims) == EXPECTED
    assert reader.warnings == []
    assert reader.segment_count == len(lines_of(base_837p()))
    # Whitespace never leaks into element values.
    for claim in claims:
        for segment in claim.all_segments():
            assert all(e == e.strip("\r\n\t ") or e.startswith(" ") for e in segment.elements)
            assert segment.id.isalnum()


def test_unterminated_last_segment_is_read_with_a_warning() -> None:
    text = base_837p().rstrip("~\n")
    claims, reader = read(text)
    assert summary(claims) == EXPECTED
    [warning] = reader.warnings
    assert warning.segment_id == "IEA"
    assert warning.position == len(lines_of(base_837p()))
    assert "terminator" in warning.problem


def test_multiple_interchanges_groups_and_transactions() -> None:
    claims_p = read(base_837p())[0]
    first = build_interchange(
        [
            GroupSpec([*_specs(), *_specs("X")], group_control=11, claims_per_transaction=1),
            GroupSpec(_specs("I"), ClaimKind.INSTITUTIONAL, group_control=12),
        ],
        EnvelopeSpec(interchange_control=1),
    )
    second = build_interchange(
        [GroupSpec(_specs("Z"), group_control=21)],
        EnvelopeSpec(interchange_control=2, delimiters=Delimiters("|", ">", "!", "~"), newline=""),
    )
    claims, reader = read(first + "\n" + second)
    assert reader.warnings == []
    assert [c.patient_control_number for c in claims] == [
        "PCN100",
        "PCN200",
        "XPCN100",
        "XPCN200",
        "IPCN100",
        "IPCN200",
        "ZPCN100",
        "ZPCN200",
    ]
    assert [c.ordinal for c in claims] == list(range(1, 9))
    envelopes = [
        (
            c.transaction.group.interchange.control_number,
            c.transaction.group.control_number,
            c.transaction.control_number,
            c.transaction.ordinal,
            c.kind,
        )
        for c in claims
    ]
    professional, institutional = ClaimKind.PROFESSIONAL, ClaimKind.INSTITUTIONAL
    assert envelopes == [
        ("000000001", "11", "0001", 1, professional),
        ("000000001", "11", "0002", 2, professional),
        ("000000001", "11", "0003", 3, professional),
        ("000000001", "11", "0004", 4, professional),
        ("000000001", "12", "0001", 5, institutional),
        ("000000001", "12", "0001", 5, institutional),
        ("000000002", "21", "0001", 6, professional),
        ("000000002", "21", "0001", 6, professional),
    ]
    assert len(reader.transactions) == 6
    # Envelope objects are shared by identity within an envelope.
    assert claims[4].transaction is claims[5].transaction
    assert claims[0].transaction.group is claims[3].transaction.group
    assert claims[0].transaction.group.interchange is claims[4].transaction.group.interchange
    assert claims[6].transaction.group.interchange.delimiters.element == "|"
    assert claims[0].transaction.group.interchange.delimiters.element == "*"
    assert summary(claims[6:]) == [(f"Z{s[0]}", *s[1:]) for s in summary(claims_p)]


def _specs(prefix: str = "") -> list[ClaimSpec]:
    return [replace(c, claim_id=prefix + c.claim_id) for c in course_claims()]


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("005010X222A2", ClaimKind.PROFESSIONAL),
        ("005010X223A3", ClaimKind.INSTITUTIONAL),
    ],
)
def test_errata_labels_a2_a3_are_read(label: str, kind: ClaimKind) -> None:
    base = base_837p() if kind is ClaimKind.PROFESSIONAL else base_837i()
    original = "005010X222A1" if kind is ClaimKind.PROFESSIONAL else "005010X223A2"
    claims, reader = read(base.replace(original, label))
    assert reader.warnings == []
    assert {c.kind for c in claims} == {kind}
    assert claims[0].transaction.group.version == label
    assert summary(claims) == summary(read(base)[0])


def test_st03_different_from_gs08_is_a_warning() -> None:
    text = base_837p().replace("ST*837*0001*005010X222A1", "ST*837*0001*005010X222A2")
    claims, reader = read(text)
    assert len(claims) == 2
    [warning] = reader.warnings
    assert (warning.position, warning.segment_id) == (3, "ST")


def test_reader_streams_one_claim_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # The first claim is yielded before the rest of the input has been read.
    import io

    import scrubber.x12.source

    monkeypatch.setattr(scrubber.x12.source, "CHUNK_BYTES", 128)
    data = base_837p().encode()
    stream = io.BytesIO(data)
    iterator = X12Reader(stream).claims()
    first = next(iterator)
    assert first.patient_control_number == "PCN100"
    assert stream.tell() < len(data) * 0.8
    assert [c.patient_control_number for c in iterator] == ["PCN200"]
    assert stream.tell() == len(data)
