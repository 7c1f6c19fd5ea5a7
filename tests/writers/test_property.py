"""Property: over generated batches, every claim lands in exactly one of clean /
rejected, charges reconcile, and both outputs conform to their guides (pyx12)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrubber import scrub
from scrubber.model import ClaimKind, Delimiters
from scrubber.testing import ClaimSpec, EnvelopeSpec, LineSpec, PatientSpec, build_837
from scrubber.x12.reader import X12Reader

from .support import assert_conforms

CODES = ["77385", "77386", "77387", "77417", "77014", "77290", "76498", "G6002", "77427"]
MODIFIERS = [(), ("TC",), ("26",)]

lines = st.builds(
    LineSpec,
    procedure=st.sampled_from(CODES),
    modifiers=st.sampled_from(MODIFIERS),
    dos=st.dates(dt.date(2024, 12, 20), dt.date(2026, 1, 10)),
    charge=st.decimals(Decimal("0.01"), Decimal("2000"), places=2),
    units=st.sampled_from([Decimal(1), Decimal(2)]),
    line_control=st.sampled_from(["", "LC1"]),
)


@st.composite
def batches(draw: st.DrawFn) -> tuple[str, int]:
    count = draw(st.integers(1, 5))
    specs = [
        ClaimSpec(
            f"P{i}",
            draw(st.lists(lines, min_size=1, max_size=4)),
            member_id=draw(st.sampled_from(["M1", "M2"])),
            billing_npi=draw(st.sampled_from(["1234567893", "1111111112"])),
            patient=draw(st.sampled_from([None, PatientSpec()])),
            facility_code=draw(st.sampled_from(["11", "22"])),
        )
        for i in range(count)
    ]
    kind = draw(st.sampled_from(list(ClaimKind)))
    if kind is ClaimKind.INSTITUTIONAL:
        specs = [
            ClaimSpec(s.claim_id, s.lines, member_id=s.member_id, patient=s.patient,
                      facility_code="13") for s in specs
        ]  # fmt: skip
    envelope = EnvelopeSpec(
        claims_per_transaction=draw(st.integers(0, 3)),
        newline=draw(st.sampled_from(["\n", "", "\r\n"])),
        delimiters=draw(st.sampled_from([Delimiters(), Delimiters("|", ">", "!", "~")])),
    )
    return build_837(specs, kind, envelope), count


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches(), st.sampled_from(["clean", "strict"]))
def test_partition_reconciliation_conformance(batch: tuple[str, int], profile: str) -> None:
    text, count = batch
    result = scrub(text, profile=profile, as_of=dt.date(2026, 11, 26))
    report = result.report
    claims = report["claims"]
    assert len(claims) == count
    clean_ids = (
        [c.patient_control_number for c in X12Reader(result.clean_x12).claims()]
        if result.clean_x12
        else []
    )
    rejected_ids = [c["claim_id"] for c in claims if c["status"] == "rejected"]
    kept_ids = [c["claim_id"] for c in claims if c["status"] != "rejected"]
    assert clean_ids == kept_ids
    assert sorted(clean_ids + rejected_ids) == sorted(f"P{i}" for i in range(count))
    if profile == "strict":
        assert all(c["status"] != "corrected" for c in claims)
    money = {k: Decimal(v) for k, v in report["summary"]["charges"].items()}
    assert money["input"] == money["clean"] + money["removed_lines"] + money["rejected_claims"]
    assert money["clean"] == sum((Decimal(c["charge_out"]) for c in claims), Decimal(0))
    if result.clean_x12:
        assert_conforms(result.clean_x12)
        out = list(X12Reader(result.clean_x12).claims())
        assert sum((c.total_charge for c in out), Decimal(0)) == money["clean"]
        for claim in out:
            assert claim.total_charge == sum((ln.charge for ln in claim.lines), Decimal(0))
            assert [ln.number for ln in claim.lines] == list(range(1, len(claim.lines) + 1))
    assert_conforms(result.ack_277ca)
    assert result.ack_277ca.count("STC*A3:21") + result.ack_277ca.count("STC|A3>21") == len(
        rejected_ids
    )
