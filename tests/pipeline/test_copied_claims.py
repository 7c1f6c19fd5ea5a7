"""Claims pass 2 copies as they came (issue 15, goal 2).

A claim pass 1 read with no warning, whose CLM02 is the sum of its lines and
which is decided accepted with no finding, is not built again in pass 2: the
reader hands it over as a :class:`~scrubber.model.CopiedClaim` and the
outputs copy its text. These tests check which claims are copied, that a
copied claim carries what the claim model would give the outputs, that the
outputs do not change (the random mixes of ``test_fast_path`` compare the
fast path on and off, copying included), and that a claim read differently
by the two passes is still the input changing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from scrubber import scrub
from scrubber.errors import X12InputError
from scrubber.model import Claim, CopiedClaim
from scrubber.outputs.ack277 import AckSettings
from scrubber.outputs.fanout import Fanout
from scrubber.outputs.registry import kinds
from scrubber.outputs.sink import RunInfo
from scrubber.outputs.targets import MemoryTarget
from scrubber.pipeline.course_state import CourseState
from scrubber.pipeline.decisions import Decisions
from scrubber.pipeline.passes import copies_for
from scrubber.pipeline.spool import ReplayableSource
from scrubber.rules.facts import facts_of
from scrubber.rules.findings import ClaimDecision, ClaimStatus
from scrubber.testing import ClaimSpec, LineSpec, PatientSpec, build_837
from scrubber.testing.plain import plain_claim_of
from scrubber.x12.reader import X12Reader
from scrubber.x12.source import Encoding
from tests.corpus import corpus_files, sample_files
from tests.pipeline.test_fast_path import AS_OF, NOW, fast_path, outputs, several_interchanges

IMRT = LineSpec("77386")


def _scrub_noting_copies(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, object], list[str]]:
    """The report of ``text``, and the ids of the claims pass 2 copied."""
    copied: list[str] = []
    add_copied = Fanout.add_copied

    def noted(self: Fanout, claim: CopiedClaim) -> None:
        copied.append(claim.plain.claim_id)
        add_copied(self, claim)

    monkeypatch.setattr(Fanout, "add_copied", noted)
    result = scrub(text.encode(), as_of=AS_OF, now=NOW, control_start=7, name="c.x12")
    return result.report, copied


def _accepted_plainly(report: dict[str, object]) -> list[str]:
    entries = report["claims"]
    assert isinstance(entries, list)
    return [e["claim_id"] for e in entries if e["status"] == "accepted" and not e["findings"]]


def test_pass_two_copies_the_clean_claims_accepted_with_no_finding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Copied: plain claims and radiation-oncology claims accepted with no
    finding. Built again: claims with a finding, a claim whose CLM02 is not
    the sum of its lines (IG005's finding; the report warns of it too) and a
    claim read with a warning (a date of birth that is not a date)."""
    specs = [
        ClaimSpec("PLAIN", [LineSpec("99213")], member_id="M1"),
        ClaimSpec("IMRT", [IMRT], member_id="M2"),
        ClaimSpec("FOUND", [LineSpec("77385"), LineSpec("77387")], member_id="M3"),
        ClaimSpec("OFF", [IMRT], member_id="M4", total_charge=Decimal("99.00")),
        ClaimSpec("BADDOB", [IMRT], member_id="M5", patient=PatientSpec()),
        ClaimSpec("PATIENT", [IMRT], member_id="M6", patient=PatientSpec()),
    ]
    text = build_837(specs)
    bad_dob = text.index("CLM*BADDOB")
    dmg = text.rindex("DMG*D8*", 0, bad_dob)
    text = text[:dmg] + "DMG*D8*1960011X" + text[dmg + len("DMG*D8*19600115") :]
    report, copied = _scrub_noting_copies(text, monkeypatch)
    plainly = _accepted_plainly(report)
    assert "BADDOB" in plainly  # accepted, no finding: yet not copied
    assert "FOUND" not in plainly
    assert copied == ["PLAIN", "IMRT", "PATIENT"]
    fast = outputs(text)
    with fast_path(False):  # (copying off too)
        assert outputs(text) == fast


def test_every_accepted_claim_of_a_mix_is_copied_and_nothing_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Four interchanges of plain claims and courses of the same patients:
    every claim accepted with no finding is copied (they are read cleanly),
    and the outputs are those of a scrub that copies nothing."""
    text = several_interchanges(3)
    report, copied = _scrub_noting_copies(text, monkeypatch)
    assert copied == _accepted_plainly(report)
    entries = report["claims"]
    assert isinstance(entries, list)
    assert 0 < len(copied) < len(entries)
    fast = outputs(text)
    with fast_path(False):
        assert outputs(text) == fast


def _inputs() -> list[Path]:
    return sorted({*sample_files(), *corpus_files()})


@pytest.mark.parametrize("path", _inputs(), ids=lambda p: p.name)
def test_a_copied_claim_carries_what_its_model_gives_the_outputs(path: Path) -> None:
    """Every claim the reader builds with no warning, read again as a copied
    claim: the same segments, hierarchy loops and envelope, and what the
    277CA and the report write of it (:func:`plain_claim_of` of the model).
    An input the reader refuses is refused the same way when copying."""
    data = path.read_bytes()
    models, refused = _clean_models(data, path.name)
    clean = {claim.ordinal for claim in models}
    copying = X12Reader(data, path.name, copy=clean.__contains__)
    if refused is not None:
        with pytest.raises(X12InputError) as error:
            list(copying.read())
        assert str(error.value) == refused
        return
    copies = [item for item in copying.read() if type(item) is CopiedClaim]
    assert len(copies) == len(models)
    for copy, claim in zip(copies, models, strict=True):
        assert copy.plain == plain_claim_of(claim)
        assert copy.all_segments() == list(claim.all_segments())
        assert copy.transaction.ordinal == claim.transaction.ordinal
        assert copy.subscriber_level == claim.subscriber_level
        assert copy.patient_level == claim.patient_level
        assert not copy.passed


def _clean_models(data: bytes, name: str) -> tuple[list[Claim], str | None]:
    """The claims of ``data`` whose model builds without a warning (read
    since the claim before), and the error that refuses the input, if any."""
    reader = X12Reader(data, name)
    clean: list[Claim] = []
    seen = 0
    try:
        for claim in reader.claims():
            if len(reader.warnings) == seen:
                clean.append(claim)
            seen = len(reader.warnings)
    except X12InputError as error:
        return clean, str(error)
    return clean, None


def test_course_state_keeps_which_claims_are_copyable() -> None:
    claim = next(X12Reader(build_837([ClaimSpec("A", [IMRT])]).encode(), "t").claims())
    parts = [CourseState(part=0), CourseState(part=1)]
    parts[0].add(facts_of(claim, 0), copyable=True)
    parts[0].add_passed()
    parts[1].add(facts_of(claim, 0))
    parts[1].add(facts_of(claim, 1), batch=False, copyable=True)  # (history: no seq)
    merged = CourseState.merged(parts)
    assert [merged.copyable(seq) for seq in range(4)] == [True, True, False, False]


def _fanout() -> Fanout:
    """A fanout of every built-in output (into memory)."""
    run_kinds = kinds()
    run = RunInfo("t", "clean", AS_OF, "r", Encoding(), AckSettings(NOW, 1))
    return Fanout.of(run_kinds, run, {kind.name: MemoryTarget() for kind in run_kinds})


def _copy_test(state: CourseState, decisions: Decisions, shift: int = 0) -> Callable[[int], bool]:
    copy = copies_for(state, decisions, _fanout(), recording=False, shift=shift)
    assert copy is not None
    return copy


def test_copies_for_asks_pass_one_and_the_decision() -> None:
    """A claim is copied when pass 1 added it copyable and it is decided
    accepted with no finding; ``shift``: the input's first claim's ``seq``."""
    claim = next(X12Reader(build_837([ClaimSpec("A", [IMRT])]).encode(), "t").claims())
    state = CourseState()
    for seq, copyable in enumerate([True, True, False]):
        state.add(facts_of(claim, seq), copyable=copyable)
    decisions = Decisions(3)
    decisions.add(1, ClaimDecision(ClaimStatus.REJECTED, ()))
    copy = _copy_test(state, decisions)
    assert [copy(ordinal) for ordinal in (1, 2, 3)] == [True, False, False]
    later = _copy_test(state, decisions, shift=1)  # (an input whose first claim is seq 1)
    assert [later(ordinal) for ordinal in (1, 2)] == [False, False]
    assert _copy_test(state, Decisions(3), shift=1)(1)


class _PluginSink:
    """A plugin's sink written before copied claims existed."""

    def add(self, outcome: object) -> None: ...
    def close(self, end: object) -> None: ...
    def join(self, parts: object, end: object) -> None: ...


def test_no_copies_when_a_sink_takes_none_or_a_store_records() -> None:
    state, decisions = CourseState(), Decisions(0)
    plugin = Fanout({"plugin": _PluginSink()})
    assert not plugin.takes_copied
    assert copies_for(state, decisions, plugin, recording=False) is None
    fanout = _fanout()
    assert fanout.takes_copied
    assert copies_for(state, decisions, fanout, recording=False) is not None
    assert copies_for(state, decisions, fanout, recording=True) is None
    with fast_path(False):
        assert copies_for(state, decisions, fanout, recording=False) is None


def test_a_copied_claim_of_another_subject_is_the_input_changing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pass 2 reads a claim it copies (accepted, no finding) as a claim of
    another member: the input changed between the passes, as for a claim it
    builds."""
    text = build_837([ClaimSpec("A", [IMRT]), ClaimSpec("B", [IMRT], member_id="MBR2")])
    assert text.count("MI*MBR2~") == 1
    texts = [text.encode(), text.replace("MI*MBR2~", "MI*MBR3~").encode()]
    monkeypatch.setattr(ReplayableSource, "open", lambda self: texts.pop(0))
    with pytest.raises(X12InputError, match="the input changed while it was scrubbed"):
        scrub(b"(read through the patched open)", as_of=AS_OF, now=NOW)


def test_a_unit_read_with_no_state_returns_its_copyable_claims_as_bits(tmp_path: Path) -> None:
    """What Spark's pass 1 tasks send back: a bit a claim, 1 for a claim pass
    2 may copy (plain, or read cleanly with charges that add up)."""
    from scrubber.pipeline.batch import BatchInput, _bits, bit_at, read_unit

    specs = [ClaimSpec(f"C{n}", [IMRT], member_id=f"M{n}") for n in range(10)]
    specs[3] = replace(specs[3], total_charge=Decimal("1.00"))
    path = tmp_path / "unit.x12"
    path.write_text(build_837(specs))
    source = BatchInput(str(path), path.name, "unit", AckSettings(NOW, 1))
    read = read_unit(source, None, None, False)
    assert read.claims == 10 and len(read.copyable) == 2
    assert [bit_at(read.copyable, n) for n in range(12)] == [True] * 3 + [False] + [True] * 6 + [
        False
    ] * 2
    flags = bytes([1, 0, 1, 1, 0, 0, 0, 1, 1])
    assert [bit_at(_bits(flags), n) for n in range(9)] == [bool(f) for f in flags]
