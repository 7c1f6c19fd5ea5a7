"""Property (issue 16, money): on random mixes of clean, sub-cent and
out-of-balance claims, every total in every output agrees exactly.

* report summary: input = clean + removed_lines + rejected_claims, and each
  is the sum of the claims' entries;
* each claim: charge_in is its CLM02 as submitted; charge_out is what its
  cleaned CLM02 carries and the sum of its cleaned lines;
* 277CA: each 2000A/2000C STC04, AMT YU/YY and QTY equals the claims below it.

A claim whose amounts have more than two decimals (IG004) or whose CLM02 is
not the sum of its lines (IG005) is rejected, never cleaned; a void passes
unchanged (its CLM02 counts as submitted).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrubber import scrub
from scrubber.model import ClaimKind
from scrubber.testing import ClaimSpec, LineSpec, build_837
from scrubber.x12.reader import X12Reader

AS_OF = dt.date(2026, 11, 26)
DAY = dt.date(2025, 3, 3)
CODES = [("77385", ()), ("77387", ("TC",)), ("77387", ("26",)), ("77417", ()), ("77412", ())]
ZERO = Decimal(0)

charges = st.one_of(
    st.decimals(Decimal("0.01"), Decimal("5000"), places=2),
    st.decimals(Decimal("0.001"), Decimal("5000"), places=3),  # often sub-cent
)


@st.composite
def claim_specs(draw: st.DrawFn, index: int) -> ClaimSpec:
    lines = [
        LineSpec(code, modifiers, dos=DAY + dt.timedelta(days=draw(st.integers(0, 2))),
                 charge=draw(charges), units=Decimal(draw(st.integers(1, 2))))
        for code, modifiers in draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=5))
    ]  # fmt: skip
    exact = sum((line.charge for line in lines), ZERO)
    total = draw(st.sampled_from([None, None, exact + Decimal("0.01"), exact - Decimal("1")]))
    return ClaimSpec(
        f"P{index}",
        lines,
        member_id=draw(st.sampled_from(["M1", "M2"])),
        total_charge=total,
        frequency_code=draw(st.sampled_from(["1", "1", "1", "8"])),  # 8: a void
    )


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[ClaimSpec], ClaimKind]:
    count = draw(st.integers(1, 6))
    specs = [draw(claim_specs(i)) for i in range(count)]
    kind = draw(st.sampled_from(list(ClaimKind)))
    if kind is ClaimKind.INSTITUTIONAL:
        specs = [
            ClaimSpec(s.claim_id, s.lines, member_id=s.member_id, facility_code="13",
                      total_charge=s.total_charge, frequency_code=s.frequency_code)
            for s in specs
        ]  # fmt: skip
    return specs, kind


def _segments(text: str) -> list[list[str]]:
    return [s.strip().split("*") for s in text.split("~") if s.strip()]


def _check_277ca(text: str, entries: list[dict[str, object]]) -> None:
    """Each HL's totals are those of the claims below it (2000A covers all)."""
    claims: list[tuple[str, Decimal, bool]] = []  # (provider HL, STC04, rejected)
    totals: dict[str, dict[str, str]] = defaultdict(dict)
    level, hl_id, provider = "", "", ""
    for elements in _segments(text):
        tag = elements[0]
        if tag == "HL":
            hl_id, level = elements[1], elements[3]
            provider = hl_id if level == "19" else provider
        elif tag == "SVC":
            level = "2220D"  # a rejected line's STC follows, without an amount
        elif tag == "STC" and level in ("20", "19"):
            totals[hl_id]["STC"] = elements[4]
        elif tag in ("AMT", "QTY") and level in ("20", "19"):
            totals[hl_id][f"{tag}{elements[1]}"] = elements[2]
        elif tag == "STC" and level == "PT":
            claims.append((provider, Decimal(elements[4]), elements[1].startswith("A3")))
    assert [c[1] for c in claims] == [Decimal(str(e["charge_in"])) for e in entries]
    assert [c[2] for c in claims] == [e["status"] == "rejected" for e in entries]
    for hl, values in totals.items():
        mine = [c for c in claims if hl == "1" or c[0] == hl]
        accepted = [c[1] for c in mine if not c[2]]
        rejected = [c[1] for c in mine if c[2]]
        quantities = ("QTY90", "QTYAA") if hl == "1" else ("QTYQA", "QTYQC")
        assert Decimal(values["STC"]) == sum(accepted + rejected, ZERO)
        assert Decimal(values.get("AMTYU", "0")) == sum(accepted, ZERO)
        assert Decimal(values.get("AMTYY", "0")) == sum(rejected, ZERO)
        assert int(values.get(quantities[0], "0")) == len(accepted)
        assert int(values.get(quantities[1], "0")) == len(rejected)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches(), st.sampled_from(["clean", "strict"]))
def test_every_total_in_every_output_agrees(
    batch: tuple[list[ClaimSpec], ClaimKind], profile: str
) -> None:
    specs, kind = batch
    result = scrub(build_837(specs, kind), profile=profile, as_of=AS_OF)
    report = result.report
    entries = report["claims"]
    money = {k: Decimal(v) for k, v in report["summary"]["charges"].items()}
    # Each claim: charge_in is CLM02 as submitted; sub-cent or unbalanced -> rejected.
    for spec, entry in zip(specs, entries, strict=True):
        lines_total = sum((line.charge for line in spec.lines), ZERO)
        clm02 = spec.total_charge if spec.total_charge is not None else lines_total
        assert Decimal(entry["charge_in"]) == clm02
        sub_cent = any(line.charge != line.charge.quantize(Decimal("0.01")) for line in spec.lines)
        rules = {f["rule"] for f in entry["findings"]}
        if spec.frequency_code == "8":  # a void passes unchanged, whatever its amounts
            assert entry["status"] == "accepted" and entry["charge_out"] == entry["charge_in"]
        elif sub_cent or clm02 != lines_total:
            assert entry["status"] == "rejected"
            assert rules & {"IG004", "IG005"}
        if entry["status"] == "rejected":
            assert Decimal(entry["charge_out"]) == 0
    # The summary is the sum of the entries, and reconciles exactly.
    by_status = defaultdict(list)
    for entry in entries:
        by_status[entry["status"] == "rejected"].append(entry)
    assert money["input"] == sum((Decimal(e["charge_in"]) for e in entries), ZERO)
    assert money["rejected_claims"] == sum((Decimal(e["charge_in"]) for e in by_status[True]), ZERO)
    assert money["clean"] == sum((Decimal(e["charge_out"]) for e in entries), ZERO)
    assert money["removed_lines"] == sum(
        (Decimal(e["charge_in"]) - Decimal(e["charge_out"]) for e in by_status[False]), ZERO
    )
    assert money["input"] == money["clean"] + money["removed_lines"] + money["rejected_claims"]
    # The cleaned 837 carries exactly charge_out per claim, in dollars and cents.
    cleaned = list(X12Reader(result.clean_x12).claims()) if result.clean_x12 else []
    assert [c.total_charge for c in cleaned] == [Decimal(e["charge_out"]) for e in by_status[False]]
    for claim in cleaned:
        if claim.frequency_code == "8":
            continue  # copied as submitted
        assert claim.total_charge == sum((line.charge for line in claim.lines), ZERO)
        assert all(line.charge == line.charge.quantize(Decimal("0.01")) for line in claim.lines)
    _check_277ca(result.ack_277ca, entries)
