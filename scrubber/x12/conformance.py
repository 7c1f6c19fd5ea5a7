"""Implementation-guide conformance through pyx12.

:func:`check_conformance` runs pyx12's validator over X12 text (any
transaction pyx12 has a map for: 837P, 837I, 277CA, ...) and returns whether
it conforms, the 999 acknowledgment pyx12 generates, and the errors it found
(position, segment, code, description). pyx12's own logging is silenced:
its messages quote segment contents, which may identify patients.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from typing import Any

import pyx12.params
import pyx12.x12n_document

from scrubber.errors import X12InputError
from scrubber.pickling import by_fields
from scrubber.x12.tokenizer import Tokenizer


@dataclass(frozen=True, slots=True)
class ConformanceError:
    """One error pyx12 reports. ``segment_position`` is the 1-based segment line
    pyx12 counts (``None`` for envelope-level errors); ``element`` is e.g. ``CLM02``."""

    level: str  # interchange, group, transaction, segment, element
    code: str
    description: str
    segment_position: int | None = None
    segment_id: str = ""
    element: str = ""

    def __str__(self) -> str:
        where = ""
        if self.segment_position is not None:
            where = f"segment {self.segment_position}"
            if self.segment_id:
                where += f" ({self.segment_id}"
                where += f" {self.element})" if self.element else ")"
            where += ": "
        return f"{where}{self.level} error {self.code}: {self.description}"


@dataclass(frozen=True, slots=True)
class Conformance:
    valid: bool
    ack_999: str
    errors: tuple[ConformanceError, ...]


def check_conformance(text: str) -> Conformance:
    """Validate X12 ``text`` against its implementation guide with pyx12.

    pyx12 reads the delimiters of the first ISA only, so a file of several
    interchanges is validated one interchange at a time (when its segments can
    be split; otherwise as a whole): valid when every one is, 999s concatenated.
    """
    parts = split_interchanges(text)
    results = [_check_one(part) for part in parts]
    return Conformance(
        all(r.valid for r in results),
        "".join(r.ack_999 for r in results),
        tuple(e for r in results for e in r.errors),
    )


def split_interchanges(text: str) -> list[str]:
    """The text of each ISA-IEA interchange (``[text]`` when it cannot be split)."""
    parts: list[str] = []
    current: list[str] = []
    try:
        for segment in Tokenizer(iter([text]), []).segments():
            current.append(segment.raw)
            if segment.id == "IEA":
                parts.append("".join(current))
                current = []
    except X12InputError:
        return [text]
    if current:
        parts.append("".join(current))
    return [part.lstrip(" \t\r\n") for part in parts] or [text]


def _check_one(text: str) -> Conformance:
    logging.getLogger("pyx12").setLevel(logging.CRITICAL + 1)
    params = pyx12.params.params()
    ack = io.StringIO()
    report = io.StringIO()
    valid = pyx12.x12n_document.x12n_document(
        param=params,
        src_file=io.StringIO(text),
        fd_997=ack,
        fd_html=None,
        fd_json=report,
    )
    errors = tuple(_errors(report.getvalue()))
    return Conformance(bool(valid) and not errors, ack.getvalue(), errors)


def _errors(report: str) -> list[ConformanceError]:
    if not report.strip():
        return []
    try:
        document = json.loads(report)
    except ValueError:
        return [ConformanceError("interchange", "?", "pyx12 produced an unreadable report")]
    found: list[ConformanceError] = []
    for interchange in document.get("interchanges", []):
        found.extend(_plain(interchange, "interchange"))
        for group in interchange.get("groups", []):
            found.extend(_plain(group, "group"))
            for transaction in group.get("transactions", []):
                found.extend(_plain(transaction, "transaction"))
                for segment in transaction.get("segments", []):
                    found.extend(_segment(segment))
    return found


def _plain(node: dict[str, Any], level: str) -> list[ConformanceError]:
    return [
        ConformanceError(level, str(e.get("code", e.get("err_cde", "?"))), _text(e))
        for e in node.get("errors", [])
    ]


def _segment(segment: dict[str, Any]) -> list[ConformanceError]:
    position = segment.get("cur_line")
    seg_id = str(segment.get("seg_id", ""))
    found = [
        ConformanceError(
            "segment", str(e.get("code", e.get("err_cde", "?"))), _text(e), position, seg_id
        )
        for e in segment.get("errors", [])
    ]
    for element in segment.get("elements", []):
        name = f"{seg_id}{element.get('ele_pos', '')}"
        sub = element.get("subele_pos")
        if sub:
            name += f"-{sub}"
        for e in element.get("errors", []):
            found.append(
                ConformanceError(
                    "element",
                    str(e.get("code", e.get("err_cde", "?"))),
                    _text(e),
                    position,
                    seg_id,
                    name,
                )
            )
    return found


def _text(error: dict[str, Any]) -> str:
    return str(error.get("description", error.get("err_str", error.get("msg", ""))))


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(ConformanceError, Conformance)
