"""The course registry (``--courses FILE``): planned fractions per course.

CSV, one course per row, columns in this order (a header row is optional and
recognised by its first cell starting with ``member``)::

    member_id,billing_npi,site_icd10,first_dos,planned_fractions
    MBR0001,1234567893,C61,2025-03-03,28

``first_dos`` is ISO ``YYYY-MM-DD`` (or ``YYYYMMDD``); the ICD-10 code may be
written with or without its dot. A registry row makes the end of the matching
course known (RULES.md section 2, course end (a)). Errors name the row number
and the column, never the values (they identify patients).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from scrubber.errors import RegistryError as RegistryError
from scrubber.pickling import by_fields
from scrubber.rules.facts import normalize_icd10

COLUMNS = ("member_id", "billing_npi", "site_icd10", "first_dos", "planned_fractions")


@dataclass(frozen=True, slots=True)
class RegisteredCourse:
    member_id: str
    billing_npi: str
    site: str
    first_dos: dt.date
    planned_fractions: int


@dataclass(frozen=True, slots=True)
class CourseRegistry:
    """Registered courses by (member id, billing NPI, site), earliest first."""

    by_key: Mapping[tuple[str, str, str], tuple[RegisteredCourse, ...]]

    @classmethod
    def of(cls, courses: Iterable[RegisteredCourse]) -> CourseRegistry:
        grouped: dict[tuple[str, str, str], list[RegisteredCourse]] = {}
        for course in courses:
            key = (course.member_id, course.billing_npi, course.site)
            grouped.setdefault(key, []).append(course)
        return cls(
            MappingProxyType(
                {k: tuple(sorted(v, key=lambda c: c.first_dos)) for k, v in grouped.items()}
            )
        )

    def lookup(self, member_id: str, billing_npi: str, site: str) -> tuple[RegisteredCourse, ...]:
        return self.by_key.get((member_id, billing_npi, site), ())

    def __len__(self) -> int:
        return sum(len(v) for v in self.by_key.values())


EMPTY_REGISTRY = CourseRegistry(MappingProxyType({}))


def parse_registry(text: str) -> CourseRegistry:
    """Parse registry CSV text (see the module docstring)."""
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if rows and rows[0][0].strip().lower().replace(" ", "_").startswith("member"):
        rows = rows[1:]
        first_row = 2
    else:
        first_row = 1
    return CourseRegistry.of(_course(row, n) for n, row in enumerate(rows, start=first_row))


def load_registry(path: str | Path) -> CourseRegistry:
    """Read a registry file (UTF-8, BOM tolerated)."""
    return parse_registry(Path(path).read_text("utf-8-sig"))


def _course(row: list[str], row_number: int) -> RegisteredCourse:
    if len(row) != len(COLUMNS):
        raise RegistryError(
            f"course registry row {row_number}: expected {len(COLUMNS)} columns "
            f"({', '.join(COLUMNS)}), found {len(row)}"
        )
    member_id, npi, site, first_dos, planned = (cell.strip() for cell in row)
    for column, value in (("member_id", member_id), ("billing_npi", npi), ("site_icd10", site)):
        if not value:
            raise RegistryError(f"course registry row {row_number}: {column} is empty")
    if not _ascii_digits(planned) or len(planned) > 6 or int(planned) < 1:
        raise RegistryError(
            f"course registry row {row_number}: planned_fractions is not a positive integer"
        )
    return RegisteredCourse(
        member_id=member_id.upper(),
        billing_npi=npi,
        site=normalize_icd10(site),
        first_dos=_date(first_dos, row_number),
        planned_fractions=int(planned),
    )


def _date(value: str, row_number: int) -> dt.date:
    try:
        if len(value) == 8 and _ascii_digits(value):
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise RegistryError(
            f"course registry row {row_number}: first_dos is not a date (YYYY-MM-DD)"
        ) from error


def _ascii_digits(value: str) -> bool:
    """Only ASCII ``0-9`` (``str.isdigit`` accepts ``\u00b2``, which ``int`` refuses)."""
    return value.isascii() and value.isdigit()


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(RegisteredCourse, CourseRegistry)
