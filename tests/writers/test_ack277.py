"""The 277CA: structure RULES.md asks for, and pyx12 X214 conformance."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scrubber.model import ClaimKind, Delimiters
from scrubber.outputs.ack277 import AckSettings, write_277ca
from scrubber.rules.findings import Action
from scrubber.testing import ClaimSpec, EnvelopeSpec, LineSpec, PatientSpec, build_837

from .support import NOW, accepted, assert_conforms, corrected, finding, outcomes, read, rejected

LINES = [
    LineSpec("77385", charge=Decimal("400.00")),
    LineSpec("77387", ("TC",), charge=Decimal("95.00"), line_control="CTL-2"),
    LineSpec("76498", charge=Decimal("50.00")),
]


def _text(kind: ClaimKind = ClaimKind.PROFESSIONAL, envelope: EnvelopeSpec | None = None) -> str:
    specs = [
        ClaimSpec(f"PCN{i}", LINES, patient=PatientSpec() if i == 1 else None) for i in range(3)
    ]
    return build_837(specs, kind, envelope or EnvelopeSpec(claims_per_transaction=2))


def _decisions() -> list:  # type: ignore[type-arg]
    return [
        accepted(),
        corrected(removed=[2]),
        rejected(
            finding("IG108", Action.REJECT_CLAIM, None, "A8:228"),
            finding("IG105", Action.REJECT_CLAIM, 2, "A8:735"),
            finding(
                "IG301",
                Action.REJECT_CLAIM,
                3,
                "A6:294",
                extra=["A6:306"],
                message="76498 needs a request: *~:^ and \u2014 text",
            ),
            finding("IG104", Action.WARN, 1, ""),
        ),
    ]


@pytest.mark.parametrize("kind", list(ClaimKind))
def test_277ca_structure(kind: ClaimKind) -> None:
    _, claims = read(_text(kind))
    ack = write_277ca(outcomes(claims, _decisions()), AckSettings(NOW, 42))
    segments = [s for s in ack.split("~\n") if s]
    assert segments[0].startswith("ISA*00*          *00*          *ZZ*RECEIVER01     *ZZ*")
    assert "*000000042*0*T*:" in segments[0]
    assert sum(1 for s in segments if s.startswith("ST*277*")) == 2  # one per 837 ST-SE
    assert "TRN*2*BATCH0001" in segments and "TRN*2*BATCH0002" in segments  # 2200B = BHT03
    assert "STC*A2:20*20260106*WQ*545.00" in segments  # accepted (submitted charge)
    corrected_stc = next(s for s in segments if s.startswith("STC*A2:20") and "corrected" in s)
    assert corrected_stc.endswith("Accepted as corrected (IG105) - lines removed 2")
    rejected_stc = next(s for s in segments if s.startswith("STC*A3:21*20260106*U*545.00"))
    elements = rejected_stc.split("*")
    assert elements[10] == "A8:228"  # claim-level code in STC10
    text = elements[12]
    assert text.startswith("Rejected IG108 claim; IG105 line 2; IG301 line 3.")
    assert not set("*:^~") & set(text)
    # 2220D: the two offending lines, not the warned one
    svcs = [s for s in segments if s.startswith("SVC*")]
    assert [s.split("*")[1] for s in svcs] == ["HC:77387:TC", "HC:76498"]
    index = segments.index(svcs[0])
    assert segments[index + 1] == "STC*A8:735*20260106*U"
    assert segments[index + 2] == "REF*FJ*CTL-2"  # REF*6R
    assert segments[index + 3] == "DTP*472*D8*20250303"
    index = segments.index(svcs[1])
    assert segments[index + 1] == "STC*A6:294*20260106*U*******A6:306"
    assert segments[index + 2] == "REF*FJ*3"  # no REF*6R: LX number
    if kind is ClaimKind.INSTITUTIONAL:
        assert svcs[0] == "SVC*HC:77387:TC*95.00**0333***1"
        assert "REF*BLT*111" in segments  # CLM05 11:A:1
    assert_conforms(ack)


@pytest.mark.parametrize(
    "envelope",
    [
        EnvelopeSpec(newline="", delimiters=Delimiters("|", ">", "!", "~")),
        EnvelopeSpec(newline="\r\n", delimiters=Delimiters("^", "\\", "{", "~")),
    ],
    ids=["pipes-no-newline", "caret-crlf"],
)
def test_277ca_uses_input_delimiters_and_conforms(envelope: EnvelopeSpec) -> None:
    _, claims = read(_text(envelope=envelope))
    ack = write_277ca(outcomes(claims, _decisions()), AckSettings(NOW, 1))
    d = envelope.delimiters
    assert f"STC{d.element}A3{d.component}21" in ack
    assert ("\r\n" in ack) == (envelope.newline == "\r\n")
    assert_conforms(ack)


def test_one_interchange_per_input_interchange_and_counts() -> None:
    first = _text()
    second = build_837([ClaimSpec("PCN9", LINES)], envelope=EnvelopeSpec(interchange_control=5))
    _, claims = read(first + second)
    ack = write_277ca(outcomes(claims, [*_decisions(), rejected()]), AckSettings(NOW, 999_999_999))
    assert ack.count("ISA*") == 2
    assert "*999999999*" in ack and "*000000002*" in ack  # wraps: GS06 took 1
    assert "QTY*90*2~" in ack and "QTY*AA*1~" in ack
    assert "AMT*YU*1090.00~" in ack and "AMT*YY*545.00~" in ack
    assert_conforms(ack)
