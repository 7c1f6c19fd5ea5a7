"""Structure-aware mutations of 837 files, and hypothesis strategies over them.

A mutation operator takes a parsed :class:`~scrubber.testing.documents.Document`
and a :class:`Picker` (where its random choices come from) and returns the
mutated document, or text for the operators that no longer keep segment
structure (truncation). :data:`OPERATORS` names them all; :func:`mutants` is
the hypothesis strategy (seed documents in, :class:`Mutant` out), and
:func:`mutate` applies operators with a ``random.Random`` for long runs
outside hypothesis (``benchmarks/fuzz_long.py``).

Reuse, e.g. for an HTTP service test::

    from scrubber.testing.mutations import mutants, load_seeds
    @given(mutants(load_seeds(paths)))
    def test_service(mutant): post(mutant.text) ...

:data:`KNOWN_OPEN` names the operators that still make the scrubber crash
(none now: the issue-16 crashes are fixed, :data:`FIXED_CRASHES`); the test
suite's bounded run leaves such shapes out while a fix is pending.

Needs ``hypothesis`` (the ``test`` extra) for :func:`mutants` only.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from scrubber.testing.documents import Document, Seg, parse_document

if TYPE_CHECKING:
    from hypothesis.strategies import DrawFn, SearchStrategy

_T = TypeVar("_T")

ASCII_DIGITS = "0123456789"
#: Characters ``str.isdigit`` accepts that ``int()``/``Decimal()`` may not.
NON_ASCII_DIGITS = ("\u00b2", "\u0663", "\uff15", "\u07c1", "\u00b3")  # ² ٣ fullwidth-5 ߁ ³
CONTROL_CHARS = ("\x00", "\x01", "\x07", "\x0b", "\x0c", "\x1b", "\x1c", "\x7f", "\x85")
HUGE_NUMBERS = ("1E+27", "1E+5000", "99999999999999999999999999999", "-1E+27", "NaN", "Infinity")
SUB_CENT = ("10.005", "0.001", "100.0049", "1.999")
#: (element, component, repetition, terminator) sets for changed delimiters.
DELIMITER_SETS = (
    ("*", ":", "^", "~"),
    ("|", ">", "!", "~"),
    ("*", ":", "^", "'"),
    ("|", ">", "!", "'"),
    ("\x1d", "\x1f", "\x1e", "\x1c"),
    ("+", ":", "*", "'"),
)


class Picker(Protocol):
    """Where an operator's random choices come from."""

    def index(self, size: int) -> int:
        """A number in ``range(size)`` (``size`` > 0)."""


@dataclass
class RandomPicker:
    """Choices from a ``random.Random`` (long runs outside hypothesis)."""

    rng: random.Random

    def index(self, size: int) -> int:
        return self.rng.randrange(size)


@dataclass
class DrawPicker:
    """Choices drawn by hypothesis (so that failures shrink)."""

    draw: DrawFn

    def index(self, size: int) -> int:
        from hypothesis import strategies as st

        return self.draw(st.integers(0, size - 1))


def choice(pick: Picker, items: Sequence[_T]) -> _T:
    return items[pick.index(len(items))]


# ------------------------------------------------------------------ operators

Result = Document | str
Operator = Callable[[Document, Picker], Result]


def _with_segments(doc: Document, segments: list[Seg]) -> Document:
    return replace(doc, segments=tuple(segments))


def _body_position(doc: Document, pick: Picker) -> int | None:
    """The index of a segment other than ISA (whose layout is fixed); ``None``
    when there is none."""
    positions = [i for i, seg in enumerate(doc.segments) if seg.tag != "ISA"]
    return choice(pick, positions) if positions else None


def delete_segment(doc: Document, pick: Picker) -> Result:
    at = _body_position(doc, pick)
    if at is None:
        return doc
    segments = list(doc.segments)
    del segments[at]
    return _with_segments(doc, segments)


def duplicate_segment(doc: Document, pick: Picker) -> Result:
    at = _body_position(doc, pick)
    if at is None:
        return doc
    segments = list(doc.segments)
    segments.insert(at, segments[at])
    return _with_segments(doc, segments)


def swap_segments(doc: Document, pick: Picker) -> Result:
    """Swap a segment with its successor."""
    segments = list(doc.segments)
    at = pick.index(max(len(segments) - 1, 1))
    if at + 1 < len(segments):
        segments[at], segments[at + 1] = segments[at + 1], segments[at]
    return _with_segments(doc, segments)


def move_segment(doc: Document, pick: Picker) -> Result:
    at = _body_position(doc, pick)
    if at is None:
        return doc
    segments = list(doc.segments)
    seg = segments.pop(at)
    segments.insert(pick.index(len(segments) + 1), seg)
    return _with_segments(doc, segments)


def empty_segments(doc: Document, pick: Picker) -> Result:
    """Insert one to three empty segments (a terminator alone)."""
    at = _body_position(doc, pick)
    if at is None:
        return doc
    segments = list(doc.segments)
    empty = replace(segments[at], text="")
    segments[at:at] = [empty] * (1 + pick.index(3))
    return _with_segments(doc, segments)


def _edit_element(
    doc: Document, pick: Picker, tags: Sequence[str] | None, edit: Callable[[str], str | None]
) -> Result:
    """Apply ``edit`` to one element (chosen by ``pick``) of a segment with a
    tag in ``tags`` (any non-ISA segment when ``None``); ``edit`` returns
    ``None`` when an element does not qualify."""
    candidates = [
        (i, e)
        for i, seg in enumerate(doc.segments)
        if seg.tag != "ISA" and (tags is None or seg.tag in tags)
        for e, value in enumerate(seg.elements())
        if e > 0 and edit(value) is not None
    ]
    if not candidates:
        return doc
    at, element = choice(pick, candidates)
    seg = doc.segments[at]
    elements = seg.elements()
    elements[element] = edit(elements[element]) or ""
    segments = list(doc.segments)
    segments[at] = seg.with_elements(elements)
    return _with_segments(doc, segments)


def _replace_digit(value: str, pick: Picker, digits: Sequence[str]) -> str | None:
    places = [i for i, ch in enumerate(value) if ch in ASCII_DIGITS]
    if not places:
        return None
    at = choice(pick, places)
    return value[:at] + choice(pick, digits) + value[at + 1 :]


def change_digit(doc: Document, pick: Picker) -> Result:
    """One ASCII digit of an element becomes another ASCII digit."""
    return _edit_element(doc, pick, None, lambda v: _replace_digit(v, pick, ASCII_DIGITS))


def non_ascii_digit(doc: Document, pick: Picker) -> Result:
    """One digit of any element becomes a non-ASCII digit (superscript two...)."""
    return _edit_element(doc, pick, None, lambda v: _replace_digit(v, pick, NON_ASCII_DIGITS))


def non_ascii_digit_lx_sv1(doc: Document, pick: Picker) -> Result:
    """A non-ASCII digit in LX01 or an SV1 element (SV107 pointers...)."""
    return _edit_element(
        doc, pick, ("LX", "SV1"), lambda v: _replace_digit(v, pick, NON_ASCII_DIGITS)
    )


def _is_amount(value: str) -> bool:
    return bool(value) and value.replace(".", "", 1).isdigit() and value.isascii()


def _set_amount(doc: Document, pick: Picker, values: Sequence[str], tags: Sequence[str]) -> Result:
    return _edit_element(doc, pick, tags, lambda v: choice(pick, values) if _is_amount(v) else None)


def huge_number(doc: Document, pick: Picker) -> Result:
    """A charge or quantity becomes huge ('1E+27', '1E+5000') or not a number."""
    return _set_amount(doc, pick, HUGE_NUMBERS, ("CLM", "SV1", "SV2"))


def sub_cent_charge(doc: Document, pick: Picker) -> Result:
    """A charge gets fractions of a cent ('10.005')."""
    return _set_amount(doc, pick, SUB_CENT, ("CLM", "SV1", "SV2"))


def change_charge(doc: Document, pick: Picker) -> Result:
    """A charge becomes another well-formed amount (CLM02 may then disagree
    with its lines)."""
    return _set_amount(doc, pick, ("0", "0.00", "1", "12.34", "250.5", "99999.99"), ("CLM", "SV1"))


def control_char(doc: Document, pick: Picker) -> Result:
    """A control character inside an element."""

    def edit(value: str) -> str:
        at = pick.index(len(value) + 1)
        return value[:at] + choice(pick, CONTROL_CHARS) + value[at:]

    return _edit_element(doc, pick, None, edit)


def blank_element(doc: Document, pick: Picker) -> Result:
    """An element emptied (a required one, often)."""
    return _edit_element(doc, pick, None, lambda v: "" if v else None)


def long_element(doc: Document, pick: Picker) -> Result:
    """An element 2,000 characters longer (a moderately huge segment; huge
    numbers are :func:`huge_number`'s)."""
    return _edit_element(doc, pick, None, lambda v: v + "X" * 2000)


def repeat_lx(doc: Document, pick: Picker) -> Result:
    """An LX directly followed by another LX (a service line with no SV1/SV2)."""
    places = [i for i, seg in enumerate(doc.segments) if seg.tag == "LX"]
    if not places:
        return doc
    at = choice(pick, places)
    segments = list(doc.segments)
    segments.insert(at + 1, segments[at])
    return _with_segments(doc, segments)


def _claim_spans(doc: Document) -> list[tuple[int, int]]:
    """(CLM index, end index) of every claim: a claim runs to the next
    CLM, HL, SE or end of the segments."""
    spans = []
    starts = [i for i, seg in enumerate(doc.segments) if seg.tag == "CLM"]
    for start in starts:
        end = start + 1
        while end < len(doc.segments) and doc.segments[end].tag not in ("CLM", "HL", "SE"):
            end += 1
        spans.append((start, end))
    return spans


def drop_service_lines(doc: Document, pick: Picker) -> Result:
    """A claim loses every 2400 loop (LX and what follows it in the claim)."""
    spans = _claim_spans(doc)
    if not spans:
        return doc
    start, end = choice(pick, spans)
    first_lx = next((i for i in range(start, end) if doc.segments[i].tag == "LX"), end)
    return _with_segments(doc, [*doc.segments[:first_lx], *doc.segments[end:]])


def duplicate_claim(doc: Document, pick: Picker) -> Result:
    """A claim (CLM and its loops) repeated right after itself: same CLM01."""
    spans = _claim_spans(doc)
    if not spans:
        return doc
    start, end = choice(pick, spans)
    block = doc.segments[start:end]
    return _with_segments(doc, [*doc.segments[:end], *block, *doc.segments[end:]])


def swap_claims(doc: Document, pick: Picker) -> Result:
    """Two claims trade places (CLM and its loops; each lands under the
    other's subscriber)."""
    spans = _claim_spans(doc)
    if len(spans) < 2:
        return doc
    first = pick.index(len(spans) - 1)
    (s1, e1), (s2, e2) = spans[first], spans[first + 1 + pick.index(len(spans) - first - 1)]
    segs = doc.segments
    return _with_segments(doc, [*segs[:s1], *segs[s2:e2], *segs[e1:s2], *segs[s1:e1], *segs[e2:]])


def _interchanges(doc: Document) -> list[tuple[int, int]]:
    """(ISA index, index after IEA) of every interchange."""
    spans: list[tuple[int, int]] = []
    start = None
    for i, seg in enumerate(doc.segments):
        if seg.tag == "ISA":
            start = i
        elif seg.tag == "IEA" and start is not None:
            spans.append((start, i + 1))
            start = None
    return spans


def duplicate_interchange(doc: Document, pick: Picker) -> Result:
    """An interchange appended again (a file of several interchanges, split
    in shards by ``-j 2``)."""
    spans = _interchanges(doc)
    if not spans:
        return doc
    start, end = choice(pick, spans)
    return _with_segments(doc, [*doc.segments, *doc.segments[start:end]])


def change_delimiters(doc: Document, pick: Picker) -> Result:
    """One interchange rewritten with other delimiters (consistently)."""
    spans = _interchanges(doc)
    if not spans:
        return doc
    start, end = choice(pick, spans)
    isa = doc.segments[start]
    elements = isa.elements()
    if len(elements) < 17 or not elements[11] or not elements[16]:
        return doc
    old = (isa.element, isa.component, elements[11][0], isa.terminator)
    new = choice(pick, DELIMITER_SETS)
    used = {ch for seg in doc.segments[start:end] for ch in seg.text} - set(old)
    if used & set(new):
        return doc
    pairs = zip(old[:3], new[:3], strict=True)
    table = str.maketrans({a: b for a, b in pairs if not a.isalnum()})  # ISA11 may be 'U'
    changed = [
        Seg(seg.text.translate(table), new[0], new[1], new[3]) for seg in doc.segments[start:end]
    ]
    return _with_segments(doc, [*doc.segments[:start], *changed, *doc.segments[end:]])


def corrupt_delimiter(doc: Document, pick: Picker) -> Result:
    """One element separator inside a segment becomes another character."""
    places = [
        i for i, seg in enumerate(doc.segments) if seg.tag != "ISA" and seg.element in seg.text
    ]
    if not places:
        return doc
    at = choice(pick, places)
    seg = doc.segments[at]
    positions = [i for i, ch in enumerate(seg.text) if ch == seg.element]
    where = choice(pick, positions)
    text = seg.text[:where] + choice(pick, ("|", ":", "^", "~", " ", "\n")) + seg.text[where + 1 :]
    segments = list(doc.segments)
    segments[at] = replace(seg, text=text)
    return _with_segments(doc, segments)


def change_newlines(doc: Document, pick: Picker) -> Result:
    """Another line break after each terminator ('', LF, CRLF)."""
    return replace(doc, newline=choice(pick, ("", "\n", "\r\n")))


def truncate(doc: Document, pick: Picker) -> Result:
    """The file cut short at any character (text: structure is lost)."""
    text = doc.render()
    return text[: pick.index(len(text) + 1)]


#: Every operator by name.
OPERATORS: dict[str, Operator] = {
    op.__name__: op
    for op in (
        delete_segment,
        duplicate_segment,
        swap_segments,
        move_segment,
        empty_segments,
        change_digit,
        non_ascii_digit,
        non_ascii_digit_lx_sv1,
        huge_number,
        sub_cent_charge,
        change_charge,
        control_char,
        blank_element,
        long_element,
        repeat_lx,
        drop_service_lines,
        duplicate_claim,
        swap_claims,
        duplicate_interchange,
        change_delimiters,
        corrupt_delimiter,
        change_newlines,
        truncate,
    )
}

#: Operators that still crash the scrubber, excluded from the bounded run in
#: the test suite until the fixes of issue 16 (hostile input) are merged.
#: The lead empties this set after merging branch ``hostile``.
#: Operators whose crashes issue 16 (hostile input) fixed: each runs alone as a
#: regression test (tests/fuzz: ``test_fixed_crash_operator``).
FIXED_CRASHES: frozenset[str] = frozenset(
    {
        "repeat_lx",  # LX followed by LX -> IndexError in x12/fields.py (now refused)
        "non_ascii_digit",  # '²' in LX01/SV107 -> ValueError (refused / warned)
        "non_ascii_digit_lx_sv1",  # same, aimed at LX01/SV1
        "drop_service_lines",  # a claim with no 2400 loop -> DecisionError (IG003)
        "huge_number",  # CLM02=1E+27 / units 1E+5000 -> InvalidOperation (refused)
        "sub_cent_charge",  # sub-cent money broke reconciliation (IG004)
    }
)
#: Operators that still make the scrubber crash (none now): the bounded run
#: leaves their shapes out while a fix is pending on another branch.
KNOWN_OPEN: frozenset[str] = frozenset()

#: Element values of CLM, SV1 and SV2 that the known-open crashes are about.
_MONEY_TAGS = ("CLM", "SV1", "SV2")


def known_open_shape(text: str) -> str | None:
    """The :data:`KNOWN_OPEN` operator whose crash ``text`` may show, whatever
    operator made it (deleting an SV1 also leaves an LX followed by an LX);
    ``None`` when it shows none. The bounded run skips such mutants."""
    shape = _crash_shape(text)
    return shape if shape in KNOWN_OPEN else None


def _crash_shape(text: str) -> str | None:
    """The fixed-crash operator whose shape ``text`` shows, if any."""
    if any(ch.isdigit() and not ch.isascii() for ch in text):
        return "non_ascii_digit"
    document = parse_document(text)
    if document is None:
        return None
    tags = [seg.tag for seg in document.segments]
    if any(a == b == "LX" for a, b in itertools.pairwise(tags)):
        return "repeat_lx"
    for start, end in _claim_spans(document):
        if "LX" not in tags[start:end]:
            return "drop_service_lines"
    for seg in document.segments:
        if seg.tag in _MONEY_TAGS:
            shape = _number_shape(seg.elements()[1:])
            if shape is not None:
                return shape
    return None


def _number_shape(values: Sequence[str]) -> str | None:
    for value in values:
        digits = value.lstrip("-")
        if digits.upper() in ("NAN", "INFINITY") or (
            "E" in digits.upper() and digits[:1].isdigit()
        ):
            return "huge_number"
        whole, _, cents = digits.partition(".")
        if whole.isdigit() and len(whole) > 15:
            return "huge_number"
        if whole.isdigit() and cents.isdigit() and len(cents) > 2:
            return "sub_cent_charge"
    return None


#: Operators the bounded run uses.
SAFE_OPERATORS: tuple[str, ...] = tuple(name for name in OPERATORS if name not in KNOWN_OPEN)


# ------------------------------------------------------------------ mutants


@dataclass(frozen=True)
class Mutant:
    """A mutated file: its text, the seed it came from and the operators
    applied (in order), for reporting a failure."""

    text: str
    seed: str
    operations: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.seed} + {', '.join(self.operations) or 'nothing'}"

    def __repr__(self) -> str:  # the text may be 40 kB: hypothesis prints this
        return f"Mutant({self.describe()!r}, {len(self.text)} characters)"


@dataclass(frozen=True)
class SeedDoc:
    name: str
    document: Document


def load_seeds(paths: Sequence[Path]) -> list[SeedDoc]:
    """The readable seed files among ``paths`` (decoded as UTF-8, bad bytes
    replaced); files without an ISA header are skipped."""
    seeds = []
    for path in paths:
        document = parse_document(path.read_bytes().decode("utf-8", errors="replace"))
        if document is not None:
            seeds.append(SeedDoc(path.name, document))
    return seeds


def seeds_from_texts(named: Sequence[tuple[str, str]]) -> list[SeedDoc]:
    """Seeds from (name, X12 text) pairs, e.g. files built with ``build_837``."""
    seeds = []
    for name, text in named:
        document = parse_document(text)
        if document is not None:
            seeds.append(SeedDoc(name, document))
    return seeds


def mutate(seed: SeedDoc, names: Sequence[str], pick: Picker) -> Mutant:
    """``seed`` with the operators ``names`` applied in order; an operator
    that returns text (truncation) ends the chain."""
    current: Document | str = seed.document
    applied: list[str] = []
    for name in names:
        if isinstance(current, str):
            break
        current = OPERATORS[name](current, pick)
        applied.append(name)
    text = current if isinstance(current, str) else current.render()
    return Mutant(text, seed.name, tuple(applied))


def random_mutant(
    seeds: Sequence[SeedDoc],
    rng: random.Random,
    operators: Sequence[str] = tuple(OPERATORS),
    max_operations: int = 3,
) -> Mutant:
    """One mutant of a random seed (for long runs without hypothesis)."""
    pick = RandomPicker(rng)
    names = [choice(pick, operators) for _ in range(1 + rng.randrange(max_operations))]
    return mutate(choice(pick, seeds), names, pick)


def mutants(
    seeds: Sequence[SeedDoc],
    operators: Sequence[str] = SAFE_OPERATORS,
    max_operations: int = 3,
) -> SearchStrategy[Mutant]:
    """Hypothesis strategy: a seed with one to ``max_operations`` of
    ``operators`` applied (default: the ones not in :data:`KNOWN_OPEN`)."""
    from hypothesis import strategies as st

    if not seeds:
        raise ValueError("mutants() needs at least one seed document")

    @st.composite
    def strategy(draw: DrawFn) -> Mutant:
        seed = draw(st.sampled_from(list(seeds)))
        names = draw(
            st.lists(st.sampled_from(list(operators)), min_size=1, max_size=max_operations)
        )
        return mutate(seed, names, DrawPicker(draw))

    return strategy()


def built_seeds() -> list[SeedDoc]:
    """Small seeds built with :mod:`scrubber.testing.samples`: a course of
    five weekly claims whose last one is rejected (IG106) while earlier ones
    bill port films (the re-scrub case), an 837I week, and a file of two
    interchanges with other delimiters (split in shards by ``-j 2``)."""
    from scrubber.model import ClaimKind, Delimiters
    from scrubber.testing.samples import (
        ClaimSpec,
        EnvelopeSpec,
        GroupSpec,
        LineSpec,
        build_837,
        build_interchange,
        weekdays,
    )

    days = weekdays(dt.date(2025, 3, 3), 25)
    course = []
    for week in range(5):
        lines = [
            LineSpec("77412", dos=day, charge=Decimal("300.00"))
            for day in days[week * 5 : week * 5 + 5]
        ]
        if week < 4:
            lines.append(LineSpec("77417", dos=days[week * 5 + 4], charge=Decimal("55.00")))
        else:
            lines.append(LineSpec("77385", dos=days[20]))
            lines.append(LineSpec("77387", dos=days[20], charge=Decimal("90.00")))
        course.append(ClaimSpec(f"W{week}", lines))
    institutional = [
        ClaimSpec(
            "I1",
            [LineSpec("77385", dos=day, revenue_code="0333") for day in days[:3]]
            + [LineSpec("77387", ("TC",), dos=days[0], revenue_code="0333")],
            facility_code="13",
        )
    ]
    pipes = EnvelopeSpec(delimiters=Delimiters("|", ">", "!", "'"), newline="\r\n")
    two = build_interchange(
        [GroupSpec(course[:2], ClaimKind.PROFESSIONAL, 1)], pipes
    ) + build_interchange(
        [GroupSpec(course[2:], ClaimKind.PROFESSIONAL, 2)],
        replace(pipes, interchange_control=2, group_control=2),
    )
    return seeds_from_texts(
        [
            ("built:course", build_837(course)),
            ("built:837i", build_837(institutional, ClaimKind.INSTITUTIONAL)),
            ("built:two-interchanges", two),
        ]
    )
