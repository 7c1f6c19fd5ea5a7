"""The worklist page's pictures, as inline SVG built with lxml.

Accessible without colour: each chart has a ``<title>`` and a ``<desc>``
(``role="img"``, ``aria-labelledby``), every bar carries its label and count
as text, and the status bars differ by pattern as well as by colour.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

BAR_HEIGHT = 18
GAP = 6
LABEL_WIDTH = 260
BAR_WIDTH = 300
MAX_RULES = 25  # the rest are summed in one bar
STATUSES = (
    ("accepted", "Accepted", "#2e7d32", "none"),
    ("corrected", "Corrected", "#b26a00", "url(#hatch)"),
    ("rejected", "Rejected", "#b00020", "url(#dots)"),
)


def status_chart(summary: dict[str, Any]) -> etree._Element:
    """Claims by status: one bar each, with count and share as text."""
    total = summary["claims"] or 1
    rows = [(label, summary[key], colour, pattern) for key, label, colour, pattern in STATUSES]
    description = ", ".join(f"{label}: {count}" for label, count, _, _ in rows)
    svg = _svg("status-chart", "Claims by status", description, len(rows))
    _patterns(svg)
    for index, (label, count, colour, pattern) in enumerate(rows):
        text = f"{label}: {count} ({100 * count / total:.0f}%)"
        _bar(svg, index, text, count / total, colour, pattern)
    return _figure(svg, "Claims by status")


def findings_chart(by_rule: dict[str, int], names: dict[str, str]) -> etree._Element:
    """Findings by rule, most frequent first (rule code and name as text)."""
    ranked = sorted(by_rule.items(), key=lambda item: (-item[1], item[0]))
    shown = ranked[:MAX_RULES]
    rest = sum(count for _, count in ranked[MAX_RULES:])
    rows = [(f"{rule} {names.get(rule, '')}".strip(), count) for rule, count in shown]
    if rest:
        rows.append((f"{len(ranked) - MAX_RULES} other rules", rest))
    description = ", ".join(f"{label}: {count}" for label, count in rows) or "No findings."
    svg = _svg("findings-chart", "Findings by rule", description, max(len(rows), 1))
    top = max((count for _, count in rows), default=0) or 1
    for index, (label, count) in enumerate(rows):
        _bar(svg, index, f"{label}: {count}", count / top, "#37474f", "none")
    if not rows:
        _text(svg, 4, BAR_HEIGHT - 4, "No findings")
    return _figure(svg, "Findings by rule")


def _svg(ident: str, title: str, description: str, rows: int) -> etree._Element:
    height = rows * (BAR_HEIGHT + GAP) + GAP
    svg = etree.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "role": "img",
            "aria-labelledby": f"{ident}-title {ident}-desc",
            "width": str(LABEL_WIDTH + BAR_WIDTH + 10),
            "height": str(height),
            "viewBox": f"0 0 {LABEL_WIDTH + BAR_WIDTH + 10} {height}",
            "id": ident,
        },
    )
    etree.SubElement(svg, "title", id=f"{ident}-title").text = title
    etree.SubElement(svg, "desc", id=f"{ident}-desc").text = description
    return svg


def _patterns(svg: etree._Element) -> None:
    defs = etree.SubElement(svg, "defs")
    hatch = etree.SubElement(
        defs, "pattern", id="hatch", width="6", height="6",
        patternUnits="userSpaceOnUse", patternTransform="rotate(45)",
    )  # fmt: skip
    etree.SubElement(hatch, "rect", width="6", height="6", fill="#b26a00")
    etree.SubElement(hatch, "line", x1="0", y1="0", x2="0", y2="6", stroke="#fff",
                     **{"stroke-width": "2"})  # fmt: skip
    dots = etree.SubElement(defs, "pattern", id="dots", width="5", height="5",
                            patternUnits="userSpaceOnUse")  # fmt: skip
    etree.SubElement(dots, "rect", width="5", height="5", fill="#b00020")
    etree.SubElement(dots, "circle", cx="2.5", cy="2.5", r="1.2", fill="#fff")


def _bar(
    svg: etree._Element, index: int, label: str, share: float, colour: str, pattern: str
) -> None:
    y = GAP + index * (BAR_HEIGHT + GAP)
    group = etree.SubElement(svg, "g", {"class": "bar"})
    _text(group, 0, y + BAR_HEIGHT - 5, label)
    width = max(1, round(BAR_WIDTH * share)) if share else 0
    fill = colour if pattern == "none" else pattern
    etree.SubElement(group, "rect", x=str(LABEL_WIDTH), y=str(y), width=str(width),
                     height=str(BAR_HEIGHT), fill=fill, stroke=colour)  # fmt: skip


def _text(parent: etree._Element, x: int, y: int, text: str) -> None:
    element = etree.SubElement(parent, "text", x=str(x), y=str(y))
    element.set("font-size", "12")
    element.text = text if len(text) <= 42 else text[:41] + "\u2026"


def _figure(svg: etree._Element, caption: str) -> etree._Element:
    figure = etree.Element("figure")
    figure.append(svg)
    etree.SubElement(figure, "figcaption").text = caption
    return figure
