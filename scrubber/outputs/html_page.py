"""The worklist page: one self-contained, printable HTML page per input.

Rendered with lxml's incremental writer (``etree.htmlfile``, the HTML form
of ``etree.xmlfile``): the page streams out claim by claim from the
:class:`~scrubber.outputs.html_worklist.Worklist` spools, so a batch of any
size renders in bounded memory. No script and no external asset: the style
sheet and the charts (inline SVG, :mod:`scrubber.outputs.html_charts`) are
part of the page. Every text taken from the input goes through lxml, which
escapes it; nothing is pasted in as markup.

Built for batches of 100,000 claims and more: each rule's fix and citation
are written once, in the rules table (anchor ``rule-CODE``), which every
finding's rule code links to; a long section gets an index by position in
the contents; claim blocks carry ``content-visibility: auto``, so a browser
lays out only the claims near the screen (print lays out all of them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Protocol

from lxml import etree

from scrubber.outputs.html_charts import findings_chart, status_chart
from scrubber.outputs.html_worklist import (
    JUMP_STEP,
    SECTIONS,
    TOC_LINKS,
    RuleNote,
    Worklist,
    anchor_of,
)

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1a1a1a}
h1{font-size:1.5rem;margin:0 0 .5rem}
h2{font-size:1.2rem;margin-top:2rem;border-bottom:2px solid #444}
dl.summary{display:grid;grid-template-columns:max-content auto;gap:.15rem 1rem;margin:.5rem 0}
dl.meta dt{font-weight:600}dl.meta dd{margin:0}
.figures{display:flex;flex-wrap:wrap;gap:2rem}.figures figure{margin:0}
section.claim{border:1px solid #bbb;border-left:6px solid #888;margin:1rem 0;padding:.5rem .75rem;
break-inside:avoid;content-visibility:auto;contain-intrinsic-size:auto 180px}
section.claim.rejected{border-left-color:#b00020}section.claim.corrected{border-left-color:#b26a00}
section.claim h3{margin:0;font-size:1.05rem}
section.claim dl{display:flex;flex-wrap:wrap;gap:.1rem .5rem;margin:.25rem 0}
section.claim dt{font-weight:600}section.claim dd{margin:0 1rem 0 0}
table{border-collapse:collapse;width:100%;margin-top:.5rem}
th,td{border:1px solid #ccc;padding:.2rem .4rem;text-align:left;vertical-align:top}
th{background:#eee}
table.findings{table-layout:fixed}table.findings td{overflow-wrap:anywhere}
table.findings th:nth-child(1){width:3.5em}table.findings td:nth-child(1){text-align:right}
table.findings th:nth-child(2){width:7.5em}table.findings th:nth-child(3){width:7.5em}
table.findings th:nth-child(4){width:6.5em}table.findings th:nth-child(5){width:4em}
table.findings th:nth-child(6){width:8.5em}
table.rules td:nth-child(2){white-space:nowrap}table.rules td:nth-child(3){text-align:right}
table.rules td:nth-child(4){color:#0b5}table.rules td:nth-child(5){color:#555;font-size:.9em}
table.rules td:nth-child(6){font-size:.9em}
table.rules tr:target{background:#fff3c4}
.fix{color:#0b5}.cite{color:#555;font-size:.9em}td p{margin:.25rem 0 0}
nav ul{columns:2}nav ul.pages{columns:4;font-size:.9em}
@media print{nav,.figures{break-after:page}a{color:inherit;text-decoration:none}
section.claim{content-visibility:visible}}
"""
STATUS_LABELS = {"rejected": "Rejected", "corrected": "Corrected"}
FINDING_COLUMNS = ("Line", "REF*6R", "Procedure", "DOS", "Rule", "Action", "Message")
LEGEND_COLUMNS = ("Rule", "Name", "Findings", "Fix", "Citation", "Claims")


class BytesOut(Protocol):
    """Where the page's bytes go (a binary file, or a text target's adapter)."""

    def write(self, data: bytes, /) -> int: ...


def render_page(
    out: BytesOut,
    head: dict[str, Any],
    worklist: Worklist,
    *,
    warnings: Iterable[dict[str, Any]] = (),
    rule_names: dict[str, str],
    run_at: dt.datetime,
) -> None:
    """Write the page of one input to ``out``: ``head`` is the report's head
    (``S.report.json`` without its claims), ``warnings`` its warnings list."""
    summary = head["summary"]
    with etree.htmlfile(out, encoding="utf-8") as page:
        page.write_doctype("<!DOCTYPE html>")
        with page.element("html", lang="en"):
            _head(page, head)
            with page.element("body"):
                _header(page, head, worklist, run_at)
                with page.element("div", {"class": "figures"}):
                    page.write(status_chart(summary))
                    page.write(findings_chart(summary["findings_by_rule"], rule_names))
                by_rule = summary["findings_by_rule"]
                names = {**rule_names, **{r: n.name for r, n in worklist.rules.items()}}
                rules = _legend_rules(by_rule, worklist)
                _contents(page, len(rules), worklist)
                _legend(page, rules, by_rule, names, worklist)
                for section in ("rejected", "corrected"):
                    _claims(page, section, worklist)
                _warnings(page, worklist, list(warnings))
                _footer(page, summary)


def _head(page: Any, head: dict[str, Any]) -> None:
    with page.element("head"):
        page.write(etree.Element("meta", charset="utf-8"))
        page.write(etree.Element("meta", name="viewport", content="width=device-width"))
        page.write(_el("title", f"Scrub worklist: {head['input']}"))
        page.write(_el("style", STYLE))


def _header(page: Any, head: dict[str, Any], worklist: Worklist, run_at: dt.datetime) -> None:
    summary = head["summary"]
    charges = summary["charges"]
    with page.element("header"):
        page.write(_el("h1", f"Claim scrub worklist: {head['input']}"))
        interchanges = ", ".join(worklist.interchanges)
        more = worklist.interchange_count - len(worklist.interchanges)
        if more > 0:
            interchanges += f" and {more} more"
        page.write(_meta([
            ("Input file", head["input"]),
            ("Interchanges (ISA13)", interchanges or "none"),
            ("Run", run_at.strftime("%Y-%m-%d %H:%M")),
            ("As-of date", head["as_of"]),
            ("Rule set", head["rule_set"]),
            ("Profile", head["profile"]),
            ("Claims", f"{summary['claims']}: {summary['accepted']} accepted, "
                       f"{summary['corrected']} corrected, {summary['rejected']} rejected"),
            ("Lines", f"{summary['lines_removed']} removed, "
                      f"{summary['lines_repaired']} repaired"),
            ("Charges", f"input {charges['input']} = clean {charges['clean']} + removed lines "
                        f"{charges['removed_lines']} + rejected claims "
                        f"{charges['rejected_claims']}"),
        ], "summary"))  # fmt: skip


def _contents(page: Any, rule_count: int, worklist: Worklist) -> None:
    with page.element("nav", {"aria-label": "Contents"}):
        page.write(_el("h2", "Contents"))
        with page.element("ul"):
            page.write(_link_item("#rules", f"Rules found ({rule_count})"))
            for section in SECTIONS:
                label = f"{section.capitalize()} ({worklist.counts[section]})"
                page.write(_link_item(f"#{section}", label))
        for section in SECTIONS:
            jumps = worklist.jumps.get(section, [])
            if len(jumps) > 1:
                page.write(_jumps(section, jumps, worklist.counts[section]))


def _jumps(section: str, jumps: list[tuple[str, str]], count: int) -> etree._Element:
    """An index into a long section: a link every ``JUMP_STEP`` claims."""
    block = etree.Element("div")
    etree.SubElement(block, "h3").text = f"{section.capitalize()} claims by position"
    items = etree.SubElement(block, "ul", {"class": "pages"})
    for index, (anchor, claim_id) in enumerate(jumps):
        first = index * JUMP_STEP + 1
        last = min(first + JUMP_STEP - 1, count)
        items.append(_link_item(f"#{anchor}", f"{first}-{last}"))
        items[-1][0].tail = f" (from {claim_id})"
    return block


def _legend(
    page: Any, rules: list[str], by_rule: dict[str, int], names: dict[str, str], worklist: Worklist
) -> None:
    """The contents by rule, each rule once: name, count, fix and citation
    (the findings link here instead of repeating them), its first claims."""
    with page.element("section", {"id": "rules", "class": "legend"}):
        page.write(_el("h2", "Rules found"))
        page.write(_el("p", "How to fix each rule's findings and where the requirement is "
                            "written; every finding's rule code links here."))  # fmt: skip
        with page.element("table", {"class": "rules"}):
            header = etree.Element("thead")
            row = etree.SubElement(header, "tr")
            for column in LEGEND_COLUMNS:
                etree.SubElement(row, "th").text = column
            page.write(header)
            with page.element("tbody"):
                for rule in rules:
                    count = by_rule.get(rule, 0)
                    page.write(_legend_row(rule, names.get(rule, ""), count, worklist))


def _legend_row(rule: str, name: str, count: int, worklist: Worklist) -> etree._Element:
    row = etree.Element("tr", id=f"rule-{rule}")
    note = worklist.rules.get(rule)
    cells = (rule, name, str(count), note.fix if note else "", note.citation if note else "")
    for text in cells:
        etree.SubElement(row, "td").text = text
    claims = etree.SubElement(row, "td")
    links = worklist.rule_claims.get(rule, [])
    if len(links) == TOC_LINKS:
        claims.text = f"first {TOC_LINKS}: "
    for index, (anchor, claim_id) in enumerate(links):
        link = etree.SubElement(claims, "a", href=f"#{anchor}")
        link.text = claim_id or anchor
        link.tail = ", " if index + 1 < len(links) else ""
    return row


def _legend_rules(by_rule: dict[str, int], worklist: Worklist) -> list[str]:
    """The rules of the legend: the summary's order, then any other rule a
    listed finding names (so every finding's rule link has a target)."""
    return [*by_rule, *(rule for rule in worklist.rules if rule not in by_rule)]


def _claims(page: Any, section: str, worklist: Worklist) -> None:
    label = STATUS_LABELS[section]
    with page.element("section", {"id": section, "class": "worklist"}):
        page.write(_el("h2", f"{label} claims ({worklist.counts[section]})"))
        for row in worklist.rows(section):
            page.write(_claim(row, section, worklist.rules))


def _claim(row: dict[str, Any], section: str, notes: dict[str, RuleNote]) -> etree._Element:
    anchor = anchor_of(row) if section in STATUS_LABELS else anchor_of(row, "warnings")
    claim = etree.Element("section", {"class": f"claim {section}", "id": anchor})
    title = etree.SubElement(claim, "h3")
    title.text = f"Claim {row['claim_id']}"
    meta = etree.SubElement(claim, "dl")
    for term, value in (
        ("Patient", row["patient"]),
        ("Billing NPI", row["billing_npi"]),
        ("Claim total", row["charge_in"]),
        ("After scrub", row["charge_out"]),
        ("Status", row["status"]),
    ):
        etree.SubElement(meta, "dt").text = term
        etree.SubElement(meta, "dd").text = value
    claim.append(_findings_table(row["findings"], notes))
    return claim


def _findings_table(findings: list[dict[str, Any]], notes: dict[str, RuleNote]) -> etree._Element:
    table = etree.Element("table", {"class": "findings"})
    header = etree.SubElement(etree.SubElement(table, "thead"), "tr")
    for column in FINDING_COLUMNS:
        etree.SubElement(header, "th").text = column
    body = etree.SubElement(table, "tbody")
    for finding in findings:
        body.append(_finding_row(finding, notes.get(finding["rule"])))
    return table


def _finding_row(finding: dict[str, Any], note: RuleNote | None) -> etree._Element:
    """One finding: its fix and citation are the rule legend's (the rule code
    links there), printed in the row only where they differ from it."""
    row = etree.Element("tr")
    procedure = "-".join((finding["procedure"] or "", *finding["modifiers"])).strip("-")
    for text in (str(finding["line"] or "claim"), finding["line_control"] or "", procedure,
                 finding["dos"] or ""):  # fmt: skip
        etree.SubElement(row, "td").text = text
    rule = etree.SubElement(etree.SubElement(row, "td"), "a", href=f"#rule-{finding['rule']}",
                            title=finding["name"])  # fmt: skip
    rule.text = finding["rule"]
    etree.SubElement(row, "td").text = finding["action"]
    message = etree.SubElement(row, "td")
    message.text = finding["message"]
    if note is None or finding["fix"] != note.fix:
        etree.SubElement(message, "p", {"class": "fix"}).text = f"Fix: {finding['fix']}"
    if note is None or finding["citation"] != note.citation:
        etree.SubElement(message, "p", {"class": "cite"}).text = finding["citation"]
    return row


def _warnings(page: Any, worklist: Worklist, input_warnings: list[dict[str, Any]]) -> None:
    count = worklist.counts["warnings"]
    with page.element("section", {"id": "warnings", "class": "worklist"}):
        page.write(_el("h2", f"Warnings ({count} claims, {len(input_warnings)} in the input)"))
        page.write(_el("p", "Bypasses and provisional decisions to review; these claims were "
                            "not changed for them."))  # fmt: skip
        for row in worklist.rows("warnings"):
            page.write(_claim(row, "warned", worklist.rules))
        if input_warnings:
            page.write(_input_warnings(input_warnings))


def _input_warnings(warnings: list[dict[str, Any]]) -> etree._Element:
    table = etree.Element("table", {"class": "input-warnings"})
    header = etree.SubElement(etree.SubElement(table, "thead"), "tr")
    for column in ("Segment position", "Segment", "Problem"):
        etree.SubElement(header, "th", scope="col").text = column
    body = etree.SubElement(table, "tbody")
    for warning in warnings:
        row = etree.SubElement(body, "tr")
        for key in ("position", "segment", "problem"):
            value = warning.get(key)
            etree.SubElement(row, "td").text = "" if value is None else str(value)
    return table


def _footer(page: Any, summary: dict[str, Any]) -> None:
    accepted = summary["accepted"]
    text = (
        "1 accepted claim needs no action and is not listed."
        if accepted == 1
        else f"{accepted} accepted claims need no action and are not listed."
    )
    with page.element("footer"):
        page.write(_el("p", text))


def _meta(items: list[tuple[str, str]], css: str) -> etree._Element:
    meta = etree.Element("dl", {"class": f"meta {css}"})
    for term, value in items:
        etree.SubElement(meta, "dt").text = term
        etree.SubElement(meta, "dd").text = value
    return meta


def _link_item(href: str, text: str) -> etree._Element:
    item = etree.Element("li")
    etree.SubElement(item, "a", href=href).text = text
    return item


def _el(tag: str, text: str) -> etree._Element:
    element = etree.Element(tag)
    element.text = text
    return element
