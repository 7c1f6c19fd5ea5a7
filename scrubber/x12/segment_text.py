"""Render and rewrite X12 segment text (shared by the 837 and 277CA writers).

A rewritten segment keeps the whitespace that came before it in the input and
the text after its last element (terminator and any line break before it), so
that a file keeps its newline style; only the elements change.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, localcontext

from scrubber.model import Delimiters, Segment

_WHITESPACE = " \t\r\n"


def render(elements: Sequence[str], delimiters: Delimiters, prefix: str = "") -> str:
    """``prefix`` + the elements joined (trailing empty elements dropped) + terminator."""
    values = list(elements)
    while len(values) > 1 and values[-1] == "":
        values.pop()
    return prefix + delimiters.element.join(values) + delimiters.segment


def rewrite(segment: Segment, elements: Sequence[str], delimiters: Delimiters) -> str:
    """The text of ``segment`` with new ``elements``; ``segment.raw`` when unchanged."""
    if tuple(elements) == segment.elements:
        return segment.raw
    joined_old = delimiters.element.join(segment.elements)
    start = _content_start(segment.raw, delimiters)
    body = segment.raw[start:]
    prefix = segment.raw[:start]
    suffix = body[len(joined_old) :] if body.startswith(joined_old) else delimiters.segment
    values = list(elements)
    while len(values) > 1 and values[-1] == "":
        values.pop()
    return prefix + delimiters.element.join(values) + suffix


def prefix_of(segment: Segment, delimiters: Delimiters) -> str:
    """The whitespace (line break, indentation) that precedes ``segment``'s content."""
    start = _content_start(segment.raw, delimiters)
    head = segment.raw[:start]
    # Keep only the whitespace after any skipped empty segments.
    return head[len(head.rstrip(_WHITESPACE)) :] if head.strip(_WHITESPACE) else head


def _content_start(raw: str, delimiters: Delimiters) -> int:
    skip = _WHITESPACE + delimiters.segment
    index = 0
    while index < len(raw) and raw[index] in skip:
        index += 1
    return index


def replace_element(elements: Sequence[str], index: int, value: str) -> tuple[str, ...]:
    """``elements`` with element ``index`` (1-based, as ``CLM02``) set to ``value``."""
    values = list(elements)
    while len(values) <= index:
        values.append("")
    values[index] = value
    return tuple(values)


def replace_component(
    element: str, component_index: int, value: str, delimiters: Delimiters
) -> str:
    """A composite element with its 0-based component ``component_index`` replaced."""
    parts = element.split(delimiters.component)
    while len(parts) <= component_index:
        parts.append("")
    parts[component_index] = value
    return delimiters.component.join(parts)


_CENT = Decimal("0.01")


def format_amount(value: Decimal) -> str:
    """Money as X12 ``R`` text with two decimal places (``300.00``).

    An amount is never rounded: one with more decimal places (``117.005``, which
    the reader accepts and rule IG004 rejects) is written with all of them
    (trailing zeros dropped), so that every total in every output adds up exactly
    to the amounts it sums. Raises ``ValueError`` on NaN or Infinity (the reader
    refuses them)."""
    text = str(value)
    if text[-3:-2] == ".":  # two decimal places already (the usual amount): as it is
        return text
    if not value.is_finite():
        raise ValueError(f"not an amount: {value}")
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    with localcontext() as exact:
        exact.prec = len(digits) + abs(exponent) + 3  # quantize and normalize exactly
        cents = value.quantize(_CENT)
        if cents == value:
            return f"{cents:f}"
        return f"{value.normalize():f}"


def format_quantity(value: Decimal) -> str:
    """A quantity without insignificant zeros (``1``, ``1.5``)."""
    normalized = value.normalize()
    if normalized == normalized.to_integral_value():
        return str(int(normalized))
    return f"{normalized:f}"


# Characters allowed in free text (X12 basic and extended character sets, printable ASCII).
_PRINTABLE = {chr(c) for c in range(0x20, 0x7F)}


def sanitize_text(text: str, delimiters: Delimiters, limit: int) -> str:
    """Free text safe inside one element: no separators of the interchange, printable
    ASCII only (other characters become a space, runs of spaces collapse), at most
    ``limit`` characters (cut with ``...`` when longer)."""
    forbidden = {
        delimiters.element,
        delimiters.component,
        delimiters.repetition,
        delimiters.segment,
    }
    cleaned = "".join(
        ch if ch in _PRINTABLE and ch not in forbidden else _replacement(ch, forbidden)
        for ch in text
    )
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > limit:
        cleaned = cleaned[: max(limit - 3, 0)].rstrip() + "..."
    return cleaned


_REPLACEMENTS = {"\u2014": "-", "\u2013": "-", "\u2019": "'", "\u2018": "'"}


def _replacement(ch: str, forbidden: set[str]) -> str:
    replacement = _REPLACEMENTS.get(ch, " ")
    return " " if replacement in forbidden else replacement
