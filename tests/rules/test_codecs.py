"""Every field of LineFact, ClaimFacts, Finding and ClaimDecision survives
every stored form (scrubber.rules.codecs).

The values are built from the fields of each type (``dataclasses.fields``,
or ``_fields`` for the named tuple LineFact): each field gets a value
unlike its default and unlike the other fields' values, so a field added to
one of these types and forgotten by a codec fails here (it comes back
as its default, or the decoder cannot build the object at all). A field of a
type this file has no sample for fails too: add a sample for it.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import pickle
import sys
import typing
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from scrubber.history.keys import HistoryKey
from scrubber.history.records import HISTORY_SOURCE, BatchClaim, StoredLine
from scrubber.history.rows import ClearKeys, line_values, stored_line
from scrubber.model import ClaimKind, DateRange
from scrubber.pipeline.course_state import CourseState
from scrubber.pipeline.decisions import Decisions
from scrubber.rules import codecs
from scrubber.rules.facts import (
    ChargeDefects,
    ClaimFacts,
    ClaimRef,
    Component,
    LineFact,
    PatientKey,
    Setting,
)
from scrubber.rules.findings import Action, ClaimDecision, ClaimStatus, Finding

# Fields a form does not store because its caller supplies them (see codecs).
LINE_FROM_CLAIM = {"claim", "patient", "entity", "kind"}


def _samples(variant: int) -> dict[str, Callable[[str], Any]]:
    """A non-default value of each field type (its annotation's text), different
    per field name (``variant`` gives a second, different set)."""

    def text(name: str) -> str:
        return f"{name.upper()}{variant}"

    def number(name: str) -> int:
        return 10 + sum(map(ord, name)) % 50 + variant

    def day(name: str) -> dt.date:
        return dt.date(2026, 1, 1) + dt.timedelta(days=number(name))

    return {
        "str": text,
        "int": number,
        "int | None": number,
        "bool": lambda name: True,
        "dt.date": day,
        "dt.date | None": day,
        "Decimal": lambda name: Decimal(f"{number(name)}.5"),
        "Decimal | None": lambda name: Decimal(f"{number(name)}.25"),
        "tuple[str, ...]": lambda name: (text(name), text(name) + "B"),
        "ClaimKind": lambda name: ClaimKind.INSTITUTIONAL,
        "Component": lambda name: Component.TECHNICAL,
        "Setting": lambda name: Setting.HOSPITAL,
        "Action": lambda name: Action.REPAIR,
        "ClaimStatus": lambda name: ClaimStatus.CORRECTED,
        "ClaimRef": lambda name: ClaimRef(text(name), text("source"), number(name)),
        "PatientKey": lambda name: PatientKey(
            text("payer"), text("member"), text("last"), text("first"), day("dob")
        ),
        "DateRange | None": lambda name: DateRange(day(name), day(name) + dt.timedelta(days=3)),
        "frozenset[int]": lambda name: frozenset({1, 3}),
        "dict[int, Decimal]": lambda name: {2: Decimal("1.5")},
        "ChargeDefects | None": lambda name: ChargeDefects(
            Decimal(f"{number(name)}.005"), Decimal(f"{number(name)}.00"), (2,), True
        ),
    }


def distinct(cls: type[Any], variant: int = 0, **given: Any) -> Any:
    """An instance of dataclass (or named tuple) ``cls`` whose every field is set, to a value
    unlike its default (``given`` fields as given)."""
    samples = _samples(variant)
    values = {}
    for field in _fields(cls):
        if field.name in given:
            values[field.name] = given[field.name]
            continue
        sample = samples.get(field.type)
        if sample is None:
            pytest.fail(f"{cls.__name__}.{field.name}: no sample value for type {field.type}")
        values[field.name] = sample(field.name)
        default = field.default
        assert values[field.name] != default, f"{cls.__name__}.{field.name}: sample is default"
    return cls(**values)


class _Field(typing.NamedTuple):
    name: str
    type: str  # the annotation as written
    default: Any


def _fields(cls: type[Any]) -> list[_Field]:
    """The fields of dataclass or named tuple ``cls`` (a named tuple's
    default is ``dataclasses.MISSING`` when it has none, as a dataclass's),
    each with its annotation's text."""
    written = _annotations(cls)
    if dataclasses.is_dataclass(cls):
        return [_Field(f.name, written[f.name], f.default) for f in dataclasses.fields(cls)]
    defaults = cls._field_defaults
    return [_Field(n, written[n], defaults.get(n, dataclasses.MISSING)) for n in cls._fields]


def _annotations(cls: type[Any]) -> dict[str, str]:
    """Each annotated name of class ``cls`` with its annotation as written in
    its module's source. Read from the source, not from ``__annotations__``:
    a class compiled by mypyc keeps only classes there (``type`` for a union)."""
    module = sys.modules[cls.__module__]
    assert module.__file__ is not None
    source = Path(module.__file__).with_name(cls.__module__.rsplit(".", 1)[-1] + ".py")
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef) and node.name == cls.__name__:
            return {
                item.target.id: ast.unparse(item.annotation)
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            }
    raise AssertionError(f"class {cls.__name__} not found in {source}")


def claim_facts(variant: int = 0) -> ClaimFacts:
    """Claim facts with two lines, every field of each set (lines share the
    claim's reference, patient, entity and kind, as facts_of makes them)."""
    claim = distinct(ClaimFacts, variant, lines=())
    shared = {"claim": claim.ref, "patient": claim.patient, "entity": claim.entity}
    lines = tuple(
        distinct(LineFact, variant + n, kind=claim.kind, **shared, lx=n + 1) for n in range(2)
    )
    assert lines[0] != lines[1]
    return typing.cast(ClaimFacts, dataclasses.replace(claim, lines=lines))


def finding(variant: int = 0) -> Finding:
    return typing.cast(Finding, distinct(Finding, variant))


def test_samples_cover_every_field_and_miss_defaults() -> None:
    facts = claim_facts()
    assert all(getattr(facts.lines[0], name) for name in LineFact._fields)
    assert all(getattr(finding(), f.name) for f in dataclasses.fields(Finding))


def test_claim_record_round_trips_every_field() -> None:
    facts = claim_facts()
    interned = codecs.Interned()
    record = pickle.loads(pickle.dumps(codecs.claim_record(facts, interned)))
    back = codecs.claim_from_record(record, facts.patient, facts.entity, interned.values)
    assert back == facts
    for name in LineFact._fields:
        assert getattr(back.lines[1], name) == getattr(facts.lines[1], name), name


def test_claim_record_refuses_a_line_of_another_claim() -> None:
    facts = claim_facts()
    stray = facts.lines[0]._replace(entity="OTHER")
    with pytest.raises(ValueError, match="patient and entity"):
        codecs.claim_record(dataclasses.replace(facts, lines=(stray,)), codecs.Interned())


@pytest.mark.parametrize("kind", list(ClaimKind))
@pytest.mark.parametrize("component", list(Component))
@pytest.mark.parametrize("setting", list(Setting))
def test_claim_record_keeps_every_enum_value(
    kind: ClaimKind, component: Component, setting: Setting
) -> None:
    facts = claim_facts()
    facts = dataclasses.replace(
        facts,
        kind=kind,
        lines=tuple(
            line._replace(kind=kind, component=component, setting=setting) for line in facts.lines
        ),
    )
    interned = codecs.Interned()
    record = codecs.claim_record(facts, interned)
    assert codecs.claim_from_record(record, facts.patient, facts.entity, interned.values) == facts


def test_course_state_returns_the_facts_added() -> None:
    state = CourseState()
    history, batch = claim_facts(0), claim_facts(5)
    batch = dataclasses.replace(batch, patient=history.patient, entity=history.entity)
    batch = dataclasses.replace(
        batch,
        lines=tuple(
            line._replace(patient=history.patient, entity=history.entity) for line in batch.lines
        ),
    )
    state.add(history, batch=False)
    state.add(batch)
    subject = state.subject_of(batch)
    assert state.facts(subject) == [history, batch]
    assert state.history_and_batch(subject) == ([history], {batch.ref.seq: batch})


def test_line_row_round_trips_every_field() -> None:
    fact = claim_facts().lines[1]
    row = SimpleNamespace(**codecs.line_row(fact, lambda site: "H" + site))
    back = codecs.line_from_row(
        row, fact.claim, fact.patient, fact.entity, fact.kind, row.site_hash[1:]
    )
    assert back == fact


def test_history_rows_round_trip_every_line_field() -> None:
    """The store's own path (rows.line_values -> rows.stored_line), sites
    named back by the batch."""
    facts = claim_facts()
    key = HistoryKey(b"k" * 32)
    decision = ClaimDecision(ClaimStatus.ACCEPTED, ())
    claim_row = SimpleNamespace(subject_id=7, entity=facts.entity, kind=facts.kind.value)
    keys = ClearKeys({7: facts.patient}, {key.site(line.site): line.site for line in facts.lines})
    rows = line_values(key, BatchClaim(facts).facts, decision)
    back = [stored_line(SimpleNamespace(**row), claim_row, facts.ref, keys) for row in rows]
    assert all(isinstance(line, StoredLine) for line in back)
    assert tuple(line.fact for line in back) == facts.lines
    assert HISTORY_SOURCE  # stored claims get this source; the line codec keeps the given ref


def test_finding_record_round_trips_every_field() -> None:
    interned = codecs.Interned()
    first, second = finding(0), finding(1)
    records = pickle.loads(
        pickle.dumps([codecs.finding_record(f, interned) for f in (first, second)])
    )
    assert [codecs.finding_from_record(r, interned.values) for r in records] == [first, second]


def test_finding_record_keeps_a_claim_finding_and_no_dates() -> None:
    claim_level = dataclasses.replace(finding(), line=None, dos=None, repaired_units=None)
    interned = codecs.Interned()
    record = codecs.finding_record(claim_level, interned)
    assert codecs.finding_from_record(record, interned.values) == claim_level


def test_decision_round_trips_through_decisions_every_field(tmp_path: Any) -> None:
    decision = typing.cast(
        ClaimDecision, distinct(ClaimDecision, findings=(finding(0), finding(1)))
    )
    decisions = Decisions(3)
    decisions.add(1, decision)
    assert decisions.get(1) == decision
    decisions.save(tmp_path / "d")
    assert Decisions.load(tmp_path / "d", 3).get(1) == decision


def test_spark_shuffle_form_round_trips_every_field() -> None:
    """What crosses the Spark shuffle is the record form plus its own values:
    every field of the facts comes back (charge_defects included), and a
    new ``seq`` can be given."""
    from scrubber.spark.codec import decode_facts, encode_facts

    facts = claim_facts()
    encoded = pickle.loads(pickle.dumps(encode_facts(facts)))
    assert decode_facts(encoded) == facts
    moved = decode_facts(encoded, facts.ref.seq + 7)
    assert moved.ref.seq == facts.ref.seq + 7
    assert all(line.claim == moved.ref for line in moved.lines)
    assert dataclasses.replace(moved, ref=facts.ref, lines=facts.lines) == facts


def test_the_modifier_cache_keeps_no_long_text() -> None:
    """Rules compare modifiers trimmed and upper-cased (cached: a batch
    repeats a few); a hostile modifier of 60,000 characters is cleaned
    without being kept."""
    from scrubber.rules import facts

    assert facts._modifiers((" tc", "", "59 ")) == ("TC", "59")
    kept = facts._cached_modifiers.cache_info().currsize
    assert facts._modifiers(("x" * 60_000,)) == ("X" * 60_000,)
    assert facts._cached_modifiers.cache_info().currsize == kept
