"""The code-set table: which codes exist, in which sets, valid for which DOS.

Each rule pack brings its table (``RulePack.codes``); the image-guidance
pack's is data shipped in the package (``data/codes.csv``), versioned by its
first line (``#rule-set,image-guidance/2026.1``). The engine merges the
loaded packs' tables (:func:`scrubber.rules.packs.merge_code_tables`). Rules
ask the table, never a literal list of codes, which set a code belongs to
and whether it is valid on a date of service.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType

from scrubber.errors import CodeTableError as CodeTableError
from scrubber.pickling import by_fields

# Set names used in data/codes.csv.
IGRT = "igrt"  # the standard's "IGRT Allowed Billable Group"
IGRT_CPT = "igrt-cpt"  # 77387
CT_GUIDANCE = "ct-guidance"  # 77014
UNLISTED_MRI = "unlisted-mri"  # 76498
IGRT_MEDICARE_FREESTANDING = "igrt-medicare-freestanding"  # G6001, G6002, G6017
TECHNICAL_ONLY = "technical-only"  # G6017, 77417
LEVEL_1_DELIVERY = "level-1-delivery"  # 77402 (2026: only-77402 courses are 2D)
DELETED_2015 = "deleted-2015"
DELETED_2026 = "deleted-2026"
IMRT = "imrt"
IMRT_BUNDLES_IGRT = "imrt-bundles-igrt"  # 77385/77386: IGRT technical part bundled
SRS_SBRT = "srs-sbrt"
PROTON = "proton"
CONVENTIONAL = "conventional"
SUPERFICIAL = "superficial"
SIMULATION = "simulation"
VERIFICATION_SIMULATION = "verification-simulation"
PLAN_IMRT = "plan-imrt"
PLAN_3D = "plan-3d"
PLAN_2D = "plan-2d"
PORT = "port"

#: Sets whose units are fractions (megavoltage external-beam delivery).
FRACTION_SETS = (IMRT, SRS_SBRT, PROTON, CONVENTIONAL)
#: Simulations (77280-77290) and plans (77295, 77301, 77306, 77307): a new course
#: starts with one dated after the last fraction (RULES.md section 2). 77338 (MLC
#: device) is in the IMRT planning set but is not one: it is made during a course too.
COURSE_START = "course-start"
#: Sets whose codes belong to a course as modality signals (a plan) or as course starts.
COURSE_MARKER_SETS = (SIMULATION, PLAN_IMRT, PLAN_3D, PLAN_2D, COURSE_START)

_COLUMNS = ("code", "sets", "valid_from", "valid_to", "successor", "descriptor")


@dataclass(frozen=True, slots=True)
class CodeEntry:
    """One code of the table.

    ``valid_from``/``valid_to`` bound the DOS on which the code may be
    reported (``None``: unbounded). ``successor`` is what to report instead
    once the code is deleted; it may contain ``{delivery}``, filled with the
    same-day delivery code by the rule that quotes it.
    """

    code: str
    sets: frozenset[str]
    valid_from: dt.date | None
    valid_to: dt.date | None
    successor: str
    descriptor: str

    def valid_on(self, dos: dt.date) -> bool:
        if self.valid_from is not None and dos < self.valid_from:
            return False
        return not (self.valid_to is not None and dos > self.valid_to)

    def in_any(self, *sets: str) -> bool:
        return any(name in self.sets for name in sets)


@dataclass(frozen=True, slots=True)
class CodeTable:
    """An immutable, versioned code-set table."""

    rule_set: str
    entries: Mapping[str, CodeEntry]
    members: Mapping[str, frozenset[str]]  # set name -> codes (derived from entries)
    # Derived from entries, for the calls rules make for every line: each
    # code's sets in a plain dict (no mapping proxy, no entry to go through),
    # and the codes is_fraction accepts.
    _sets: dict[str, frozenset[str]] = field(init=False, repr=False, compare=False)
    _fractions: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_sets", {c: e.sets for c, e in self.entries.items()})
        fractions = frozenset(c for c, e in self.entries.items() if e.in_any(*FRACTION_SETS))
        object.__setattr__(self, "_fractions", fractions)

    def get(self, code: str) -> CodeEntry | None:
        return self.entries.get(code)

    def in_scope(self, code: str) -> bool:
        return code in self.entries

    def is_in(self, code: str, *sets: str) -> bool:
        """Whether ``code`` belongs to any of ``sets`` (membership ignores DOS)."""
        # Same answer as asking ``members`` set by set (members is derived from
        # entries), but one dict lookup and a C-level set test: this is the
        # rules' hottest call.
        code_sets = self._sets.get(code)
        return code_sets is not None and not code_sets.isdisjoint(sets)

    def codes_in(self, name: str) -> frozenset[str]:
        return self.members.get(name, frozenset())

    def is_fraction(self, code: str) -> bool:
        """A unit of this code is a fraction (never superficial delivery)."""
        return code in self._fractions  # is_in(code, *FRACTION_SETS), precomputed


def parse_code_table(text: str) -> CodeTable:
    """Parse the CSV text of a code-set table (see ``data/codes.csv``)."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("#rule-set,"):
        raise CodeTableError("line 1: expected '#rule-set,<name>/<version>'")
    rule_set = lines[0].split(",", 1)[1].strip()
    reader = csv.DictReader(io.StringIO("\n".join(lines[1:])))
    if tuple(reader.fieldnames or ()) != _COLUMNS:
        raise CodeTableError(f"line 2: expected columns {','.join(_COLUMNS)}")
    entries: dict[str, CodeEntry] = {}
    for row_number, row in enumerate(reader, start=3):
        code = row["code"].strip()
        if not code or code in entries:
            raise CodeTableError(f"line {row_number}: empty or duplicate code {code!r}")
        entries[code] = CodeEntry(
            code=code,
            sets=frozenset(s.strip() for s in row["sets"].split(";") if s.strip()),
            valid_from=_date(row["valid_from"], row_number),
            valid_to=_date(row["valid_to"], row_number),
            successor=row["successor"].strip(),
            descriptor=row["descriptor"].strip(),
        )
    return code_table(rule_set, entries)


def code_table(rule_set: str, entries: Mapping[str, CodeEntry]) -> CodeTable:
    """The table of ``entries`` (by code), its set memberships derived."""
    members: dict[str, set[str]] = {}
    for entry in entries.values():
        for name in entry.sets:
            members.setdefault(name, set()).add(entry.code)
    return CodeTable(
        rule_set=rule_set,
        entries=MappingProxyType(dict(entries)),
        members=MappingProxyType({name: frozenset(codes) for name, codes in members.items()}),
    )


#: The table of a pack that brings no code of its own.
EMPTY_CODE_TABLE = code_table("", {})


def load_packaged_code_table() -> CodeTable:
    """The table shipped with the package (``scrubber/rules/radonc/data/codes.csv``)."""
    text = resources.files("scrubber.rules.radonc").joinpath("data/codes.csv").read_text("utf-8")
    return parse_code_table(text)


def _date(value: str, row_number: int) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise CodeTableError(f"line {row_number}: bad date {value!r}") from error


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(CodeEntry, CodeTable)
