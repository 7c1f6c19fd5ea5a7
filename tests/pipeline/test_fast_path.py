"""The fast path for plain claims (issue 15, :mod:`scrubber.rules.passthrough`).

A plain claim (no code of a loaded pack's table, amounts that reconcile, not
an 837I closing claim, read without a warning) is copied and acknowledged
without facts or rules. These tests check that it changes no output:
random mixes of plain and radiation-oncology claims (sharing patients,
billing providers and days) are scrubbed with the fast path on and off, and
serially and in two shards, and every output compared byte for byte; and
that every claim the fast path passes is one that deciding accepts with no
finding.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scrubber.pipeline.batch
import scrubber.pipeline.shards.plan
from scrubber import scrub
from scrubber.api import make_engine
from scrubber.cli.main import main
from scrubber.errors import X12InputError
from scrubber.model import Claim, ClaimKind
from scrubber.outputs.ack277 import AckSettings
from scrubber.outputs.fanout import Fanout
from scrubber.pipeline.envelopes import EnvelopeCounter
from scrubber.pipeline.files import scrub_to_files
from scrubber.pipeline.passes import passthrough_for as passthrough_for_a_batch
from scrubber.pipeline.spool import ReplayableSource
from scrubber.rules.engine import Engine
from scrubber.rules.findings import ClaimStatus
from scrubber.rules.image_guidance import RULES
from scrubber.rules.image_guidance import pack as image_guidance
from scrubber.rules.passthrough import SWITCH, Passthrough, passthrough_of
from scrubber.rules.rule import Pack
from scrubber.testing import (
    ClaimSpec,
    EnvelopeSpec,
    GroupSpec,
    LineSpec,
    PatientSpec,
    build_837,
    build_interchange,
)
from scrubber.x12.plain_text import TextScan
from scrubber.x12.reader import Passed, X12Reader
from tests.corpus import corpus_files, sample_files

NOW = dt.datetime(2026, 11, 26, 9, 30)
AS_OF = dt.date(2026, 3, 31)
PROF, INST = ClaimKind.PROFESSIONAL, ClaimKind.INSTITUTIONAL
RADONC = ["77385", "77386", "77387", "77417", "77014", "77290", "77412", "G6002", "77427"]
OTHER = ["99213", "80053", "36415", "71046", "0450", "j1100", " 77417", "77417 ", "g6002"]
MODIFIERS = [(), ("TC",), ("26",), ("25",)]
DAYS = [dt.date(2025, 12, 29) + dt.timedelta(days=n) for n in range(0, 40, 3)]


@contextmanager
def fast_path(on: bool) -> Iterator[None]:
    """The fast path on or off (:data:`SWITCH`) for the block."""
    before = os.environ.get(SWITCH)
    os.environ[SWITCH] = "1" if on else "0"
    try:
        yield
    finally:
        if before is None:
            del os.environ[SWITCH]
        else:
            os.environ[SWITCH] = before


def outputs(text: str, profile: str = "clean") -> tuple[bytes, bytes | None, str]:
    """The three outputs of ``text`` (or the input error, as the report)."""
    try:
        result = scrub(
            text.encode(), profile=profile, as_of=AS_OF, now=NOW, control_start=7, name="mix.x12"
        )
    except X12InputError as error:
        return b"", None, str(error)
    return result.ack_bytes(), result.clean_bytes(), json.dumps(result.report, indent=2)


# Random mixes ----------------------------------------------------------------------

lines = st.builds(
    LineSpec,
    procedure=st.sampled_from(RADONC + OTHER * 3),
    modifiers=st.sampled_from(MODIFIERS),
    dos=st.sampled_from(DAYS),
    charge=st.sampled_from([Decimal("100.00"), Decimal("55.10"), Decimal("0.005")]),
    units=st.sampled_from([Decimal(1), Decimal(2)]),
    line_control=st.sampled_from(["", "LC1"]),
)


@st.composite
def claims(draw: st.DrawFn, number: int, kind: ClaimKind) -> ClaimSpec:
    patient = draw(st.integers(0, 2))
    mismatch = draw(st.sampled_from([None, None, None, Decimal("1.00")]))
    spec = ClaimSpec(
        f"C{number}",
        draw(st.lists(lines, min_size=0 if number % 7 == 6 else 1, max_size=4)),
        member_id=f"M{patient}",
        billing_npi=draw(st.sampled_from(["1234567893", "1111111112"])),
        patient=draw(st.sampled_from([None, PatientSpec()])),
        facility_code="13" if kind is INST else draw(st.sampled_from(["11", "22"])),
        frequency_code=draw(st.sampled_from(["1", "2", "3", "4", "7", "8"])),
        diagnoses=("C61",),
    )
    if mismatch is not None:
        spec = replace(spec, total_charge=mismatch)
    return spec


#: Changes to one segment of a mix: none; a bad DOS, date of birth or
#: diagnosis pointer (the reader warns); amounts and units that are valid but
#: not in their usual shape (a third decimal zero, a decimal point).
MUTATIONS = [
    ("", ""),
    ("", ""),
    ("D8*20260101", "D8*20260101X"),
    ("DMG*D8*19600115", "DMG*D8*1960011X"),
    ("***1~", "***1:X~"),
    ("*100.00*UN", "*100.000*UN"),
    ("*55.10*UN*2", "*55.1*UN*2.0"),
    ("*100.00*UN*1", "*100.*UN*01"),
    ("*100.00*UN", "*1E2*UN"),  # not an amount: the reader refuses the input
    ("LX*2~", "LX*B~"),  # not a line number: refused too
]


@st.composite
def mixes(draw: st.DrawFn) -> str:
    """One or two interchanges of 837P and 837I claims, one of MUTATIONS applied."""
    parts = []
    number = 0
    for control in range(1, draw(st.integers(1, 2)) + 1):
        groups = []
        for group in range(1, draw(st.integers(1, 2)) + 1):
            kind = draw(st.sampled_from([PROF, INST]))
            count = draw(st.integers(1, 6))
            specs = [draw(claims(number + n, kind)) for n in range(count)]
            number += count
            per = draw(st.integers(0, 3))
            groups.append(GroupSpec(specs, kind, group, per))
        parts.append(build_interchange(groups, EnvelopeSpec(interchange_control=control)))
    text = "".join(parts)
    old, new = draw(st.sampled_from(MUTATIONS))
    return text.replace(old, new, 1)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixes(), st.sampled_from(["clean", "strict"]))
def test_fast_path_changes_no_output(text: str, profile: str) -> None:
    with fast_path(True):
        fast = outputs(text, profile)
    with fast_path(False):
        slow = outputs(text, profile)
    assert fast[0] == slow[0]
    assert fast[1] == slow[1]
    assert fast[2] == slow[2]


PLAIN = passthrough_of(Engine(as_of=AS_OF))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixes())
def test_passed_models_equal_the_readers(text: str) -> None:
    """A passed claim's model (made without checks) is the one the reader
    builds, to the digits of every Decimal; the warnings are the same."""
    assert PLAIN is not None
    fast = X12Reader(text.encode(), "mix.x12", plain=PLAIN)
    slow = X12Reader(text.encode(), "mix.x12")
    try:
        models = [item.claim if type(item) is Passed else item for item in fast.read()]
    except X12InputError as error:
        with pytest.raises(X12InputError, match=re.escape(str(error))):
            list(slow.claims())
        return
    assert [repr(m) for m in models] == [repr(claim) for claim in slow.claims()]
    assert [w.as_dict() for w in fast.warnings] == [w.as_dict() for w in slow.warnings]


@pytest.fixture
def small_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any file of two interchanges or more is split (the workers inherit it)."""
    monkeypatch.setattr(scrubber.pipeline.shards.plan, "MIN_SHARD_BYTES", 1)


def _files(path: Path, out: Path, jobs: int) -> dict[str, bytes]:
    engine = make_engine("clean", AS_OF.isoformat(), None, None)
    out.mkdir()
    with ReplayableSource(str(path), str(path)) as source:
        result = scrub_to_files(
            source, engine, out, "mix", ack_settings=AckSettings(NOW, control_start=11), jobs=jobs
        )
    return {p.name: p.read_bytes() for p in result.written}


def several_interchanges(seed: int, radonc: bool = True) -> str:
    """Four interchanges: plain claims and courses of the same patients (no
    course at all unless ``radonc``)."""
    parts = []
    revenue = "0333" if radonc else "0300"  # (0333: radiation therapy, a code the packs know)
    for control in range(1, 5):
        specs = []
        for n in range(6):
            in_scope = radonc and n % 3 == 0
            code = RADONC[(seed + n + control) % len(RADONC)] if in_scope else OTHER[n % 4]
            specs.append(
                ClaimSpec(
                    f"S{control}N{n}",
                    [
                        LineSpec(code, dos=DAYS[(control + n) % len(DAYS)], revenue_code=revenue),
                        LineSpec("99213", revenue_code=revenue),
                    ],
                    member_id=f"M{n % 2}",
                    frequency_code=_frequency(n, radonc, control),
                    facility_code="13" if control % 2 else "11",
                )
            )
        kind = INST if control % 2 else PROF
        parts.append(build_837(specs, kind, EnvelopeSpec(interchange_control=control)))
    return "".join(parts)


@pytest.mark.usefixtures("small_shards")
@pytest.mark.parametrize(("seed", "radonc"), [(0, True), (1, True), (2, True), (0, False)])
def test_fast_path_serial_and_sharded_outputs_identical(
    tmp_path: Path, seed: int, radonc: bool
) -> None:
    """The same outputs serially and in shards, with the fast path on and
    off; without radiation-oncology claims the file is all plain (nothing to decide:
    the shards skip the deciding pool)."""
    path = tmp_path / "mix.x12"
    text = several_interchanges(seed, radonc)
    path.write_text(text)
    assert PLAIN is not None
    passed = [type(item) is Passed for item in X12Reader(text.encode(), "m", plain=PLAIN).read()]
    assert 0 < sum(passed) < len(passed) if radonc else all(passed)
    runs = {}
    for on in (True, False):
        for jobs in (1, 2):
            with fast_path(on):
                runs[(on, jobs)] = _files(path, tmp_path / f"{on}-{jobs}", jobs)
    first = runs[(True, 1)]
    assert len(first) == 3
    assert all(run == first for run in runs.values())


def _frequency(n: int, radonc: bool, control: int) -> str:
    """CLM05-3: some 837I claims closing (1 or 4: they end courses) unless no
    course is wanted (then 2, interim, on the 837I: never plain otherwise)."""
    if radonc:
        return "1" if n % 4 else "4"
    return "2" if control % 2 else "1"


def _batch_outputs(paths: list[Path], out: Path, jobs: int) -> dict[str, bytes]:
    argv = ["scrub", "--batch", *map(str, paths), "-o", str(out), "--quiet", "-j", str(jobs)]
    main([*argv, "--as-of", AS_OF.isoformat()])
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@pytest.mark.usefixtures("small_shards")
def test_batch_takes_the_fast_path_and_writes_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``scrub --batch`` (what Spark runs too) over a mixed file, an
    all-plain file and a sample: the same outputs with the fast path on and
    off, in one process and in two (units of both files' interchanges); with
    it on, transactions are taken whole, claims passed and claims copied
    (the inputs' claims are numbered from 1 each, their ``seq`` across the
    batch)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")
    paths = [tmp_path / "mixed.x12", tmp_path / "plain.x12", *sample_files()[:1]]
    paths[0].write_text(several_interchanges(1))
    paths[1].write_text(several_interchanges(2, radonc=False))
    scans = _scans_of_batch_runs(monkeypatch)
    passed: list[int] = []
    counted = EnvelopeCounter.passed
    monkeypatch.setattr(
        EnvelopeCounter, "passed", lambda self, t, n=1: _noted(passed, counted(self, t, n))
    )
    copied: list[int] = []  # claims pass 2 copies, plain or decided (test_copied_claims)
    add_copied = Fanout.add_copied
    monkeypatch.setattr(Fanout, "add_copied", lambda self, c: _noted(copied, add_copied(self, c)))
    runs = {}
    for on in (True, False):
        for jobs in (1, 2):
            with fast_path(on):
                runs[(on, jobs)] = _batch_outputs(paths, tmp_path / f"{on}-{jobs}", jobs)
            if on and jobs == 1:  # (counted in this process)
                assert scans[0].taken >= 4 and len(passed) > 0 and len(copied) > 0
    first = runs[(True, 1)]
    assert len(first) == 9
    assert all(run == first for run in runs.values())


def test_batch_checks_a_plain_transaction_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``scrub --batch`` in one process over two all-plain inputs: pass 2
    takes again, unchecked, what pass 1's text scan took, unit by unit (the
    units' transaction ordinals both start at 1): each transaction is
    checked once, not twice; and the outputs are those of ``scrub``."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")
    paths = [tmp_path / "plain1.x12", tmp_path / "plain2.x12"]
    text = several_interchanges(2, radonc=False)
    texts = [text, text.replace("CLM*S", "CLM*T")]  # (other claim ids: other digests)
    for path, text in zip(paths, texts, strict=True):
        path.write_text(text)
    scans = _scans_of_batch_runs(monkeypatch)
    batch = _batch_outputs(paths, tmp_path / "batch", 1)
    transactions = "".join(texts).count("ST*837*")
    assert len(scans) == 1 and transactions > 2
    assert (scans[0].checked, scans[0].taken) == (transactions, 2 * transactions)
    argv = ["scrub", *map(str, paths), "-o", str(tmp_path / "one"), "--quiet", "-j", "1"]
    main([*argv, "--as-of", AS_OF.isoformat()])
    assert {p.name: p.read_bytes() for p in (tmp_path / "one").iterdir()} == batch


def _scans_of_batch_runs(monkeypatch: pytest.MonkeyPatch) -> list[TextScan]:
    """The text scan of each ``scrub --batch`` run in this process, from
    then on: its ``taken`` and ``checked`` count what it did. (Caught where
    the interpreted ``pipeline/batch.py`` makes its passthrough: a patched
    method of a class compiled by mypyc is not seen by compiled callers.)"""
    scans: list[TextScan] = []
    made = passthrough_for_a_batch

    def passthrough_for(engine: Engine, keep_batch: bool) -> Passthrough | None:
        plain = made(engine, keep_batch)
        if plain is not None:
            scans.append(plain.text_scan)
        return plain

    monkeypatch.setattr(scrubber.pipeline.batch, "passthrough_for", passthrough_for)
    return scans


def _noted(hits: list[int], result: object) -> object:
    hits.append(1 if result else 0)
    return result


# Which claims pass -------------------------------------------------------------------


def _passed(text: str, engine: Engine) -> list[Claim]:
    plain = passthrough_of(engine)
    assert plain is not None
    reader = X12Reader(text.encode(), "t.x12", plain=plain)
    return [item.claim for item in reader.read() if type(item) is Passed and item.claim]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return make_engine("clean", AS_OF.isoformat(), None, None)


def office(claim_id: str, **changes: object) -> ClaimSpec:
    lines = [LineSpec("99213", dos=DAYS[1]), LineSpec("36415", dos=DAYS[1])]
    return replace(ClaimSpec(claim_id, lines, diagnoses=("I10",)), **changes)  # type: ignore[arg-type]


def test_an_office_visit_passes_and_a_radonc_claim_does_not(engine: Engine) -> None:
    radonc = office("R", lines=[LineSpec("99213"), LineSpec("77417")])
    spaced = office("S", lines=[LineSpec(" g6002 ")])
    passed = _passed(build_837([office("A"), radonc, spaced, office("B")]), engine)
    assert [c.patient_control_number for c in passed] == ["A", "B"]


@pytest.mark.parametrize(
    "spec",
    [
        office("no-lines", lines=[]),
        office("mismatch", total_charge=Decimal("1.00")),
        office("sub-cent", lines=[LineSpec("99213", charge=Decimal("10.005"))]),
    ],
    ids=lambda spec: spec.claim_id,
)
def test_claims_the_claim_rules_act_on_do_not_pass(engine: Engine, spec: ClaimSpec) -> None:
    assert _passed(build_837([spec]), engine) == []


@pytest.mark.parametrize("frequency", ["1", "4"])
def test_a_closing_837i_claim_is_context_and_does_not_pass(engine: Engine, frequency: str) -> None:
    closing = office("close", facility_code="13", frequency_code=frequency)
    other = office("other", facility_code="13", frequency_code="3")
    assert [
        c.patient_control_number for c in _passed(build_837([closing, other], INST), engine)
    ] == ["other"]
    # ... and 837P frequency 1 is no closing claim.
    assert len(_passed(build_837([office("p", frequency_code="1")]), engine)) == 1


@pytest.mark.parametrize(
    ("good", "bad"),
    [("D8*20260101", "D8*20260101X"), ("DMG*D8*19600115", "DMG*D8*19601315"), ("***1~", "***A~")],
    ids=["dos", "birth-date", "pointer"],
)
def test_claims_read_with_a_warning_do_not_pass(engine: Engine, good: str, bad: str) -> None:
    text = build_837([office("A")])
    assert len(_passed(text, engine)) == 1
    assert _passed(text.replace(good, bad, 1), engine) == []


def test_a_rule_without_the_promise_turns_the_fast_path_off() -> None:
    assert passthrough_of(Engine(as_of=AS_OF)) is not None
    codes = image_guidance.codes
    promised = Pack("image-guidance", "1", RULES, codes)
    assert passthrough_of(Engine(as_of=AS_OF, packs=[promised])) is not None
    broken = replace(RULES[0], ignores_other_codes=False)
    unpromised = Pack("image-guidance", "1", (broken, *RULES[1:]), codes)
    assert passthrough_of(Engine(as_of=AS_OF, packs=[unpromised])) is None
    with fast_path(False):
        assert passthrough_of(Engine(as_of=AS_OF)) is None


def test_no_fast_path_when_a_store_records_the_batch() -> None:
    """A history store records every claim's facts and decision: the batch
    is read without the fast path (pass 1 keeps every claim's key)."""
    from scrubber.pipeline.passes import passthrough_for

    engine = Engine(as_of=AS_OF)
    assert passthrough_for(engine, keep_batch=True) is None
    assert passthrough_for(engine, keep_batch=False) is not None


def test_every_image_guidance_rule_keeps_the_promise() -> None:
    """A new rule must be checked against ``ignores_other_codes`` (see
    docs/rules-guide.md): without it the fast path is off for everyone."""
    assert [rule.code for rule in RULES if not rule.ignores_other_codes] == []


def test_the_packs_code_table_decides_what_is_plain() -> None:
    plain = Passthrough(frozenset({"99213"}))
    text = build_837([office("A"), office("B", lines=[LineSpec("77417")])])
    reader = X12Reader(text.encode(), "t.x12", plain=plain)
    kinds = [type(item).__name__ for item in reader.read()]
    assert kinds == ["Claim", "Passed"]


def _inputs() -> list[Path]:
    return [*sample_files(), *corpus_files()]


@pytest.mark.parametrize("path", _inputs(), ids=lambda p: p.name)
def test_every_passed_claim_is_one_deciding_accepts_plainly(path: Path, engine: Engine) -> None:
    """Soundness against the engine itself: decide every claim of the file in
    one batch (each passed claim with the context of all the others) and
    check that a passed claim is accepted with no finding; a reader with the
    fast path yields the same claims, equal models, the same warnings."""
    plain = passthrough_of(engine)
    assert plain is not None
    try:
        every = list(X12Reader(path.read_bytes(), path.name).claims())
    except X12InputError:  # an input the reader refuses: nothing to pass
        return
    fast = X12Reader(path.read_bytes(), path.name, plain=plain)
    items = list(fast.read())
    assert len(items) == len(every)
    slow = X12Reader(path.read_bytes(), path.name)
    list(slow.claims())
    assert [w.as_dict() for w in fast.warnings] == [w.as_dict() for w in slow.warnings]
    decisions = engine.decide_batch(every)
    for item, claim, decision in zip(items, every, decisions, strict=True):
        if type(item) is Passed:
            assert repr(item.claim) == repr(claim)  # repr: Decimal digits too
            assert decision.status is ClaimStatus.ACCEPTED
            assert decision.findings == ()
        else:
            assert item == claim


def test_bench_shapes_pass_their_office_claims(engine: Engine, tmp_path: Path) -> None:
    """The benchmark's out-of-scope batch is all plain (else it measures nothing)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from generate import write_out_of_scope

    path = tmp_path / "oos.x12"
    write_out_of_scope(path, 300, radonc_every=20)
    text = path.read_text()
    passed = _passed(text, engine)
    assert len(passed) == 285
    with fast_path(True):
        fast = outputs(text)
    with fast_path(False):
        assert outputs(text) == fast


def test_course_state_counts_plain_claims_without_a_subject() -> None:
    from scrubber.pipeline.course_state import CourseState
    from scrubber.rules.facts import facts_of

    claim = next(X12Reader(build_837([office("A")]).encode(), "t").claims())
    parts = [CourseState(part=0), CourseState(part=1)]
    parts[0].add_passed()
    parts[0].add(facts_of(claim, 1))
    parts[1].add_passed()
    merged = CourseState.merged(parts)
    assert (merged.batch_count, merged.passed_count, merged.subject_count) == (3, 2, 1)
    assert [merged.passed(seq) for seq in range(4)] == [True, False, True, False]
    assert merged.same_subject(1, claim)
    assert not merged.same_subject(0, claim)


@pytest.mark.parametrize("plain_first", [True, False], ids=["plain-then-not", "not-then-plain"])
def test_a_claim_plain_in_one_pass_only_is_the_input_changing(
    monkeypatch: pytest.MonkeyPatch, plain_first: bool
) -> None:
    plain = build_837([office("A"), office("B")]).encode()
    radonc = build_837([office("A"), office("B", lines=[LineSpec("77417")])]).encode()
    texts = [plain, radonc] if plain_first else [radonc, plain]
    monkeypatch.setattr(ReplayableSource, "open", lambda self: texts.pop(0))
    with pytest.raises(X12InputError, match="the input changed while it was scrubbed"):
        scrub(b"(read through the patched open)", as_of=AS_OF, now=NOW)
