"""Plain transactions through the outputs (issue 15's text path).

A transaction whose claims are all plain may reach the outputs whole, as a
:class:`~scrubber.model.PlainTransaction` (``Fanout.add_plain``), instead of
one accepted outcome per claim. These tests make such transactions with the
oracle (:mod:`scrubber.testing.plain`: from the reader's claims and the
input's text of the transaction) for every eligible transaction of every
sample, every corpus file and random mixes, and check that every output
(cleaned 837, 277CA, report JSON and its one-line form, HTML worklist) is
byte for byte what handing each claim's outcome gives, serially and through
shard parts joined; the 277CA written from plain transactions conforms to
X214 (pyx12).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrubber.api import make_engine
from scrubber.errors import InputWarning, X12InputError
from scrubber.model import ClaimKind, PlainTransaction, Transaction
from scrubber.outputs.ack277 import AckSettings, control_after
from scrubber.outputs.fanout import Fanout, join
from scrubber.outputs.registry import OutputKind, kinds
from scrubber.outputs.report import ReportBuilder, claim_entry, plain_entry
from scrubber.outputs.report_json import plain_entry_texts, render_entry
from scrubber.outputs.report_sink import ReportSink
from scrubber.outputs.sink import Part, RunEnd, RunInfo, Sink
from scrubber.outputs.targets import MemoryTarget, PartTarget
from scrubber.rules.engine import Engine
from scrubber.rules.findings import ClaimDecision, ClaimStatus
from scrubber.rules.outcome import Outcome, pair_outcomes
from scrubber.testing import ClaimSpec, EnvelopeSpec, GroupSpec, LineSpec, build_interchange
from scrubber.testing.plain import plain_transaction_of, with_plain_transactions
from scrubber.x12.reader import X12Reader
from scrubber.x12.source import Encoding
from tests.corpus import corpus_params, require_corpus, sample_files
from tests.pipeline.test_fast_path import mixes
from tests.writers.support import assert_conforms

NOW = dt.datetime(2026, 11, 26, 9, 30)
AS_OF = dt.date(2026, 3, 31)
KINDS = kinds(["html"])  # every built-in kind
Item = Outcome | PlainTransaction
ENGINE = make_engine("clean", AS_OF.isoformat(), None, None)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return ENGINE


@dataclasses.dataclass(frozen=True)
class Read:
    """An input read and decided: its outcomes, warnings, trailer, encoding."""

    data: bytes
    outcomes: list[Outcome]
    warnings: list[InputWarning]
    trailer: str
    encoding: Encoding


def read(data: bytes, engine: Engine) -> Read | None:
    """``data`` read and decided in one batch; ``None`` when the reader refuses it."""
    reader = X12Reader(data, "in.x12")
    try:
        claims = list(reader.claims())
    except X12InputError:
        return None
    outcomes = pair_outcomes(claims, engine.decide_batch(claims))
    return Read(data, outcomes, list(reader.warnings), reader.trailer, reader.encoding)


def run_info(encoding: Encoding, **changes: object) -> RunInfo:
    run = RunInfo(
        name="in.x12", profile="clean", as_of=AS_OF, rule_set="image-guidance/test",
        encoding=encoding, ack=AckSettings(NOW, control_start=7), compact_json=True,
    )  # fmt: skip
    return dataclasses.replace(run, **changes)  # type: ignore[arg-type]


def feed(fanout: Fanout, items: Sequence[Item]) -> None:
    for item in items:
        if isinstance(item, PlainTransaction):
            fanout.add_plain(item)
        else:
            fanout.add(item)


def texts(targets: Mapping[str, MemoryTarget], sinks: Mapping[str, Sink]) -> dict[str, object]:
    """Every output's text (``None``: dropped), and the one-line report."""
    made: dict[str, object] = {name: target.value for name, target in targets.items()}
    report = sinks["report"]
    assert isinstance(report, ReportSink) and report.compact_path is not None
    made["compact"] = Path(report.compact_path).read_text(encoding="utf-8")
    os.unlink(report.compact_path)
    return made


def serial(got: Read, items: Sequence[Item]) -> dict[str, object]:
    targets = {kind.name: MemoryTarget() for kind in KINDS}
    fanout = Fanout.of(KINDS, run_info(got.encoding), targets)
    assert fanout.takes_plain
    feed(fanout, items)
    fanout.close(got.trailer, got.warnings)
    return texts(targets, fanout.sinks)


def sharded(got: Read, items: Sequence[Item], workdir: Path) -> dict[str, object]:
    """Written as a sharded run writes: one part per interchange (control
    numbers and ``continued`` as the workers get them), then joined."""
    shards = _by_interchange(items)
    workdir.mkdir()
    dones, tally = [], ReportBuilder()
    claims_before = envelopes_before = 0
    for index, shard in enumerate(shards):
        run = run_info(
            got.encoding,
            part=True,
            continued=claims_before > 0,
            ack=AckSettings(NOW, control_after(7, envelopes_before)),
        )
        targets = {kind.name: PartTarget(workdir / f"{index}.{kind.name}") for kind in KINDS}
        fanout = Fanout.of(KINDS, run, targets)
        feed(fanout, shard)
        dones.append(fanout.close("", []))
        for target in targets.values():
            target.close()
        tally.merge(fanout.tally)
        claims_before += fanout.tally.claims
        envelopes_before += _envelopes(shard)
    parts = [
        {name: Part(workdir / f"{index}.{name}", done[name]) for name in done}
        for index, done in enumerate(dones)
    ]
    joined = {kind.name: MemoryTarget() for kind in KINDS}
    end = RunEnd(got.trailer, got.warnings, tally)
    sinks = join(KINDS, run_info(got.encoding), joined, parts, end)
    return texts(joined, sinks)


def _transaction(item: Item) -> Transaction:
    return item.transaction if isinstance(item, PlainTransaction) else item.claim.transaction


def _by_interchange(items: Sequence[Item]) -> list[list[Item]]:
    shards: list[list[Item]] = []
    last = None
    for item in items:
        interchange = _transaction(item).group.interchange
        if interchange is not last:
            shards.append([])
            last = interchange
        shards[-1].append(item)
    return shards


def _envelopes(items: Sequence[Item]) -> int:
    """277CA interchanges + groups the claims of ``items`` open."""
    groups = {id(_transaction(item).group): _transaction(item).group for item in items}
    interchanges = {id(group.interchange) for group in groups.values()}
    return len(groups) + len(interchanges)


def check_same_outputs(got: Read, tmp_path: Path | None = None) -> int:
    """Outputs through ``add_plain`` equal those through ``add``; the number
    of plain transactions handed over."""
    items = with_plain_transactions(got.data, got.outcomes, got.warnings)
    plain = sum(isinstance(item, PlainTransaction) for item in items)
    expected = serial(got, got.outcomes)
    assert serial(got, items) == expected
    if tmp_path is not None:
        assert sharded(got, items, tmp_path / "plain") == expected
        assert sharded(got, got.outcomes, tmp_path / "outcomes") == expected
    return plain


# Every sample and corpus file --------------------------------------------------------


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: p.name)
def test_samples_write_the_same_through_plain_transactions(
    path: Path, engine: Engine, tmp_path: Path
) -> None:
    got = read(path.read_bytes(), engine)
    if got is not None:
        check_same_outputs(got, tmp_path)


def test_the_samples_hold_plain_transactions(engine: Engine) -> None:
    """The sample tests above compare something: several samples hold
    transactions handed over whole."""
    counts = []
    for path in sample_files():
        got = read(path.read_bytes(), engine)
        if got is not None:
            items = with_plain_transactions(got.data, got.outcomes, got.warnings)
            counts.append(sum(isinstance(item, PlainTransaction) for item in items))
    assert sum(1 for count in counts if count) >= 3, counts


@pytest.mark.parametrize("path", corpus_params())
def test_corpus_writes_the_same_through_plain_transactions(
    path: Path | None, engine: Engine, tmp_path: Path
) -> None:
    require_corpus()
    assert path is not None
    got = read(path.read_bytes(), engine)
    if got is not None:
        check_same_outputs(got, tmp_path)


# Random mixes ---------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixes())
def test_mixes_write_the_same_through_plain_transactions(text: str) -> None:
    got = read(text.encode(), ENGINE)
    if got is not None:
        with tempfile.TemporaryDirectory() as workdir:
            check_same_outputs(got, Path(workdir))


def _office(number: int, kind: ClaimKind, code: str = "99213") -> ClaimSpec:
    lines = [LineSpec(code, dos=dt.date(2026, 1, 5)), LineSpec("36415", dos=dt.date(2026, 1, 6))]
    return ClaimSpec(
        f"OV{number}",
        lines,
        member_id=f"M{number % 3}",
        billing_npi=("1234567893", "1111111112")[number % 2],
        facility_code="13" if kind is ClaimKind.INSTITUTIONAL else "11",
        frequency_code="3" if kind is ClaimKind.INSTITUTIONAL else "1",
        diagnoses=("I10",),
    )


def _two_interchanges() -> str:
    """Two interchanges of 837P and 837I transactions: plain ones, and ones
    with a radiation-oncology claim among plain claims."""
    parts = []
    number = 0
    for control in (1, 2):
        groups = []
        for group, kind in enumerate((ClaimKind.PROFESSIONAL, ClaimKind.INSTITUTIONAL), start=1):
            specs = []
            for n in range(9):
                specs.append(_office(number, kind, "77417" if n == 4 else "99213"))
                number += 1
            groups.append(GroupSpec(specs, kind, group, 3))
        parts.append(build_interchange(groups, EnvelopeSpec(interchange_control=control)))
    return "".join(parts)


def test_plain_and_other_transactions_through_shards(engine: Engine, tmp_path: Path) -> None:
    got = read(_two_interchanges().encode(), engine)
    assert got is not None
    assert check_same_outputs(got, tmp_path) == 8  # 2 x 2 groups x (3 - 1) transactions


def test_the_277ca_of_plain_transactions_conforms(engine: Engine) -> None:
    got = read(_two_interchanges().encode(), engine)
    assert got is not None
    items = with_plain_transactions(got.data, got.outcomes)
    plain_only = [item for item in items if isinstance(item, PlainTransaction)]
    assert len(plain_only) == 8
    targets = {kind.name: MemoryTarget() for kind in KINDS}
    fanout = Fanout.of(KINDS, run_info(got.encoding), targets)
    feed(fanout, plain_only)
    fanout.close(got.trailer, [])
    texts(targets, fanout.sinks)
    ack = targets["ack"].value
    assert ack is not None and ack.count("*PT~") == 24  # a 2000D loop per claim
    assert_conforms(ack)
    clean = targets["clean"].value
    assert clean is not None
    assert_conforms(clean)
    summary = fanout.tally.summary()
    assert (summary["claims"], summary["accepted"]) == (24, 24)


# Report entries from a template --------------------------------------------------------

_texts = st.text(st.characters(codec="utf-8"), max_size=12)


@settings(max_examples=200, deadline=None)
@given(
    claim_id=_texts,
    controls=st.tuples(_texts, _texts, _texts),
    ordinal=st.integers(1, 10**9),
    charge=st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False),
)
def test_accepted_entry_template_is_the_json_text(
    claim_id: str, controls: tuple[str, str, str], ordinal: int, charge: Decimal
) -> None:
    """The template's text is ``render_entry``'s and ``json.dumps``'s of the entry."""
    got = read(_two_interchanges().encode(), ENGINE)
    assert got is not None
    claim = got.outcomes[0].claim
    group = claim.transaction.group
    interchange = dataclasses.replace(group.interchange, control_number=controls[0])
    transaction = dataclasses.replace(
        claim.transaction,
        group=dataclasses.replace(group, interchange=interchange, control_number=controls[1]),
        control_number=controls[2],
    )
    claim = dataclasses.replace(
        claim, transaction=transaction, patient_control_number=claim_id, ordinal=ordinal
    )
    claim = dataclasses.replace(claim, total_charge=charge)
    plain = plain_transaction_of(transaction, [claim], "")
    entry = claim_entry(Outcome(claim, ClaimDecision(ClaimStatus.ACCEPTED, ())))
    assert plain_entry(transaction, plain.claims[0]) == entry
    long_form, one_line = plain_entry_texts(transaction, plain.claims, compact=True)
    assert long_form == [render_entry(entry)]
    assert one_line == [json.dumps(entry, ensure_ascii=False)]
    assert plain_entry_texts(transaction, plain.claims, compact=False) == (long_form, [])


# Sinks that take no plain transactions -------------------------------------------------


class _OutcomesOnly:
    """A third-party sink written before plain transactions existed."""

    def __init__(self, run: RunInfo, target: object) -> None:
        self.seen = 0

    def add(self, outcome: Outcome) -> None:
        self.seen += 1

    def close(self, end: RunEnd) -> None:
        return None

    def join(self, parts: Sequence[Part], end: RunEnd) -> None:
        return None


def test_a_sink_without_add_plain_turns_plain_transactions_off(engine: Engine) -> None:
    builtin = Fanout.of(KINDS, run_info(Encoding()), {k.name: MemoryTarget() for k in KINDS})
    assert builtin.takes_plain
    other = OutputKind("outcomes-only", ".only", _OutcomesOnly)
    mixed_kinds = [*KINDS, other]
    targets = {kind.name: MemoryTarget() for kind in mixed_kinds}
    mixed = Fanout.of(mixed_kinds, run_info(Encoding()), targets)
    assert not mixed.takes_plain
    got = read(_two_interchanges().encode(), engine)
    assert got is not None
    plain = next(
        item
        for item in with_plain_transactions(got.data, got.outcomes)
        if isinstance(item, PlainTransaction)
    )
    with pytest.raises(TypeError, match="takes no plain transactions"):
        mixed.add_plain(plain)
    assert mixed.tally.claims == 0  # nothing was tallied or written


def test_an_empty_plain_transaction_writes_nothing(engine: Engine) -> None:
    got = read(_two_interchanges().encode(), engine)
    assert got is not None
    transaction = got.outcomes[0].claim.transaction
    empty = PlainTransaction(transaction, "", 0, ())
    with_empty: list[Item] = [empty, *got.outcomes, empty]
    assert serial(got, with_empty) == serial(got, got.outcomes)


def test_the_check_commands_entries_are_the_same(engine: Engine) -> None:
    """``scrubber check``'s sink (each claim's report entry to a callback)."""
    from scrubber.cli.commands.check_findings import _EntrySink

    got = read(_two_interchanges().encode(), engine)
    assert got is not None
    by_claim: list[dict[str, object]] = []
    by_transaction: list[dict[str, object]] = []
    for outcome in got.outcomes:
        _EntrySink(by_claim.append).add(outcome)
    sink = _EntrySink(by_transaction.append)
    for item in with_plain_transactions(got.data, got.outcomes):
        if isinstance(item, PlainTransaction):
            sink.add_plain(item)
        else:
            sink.add(item)
    assert len(by_claim) == 36
    assert by_transaction == by_claim
