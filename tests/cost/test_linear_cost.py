"""Cost grows linearly with each dimension of hostile input: counted, not timed.

Each test runs a shape at size N and 2N and compares counts of the work done
(characters split, lines examined by same-day look-ups, line comparisons) or
the size of the output; a quadratic implementation doubles the ratio.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from scrubber import scrub
from scrubber.errors import InputWarning
from scrubber.model import Delimiters
from scrubber.rules.context import Context
from scrubber.rules.facts import LineFact
from scrubber.testing import ClaimSpec, EnvelopeSpec, LineSpec, build_837
from scrubber.x12.tokenizer import Tokenizer

AS_OF = "2026-11-26"
DOS = date(2025, 9, 1)
IGRT_DAY: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("77385", ()),
    ("77387", ("26",)),
    ("77387", ("TC",)),
    ("77417", ()),
)


def line(i: int, dos: date = DOS) -> LineSpec:
    code, modifiers = IGRT_DAY[i % len(IGRT_DAY)]
    return LineSpec(code, modifiers, dos=dos)


def one_dos_claim(lines: int) -> str:
    """One claim of ``lines`` lines on one DOS: delivery, IGRT, port films."""
    specs = [line(i) for i in range(lines)]
    return build_837([ClaimSpec("PCN1", specs)])


def one_patient_claims(claims: int) -> str:
    """``claims`` claims of one patient (placeholder member id), all on one DOS."""
    specs = [ClaimSpec(f"P{i}", [line(i)], member_id="999999999") for i in range(claims)]
    return build_837(specs)


def many_courses(claims: int) -> str:
    """One patient's claims, each a course of its own (five deliveries with a
    port image on the first, then a 3D plan, which starts the next course):
    the port rules look at every course of the key."""
    specs = []
    for i in range(claims):
        start = date(2022, 1, 3) + timedelta(days=7 * i)
        lines = [LineSpec("77412", dos=start + timedelta(days=d)) for d in range(5)]
        lines.insert(1, LineSpec("77417", dos=start))
        lines.append(LineSpec("77295", dos=start + timedelta(days=5)))
        specs.append(ClaimSpec(f"K{i}", lines, member_id="999999999"))
    return build_837(specs)


def forty_days_claim(lines: int) -> str:
    specs = [line(i, DOS + timedelta(days=i % 40)) for i in range(lines)]
    return build_837([ClaimSpec("PCN1", specs)])


class Work:
    """Counts what the rules examine: lines handed out by same-day look-ups
    and comparisons between line facts."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.lines = 0
        self.comparisons = 0
        for name in ("same_day", "same_day_same_site", "lines_of_course_key"):
            monkeypatch.setattr(Context, name, self._counting(getattr(Context, name)))
        original_eq = LineFact.__eq__

        def eq(fact: LineFact, other: object) -> bool:
            self.comparisons += 1
            return original_eq(fact, other)

        monkeypatch.setattr(LineFact, "__eq__", eq)

    def _counting(
        self, method: Callable[[Context, Any], tuple[LineFact, ...]]
    ) -> Callable[[Context, Any], tuple[LineFact, ...]]:
        def counted(context: Context, key: Any) -> tuple[LineFact, ...]:
            found = method(context, key)
            self.lines += len(found)
            return found

        return counted

    def measure(self, text: str) -> tuple[int, int, int]:
        """(lines examined, comparisons, report bytes) of scrubbing ``text``."""
        self.lines = self.comparisons = 0
        report = scrub(text, as_of=AS_OF).report
        return self.lines, self.comparisons, len(json.dumps(report))


def assert_linear(small: tuple[int, ...], large: tuple[int, ...]) -> None:
    for a, b in zip(small, large, strict=True):
        assert b <= 2.4 * max(a, 1), (small, large)


@pytest.mark.parametrize(
    ("shape", "n"),
    [
        (one_dos_claim, 160),
        (one_patient_claims, 160),
        (forty_days_claim, 400),
        (many_courses, 40),
    ],
    ids=["lines-one-dos", "claims-one-patient-one-dos", "lines-forty-days", "many-courses"],
)
def test_rules_examine_linear_work(
    monkeypatch: pytest.MonkeyPatch, shape: Callable[[int], str], n: int
) -> None:
    work = Work(monkeypatch)
    small, large = work.measure(shape(n)), work.measure(shape(2 * n))
    assert large[0] > 0  # the look-ups are counted at all
    assert_linear(small, large)


def test_report_size_is_bounded_by_the_input() -> None:
    text = one_dos_claim(400)
    result = scrub(text, as_of=AS_OF)
    findings = [f for claim in result.report["claims"] for f in claim["findings"]]
    assert len(findings) >= 200  # the IGRT and port lines conflict
    assert len(json.dumps(result.report)) < 20 * len(text)
    longest = max(len(f["message"]) for f in findings)
    assert longest < 600
    assert any(" and " in f["message"] and " more" in f["message"] for f in findings)


def _tokenize(text: str) -> tuple[int, int]:
    warnings: list[InputWarning] = []
    tokenizer = Tokenizer(iter([text]), warnings)
    count = sum(1 for _ in tokenizer.segments())
    return count, tokenizer.scanned


def _interchanges(n: int, alternate: bool) -> str:
    other = Delimiters("|", "<", "{", "!") if alternate else Delimiters()
    parts = []
    for i in range(n):
        env = EnvelopeSpec(delimiters=other if i % 2 else Delimiters(), interchange_control=i + 1)
        claim = ClaimSpec(f"I{i}", [LineSpec("77385")], member_id=f"M{i}")
        parts.append(build_837([claim], envelope=env))
    return "".join(parts)


@pytest.mark.parametrize("alternate", [False, True], ids=["same", "alternating"])
def test_tokenizer_splits_each_character_a_bounded_number_of_times(alternate: bool) -> None:
    for n in (200, 400):
        text = _interchanges(n, alternate)
        segments, scanned = _tokenize(text)
        assert segments == n * 30
        assert scanned <= 2 * len(text), (n, scanned, len(text))


def test_empty_segments_cost_one_warning_whatever_their_number() -> None:
    base = build_837([ClaimSpec("PCN1", [LineSpec("77385")])])
    sizes: list[Any] = []
    for n in (10_000, 20_000):
        text = base.replace("LX*1~", "~" * n + "LX*1~", 1)
        report = scrub(text, as_of=AS_OF).report
        sizes.append((len(report["warnings"]), len(json.dumps(report))))
    assert sizes[0][0] == sizes[1][0] == 1
    assert sizes[0][1] == sizes[1][1]  # "10,000" and "20,000" have the same width
