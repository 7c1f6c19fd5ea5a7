"""The report document as JSON text, written without holding its claim entries.

The text is byte-identical to ``json.dumps(report, indent=2,
ensure_ascii=False) + "\\n"`` (or, for the one-line form, ``json.dumps(report,
ensure_ascii=False) + "\\n"``); the claim entries are rendered one at a time
(:func:`render_entry`) into a temporary file and copied into the document.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Sequence
from typing import IO, Any, NamedTuple

from scrubber.model import PlainClaim, Transaction
from scrubber.x12.segment_text import format_amount

_CLAIMS_MARK = "\x00claims\x00"
_COPY_CHUNK = 1 << 20


def render_entry(entry: dict[str, Any]) -> str:
    """One claim entry as ``json.dumps(report, indent=2, ensure_ascii=False)``
    renders it inside the report's ``"claims"`` list (four spaces deeper).

    ``json`` renders indented documents in pure Python, one generator step per
    token; entries only hold dicts, lists, strings, integers and ``None``, and
    are rendered here directly (the same text, tests hold them equal)."""
    return "    " + _indented(entry, "\n    ")


def _indented(value: object, newline: str) -> str:
    """``value`` as ``json.dumps(value, indent=2, ensure_ascii=False)`` renders
    it where its lines start with ``newline`` (the indentation of its level)."""
    if isinstance(value, str):
        return _encode_string(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = newline + "  "
        items = (f"{_encode_string(k)}: {_indented(v, inner)}" for k, v in value.items())
        return "{" + inner + ("," + inner).join(items) + newline + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        inner = newline + "  "
        return "[" + inner + ("," + inner).join(_indented(v, inner) for v in value) + newline + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    raise TypeError(f"a report entry holds no {type(value).__name__}")


_encode_string: Callable[[str], str] = json.encoder.encode_basestring


def plain_entry_texts(
    transaction: Transaction, claims: Sequence[PlainClaim], *, compact: bool
) -> tuple[list[str], list[str]]:
    """The entries of the accepted plain ``claims`` of ``transaction``, as
    :func:`render_entry` renders each and (when ``compact``, else ``[]``) as
    ``json.dumps(entry, ensure_ascii=False)`` does, where ``entry`` is
    :func:`~scrubber.outputs.report.plain_entry`. An accepted claim's entry
    has one shape, so its text is filled into a template rather than walked
    (the same text: tests hold them equal)."""
    return AcceptedEntries(transaction, compact).texts(claims)


class AcceptedEntries:
    """:func:`plain_entry_texts` for the claims of one ``transaction``, its
    templates made once (a writer given its claims one at a time, copied
    claims, keeps one of these per transaction)."""

    def __init__(self, transaction: Transaction, compact: bool) -> None:
        self.transaction = transaction
        isa13 = _encode_string(transaction.group.interchange.control_number)
        gs06 = _encode_string(transaction.group.control_number)
        st02 = _encode_string(transaction.control_number)
        self._long = _Template(
            '    {\n      "claim_id": ', ',\n      "ordinal": ',
            f',\n      "transaction": {{\n        "isa13": {isa13},\n        "gs06": {gs06},'
            f'\n        "st02": {st02}\n      }},\n      "status": "accepted",\n'
            '      "charge_in": "',
            '",\n      "charge_out": "', '",\n      "findings": []\n    }',
        )  # fmt: skip
        self._one_line = _Template(
            '{"claim_id": ', ', "ordinal": ',
            f', "transaction": {{"isa13": {isa13}, "gs06": {gs06}, "st02": {st02}}}, '
            '"status": "accepted", "charge_in": "',
            '", "charge_out": "', '", "findings": []}',
        ) if compact else None  # fmt: skip

    def texts(self, claims: Sequence[PlainClaim]) -> tuple[list[str], list[str]]:
        """The entries of ``claims`` (of this transaction), both forms."""
        one_line = self._one_line
        return _filled(claims, self._long), _filled(claims, one_line) if one_line else []


class _Template(NamedTuple):
    """An accepted plain claim's entry, as the text around the fields that
    vary per claim (claim id, ordinal, charge in, charge out)."""

    start: str
    before_ordinal: str
    before_charge_in: str
    before_charge_out: str
    end: str


def _filled(claims: Sequence[PlainClaim], template: _Template) -> list[str]:
    """Each claim's entry text, ``template`` filled in."""
    start, before_ordinal, before_charge_in, before_charge_out, end = template
    texts = []
    for claim in claims:
        charge = format_amount(claim.charge)
        texts.append(
            start + _encode_string(claim.claim_id) + before_ordinal
            + int.__repr__(claim.ordinal) + before_charge_in + charge
            + before_charge_out + charge + end
        )  # fmt: skip
    return texts


def write_report_json(
    head: dict[str, Any],
    entries: Callable[[IO[str]], object],
    count: int,
    warnings: list[dict[str, Any]],
    out: IO[str],
) -> None:
    """The report document (text for UTF-8), identical to ``json.dumps(report,
    indent=2, ensure_ascii=False) + "\\n"``, with the ``count`` claim entries
    written (comma-separated) by ``entries(out)``."""
    document = json.dumps(
        {**head, "claims": [_CLAIMS_MARK] if count else [], "warnings": warnings},
        indent=2,
        ensure_ascii=False,
    )
    if count:
        before, after = document.split("    " + json.dumps(_CLAIMS_MARK), 1)
        out.write(before)
        entries(out)
        document = after
    out.write(document + "\n")


def write_compact_report(head: dict[str, Any], entries: IO[str], warnings: list[Any]) -> str:
    """Write the one-line report to a temporary file, with the claim entries
    (one-line JSON, comma-separated) copied from ``entries``; return its path
    (the caller deletes it)."""
    document = json.dumps(
        {**head, "claims": [_CLAIMS_MARK], "warnings": warnings}, ensure_ascii=False
    )
    before, after = document.split(json.dumps(_CLAIMS_MARK), 1)
    handle, path = tempfile.mkstemp(prefix="scrubber-report-", suffix=".json")
    with os.fdopen(handle, "wb") as out:
        out.write(before.encode("utf-8"))
        _copy(entries, out)
        out.write((after + "\n").encode("utf-8"))
    return path


def _copy(text: IO[str], out: IO[bytes]) -> None:
    text.seek(0)
    while chunk := text.read(_COPY_CHUNK):
        out.write(chunk.encode("utf-8"))
