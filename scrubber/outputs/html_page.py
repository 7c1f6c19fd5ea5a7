"""The worklist page: one self-contained, printable HTML page per input.

Rendered with lxml's incremental writer (``etree.htmlfile``, the HTML form
of ``etree.xmlfile``): the page streams out claim by claim from the
:class:`~scrubber.outputs.html_worklist.Worklist` spools, so a batch of any
size renders in bounded memory. No script and no external asset: the style
sheet and the charts (inline SVG, :mod:`scrubber.outputs.html_charts`) are
part of the page. Every text taken from the input goes through lxml, which
escapes it; nothing is pasted in as markup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import IO, Any

from lxml import etree

from scrubber.outputs.html_charts import findings_chart, status_chart
from scrubber.outputs.html_worklist import TOC_LINKS, Worklist, anchor_of

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1a1a1a}
h1{font-size:1.5rem;margin:0 0 .5rem}
h2{font-size:1.2rem;margin-top:2rem;border-bottom:2px solid #444}
dl.summary{display:grid;grid-template-columns:max-content auto;gap:.15rem 1rem;margin:.5rem 0}
dl.meta dt{font-weight:600}dl.meta dd{margin:0}
.figures{display:flex;flex-wrap:wrap;gap:2rem}.figures figure{margin:0}
section.claim{border:1px solid #bbb;border-left:6px solid #888;margin:1rem 0;padding:.5rem .75rem;
break-inside:avoid}
section.claim.rejected{border-left-color:#b00020}section.claim.corrected{border-left-color:#b26a00}
section.claim h3{margin:0;font-size:1.05rem}
dl.claim-meta{display:flex;flex-wrap:wrap;gap:.1rem .5rem}dl.claim-meta dd{margin:0 1rem 0 0}
td.dos{white-space:nowrap}
table{border-collapse:collapse;width:100%;margin-top:.5rem}
th,td{border:1px solid #ccc;padding:.2rem .4rem;text-align:left;vertical-align:top}
th{background:#eee}td.num{text-align:right;white-space:nowrap}
abbr{text-decoration:underline dotted}.fix{color:#0b5}.cite{color:#555;font-size:.9em}
nav ul{columns:2}
@media print{nav,.figures{break-after:page}a{color:inherit;text-decoration:none}}
"""
STATUS_LABELS = {"rejected": "Rejected", "corrected": "Corrected"}
FINDING_COLUMNS = ("Line", "REF*6R", "Procedure", "DOS", "Rule", "Action", "Message", "Fix",
                   "Citation")  # fmt: skip


def render_page(
    out: IO[bytes],
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
                _contents(page, summary["findings_by_rule"], rule_names, worklist)
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


def _contents(
    page: Any, by_rule: dict[str, int], names: dict[str, str], worklist: Worklist
) -> None:
    with page.element("nav", {"aria-label": "Findings by rule"}):
        page.write(_el("h2", "Contents"))
        with page.element("ul"):
            for section in ("rejected", "corrected", "warnings"):
                item = etree.Element("li")
                link = etree.SubElement(item, "a", href=f"#{section}")
                link.text = f"{section.capitalize()} ({worklist.counts[section]})"
                page.write(item)
        page.write(_el("h3", "By rule"))
        with page.element("ul", {"class": "rules"}):
            for rule, count in by_rule.items():
                page.write(_rule_entry(rule, names.get(rule, ""), count, worklist))


def _rule_entry(rule: str, name: str, count: int, worklist: Worklist) -> etree._Element:
    item = etree.Element("li", id=f"rule-{rule}")
    code = etree.SubElement(item, "abbr", title=name)
    code.text = rule
    code.tail = f" {name}: {count} finding{'s' if count != 1 else ''}"
    links = worklist.rule_claims.get(rule, [])
    for index, (anchor, claim_id) in enumerate(links):
        link = etree.SubElement(item, "a", href=f"#{anchor}")
        link.text = claim_id or anchor
        link.tail = ", " if index + 1 < len(links) else ""
    if links:
        links_head = etree.Element("span")
        links_head.text = " in "
        item.insert(1, links_head)
    if len(links) == TOC_LINKS:
        more = etree.SubElement(item, "span")
        more.text = " (first claims only)"
    return item


def _claims(page: Any, section: str, worklist: Worklist) -> None:
    label = STATUS_LABELS[section]
    with page.element("section", {"id": section, "class": "worklist"}):
        page.write(_el("h2", f"{label} claims ({worklist.counts[section]})"))
        for row in worklist.rows(section):
            page.write(_claim(row, section))


def _claim(row: dict[str, Any], section: str) -> etree._Element:
    anchor = anchor_of(row) if section in STATUS_LABELS else anchor_of(row, "warnings")
    claim = etree.Element("section", {"class": f"claim {section}", "id": anchor})
    title = etree.SubElement(claim, "h3")
    title.text = f"Claim {row['claim_id']}"
    claim.append(_meta([
        ("Patient", row["patient"]),
        ("Billing NPI", row["billing_npi"]),
        ("Claim total", row["charge_in"]),
        ("After scrub", row["charge_out"]),
        ("Status", row["status"]),
    ], "claim-meta"))  # fmt: skip
    claim.append(_findings_table(row["findings"]))
    return claim


def _findings_table(findings: list[dict[str, Any]]) -> etree._Element:
    table = etree.Element("table", {"class": "findings"})
    header = etree.SubElement(etree.SubElement(table, "thead"), "tr")
    for column in FINDING_COLUMNS:
        etree.SubElement(header, "th", scope="col").text = column
    body = etree.SubElement(table, "tbody")
    for finding in findings:
        body.append(_finding_row(finding))
    return table


def _finding_row(finding: dict[str, Any]) -> etree._Element:
    row = etree.Element("tr", {"class": "finding", "data-rule": finding["rule"],
                               "data-action": finding["action"]})  # fmt: skip
    procedure = "-".join((finding["procedure"] or "", *finding["modifiers"])).strip("-")
    cells = (str(finding["line"] or "claim"), finding["line_control"] or "", procedure,
             finding["dos"] or "")  # fmt: skip
    for text, css in zip(cells, ("num", "", "", "dos"), strict=True):
        etree.SubElement(row, "td", {"class": css} if css else {}).text = text
    rule = etree.SubElement(etree.SubElement(row, "td"), "abbr", title=finding["name"])
    rule.text = finding["rule"]
    etree.SubElement(row, "td").text = finding["action"]
    etree.SubElement(row, "td").text = finding["message"]
    etree.SubElement(row, "td", {"class": "fix"}).text = finding["fix"]
    etree.SubElement(row, "td", {"class": "cite"}).text = finding["citation"]
    return row


def _warnings(page: Any, worklist: Worklist, input_warnings: list[dict[str, Any]]) -> None:
    count = worklist.counts["warnings"]
    with page.element("section", {"id": "warnings", "class": "worklist"}):
        page.write(_el("h2", f"Warnings ({count} claims, {len(input_warnings)} in the input)"))
        page.write(_el("p", "Bypasses and provisional decisions to review; these claims were "
                            "not changed for them."))  # fmt: skip
        for row in worklist.rows("warnings"):
            page.write(_claim(row, "warned"))
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


def _el(tag: str, text: str) -> etree._Element:
    element = etree.Element(tag)
    element.text = text
    return element
