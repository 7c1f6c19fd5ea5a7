"""The page's aids for large batches, rendered from a worklist built by
hand: a fix or citation that differs from its rule's legend entry stays in
the row, and a long section gets an index of links into it."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
from typing import Any

import pytest
from lxml import html

import scrubber.outputs.html_page
import scrubber.outputs.html_worklist
from scrubber.cli import main
from scrubber.outputs.html_page import render_page
from scrubber.outputs.html_worklist import Worklist
from tests.corpus import SAMPLES_DIR

SAMPLE = SAMPLES_DIR / "837p_freestanding_pos11.x12"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("legend")
    assert main(["scrub", str(SAMPLE), "-o", str(out), "--quiet", "--as-of", "2026-11-26"]) == 1
    return dict(json.loads((out / f"{SAMPLE.stem}.report.json").read_text(encoding="utf-8")))


def _rows(report: dict[str, Any], copies: int) -> list[dict[str, Any]]:
    """``copies`` claims built from the sample's first corrected or rejected
    claim, each with its own ordinal and claim id."""
    first = next(c for c in report["claims"] if c["status"] != "accepted")
    rows = []
    for index in range(copies):
        row = copy.deepcopy(first)
        row.update(ordinal=index + 1, claim_id=f"C{index + 1}", patient="DOE, JO",
                   billing_npi="1234567893", payer_id="P1")  # fmt: skip
        rows.append(row)
    return rows


def _page(report: dict[str, Any], rows: list[dict[str, Any]]) -> Any:
    worklist = Worklist()
    for row in rows:
        worklist.add_row(row["status"], row)
    head = {key: value for key, value in report.items() if key != "claims"}
    out = io.BytesIO()
    render_page(out, head, worklist, rule_names={}, run_at=dt.datetime(2026, 12, 1))
    worklist.close()
    return html.fromstring(out.getvalue())


def test_a_fix_that_differs_from_the_legend_stays_in_its_row(report: dict[str, Any]) -> None:
    rows = _rows(report, 2)
    finding = rows[1]["findings"][0]
    finding["fix"] = "Ask the payer <first> & then rebill."
    finding["citation"] = "A local payer policy"
    root = _page(report, rows)
    rule = finding["rule"]
    legend = [td.text for td in root.get_element_by_id(f"rule-{rule}").findall("td")]
    assert legend[3:5] == [rows[0]["findings"][0]["fix"], rows[0]["findings"][0]["citation"]]
    first, second = (root.get_element_by_id(f"claim-{n}") for n in (1, 2))
    assert not first.xpath(".//p[@class='fix' or @class='cite']")
    message = second.xpath("table/tbody/tr")[0].findall("td")[6]
    assert message.text == finding["message"]
    assert message.findtext("p[@class='fix']") == "Fix: Ask the payer <first> & then rebill."
    assert message.findtext("p[@class='cite']") == "A local payer policy"


def test_a_long_section_gets_an_index_by_position(
    report: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in (scrubber.outputs.html_worklist, scrubber.outputs.html_page):
        monkeypatch.setattr(module, "JUMP_STEP", 2)
    rows = _rows(report, 5)
    root = _page(report, rows)
    section = rows[0]["status"]
    index = root.xpath(f"//nav/div[h3='{section.capitalize()} claims by position']/ul/li")
    assert [(li.findtext("a"), li.find("a").get("href")) for li in index] == [
        ("1-2", "#claim-1"), ("3-4", "#claim-3"), ("5-5", "#claim-5")
    ]  # fmt: skip
    blocks = root.xpath(f"//section[@id='{section}']/section")
    assert [b.get("id") for b in blocks] == [f"claim-{n}" for n in range(1, 6)]


def test_a_short_section_has_no_index(report: dict[str, Any]) -> None:
    root = _page(report, _rows(report, 3))
    assert not root.xpath("//nav//ul[@class='pages']")


def test_claim_blocks_skip_layout_off_screen_but_print_in_full() -> None:
    """The style that keeps a 100,000-claim page usable: claim blocks are
    laid out only near the viewport, and printing lays out every one."""
    style = scrubber.outputs.html_page.STYLE
    block = style.split("section.claim{", 1)[1].split("}", 1)[0]
    assert "content-visibility:auto" in block and "contain-intrinsic-size:auto" in block
    printed = style.split("@media print{", 1)[1]
    assert "section.claim{content-visibility:visible}" in printed
    assert "table.findings{table-layout:fixed}" in style
