"""Report schema and reconciliation, atomic outputs, PHI-free logs."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from scrubber import X12InputError, scrub
from scrubber.logs import configure_logging
from scrubber.outputs.atomic import OutputSet, write_atomic
from scrubber.outputs.report import build_report
from scrubber.rules.findings import Action
from scrubber.testing import ClaimSpec, LineSpec, PatientSpec, build_837

from .support import accepted, corrected, finding, outcomes, read, rejected

CONTRACT_SUMMARY = {
    "claims", "accepted", "corrected", "rejected", "lines_removed", "lines_repaired",
    "charges", "findings_by_rule",
}  # fmt: skip
CONTRACT_FINDING = {
    "rule", "name", "action", "line", "line_control", "procedure", "modifiers", "dos",
    "message", "fix", "citation",
}  # fmt: skip


def test_report_schema_and_reconciliation() -> None:
    lines = [LineSpec("77385", charge=Decimal("300.00")), LineSpec("77387", ("TC",))]
    specs = [ClaimSpec(f"PCN{i}", lines) for i in range(3)]
    _, claims = read(build_837(specs))
    decisions = [
        accepted(),
        corrected(removed=[2]),
        rejected(finding("IG108", Action.REJECT_CLAIM, None, "A8:249")),
    ]
    report = build_report(
        outcomes(claims, decisions),
        input_name="claims.x12",
        profile="clean",
        as_of=dt.date(2026, 11, 26),
        rule_set="image-guidance/2026.1",
    )
    assert list(report)[:7] == [
        "schema", "rule_set", "input", "profile", "as_of", "summary", "claims",
    ]  # fmt: skip
    assert report["schema"] == "scrubber-report/1"
    summary = report["summary"]
    assert set(summary) >= CONTRACT_SUMMARY
    assert summary["charges"] == {
        "input": "1200.00", "clean": "700.00", "removed_lines": "100.00",
        "rejected_claims": "400.00",
    }  # fmt: skip
    assert summary["findings_by_rule"] == {"IG105": 1, "IG108": 1}
    assert (summary["accepted"], summary["corrected"], summary["rejected"]) == (1, 1, 1)
    assert summary["lines_removed"] == 1
    entries = report["claims"]
    assert [c["claim_id"] for c in entries] == ["PCN0", "PCN1", "PCN2"]
    assert entries[1]["transaction"] == {"isa13": "000000001", "gs06": "1", "st02": "0001"}
    assert (entries[1]["charge_in"], entries[1]["charge_out"]) == ("400.00", "300.00")
    assert entries[2]["charge_out"] == "0.00"
    f = entries[1]["findings"][0]
    assert set(f) >= CONTRACT_FINDING
    assert (f["action"], f["line"], f["dos"], f["modifiers"]) == (
        "remove-line", 2, "2025-03-03", ["TC"],
    )  # fmt: skip
    assert entries[2]["findings"][0]["line"] is None
    assert report["warnings"] == []
    json.dumps(report)  # JSON-ready


def test_clm02_mismatch_is_a_warning_and_still_reconciles() -> None:
    text = build_837([ClaimSpec("PCN1", [LineSpec("77385")])]).replace(
        "CLM*PCN1*100.00", "CLM*PCN1*150.00"
    )
    _, claims = read(text)
    report = build_report(
        outcomes(claims, [accepted()]), input_name="x", profile="clean",
        as_of=dt.date(2026, 1, 1), rule_set="r",
    )  # fmt: skip
    assert report["summary"]["charges"]["input"] == "150.00"
    assert report["summary"]["charges"]["clean"] == "150.00"
    assert "CLM02" in report["warnings"][0]["problem"]


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "a.x12"
    target.write_bytes(b"old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.x12"]


def test_interrupted_output_set_leaves_old_files(tmp_path: Path) -> None:
    first, second = tmp_path / "a.clean.x12", tmp_path / "a.report.json"
    first.write_bytes(b"old clean")
    second.write_bytes(b"old report")
    with pytest.raises(KeyboardInterrupt), OutputSet() as outputs:
        outputs.stage(first, b"new clean")
        outputs.remove(second)
        raise KeyboardInterrupt
    assert first.read_bytes() == b"old clean" and second.read_bytes() == b"old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.clean.x12", "a.report.json"]
    with OutputSet() as outputs:
        outputs.stage(first, b"new clean")
        outputs.remove(second)
        outputs.commit()
    assert first.read_bytes() == b"new clean" and not second.exists()
    assert os.stat(first).st_mode & 0o044  # readable like a normal file (umask permitting)


PHI = ("MBRSECRET77", "ZZTOPLAST", "QQFIRSTNAME", "19571203", "C61", "D0511", "PCNSECRET9",
       "KIDLASTNAME")  # fmt: skip


def test_logs_carry_no_phi() -> None:
    spec = ClaimSpec(
        "PCNSECRET9",
        [LineSpec("77385"), LineSpec("77387", ("TC",)), LineSpec("G6002")],
        member_id="MBRSECRET77",
        last_name="ZZTOPLAST",
        first_name="QQFIRSTNAME",
        birth_date=dt.date(1957, 12, 3),
        diagnoses=("C61", "D0511"),
    )
    child = ClaimSpec(
        "PCNSECRET9", [LineSpec("77417", units=Decimal(3))], member_id="MBRSECRET77",
        patient=PatientSpec(last_name="KIDLASTNAME", birth_date=dt.date(1957, 12, 3)),
    )  # fmt: skip
    text = build_837([spec, child]).replace("DTP*472*D8*20250303~\nLX*1", "DTP*472*D8*2025x~\nLX*1")
    stream = io.StringIO()
    configure_logging(stream, level="debug", json=True)
    try:
        scrub(text, as_of=dt.date(2026, 11, 26))
        with pytest.raises(X12InputError):
            scrub(text.replace("CLM*PCNSECRET9*300.00", "CLM*PCNSECRET9*ABC"))
    finally:
        configure_logging()
    logged = stream.getvalue()
    assert "claim.decided" in logged and "scrub.decided" in logged
    for secret in PHI:
        assert secret not in logged


@pytest.mark.parametrize(
    "entry",
    [
        {},
        {"claim_id": "PCN1", "ordinal": 7, "findings": [], "transaction": {}},
        {
            "claim_id": 'Ünïcode "quoted" \\ back\tslash\n\x01 \u2028 😀',
            "ordinal": -3,
            "flags": [True, False, None],
            "nested": {"modifiers": ["26", "TC"], "dos": None, "empty": {}, "list": [[]]},
            "findings": [{"rule": "IG101", "line": 2, "modifiers": []}],
        },
    ],
)
def test_report_entries_render_as_json_dumps_does(entry: dict[str, object]) -> None:
    """The report's claim entries are rendered without json's pure-Python
    indenting encoder: the text must be what it renders."""
    from scrubber.outputs.report_json import render_entry

    expected = json.dumps(entry, indent=2, ensure_ascii=False).replace("\n", "\n    ")
    assert render_entry(entry) == "    " + expected
