"""Scrubbing one file in shards (:mod:`scrubber.pipeline.shards`, ``scrub_to_files(...,
jobs=N)``, ``scrubber scrub FILE -j N``): where a file is cut, and that every
output is byte-for-byte what the serial pipeline writes, whatever the layout
of the file, and whichever shard holds a patient's other claims.

Shards are only made for files of ``MIN_SHARD_BYTES`` per shard (2 MB); the
in-process tests lower it to 1 byte (the forked workers inherit it), the CLI
test generates a file large enough for the default.
"""

from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
import io
import itertools
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

import scrubber.pipeline.shards.plan
from scrubber.api import make_engine
from scrubber.errors import X12InputError
from scrubber.logs import configure_logging
from scrubber.model import ClaimKind, Delimiters
from scrubber.outputs.ack277 import AckSettings, control_after
from scrubber.pipeline.course_state import CourseState
from scrubber.pipeline.files import FilesResult, scrub_to_files
from scrubber.pipeline.shards import ByteRange, plan_shards
from scrubber.pipeline.shards.plan import interchange_separator
from scrubber.pipeline.spool import ReplayableSource
from scrubber.rules.engine import Engine
from scrubber.rules.facts import ClaimFacts, facts_of
from scrubber.testing import (
    ClaimSpec,
    EnvelopeSpec,
    GroupSpec,
    LineSpec,
    PatientSpec,
    build_837,
    build_interchange,
    weekdays,
)
from scrubber.x12.reader import read_claims
from tests.writers.support import assert_conforms

SAMPLES = Path(__file__).resolve().parents[2] / "edi_samples"
AS_OF = "2026-11-26"
EPOCH = {"SOURCE_DATE_EPOCH": "1764000000"}
#: The 277CA's ISA13/GS06 take 36 numbers for the course file (12 interchanges
#: of 2 groups) and wrap past 999999999 in its last interchanges: later shards
#: continue the numbering of the earlier ones, wrap included.
ACK = AckSettings(dt.datetime(2026, 1, 6, 9, 30), control_start=999_999_969)
OUTPUTS = ("clean.x12", "277ca.x12", "report.json")
WHITESPACE = b" \t\r\n"
P = ClaimKind.PROFESSIONAL
STANDARD = Delimiters()  # * : ^ ~
#: Other element separator, same segment terminator as the default ``* : ^ ~``.
PIPES = Delimiters("|", ">", "!", "~")
#: Same element separator, other segment terminator.
QUOTES = Delimiters("*", ":", "^", "'")
#: Neither shared: ``~`` and ``*`` are plain characters in this interchange.
PIPES_QUOTES = Delimiters("|", ">", "!", "'")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return make_engine("clean", AS_OF, None, None)


@pytest.fixture
def small_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any file of two interchanges or more is worth splitting."""
    monkeypatch.setattr(scrubber.pipeline.shards.plan, "MIN_SHARD_BYTES", 1)


# Inputs ----------------------------------------------------------------------------

DAYS = weekdays(dt.date(2025, 9, 1), 12)
#: The course file has one interchange per treatment day (indexes into DAYS),
#: in this order: day 2 first, days 5 and 0 last, so that a claim of the
#: first shard is decided against claims of the last one.
DAY_ORDER = (2, 1, 3, 4, 6, 7, 8, 9, 10, 11, 5, 0)
PORT_DAYS = (0, 2)  # one block of five fractions: IG405 removes day 2's port film
DOUBLE_IGRT_DAY = 5  # a second claim bills 77387-26 again: IG101 removes it


def _patient_claim(patient: int, claim_id: str, lines: list[LineSpec]) -> ClaimSpec:
    """A claim of patient ``patient``: odd patients are dependents (2000C loop)
    of the subscriber of the even one before them."""
    dependent = PatientSpec(last_name=f"KID{patient}", first_name="SAM") if patient % 2 else None
    return ClaimSpec(
        claim_id,
        lines,
        member_id=f"M{patient // 2:05d}",
        last_name=f"PATIENT{patient // 2}",
        diagnoses=("C61",),
        patient=dependent,
    )


def _course_claim(patient: int, day: int) -> ClaimSpec:
    """Patient ``patient``'s claim for treatment day ``day`` (``P<p>D<dd>``):
    delivery 77412 daily, 77387-26 on days without a port film, 77417 on
    PORT_DAYS."""
    dos = DAYS[day]
    lines = [LineSpec("77412", dos=dos, charge=Decimal("300.00"))]
    if day in PORT_DAYS:
        lines.append(LineSpec("77417", dos=dos, charge=Decimal("55.00")))
    else:
        lines.append(LineSpec("77387", ("26",), dos=dos, charge=Decimal("90.00")))
    return _patient_claim(patient, f"P{patient}D{day:02d}", lines)


def _second_igrt_claim(patient: int) -> ClaimSpec:
    """``P<p>X05``: 77387-26 again on DOUBLE_IGRT_DAY (sorts after ``P<p>D05``)."""
    dos = DAYS[DOUBLE_IGRT_DAY]
    return _patient_claim(patient, f"P{patient}X05", [LineSpec("77387", ("26",), dos=dos)])


def _course_text(
    patients: int = 4,
    *,
    newline: str = "\n",
    between: str = "",
    per_transaction: int = 2,
    name: Callable[[int], str] | None = None,
) -> str:
    """Twelve interchanges (DAY_ORDER), each of two GS groups; every patient's
    course spans all of them. ``between`` goes between interchanges; ``name``
    gives the subscriber last name of interchange ``i`` (default: plain)."""
    parts = []
    for position, day in enumerate(DAY_ORDER):
        claims = [_course_claim(patient, day) for patient in range(patients)]
        if position == 0:
            claims += [_second_igrt_claim(patient) for patient in range(patients)]
        if name is not None:
            claims = [dataclasses.replace(c, last_name=name(position)) for c in claims]
        half = len(claims) // 2
        groups = [
            GroupSpec(claims[:half], P, 1, per_transaction),
            GroupSpec(claims[half:], P, 2, per_transaction),
        ]
        envelope = EnvelopeSpec(newline=newline, interchange_control=position + 1)
        parts.append(build_interchange(groups, envelope))
    return between.join(parts)


def _small_interchange(
    control: int,
    claim_ids: Sequence[str],
    delimiters: Delimiters = STANDARD,
    last_name: str = "DOE",
    procedure: str = "77412",
) -> str:
    """One interchange of one-line claims (``77014`` alone is rejected: IG203)."""
    claims = [
        ClaimSpec(claim_id, [LineSpec(procedure)], member_id=f"M{claim_id}", last_name=last_name)
        for claim_id in claim_ids
    ]
    return build_837(claims, envelope=EnvelopeSpec(delimiters, interchange_control=control))


def _kind_interchange(control: int, kind: ClaimKind) -> str:
    """An 837P or 837I (type of bill 13x) interchange of two claims."""
    facility = "13" if kind is ClaimKind.INSTITUTIONAL else "11"
    claims = [
        ClaimSpec(f"K{control}{c}", [LineSpec("77412")], member_id=f"M{c}", facility_code=facility)
        for c in "AB"
    ]
    return build_837(claims, kind, EnvelopeSpec(interchange_control=control))


def _claimless_interchange(control: int, with_group: bool) -> str:
    """An interchange holding no claim: ISA-IEA only, or one GS with an ST of
    no claim."""
    groups = [GroupSpec([], P, 1)] if with_group else []
    return build_interchange(groups, EnvelopeSpec(interchange_control=control))


def _write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def _claim_ids(data: bytes, span: ByteRange) -> list[str]:
    """The claim ids (CLM01) of the claims whose CLM lies in ``span``."""
    return [m.decode() for m in re.findall(rb"CLM[*|]([^*|~']+)", data[span.start : span.end])]


# Running the scrub -------------------------------------------------------------------


@dataclass(frozen=True)
class _Scrub:
    """One ``scrub_to_files`` run: the files it wrote, what it returned, and
    the number of shards it used (0: the serial pipeline ran)."""

    files: dict[str, bytes]
    result: FilesResult
    shards: int


@contextmanager
def _info_log() -> Iterator[io.StringIO]:
    """The scrubber's info-level log events (JSON lines) while in the block."""
    stream = io.StringIO()
    configure_logging(stream, level="info", json=True)
    try:
        yield stream
    finally:
        configure_logging()


def _shards_logged(log: str) -> int:
    """The shard count of the ``input.sharded`` event in ``log`` (0: none)."""
    events = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    sharded = [event for event in events if event["event"] == "input.sharded"]
    assert len(sharded) <= 1
    return int(sharded[0]["shards"]) if sharded else 0


def _outputs(directory: Path, stem: str) -> dict[str, bytes]:
    return {
        name: (directory / f"{stem}.{name}").read_bytes()
        for name in OUTPUTS
        if (directory / f"{stem}.{name}").exists()
    }


def _scrub(path: Path, out: Path, engine: Engine, jobs: int) -> _Scrub:
    out.mkdir(parents=True)
    with _info_log() as log, ReplayableSource(str(path), str(path)) as source:
        result = scrub_to_files(source, engine, out, "S", ack_settings=ACK, jobs=jobs)
    return _Scrub(_outputs(out, "S"), result, _shards_logged(log.getvalue()))


def _first_difference(expected: bytes, got: bytes) -> int | None:
    if expected == got:
        return None
    for index, (a, b) in enumerate(zip(expected, got, strict=False)):
        if a != b:
            return index
    return None if len(expected) == len(got) else min(len(expected), len(got))


def _assert_same_files(expected: dict[str, bytes], got: dict[str, bytes], label: str) -> None:
    assert sorted(got) == sorted(expected), label
    for name, data in expected.items():
        where = _first_difference(data, got[name])
        assert where is None, (
            f"{label}: {name} differs from the serial run's at byte {where}: "
            f"expected {data[max(where - 60, 0) : where + 60]!r}, "
            f"got {got[name][max(where - 60, 0) : where + 60]!r}"
        )


def _assert_same_result(expected: FilesResult, got: FilesResult, label: str) -> None:
    assert got.report_head == expected.report_head, label
    assert got.exit_status == expected.exit_status, label
    assert got.first_findings == expected.first_findings, label
    assert got.rule_names == expected.rule_names, label
    assert [p.name for p in got.written] == [p.name for p in expected.written], label
    assert got.segments == expected.segments, label
    assert got.subjects == expected.subjects, label


def _assert_jobs_agree(
    path: Path,
    tmp_path: Path,
    engine: Engine,
    jobs: Sequence[int] = (2, 3),
    sharded: bool = True,
) -> list[_Scrub]:
    """Scrub ``path`` serially and with each of ``jobs``: the same bytes in
    every output, the same results. With ``sharded`` each parallel run must
    have used the shards :func:`plan_shards` plans (two or more), else none.
    Returns the runs, the serial one first."""
    serial = _scrub(path, tmp_path / "j1", engine, 1)
    assert serial.shards == 0
    assert serial.files, "the serial run wrote nothing"
    runs = [serial]
    for count in jobs:
        run = _scrub(path, tmp_path / f"j{count}", engine, count)
        label = f"{path.name} with jobs={count}"
        if sharded:
            planned = len(plan_shards(str(path), count))
            assert planned >= 2 and run.shards == planned, label
        else:
            assert run.shards == 0, label
        _assert_same_files(serial.files, run.files, label)
        _assert_same_result(serial.result, run.result, label)
        runs.append(run)
    return runs


def _report_claims(run: _Scrub) -> dict[str, dict[str, object]]:
    report = json.loads(run.files["report.json"])
    return {entry["claim_id"]: entry for entry in report["claims"]}


def _rules_of(entry: dict[str, object]) -> list[str]:
    findings = entry["findings"]
    assert isinstance(findings, list)
    return [finding["rule"] for finding in findings]


# 1. plan_shards ----------------------------------------------------------------------


def _assert_cuts_at_interchanges(data: bytes, ranges: list[ByteRange], terminator: bytes) -> None:
    """Contiguous ranges covering ``data``, each cut right after an IEA's
    terminator and before optional whitespace and the next ISA."""
    assert ranges[0].start == 0 and ranges[-1].end == len(data)
    for before, after in itertools.pairwise(ranges):
        assert before.end == after.start and before.start < before.end
        cut = before.end
        assert data[cut - 1 : cut] == terminator, data[cut - 40 : cut + 40]
        last_segment = data[: cut - 1].rsplit(terminator, 1)[-1]
        assert last_segment.lstrip(WHITESPACE).startswith(b"IEA*"), data[cut - 40 : cut + 40]
        assert data[cut:].lstrip(WHITESPACE).startswith(b"ISA*"), data[cut - 40 : cut + 40]


PLANNED_FILES: dict[str, Callable[[], bytes]] = {
    "lf": lambda: _course_text().encode(),
    "crlf-blank-lines": lambda: (
        "\r\n \r\n" + _course_text(newline="\r\n", between="\r\n\t\r\n  ") + "\r\n\r\n"
    ).encode(),
    "bom": lambda: codecs.BOM_UTF8 + _course_text().encode(),
}


@pytest.mark.parametrize("layout", sorted(PLANNED_FILES))
def test_plan_cuts_only_between_interchanges(tmp_path: Path, layout: str) -> None:
    """Ranges cover the file exactly and contiguously; every cut is right
    after an IEA segment, and the next range starts with whitespace then ISA;
    with 12 interchanges, 2 to 6 shards are all found."""
    data = PLANNED_FILES[layout]()
    path = _write(tmp_path / "in.x12", data)
    for count in range(2, 7):
        ranges = plan_shards(str(path), count, min_bytes=1)
        assert len(ranges) == count
        _assert_cuts_at_interchanges(data, ranges, b"~")


@pytest.mark.parametrize("count", [2, 4, 5])
def test_plan_cuts_equal_interchanges_into_equal_shards(tmp_path: Path, count: int) -> None:
    """Twenty interchanges of the same size: each cut is the boundary
    nearest the ideal point, before or after it, so every shard holds the
    same number (a search forward only gave 11 and 9 for two shards)."""
    interchanges = [_small_interchange(n, [f"E{n:02d}"]) for n in range(1, 21)]
    assert len({len(text) for text in interchanges}) == 1
    data = "".join(interchanges).encode()
    path = _write(tmp_path / "in.x12", data)
    ranges = plan_shards(str(path), count, min_bytes=1)
    _assert_cuts_at_interchanges(data, ranges, b"~")
    assert [data[r.start : r.end].count(b"\nCLM*") for r in ranges] == [20 // count] * count


def test_interchange_separator_stands_between_interchanges() -> None:
    """What Spark's reader cuts a file at (:mod:`scrubber.spark.units`): the
    terminator, the whitespace after the first ISA segment, ``ISA`` and the
    element separator; every piece but the first then starts an interchange,
    and joined again the pieces are the file. ``None`` where the plan
    declines to cut (UTF-16, a newline terminator)."""
    data = _course_text().encode()
    separator = interchange_separator(data[:4096])
    assert separator == b"~\nISA*"
    pieces = data.split(separator)
    assert len(pieces) == data.count(b"IEA*") and separator.join(pieces) == data
    assert interchange_separator(_course_text(newline="").encode()) == b"~ISA*"
    crlf = PLANNED_FILES["crlf-blank-lines"]()
    assert interchange_separator(crlf[:4096]) == b"~\r\nISA*"
    assert interchange_separator((codecs.BOM_UTF8 + data)[:4096]) == separator
    for layout in ("utf-16-bom", "utf-16-le", "newline-terminator"):
        assert interchange_separator(UNSPLIT_FILES[layout]()[:4096]) is None, layout


def test_plan_honours_min_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No plan for a file under two shards of ``min_bytes``; at most
    size // min_bytes shards; the default is MIN_SHARD_BYTES, read at call
    time (2 MB: a small file is not split)."""
    data = _course_text().encode()
    path = _write(tmp_path / "in.x12", data)
    size = len(data)
    assert plan_shards(str(path), 4, min_bytes=size // 2 + 1) == []
    assert len(plan_shards(str(path), 4, min_bytes=size // 2)) == 2
    assert len(plan_shards(str(path), 8, min_bytes=size // 3)) == 3
    assert plan_shards(str(path), 4) == []
    monkeypatch.setattr(scrubber.pipeline.shards.plan, "MIN_SHARD_BYTES", size // 4)
    assert len(plan_shards(str(path), 4)) == 4
    assert plan_shards(str(path), 1, min_bytes=1) == []


UNSPLIT_FILES: dict[str, Callable[[], bytes]] = {
    "one-interchange": lambda: build_837(
        [_course_claim(p, d) for d in range(12) for p in range(4)],
        envelope=EnvelopeSpec(claims_per_transaction=3),
    ).encode(),
    "utf-16-bom": lambda: _course_text().encode("utf-16"),
    "utf-16-le": lambda: _course_text().encode("utf-16-le"),
    "utf-16-be": lambda: _course_text().encode("utf-16-be"),
    "newline-terminator": lambda: "".join(
        _small_interchange(n, [f"N{n}A", f"N{n}B"], Delimiters(segment="\n")) for n in range(1, 9)
    ).encode(),
}


@pytest.mark.parametrize("layout", sorted(UNSPLIT_FILES))
def test_plan_declines_files_it_cannot_split(
    tmp_path: Path, engine: Engine, small_shards: None, layout: str
) -> None:
    """No plan for a single interchange, UTF-16 (with or without BOM) or a
    newline segment terminator; ``jobs=2`` then runs the serial pipeline."""
    data = UNSPLIT_FILES[layout]()
    path = _write(tmp_path / "in.x12", data)
    assert plan_shards(str(path), 4, min_bytes=1) == []
    _assert_jobs_agree(path, tmp_path, engine, jobs=(2,), sharded=False)


def test_plan_ignores_isa_inside_values(tmp_path: Path, engine: Engine, small_shards: None) -> None:
    """An element value ``ISA`` (a name), and ``~ISA*`` inside a value of an
    interchange whose terminator is ``'`` (where ``~`` and ``*`` are plain
    characters), are not cuts; the file reads, and scrubs as serially."""
    decoy = "DOE~ISA*00*X"
    inner = _small_interchange(3, [f"Q{n}" for n in range(12)], PIPES_QUOTES, last_name="ISA")
    text = (
        _small_interchange(1, ["A1", "A2", "A3"], last_name="ISA")
        + _small_interchange(2, ["B1", "B2", "B3"], last_name="ISA")
        + inner.replace("NM1|IL|1|ISA|", f"NM1|IL|1|{decoy}|", 1)
        + _small_interchange(4, ["C1", "C2", "C3"], last_name="ISA")
        + _small_interchange(5, ["D1", "D2", "D3"])
    )
    assert len(list(read_claims(text))) == 24
    data = text.encode()
    path = _write(tmp_path / "in.x12", data)
    inner_start, inner_end = data.index(b"ISA|"), data.index(b"IEA|")
    decoy_at = data.index(decoy.encode())
    searched = False
    for count in range(2, 9):
        ranges = plan_shards(str(path), count, min_bytes=1)
        assert len(ranges) >= 2
        _assert_cuts_at_interchanges(data, ranges, b"~")
        assert not [r for r in ranges if inner_start < r.start <= inner_end], count
        # The decoy was in reach: a cut was searched for from before it.
        searched |= any(inner_start < len(data) * i // count < decoy_at for i in range(1, count))
    assert searched
    _assert_jobs_agree(path, tmp_path, engine, jobs=(2, 4))


def decoy_separator() -> bytes:
    """The separator of the first interchanges (``~``, newline, ``ISA*``) as
    a value of an interchange whose terminator is ``'``: not a place to cut
    (the Spark tests)."""
    inner = _small_interchange(3, [f"Q{n}" for n in range(12)], PIPES_QUOTES, last_name="ISA")
    return (
        _small_interchange(1, ["A1", "A2", "A3"], last_name="ISA")
        + inner.replace("NM1|IL|1|ISA|", "NM1|IL|1|DOE~\nISA*00*X|", 1)
        + _small_interchange(5, ["D1", "D2", "D3"])
    ).encode()


# 2. Byte-identical outputs --------------------------------------------------------


def test_courses_across_shards_are_decided_as_one_batch(
    tmp_path: Path, engine: Engine, small_shards: None
) -> None:
    """Twelve interchanges, every patient's course spread over all of them:
    2 and 3 shards write the serial bytes, and rules that count over the
    whole course fire on claims of the first shard whose partners are in the
    last one (IG405: second port film of a block; IG101: second IGRT of a
    day). The sharded cleaned 837 and 277CA conform (pyx12)."""
    data = _course_text().encode()
    path = _write(tmp_path / "in.x12", data)
    runs = _assert_jobs_agree(path, tmp_path, engine, jobs=(2, 3))
    for run in runs[1:]:
        ranges = plan_shards(str(path), run.shards)
        first, last = ranges[0], ranges[-1]
        claims = _report_claims(run)
        for patient in range(4):
            port, partner = f"P{patient}D02", f"P{patient}D00"
            again, igrt = f"P{patient}X05", f"P{patient}D05"
            assert {port, again} <= set(_claim_ids(data, first))
            assert {partner, igrt} <= set(_claim_ids(data, last))
            assert "IG405" in _rules_of(claims[port]) and claims[port]["status"] == "corrected"
            assert not _rules_of(claims[partner])
            # its only line removed: the claim is rejected (IG002)
            assert {"IG101", "IG002"} <= set(_rules_of(claims[again]))
            assert claims[again]["status"] == "rejected"
            assert "IG101" not in _rules_of(claims[igrt])
    sharded = runs[-1].files
    assert_conforms(sharded["clean.x12"].decode())
    assert_conforms(sharded["277ca.x12"].decode())
    # One 277CA interchange per input interchange, numbered on across shards.
    isa13 = re.findall(rb"\nISA\*(?:[^*]*\*){12}(\d{9})\*", b"\n" + sharded["277ca.x12"])
    expected = [control_after(ACK.control_start, 3 * n) for n in range(len(DAY_ORDER))]
    assert [int(number) for number in isa13] == expected
    assert expected[-2:] == [999_999_999, 3]


def test_one_line_report_is_the_serial_one(
    tmp_path: Path, engine: Engine, small_shards: None
) -> None:
    """``compact_json``: the report as one JSON line (what ``--format json``
    prints for several inputs) joins the shards' one-line entries into the
    serial line."""
    path = _write(tmp_path / "in.x12", _course_text())
    lines = []
    for jobs in (1, 3):
        out = tmp_path / f"j{jobs}"
        out.mkdir()
        with _info_log() as log, ReplayableSource(str(path), str(path)) as source:
            result = scrub_to_files(
                source, engine, out, "S", ack_settings=ACK, compact_json=True, jobs=jobs
            )
        assert _shards_logged(log.getvalue()) == (3 if jobs == 3 else 0)
        assert result.compact_json is not None
        line = Path(result.compact_json)
        lines.append(line.read_bytes())
        line.unlink()
    assert lines[0] == lines[1]
    assert lines[0].count(b"\n") == 1
    assert len(json.loads(lines[0])["claims"]) == 52


def _replace_last(text: str, old: str, new: str) -> str:
    head, found, tail = text.rpartition(old)
    assert found, old
    return head + new + tail


def _warning_text() -> str:
    """The course file with reader warnings in later interchanges: an empty
    segment, IEA01 and SE01 counts that are off, and no terminator after the
    last segment."""
    text = _course_text()
    text = text.replace("IEA*2*000000007~", "IEA*3*000000007~")
    text = _replace_last(text, "\nGS*", "\n~GS*")
    parts = text.rsplit("SE*", 3)
    text = "SE*".join([parts[0], "9" + parts[1][1:], *parts[2:]])
    return text.removesuffix("~\n")


#: Only interchanges 5|6 and 10|11 are two in a row with the first one's delimiters.
MIXED_DELIMITERS = (
    *(STANDARD, PIPES, STANDARD, QUOTES, STANDARD),
    *(STANDARD, PIPES_QUOTES, STANDARD, PIPES, STANDARD, STANDARD),
)

LAYOUTS: dict[str, Callable[[], bytes]] = {
    # CRLF, blank lines and indentation between interchanges and at both ends
    "crlf-blank-lines": PLANNED_FILES["crlf-blank-lines"],
    "bom": PLANNED_FILES["bom"],
    "no-newlines": lambda: _course_text(newline="").encode(),
    "professional-and-institutional": lambda: "".join(
        _kind_interchange(n, ClaimKind.INSTITUTIONAL if n % 3 else P) for n in range(1, 10)
    ).encode(),
    "utf-8-names": lambda: _course_text(name=lambda i: f"MÜLLER{i}").encode(),
    # every interchange has a Latin-1 byte: each shard decodes as Latin-1
    "latin-1-everywhere": lambda: _course_text(name=lambda i: f"JOS\xe9{i}").encode("latin-1"),
    "reader-warnings": lambda: _warning_text().encode(),
    # claimless interchanges: the first and last shards hold no claim at all
    "claimless-interchanges": lambda: "".join(
        [_claimless_interchange(n, n % 2 == 0) for n in range(1, 25)]
        + [_small_interchange(n, [f"I{n}A", f"I{n}B"]) for n in range(25, 29)]
        + [_claimless_interchange(n, n % 2 == 1) for n in range(29, 53)]
    ).encode(),
    # other delimiters in later ISAs: cuts only between two interchanges of
    # the first one's delimiters
    "mixed-delimiters": lambda: "".join(
        _small_interchange(n, [f"X{n}A", f"X{n}B", f"X{n}C"], delimiters)
        for n, delimiters in enumerate(MIXED_DELIMITERS, start=1)
    ).encode(),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_layouts_write_the_serial_bytes(
    tmp_path: Path, engine: Engine, small_shards: None, layout: str
) -> None:
    """CRLF with blank lines between interchanges, no newlines at all, a
    UTF-8 BOM, 837P and 837I interchanges, multi-byte UTF-8 and Latin-1
    names, reader warnings (positions are the whole file's), claimless
    interchanges, other delimiters in later ISAs: 2 and 3 shards write the
    serial bytes."""
    data = LAYOUTS[layout]()
    path = _write(tmp_path / "in.x12", data)
    _assert_cuts_at_interchanges(data, plan_shards(str(path), 3), b"~")
    runs = _assert_jobs_agree(path, tmp_path, engine, jobs=(2, 3))
    if layout == "claimless-interchanges":
        ranges = plan_shards(str(path), 3)
        assert not _claim_ids(data, ranges[0]) and not _claim_ids(data, ranges[-1])
    if layout == "reader-warnings":
        assert len(runs[0].result.report_head["warnings"]) >= 4
    if layout == "latin-1-everywhere":
        assert b"JOS\xe91" in runs[-1].files["clean.x12"]


def test_later_delimiters_that_leave_no_cut(
    tmp_path: Path, engine: Engine, small_shards: None
) -> None:
    """When every later interchange has other delimiters there is no cut:
    the serial pipeline runs."""
    text = _small_interchange(1, ["A1", "A2"]) + "".join(
        _small_interchange(n, [f"B{n}"], PIPES if n % 2 else QUOTES) for n in range(2, 8)
    )
    path = _write(tmp_path / "in.x12", text)
    assert plan_shards(str(path), 4) == []
    _assert_jobs_agree(path, tmp_path, engine, jobs=(2,), sharded=False)


def _rejecting_text(rejected: Callable[[int], bool], count: int = 10) -> str:
    """``count`` interchanges of three claims; those of interchange ``n``
    (from 1) are rejected (``R...``) when ``rejected(n)``, else accepted."""
    return "".join(
        _small_interchange(n, [f"R{n}{c}" for c in "ABC"], procedure="77014")
        if rejected(n)
        else _small_interchange(n, [f"A{n}{c}" for c in "ABC"])
        for n in range(1, count + 1)
    )


@pytest.mark.parametrize(
    ("which", "rejected"),
    [("first", lambda n: n <= 6), ("last", lambda n: n >= 5), ("all", lambda n: True)],
    ids=["first-shard", "last-shard", "every-claim"],
)
def test_shards_whose_claims_are_all_rejected(
    tmp_path: Path,
    engine: Engine,
    small_shards: None,
    which: str,
    rejected: Callable[[int], bool],
) -> None:
    """A shard whose every claim is rejected writes no cleaned 837 part; the
    joined cleaned 837 is still the serial one (and none when every claim of
    the file is rejected)."""
    path = _write(tmp_path / "in.x12", _rejecting_text(rejected))
    runs = _assert_jobs_agree(path, tmp_path, engine, jobs=(2, 3))
    data = path.read_bytes()
    for run in runs[1:]:
        ranges = plan_shards(str(path), run.shards)
        shard = ranges[0] if which == "first" else ranges[-1]
        claims = _claim_ids(data, shard)
        assert claims and all(claim.startswith("R") for claim in claims)
        assert ("clean.x12" in run.files) == (which != "all")
        assert run.result.exit_status == 1


def test_edi_samples_write_the_serial_bytes(
    tmp_path: Path, engine: Engine, small_shards: None
) -> None:
    """Every edi_samples file with -j 2 and -j 5: the serial bytes; the one
    of two interchanges with the same delimiters is split (into 2, though 5
    were asked for), the others are not."""
    split = []
    for sample in sorted(SAMPLES.glob("*.x12")):
        planned = plan_shards(str(sample), 5)
        if planned:
            split.append(sample.name)
            assert len(planned) == 2
        _assert_jobs_agree(sample, tmp_path / sample.stem, engine, (2, 5), sharded=bool(planned))
    assert split == ["837p_freestanding_pos11.x12"]


# 3. Input errors: the serial pipeline reports them ------------------------------------


def _with_bad_segment(text: str, interchange: int) -> str:
    """``text`` with a lower-case segment id in interchange ``interchange`` (from 1)."""
    head, isa, rest = text.partition(f"*{interchange:09d}*0*T*")
    return head + isa + rest.replace("\nPER*", "\nper*", 1)


ERROR_FILES: dict[str, Callable[[], bytes]] = {
    "bad-segment-second-shard": lambda: _with_bad_segment(_course_text(), 9).encode(),
    "bad-segment-first-shard": lambda: _with_bad_segment(_course_text(), 2).encode(),
    "truncated-last-interchange": lambda: _course_text().rsplit("GE*", 1)[0].encode(),
}


@pytest.mark.parametrize("layout", sorted(ERROR_FILES))
def test_input_errors_are_reported_as_serially(
    tmp_path: Path, engine: Engine, small_shards: None, layout: str
) -> None:
    """An input error in any shard (a bad segment id, a truncated last
    interchange) raises the serial run's X12InputError (same message, same
    segment position) with jobs=2, and no output file is left."""
    path = _write(tmp_path / "in.x12", ERROR_FILES[layout]())
    assert len(plan_shards(str(path), 2)) == 2
    serial, sharded = _errors(path, tmp_path, engine)
    assert (str(sharded), sharded.position) == (str(serial), serial.position)


def _errors(path: Path, tmp_path: Path, engine: Engine) -> tuple[X12InputError, X12InputError]:
    """The X12InputError of a serial run of ``path`` and of one with jobs=2;
    neither leaves a file in its output directory."""
    errors = []
    for jobs in (1, 2):
        out = tmp_path / f"j{jobs}"
        out.mkdir()
        with ReplayableSource(str(path), str(path)) as source, pytest.raises(X12InputError) as info:
            scrub_to_files(source, engine, out, "S", ack_settings=ACK, jobs=jobs)
        errors.append(info.value)
        assert list(out.iterdir()) == []
    return errors[0], errors[1]


def test_a_value_that_mimics_an_interchange_end_falls_back(
    tmp_path: Path, engine: Engine, small_shards: None
) -> None:
    """A value ``~IEA*1*000000001~`` and a whole ISA declaring ``~`` in an
    interchange whose terminator is ``'`` looks like an interchange boundary
    to the byte scan (which does not tokenize), and a shard is cut there;
    that shard cannot be read to its end, so the serial pipeline runs and
    writes its bytes."""
    isa = _small_interchange(9, ["Z1"])[:106]  # (an ISA of the first one's delimiters)
    assert isa.startswith("ISA*") and isa.endswith("~")
    decoy = f"DOE~IEA*1*000000001~{isa}X"
    inner = _small_interchange(2, [f"Q{n}" for n in range(12)], PIPES_QUOTES)
    text = (
        _small_interchange(1, ["A1", "A2", "A3"])
        + _replace_last(inner, "NM1|IL|1|DOE|", f"NM1|IL|1|{decoy}|")
        + _small_interchange(3, ["C1", "C2", "C3"])
    )
    assert len(list(read_claims(text))) == 18
    data = text.encode()
    path = _write(tmp_path / "in.x12", data)
    inner_start, inner_end = data.index(b"ISA|"), data.index(b"IEA|")
    # The scan is fooled (if it learns to tell, force a bad cut another way).
    ranges = plan_shards(str(path), 3)
    assert any(inner_start < r.start < inner_end for r in ranges)
    _assert_jobs_agree(path, tmp_path, engine, jobs=(2, 3), sharded=False)


# 4. A Latin-1 byte in one shard only -----------------------------------------------------


def _latin_1_second_shard(tmp_path: Path, first_names: str) -> Path:
    """The course file with a Latin-1 byte (a name ``JOS\xe9``) in the
    second shard only; the first shard's names are ``first_names``."""
    names = {"ascii": "DOE", "utf-8": "M\xdcLLER"}

    def name(index: int) -> str:
        return "JOS\xe9" if index == 10 else (names[first_names] if index < 2 else "DOE")

    data = _course_text(name=name).encode().replace("JOS\xe9".encode(), b"JOS\xe9")
    path = _write(tmp_path / "in.x12", data)
    ranges = plan_shards(str(path), 2)
    assert b"\xe9" not in data[: ranges[0].end] and b"\xe9" in data[ranges[1].start :]
    return path


def test_latin_1_byte_in_the_second_shard_only(
    tmp_path: Path, engine: Engine, small_shards: None
) -> None:
    """After an all-ASCII first shard, a Latin-1 byte in the second: the
    serial reader decodes the file as Latin-1; the shards would decode
    differently, so the serial pipeline runs and the outputs are its bytes
    (the byte kept as it was)."""
    path = _latin_1_second_shard(tmp_path, "ascii")
    runs = _assert_jobs_agree(path, tmp_path, engine, jobs=(2,), sharded=False)
    assert b"NM1*IL*1*JOS\xe9*" in runs[1].files["clean.x12"]


def test_utf_8_then_latin_1_is_refused_as_serially(
    tmp_path: Path, engine: Engine, small_shards: None
) -> None:
    """UTF-8 names in the first shard and a Latin-1 byte in the second: the
    file mixes encodings, refused alike by the serial run and with jobs=2
    (nothing written)."""
    path = _latin_1_second_shard(tmp_path, "utf-8")
    serial, sharded = _errors(path, tmp_path, engine)
    assert str(sharded) == str(serial) and "mixes UTF-8" in str(serial)


# 5. The command line ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def large_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The course file with 880 patients (about 5 MB): over two default shards."""
    path = tmp_path_factory.mktemp("large") / "large.x12"
    path.write_text(_course_text(880, per_transaction=100))
    assert path.stat().st_size > 2 * scrubber.pipeline.shards.plan.MIN_SHARD_BYTES
    return path


def _cli(args: list[str], cwd: Path, stdin: bytes | None) -> subprocess.CompletedProcess[bytes]:
    """``scrubber ARGS`` in ``cwd`` at a fixed clock, logging at info level."""
    cwd.mkdir()
    return subprocess.run(
        [sys.executable, "-m", "scrubber.cli", *args],
        input=stdin,
        capture_output=True,
        check=False,
        cwd=cwd,
        env={**os.environ, **EPOCH, "SCRUBBER_LOG_LEVEL": "info"},
    )


@pytest.mark.parametrize(("source", "fmt"), [("file", "text"), ("stdin", "json")])
def test_cli_jobs_2_on_one_large_input(
    tmp_path: Path, large_file: Path, source: str, fmt: str
) -> None:
    """``scrubber scrub FILE -j 2`` (and ``- -j 2``, ``--format json``)
    splits a large input in two shards and writes the bytes and the standard
    output of ``-j 1``."""
    data = large_file.read_bytes()
    argument, stem = (str(large_file), large_file.stem) if source == "file" else ("-", "stdin")
    runs = {}
    for jobs in ("1", "2"):
        done = _cli(
            ["scrub", argument, "-o", "out", "--as-of", AS_OF, "--format", fmt, "-j", jobs],
            tmp_path / f"j{jobs}",
            data if source == "stdin" else None,
        )
        assert done.returncode == 1, done.stderr.decode()
        assert _shards_logged(done.stderr.decode()) == (2 if jobs == "2" else 0)
        runs[jobs] = (_outputs(tmp_path / f"j{jobs}" / "out", stem), done.stdout)
    (serial_files, serial_stdout), (sharded_files, sharded_stdout) = runs["1"], runs["2"]
    assert set(serial_files) == set(OUTPUTS)
    _assert_same_files(serial_files, sharded_files, f"{source} -j 2")
    assert sharded_stdout == serial_stdout
    assert b"IG405" in serial_stdout


# 6. CourseState.merged -------------------------------------------------------------------


def _state(facts: Sequence[ClaimFacts], part: int = 0) -> CourseState:
    state = CourseState(part=part)
    for claim_facts in facts:
        state.add(claim_facts)
    return state


def test_merged_course_state_is_the_serial_state() -> None:
    """Parts built from consecutive slices of a batch (each numbering its
    claims from 0; one part empty) merge into the state built serially:
    same facts and batch facts per subject (seq shifted), last seq, line
    counts and totals."""
    claims = list(read_claims(_course_text(6)))
    serial = _state([facts_of(claim, seq) for seq, claim in enumerate(claims)])
    bounds = [0, 11, 11, 40, len(claims)]
    slices = list(itertools.pairwise(bounds))
    parts = [
        _state([facts_of(claim, seq) for seq, claim in enumerate(claims[a:b])], part)
        for part, (a, b) in enumerate(slices)
    ]
    merged = CourseState.merged(parts)
    assert merged.batch_count == serial.batch_count == len(claims) == 78
    assert merged.claim_count == serial.claim_count
    assert merged.subject_count == serial.subject_count == 6
    subjects = {(facts.patient, facts.entity) for facts in map(facts_of, claims, itertools.count())}
    assert len(subjects) == 6
    for patient, entity in subjects:
        ours, theirs = serial.subject(patient, entity), merged.subject(patient, entity)
        facts, batch = merged.facts_and_batch(theirs)
        assert (facts, batch) == serial.facts_and_batch(ours)
        assert merged.last_seq(theirs) == serial.last_seq(ours) == max(batch)
        assert merged.line_count(theirs) == serial.line_count(ours)
        # the subject's claims came from three parts: the merge joined them
        assert sum(any(a <= seq < b for seq in batch) for a, b in slices) == 3


def test_merge_needs_fresh_parts_in_order() -> None:
    """Parts out of order, or a merged state merged again, are refused."""
    with pytest.raises(ValueError, match="part 0"):
        CourseState.merged([CourseState(part=1), CourseState(part=0)])
    twice = CourseState.merged([CourseState(part=0), CourseState(part=1)])
    with pytest.raises(ValueError, match="part 0"):
        CourseState.merged([twice])
