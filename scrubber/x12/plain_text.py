"""Whole transactions read from their text: issue 15's text path.

A clearinghouse batch is mostly ST-SE transactions of which no claim is of
interest to the loaded packs. :class:`TextScan` recognises such a
transaction in the raw text, from just after its ST to just before its SE,
with a few regular expressions and no :class:`~scrubber.model.Segment`, so
that the reader can take it whole (:meth:`X12Reader.read
<scrubber.x12.reader.X12Reader.read>`): the tokenizer jumps over it and
the reader counts its claims.

What it takes is a **canonical** transaction, a strict subset of what the
reader reads without an error or a warning, chosen so that taking it whole
changes nothing:

* **Shape.** Every segment is preceded by the same whitespace (the
  ``newline`` the cleaned 837 writes), holds no CR or LF, has a valid id and
  at most :data:`SEGMENT_LIMIT` characters. BHT first; then billing
  provider loops (``HL*n**20*1``), each with subscriber loops
  (``HL*n*p*22*0`` with claims, or ``HL*n*p*22*1`` with patient loops
  ``HL*n*p*23*0`` after any claims of its own), every loop holding a claim;
  HL ids ``1..n`` in order and every HL02 the enclosing loop's id. Every claim
  has service lines (LX then SV1 for an 837P, SV2 for an 837I); no HL, CLM,
  LX, SV1, SV2 or envelope segment anywhere else. So the reader groups it
  as written, with no misplaced segment, and the cleaned 837 of its claims,
  all kept, is its text.
* **Values.** CLM02 and every line charge an amount with at most two
  decimal places and CLM02 their sum; LX01 1-6 digits; units a plain
  decimal; SV107 pointers of 1-2 digits; every DTP*434 / DTP*472 a valid
  D8 or RD8 and every DMG a valid D8 date of birth; at most
  ``MAX_LINES`` lines a claim and ``MAX_CLAIMS_PER_TRANSACTION`` claims;
  SE01 and SE02 right. So the reader warns of nothing in it.
* **Plain claims.** Every procedure code (5 upper-case letters or digits,
  exactly as the rules read it) is outside ``codes`` (the loaded packs'
  code table) and no 837I claim has a ``closing`` frequency code: the
  conditions of :class:`~scrubber.rules.passthrough.Passthrough` (whose
  docstring argues why such a claim is accepted as it is), checked here on
  the text.

Anything else (a transaction it does not take) is read segment by segment
as before, so the scan only has to be sound, never complete: what it takes
must be what the reader would read, without a warning, as plain claims.
``tests/x12/test_plain_text.py`` checks exactly that on generated and real
transactions.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

try:  # hashlib.blake2b is this; importing hashlib loads OpenSSL too (~12 M instructions)
    from _blake2 import blake2b
except ImportError:  # (a Python built without it)
    from hashlib import blake2b

from scrubber.model import ClaimKind, Delimiters
from scrubber.pickling import by_attributes, by_fields
from scrubber.x12.fields import parse_date, period

#: Longest segment the scan takes (5010 837 segments are under 1,000
#: characters; the tokenizer refuses 65,536).
SEGMENT_LIMIT = 4096
#: Transactions a scan remembers (pass 2 takes them again without the checks).
REMEMBERED = 100_000
_SV = {ClaimKind.PROFESSIONAL: "SV1", ClaimKind.INSTITUTIONAL: "SV2"}
_STRUCTURE = "HL|CLM|LX|SV1|SV2|SE|ST|GS|GE|ISA|IEA"
_KNOWN_DATES = 4096  # valid date values remembered (bounded)
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Scanned:
    """A transaction the scan took, as offsets into the text it was given."""

    header_end: int  # where the first HL's segment (its leading whitespace) starts
    end: int  # where the SE segment (its leading whitespace) starts
    segments: int  # segments after ST and before SE
    claims: int


class _Context(NamedTuple):
    """What a transaction is scanned with, besides its text."""

    kind: ClaimKind
    delimiters: Delimiters
    newline: str  # the whitespace before each segment
    control_number: str  # ST02, which SE02 must repeat


@dataclass(frozen=True, slots=True)
class _Taken:
    """A transaction the scan took, remembered: what it was scanned with, the
    digest of its text and its offsets from the body's start."""

    context: _Context
    digest: bytes  # of the body and the SE segment
    header: int
    body: int
    trailer: int  # the SE's terminator's end
    segments: int
    claims: int


def _digest(text: str, start: int, end: int) -> bytes:
    data = text[start:end].encode("utf-8", "surrogatepass")
    return blake2b(data, digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class _Patterns:
    body: re.Pattern[str]
    hl: re.Pattern[str]
    money: re.Pattern[str]
    codes: re.Pattern[str]
    dates: re.Pattern[str]
    births: re.Pattern[str]
    se: re.Pattern[str]


class TextScan:
    """Recognises canonical all-plain transactions (see the module docstring)
    for the codes the loaded packs look at and the 837I frequency codes that
    make a claim context (``closing``)."""

    def __init__(
        self,
        codes: Collection[str],
        closing: Collection[str],
        max_lines: dict[ClaimKind, int],
        max_claims: int,
    ) -> None:
        self._codes = frozenset(codes)
        self._closing = frozenset(closing)
        self._max_lines = max_lines
        self._max_claims = max_claims
        self._patterns: dict[tuple[Delimiters, str, ClaimKind], _Patterns] = {}
        # DTP*434/472 values (after the qualifier) and DMG values known valid
        self._good_periods: set[str] = set()
        self._good_births: set[str] = set()
        self._taken: dict[int, _Taken] = {}  # by transaction ordinal
        self.taken = 0  # transactions taken (checked, or remembered and the same)
        self.checked = 0  # transactions checked (every call not answered from memory)

    def scan(
        self,
        text: str,
        start: int,
        kind: ClaimKind,
        delimiters: Delimiters,
        newline: str,
        control_number: str,
        ordinal: int = 0,
    ) -> Scanned | None:
        """The transaction whose body starts at ``text[start]`` (just after its
        ST's terminator), when it is canonical and all plain; else ``None``.

        ``ordinal`` (the transaction's, from 1): a transaction this scan took
        before under the same ordinal (pass 1's) whose text is the same (to
        its SE's terminator; a BLAKE2b digest) is taken again without the
        checks. At most :data:`REMEMBERED` transactions are remembered."""
        context = _Context(kind, delimiters, newline, control_number)
        known = self._taken.get(ordinal) if ordinal else None
        if known is not None and known.context == context:
            trailer = start + known.trailer
            if trailer <= len(text) and _digest(text, start, trailer) == known.digest:
                self.taken += 1
                return Scanned(
                    start + known.header, start + known.body, known.segments, known.claims
                )
        found = self._scan(text, start, context)
        self.checked += 1
        if found is None:
            return None
        self.taken += 1
        if ordinal and len(self._taken) < REMEMBERED:
            trailer = text.index(delimiters.segment, found.end) + 1
            self._taken[ordinal] = _Taken(
                context, _digest(text, start, trailer), found.header_end - start,
                found.end - start, trailer - start, found.segments, found.claims,
            )  # fmt: skip
        return found

    def remembered(self) -> dict[int, object]:
        """What this scan remembers (picklable), for :meth:`remember`."""
        return dict(self._taken)

    def forget(self) -> None:
        """Remember nothing (before reading another piece of input, whose
        ordinals start again)."""
        self._taken.clear()

    def remember(self, taken: dict[int, object], offset: int = 0) -> None:
        """Remember what another scan (a shard's pass 1) :meth:`remembered`,
        its ordinals shifted by ``offset`` (the transactions before its shard)."""
        for ordinal, found in taken.items():
            if len(self._taken) >= REMEMBERED:
                return
            assert isinstance(found, _Taken)
            self._taken[ordinal + offset] = found

    def _scan(self, text: str, start: int, context: _Context) -> Scanned | None:
        """:meth:`scan`'s checks (nothing remembered)."""
        kind, delimiters, newline, control_number = context
        if delimiters.segment in " \t\r\n" or newline.strip(" \t\r\n"):
            return None
        patterns = self._patterns_for(delimiters, newline, kind)
        body = patterns.body.match(text, start)
        if body is None:
            return None
        end = body.end()
        se = patterns.se.match(text, end)
        segments = text.count(delimiters.segment, start, end)
        if se is None or se[1] != str(segments + 2) or se[2] != control_number:
            return None
        header_end = body.end("header")
        claims = self._claims(text, header_end - 1, end, kind, patterns)
        if claims is None or not self._hierarchy(patterns.hl.finditer(text, header_end - 1, end)):
            return None
        if not self._dates(patterns, text, start - 1, end, delimiters.element):
            return None
        return Scanned(header_end, end, segments, claims)

    def _patterns_for(self, delimiters: Delimiters, newline: str, kind: ClaimKind) -> _Patterns:
        key = (delimiters, newline, kind)
        patterns = self._patterns.get(key)
        if patterns is None:
            patterns = _compile(delimiters, newline, kind)
            self._patterns[key] = patterns
        return patterns

    def _claims(
        self, text: str, start: int, end: int, kind: ClaimKind, patterns: _Patterns
    ) -> int | None:
        """The number of claims when every claim is plain and its charges add
        up (the shapes are the body pattern's), else ``None``."""
        if not self._codes.isdisjoint(patterns.codes.findall(text, start, end)):
            return None
        closing = self._closing
        max_lines = self._max_lines[kind]
        claims = lines = 0
        total = owed = _ZERO
        for claim_charge, frequency, line_charge in patterns.money.findall(text, start, end):
            if line_charge:
                lines += 1
                total += Decimal(line_charge)
                continue
            if claims and (total != owed or lines > max_lines):
                return None
            if frequency in closing:
                return None
            claims += 1
            lines = 0
            owed, total = Decimal(claim_charge), _ZERO
        if total != owed or lines > max_lines or claims > self._max_claims:
            return None
        return claims

    @staticmethod
    def _hierarchy(levels: Iterator[re.Match[str]]) -> bool:
        """HL ids 1..n in order, each HL02 the enclosing loop's id."""
        billing = subscriber = ""
        for expected, match in enumerate(levels, 1):
            hl_id, parent, level = match.groups()
            if hl_id != str(expected):
                return False
            if level == "20":
                billing = hl_id
            elif level == "22":
                if parent != billing:
                    return False
                subscriber = hl_id
            elif parent != subscriber:
                return False
        return True

    def _dates(self, patterns: _Patterns, text: str, start: int, end: int, element: str) -> bool:
        """Every DTP*434/472 a valid period, every DMG a valid D8 birth date
        (each value checked once: a batch repeats a few hundred)."""
        periods, births = self._good_periods, self._good_births
        for rest in set(patterns.dates.findall(text, start, end)).difference(periods):
            values = rest.split(element)  # "", DTP02, DTP03, ...
            if len(values) < 3 or period(values[1], values[2]) is None:
                return False
            _remember(periods, rest)
        for rest in set(patterns.births.findall(text, start, end)).difference(births):
            values = rest.split(element)  # "", DMG01, DMG02, ...
            if len(values) < 3 or values[1] != "D8" or parse_date(values[2]) is None:
                return False
            _remember(births, rest)
        return True


def _remember(known: set[str], value: str) -> None:
    """``value`` is valid (at most :data:`_KNOWN_DATES` remembered)."""
    if len(known) >= _KNOWN_DATES:
        known.clear()
    known.add(value)


def _compile(delimiters: Delimiters, newline: str, kind: ClaimKind) -> _Patterns:
    """The patterns of one set of delimiters, newline and claim kind."""
    e, c, t = (re.escape(x) for x in (delimiters.element, delimiters.component, delimiters.segment))
    w = re.escape(newline)
    value = f"[^{e}{t}\\r\\n]"  # a character of an element
    part = f"[^{e}{c}{t}\\r\\n]"  # a character of a component
    char = f"[^{t}\\r\\n]"  # a character of a segment
    rest = f"(?:{e}{char}{{0,{SEGMENT_LIMIT}}})?+"
    amount = "[0-9]{1,15}(?:\\.[0-9]{1,2})?+"
    units = "[0-9]{1,9}(?:\\.[0-9]{1,5})?+"
    procedure = f"[A-Z]{{2}}{c}[A-Z0-9]{{5}}(?:{c}{part}*+){{0,4}}"
    other = f"{w}(?!(?:{_STRUCTURE})(?:{e}|{t}))[A-Z][A-Z0-9]{{1,2}}{rest}{t}"
    if kind is ClaimKind.PROFESSIONAL:
        pointers = f"(?:[0-9]{{1,2}}(?:{c}[0-9]{{1,2}}){{0,3}})?+"
        tail = f"(?:{e}{value}*+(?:{e}{value}*+(?:{e}{pointers}{rest})?+)?+)?+"
        service = f"{w}SV1{e}{procedure}{e}{amount}{e}[A-Z]{{0,2}}{e}{units}{tail}{t}"
        clm05 = f"{value}*+"
        frequency = "()"  # not read: any 837P frequency code is plain
        service_charge = f"SV1{e}{value}*+{e}({amount})"
        code_at = ""
    else:
        service = (
            f"{w}SV2{e}{value}*+{e}(?:{procedure})?+{e}{amount}{e}[A-Z]{{0,2}}{e}{units}{rest}{t}"
        )
        clm05 = f"{part}*+{c}{part}*+{c}{part}*+(?:{c}{value}*+)?+"
        frequency = f"{value}*+{e}{value}*+{e}{part}*+{c}{part}*+{c}({part}*+)"
        service_charge = f"SV2{e}{value}*+{e}{value}*+{e}({amount})"
        code_at = f"{value}*+{e}"
    claim_segment = f"{w}CLM{e}{value}*+{e}{amount}{e}{value}*+{e}{value}*+{e}{clm05}{rest}{t}"
    line = f"{w}LX{e}[0-9]{{1,6}}{t}{service}(?:{other})*+"
    claim = f"{claim_segment}(?:{other})*+(?:{line})++"
    hl = f"{w}HL{e}[0-9]{{1,12}}{e}"
    patient = f"{hl}[0-9]{{1,12}}{e}23{e}0{t}(?:{other})*+(?:{claim})++"
    subscriber = (
        f"(?:{hl}[0-9]{{1,12}}{e}22{e}0{t}(?:{other})*+(?:{claim})++"
        f"|{hl}[0-9]{{1,12}}{e}22{e}1{t}(?:{other})*+(?:{claim})*+(?:{patient})++)"
    )
    billing = f"{hl}{e}20{e}1{t}(?:{other})*+(?:{subscriber})++"
    body = f"{w}BHT{rest}{t}(?P<header>(?:{other})*+)(?:{billing})++"
    sv = _SV[kind]
    # A segment's start: the terminator before it (so that no value inside a
    # segment is taken for one, with no newline too); searched from the
    # terminator before the first segment.
    at = f"{t}{w}"
    return _Patterns(
        body=re.compile(body),
        hl=re.compile(f"{at}HL{e}([0-9]+){e}([0-9]*){e}(2[023]){e}"),
        money=re.compile(f"{at}(?:CLM{e}{value}*+{e}({amount}){e}{frequency}|{service_charge})"),
        codes=re.compile(f"{at}{sv}{e}{code_at}[A-Z]{{2}}{c}([A-Z0-9]{{5}})"),
        dates=re.compile(f"{at}DTP{e}(?:434|472)({rest})(?={t})"),
        births=re.compile(f"{at}DMG({rest})(?={t})"),
        se=re.compile(f"{w}SE{e}({value}*){e}({value}*){t}"),
    )


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(Scanned, _Taken, _Patterns)
by_attributes(TextScan, (), (), {}, 0)  # (a Passthrough's, shipped to Spark's workers)
