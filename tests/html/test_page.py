"""The worklist page (``S.report.html``): structure, figures equal to the
report JSON's, escaping of everything taken from the input, and what a real
browser renders of it."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from lxml import etree, html

from scrubber.cli import main
from scrubber.testing import ClaimSpec, LineSpec, PatientSpec, build_837
from tests.corpus import sample_files
from tests.html.browser import distinct_pixels, dump_dom, screenshot

AS_OF = ["--as-of", "2026-11-26"]
SAMPLES = sample_files()
ROWS = "/section[contains(@class,'claim')]/table[@class='findings']/tbody/tr"


def _scrub_html(source: Path, out: Path, *extra: str) -> tuple[Any, dict[str, Any], Path]:
    status = main(["scrub", str(source), "-o", str(out), "--html", "--quiet", *AS_OF, *extra])
    assert status in (0, 1)
    stem = source.name.rsplit(".", 1)[0]
    page = out / f"{stem}.report.html"
    report = json.loads((out / f"{stem}.report.json").read_text(encoding="utf-8"))
    return html.parse(str(page)).getroot(), report, page


def _listed(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in report["claims"] if c["status"] != "accepted"]


@pytest.fixture(scope="module", params=SAMPLES, ids=[p.name for p in SAMPLES])
def sample_page(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Any, dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("html")
    return _scrub_html(request.param, out)


def test_page_is_well_formed_html5(sample_page: tuple[Any, dict[str, Any], Path]) -> None:
    root, _, page = sample_page
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert root.tag == "html" and root.get("lang") == "en"
    assert [child.tag for child in root] == ["head", "body"]
    assert root.find("head/meta").get("charset") == "utf-8"
    assert root.findtext("head/title").startswith("Scrub worklist: ")
    assert not root.xpath("//script|//link|//img|//iframe|//@src"), "no script, no external asset"
    ids = root.xpath("//@id")
    assert len(ids) == len(set(ids)), "ids are unique"
    for href in root.xpath("//a/@href"):
        assert href.startswith("#") and href[1:] in ids, f"dangling link {href}"
    for svg in root.xpath("//svg"):
        assert svg.get("role") == "img"
        assert svg.find("title") is not None and svg.find("desc") is not None


def test_figures_equal_the_report(sample_page: tuple[Any, dict[str, Any], Path]) -> None:
    root, report, _ = sample_page
    summary = report["summary"]
    meta = dict(
        zip(root.xpath("//dl[contains(@class,'summary')]/dt/text()"),
            root.xpath("//dl[contains(@class,'summary')]/dd/text()"), strict=True)
    )  # fmt: skip
    assert meta["Claims"] == (
        f"{summary['claims']}: {summary['accepted']} accepted, {summary['corrected']} "
        f"corrected, {summary['rejected']} rejected"
    )
    charges = summary["charges"]
    assert meta["Charges"] == (
        f"input {charges['input']} = clean {charges['clean']} + removed lines "
        f"{charges['removed_lines']} + rejected claims {charges['rejected_claims']}"
    )
    assert meta["Profile"] == report["profile"] and meta["Rule set"] == report["rule_set"]
    assert meta["As-of date"] == report["as_of"]
    listed = _listed(report)
    for section in ("rejected", "corrected"):
        claims = root.xpath(f"//section[@id='{section}']/section[contains(@class,'claim')]")
        expected = [c for c in listed if c["status"] == section]
        assert [c.findtext("h3") for c in claims] == [f"Claim {c['claim_id']}" for c in expected]
        rows = root.xpath(f"//section[@id='{section}']{ROWS}")
        assert len(rows) == sum(len(c["findings"]) for c in expected)
        assert Counter(r.findtext("td[5]/a") for r in rows) == Counter(
            f["rule"] for c in expected for f in c["findings"]
        )
    bars = root.xpath("//svg[@id='findings-chart']//g[@class='bar']/text/text()")
    by_rule = summary["findings_by_rule"]
    assert sorted(int(b.rsplit(": ", 1)[1]) for b in bars) == sorted(by_rule.values())
    status_bars = root.xpath("//svg[@id='status-chart']//g[@class='bar']/text/text()")
    assert [b.split(" (")[0] for b in status_bars] == [
        f"Accepted: {summary['accepted']}",
        f"Corrected: {summary['corrected']}",
        f"Rejected: {summary['rejected']}",
    ]


def _expected_row(finding: dict[str, Any]) -> tuple[str, ...]:
    procedure = "-".join((finding["procedure"] or "", *finding["modifiers"])).strip("-")
    return (str(finding["line"] or "claim"), finding["line_control"] or "", procedure,
            finding["dos"] or "", finding["rule"], finding["name"], finding["action"],
            finding["message"], finding["fix"], finding["citation"])  # fmt: skip


def _shown_row(row: Any, legend: dict[str, dict[str, str]]) -> tuple[str, ...]:
    """A finding as the page tells it: its cells, with the fix and citation
    of its rule's legend entry unless the row prints its own."""
    cells = row.findall("td")
    rule = cells[4].find("a")
    note = legend[rule.text]
    fix = cells[6].findtext("p[@class='fix']")
    citation = cells[6].findtext("p[@class='cite']")
    return (*(c.text or "" for c in cells[:4]), rule.text, rule.get("title"),
            cells[5].text, cells[6].text,
            fix.removeprefix("Fix: ") if fix is not None else note["Fix"],
            citation if citation is not None else note["Citation"])  # fmt: skip


def _legend(root: Any) -> dict[str, dict[str, str]]:
    """The rule legend: rule -> {"Fix": ..., "Citation": ...}."""
    columns = root.xpath("//section[@id='rules']/table[@class='rules']/thead/tr/th/text()")
    return {
        row.get("id").removeprefix("rule-"): dict(
            zip(columns, (td.text or "" for td in row.findall("td")), strict=True)
        )
        for row in root.xpath("//section[@id='rules']/table[@class='rules']/tbody/tr")
    }


def test_every_finding_is_on_the_page_in_full(
    sample_page: tuple[Any, dict[str, Any], Path],
) -> None:
    """Each listed claim and each of its findings, every field, resolved
    through the rule legend, equals the report JSON's."""
    root, report, _ = sample_page
    legend = _legend(root)
    for section in ("rejected", "corrected"):
        expected = [c for c in _listed(report) if c["status"] == section]
        claims = root.xpath(f"//section[@id='{section}']/section[contains(@class,'claim')]")
        assert len(claims) == len(expected)
        for claim, entry in zip(claims, expected, strict=True):
            meta = dict(zip(claim.xpath("dl/dt/text()"), claim.xpath("dl/dd/text()"), strict=True))
            assert (meta["Claim total"], meta["After scrub"], meta["Status"]) == (
                entry["charge_in"],
                entry["charge_out"],
                entry["status"],
            )
            rows = claim.xpath("table[@class='findings']/tbody/tr")
            assert [_shown_row(r, legend) for r in rows] == [
                _expected_row(f) for f in entry["findings"]
            ]


def test_rule_legend_once_per_rule_and_every_rule_link_has_its_target(
    sample_page: tuple[Any, dict[str, Any], Path],
) -> None:
    root, report, _ = sample_page
    legend = _legend(root)
    by_rule = report["summary"]["findings_by_rule"]
    assert list(legend)[: len(by_rule)] == list(by_rule), "the summary's order"
    for rule, count in by_rule.items():
        assert legend[rule]["Findings"] == str(count)
    legend_ids = {f"rule-{rule}" for rule in legend}
    links = root.xpath(f"//section[@class='worklist']{ROWS}/td[5]/a")
    assert len(links) == sum(_rows_of(c) for c in report["claims"])
    for link in links:
        assert link.get("href") == f"#rule-{link.text}"
        assert link.get("href")[1:] in legend_ids
    assert not root.xpath("//td[@class='fix' or @class='cite']"), "no per-row fix column"


def _rows_of(claim: dict[str, Any]) -> int:
    """The finding rows a claim has on the page: all its findings in its
    status section, its warnings again in the warnings section."""
    warned = sum(f["action"] in ("warn", "not-evaluated") for f in claim["findings"])
    return warned + (len(claim["findings"]) if claim["status"] != "accepted" else 0)


def test_every_claim_link_leads_to_that_claim(
    sample_page: tuple[Any, dict[str, Any], Path],
) -> None:
    """The contents and the legend link claims by anchor: each target is the
    claim's own block, headed with the claim id the link shows."""
    root, _, _ = sample_page
    claims = {c.get("id"): c for c in root.xpath("//section[contains(@class,'claim')]")}
    links = root.xpath("//section[@id='rules']//td/a|//nav//ul[@class='pages']/li/a")
    for link in root.xpath("//section[@id='rules']//td/a"):
        target = claims[link.get("href")[1:]]
        assert target.findtext("h3") == f"Claim {link.text}"
    assert all(link.get("href")[1:] in claims for link in links)


def test_rejected_first_then_corrected_then_warnings(
    sample_page: tuple[Any, dict[str, Any], Path],
) -> None:
    root, _, _ = sample_page
    order = [s.get("id") for s in root.xpath("//body/section[@class='worklist']")]
    assert order == ["rejected", "corrected", "warnings"]


HOSTILE_NAME = '<script>alert("x")</script> & O\'Brien Ünïcödé'


def test_everything_from_the_input_is_escaped(tmp_path: Path) -> None:
    claims = [
        ClaimSpec(
            "P<b>&'\"1",
            [LineSpec("77385"), LineSpec("77387", ("TC",))],
            patient=PatientSpec(last_name=HOSTILE_NAME, first_name="<img src=x>"),
        )
    ]
    source = tmp_path / "hostile.x12"
    source.write_text(build_837(claims), encoding="utf-8")
    root, report, page = _scrub_html(source, tmp_path)
    text = page.read_text(encoding="utf-8")
    assert "<script>" not in text and "<img" not in text and "<b>" not in text
    assert not root.xpath("//script|//img|//b")
    claim = root.xpath("//section[@id='corrected']/section")[0]
    assert claim.findtext("h3") == f"Claim {report['claims'][0]['claim_id']}"
    meta = dict(zip(claim.xpath("dl/dt/text()"), claim.xpath("dl/dd/text()"), strict=True))
    assert meta["Patient"] == f"{HOSTILE_NAME}, <img src=x>"


def test_browser_renders_each_sample(
    sample_page: tuple[Any, dict[str, Any], Path], tmp_path: Path
) -> None:
    _, report, page = sample_page
    dom = html.fromstring(dump_dom(page))
    listed = _listed(report)
    rows = dom.xpath(f"//section[@id='rejected' or @id='corrected']{ROWS}")
    assert len(rows) == sum(len(c["findings"]) for c in listed)
    claims = dom.xpath("//section[@id='rejected' or @id='corrected']/section")
    assert len(claims) == len(listed)
    ids = set(dom.xpath("//@id"))
    rule_links = dom.xpath(f"//section[@id='rejected' or @id='corrected']{ROWS}/td[5]/a/@href")
    assert len(rule_links) == len(rows) and all(h[1:] in ids for h in rule_links)
    assert all(h[1:] in ids for h in dom.xpath("//nav//a/@href|//section[@id='rules']//a/@href"))
    png = tmp_path / f"{page.stem}.png"
    screenshot(page, png)
    assert distinct_pixels(png) > 16, "the screenshot is blank"


def test_svg_is_valid_xml(sample_page: tuple[Any, dict[str, Any], Path]) -> None:
    root, _, _ = sample_page
    for svg in root.xpath("//svg"):
        etree.fromstring(etree.tostring(svg))
