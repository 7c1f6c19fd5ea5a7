"""The cleaned 837: byte-for-byte when untouched, rebuilt correctly when not."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scrubber.model import ClaimKind, Delimiters
from scrubber.outputs.clean837 import write_clean_837
from scrubber.rules.findings import ClaimDecision, ClaimStatus
from scrubber.testing import ClaimSpec, EnvelopeSpec, LineSpec, PatientSpec, build_837

from .support import accepted, assert_conforms, corrected, outcomes, read, rejected

REJECTED = ClaimStatus.REJECTED

LINES = [
    LineSpec("77385", charge=Decimal("400.00"), line_control="A1"),
    LineSpec("77387", ("TC",), charge=Decimal("95.50"), line_control="A2"),
    LineSpec("77417", units=Decimal(2), charge=Decimal("60.25")),
]


def _specs(n: int = 4) -> list[ClaimSpec]:
    return [
        ClaimSpec(
            f"PCN{i}",
            LINES,
            member_id=f"MBR{i}",
            patient=PatientSpec() if i % 2 else None,
            billing_npi="1234567893" if i < 2 else "1111111112",
        )
        for i in range(n)
    ]


ENVELOPES = [
    EnvelopeSpec(),
    EnvelopeSpec(newline="\r\n", claims_per_transaction=2),
    EnvelopeSpec(newline="", delimiters=Delimiters("|", ">", "!", "~")),
]


@pytest.mark.parametrize("kind", list(ClaimKind))
@pytest.mark.parametrize("envelope", ENVELOPES, ids=["lf", "crlf-2st", "nonl-pipes"])
def test_all_accepted_is_byte_for_byte(kind: ClaimKind, envelope: EnvelopeSpec) -> None:
    text = build_837(_specs(), kind, envelope)
    reader, claims = read(text)
    clean = write_clean_837(outcomes(claims, [accepted()] * len(claims)), reader.trailer)
    assert clean == text


def test_none_when_every_claim_rejected() -> None:
    reader, claims = read(build_837(_specs(2)))
    assert write_clean_837(outcomes(claims, [rejected(), rejected()]), reader.trailer) is None


@pytest.mark.parametrize("kind", list(ClaimKind))
@pytest.mark.parametrize("envelope", ENVELOPES, ids=["lf", "crlf-2st", "nonl-pipes"])
def test_corrections_and_drops_conform(kind: ClaimKind, envelope: EnvelopeSpec) -> None:
    text = build_837(_specs(), kind, envelope)
    reader, claims = read(text)
    decisions = [
        rejected(),
        corrected(removed=[2], repaired={3: Decimal(1)}),
        accepted(),
        corrected(removed=[1, 3]),
    ]
    clean = write_clean_837(outcomes(claims, decisions), reader.trailer)
    assert clean is not None
    assert_conforms(clean)
    again, kept = read(clean)
    assert [c.patient_control_number for c in kept] == ["PCN1", "PCN2", "PCN3"]
    one, two, three = kept
    assert [line.number for line in one.lines] == [1, 2]
    assert [line.procedure for line in one.lines] == ["77385", "77417"]
    assert one.lines[1].units == 1
    assert one.total_charge == Decimal("460.25")
    assert two.all_segments()[0].raw == claims[2].all_segments()[0].raw
    assert [line.procedure for line in three.lines] == ["77387"]
    assert three.lines[0].number == 1
    assert three.total_charge == Decimal("95.50")
    assert not again.warnings  # SE01/GE01/IEA01 and HL parents are right
    newline = envelope.newline
    assert all(seg.raw.startswith(newline) for c in kept for seg in c.all_segments()[1:])


def test_hl_renumbered_and_empty_levels_dropped() -> None:
    text = build_837(_specs())
    reader, claims = read(text)
    # Drop the only claim of billing provider 1's first subscriber and the whole provider 2.
    decisions = [rejected(), accepted(), rejected(), rejected()]
    clean = write_clean_837(outcomes(claims, decisions), reader.trailer)
    assert clean is not None
    hls = [line for line in clean.splitlines() if line.startswith("HL*")]
    assert hls == ["HL*1**20*1~", "HL*2*1*22*1~", "HL*3*2*23*0~"]
    assert_conforms(clean)


def test_untouched_claim_segments_are_raw_even_when_neighbours_change() -> None:
    text = build_837(_specs(3), envelope=EnvelopeSpec(newline="\r\n"))
    reader, claims = read(text)
    clean = write_clean_837(
        outcomes(claims, [corrected(removed=[2]), accepted(), rejected()]), reader.trailer
    )
    assert clean is not None
    untouched = "".join(s.raw for s in claims[1].all_segments())
    assert untouched in clean


def test_multiple_interchanges_keep_their_envelopes() -> None:
    first = build_837(_specs(2), envelope=EnvelopeSpec(interchange_control=7))
    second = build_837(
        _specs(2),
        ClaimKind.INSTITUTIONAL,
        EnvelopeSpec(interchange_control=8, group_control=3, delimiters=Delimiters("|", ">", "!")),
    )
    reader, claims = read(first + second)
    clean = write_clean_837(
        outcomes(claims, [rejected(), accepted(), accepted(), rejected()]), reader.trailer
    )
    assert clean is not None
    assert clean.count("ISA") == 2
    assert "IEA*1*000000007~" in clean and "IEA|1|000000008~" in clean
    assert "GE|1|3~" in clean
    _, kept = read(clean)
    assert [c.patient_control_number for c in kept] == ["PCN1", "PCN0"]


def _shared_subscriber() -> str:
    """Claim A of subscriber M1 herself, then claim B of her dependant, both in
    one subscriber loop (HL 2, HL04 = 1): the child code depends on whether B
    survives, which is not known when A is written."""
    text = build_837(
        [
            ClaimSpec("A", [LineSpec("77385")], member_id="M1"),
            ClaimSpec("B", [LineSpec("77385")], member_id="M1", patient=PatientSpec()),
        ]
    )
    second = text.index("HL*3*1*22*1~")
    text = text[:second] + text[text.index("HL*4*3*23*0~") :]
    text = text.replace("HL*2*1*22*0~", "HL*2*1*22*1~").replace("HL*4*3*23*0~", "HL*3*2*23*0~")
    return text.replace("SE*43*", "SE*39*")


@pytest.mark.parametrize(
    ("decisions", "expected"),
    [
        ((accepted(), accepted()), ["HL*1**20*1~", "HL*2*1*22*1~", "HL*3*2*23*0~"]),
        ((accepted(), rejected()), ["HL*1**20*1~", "HL*2*1*22*0~"]),
        ((rejected(), accepted()), ["HL*1**20*1~", "HL*2*1*22*1~", "HL*3*2*23*0~"]),
    ],
    ids=["both-kept", "dependant-rejected", "own-rejected"],
)
def test_subscriber_child_code_follows_the_kept_claims(
    decisions: tuple[ClaimDecision, ClaimDecision], expected: list[str]
) -> None:
    text = _shared_subscriber()
    reader, claims = read(text)
    assert [c.patient_control_number for c in claims] == ["A", "B"]
    clean = write_clean_837(outcomes(claims, decisions), reader.trailer)
    assert clean is not None
    assert [line for line in clean.splitlines() if line.startswith("HL*")] == expected
    pairs = zip(claims, decisions, strict=True)
    kept = [c.patient_control_number for c, d in pairs if d.status != REJECTED]
    assert [line.split("*")[1] for line in clean.splitlines() if line.startswith("CLM*")] == kept
    assert_conforms(clean)
    if all(d.status != REJECTED for d in decisions):
        assert clean == text
