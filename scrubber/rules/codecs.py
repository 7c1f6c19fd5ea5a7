"""Every stored form of the rules' value types, in one place.

A :class:`~scrubber.rules.facts.LineFact`, a
:class:`~scrubber.rules.facts.ClaimFacts`, a
:class:`~scrubber.rules.findings.Finding` and a
:class:`~scrubber.rules.findings.ClaimDecision` are kept outside the process
that made them in two forms:

- a **record**: a tuple of small values, pickled by the pipeline
  (:mod:`scrubber.pipeline.course_state` keeps a batch's facts so,
  :mod:`scrubber.pipeline.decisions` its decisions). Repeated values are
  stored once and referred to by number (``intern``/``values``);
- a **row**: the columns of the history store's ``lines`` table
  (:mod:`scrubber.history.rows`), sites as keyed hashes.

A field a form does not store is a field its caller already knows: the
claim's reference, patient, entity and kind for each of its lines; the
patient and entity of each claim of a subject. ``tests/rules/test_codecs.py``
round-trips every field of every type through every form, so a field added
to a dataclass and forgotten here fails a test instead of vanishing.

The record codecs are on the pipeline's hot path (every claim is encoded
once and decoded once): they are written out field by field on purpose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from scrubber.model import ClaimKind, DateRange
from scrubber.rules.facts import ClaimFacts, ClaimRef, Component, LineFact, PatientKey, Setting
from scrubber.rules.findings import Action, ClaimDecision, ClaimStatus, Finding

#: Stores a value once and returns its number (see :class:`Interned`).
Intern = Callable[[Hashable], int]

_KINDS = tuple(ClaimKind)
_COMPONENTS = tuple(Component)
_SETTINGS = tuple(Setting)
_KIND_INDEX = {kind: index for index, kind in enumerate(_KINDS)}
_COMPONENT_INDEX = {value: index for index, value in enumerate(_COMPONENTS)}
_SETTING_INDEX = {value: index for index, value in enumerate(_SETTINGS)}
_NO_DATE = 0
# A line record packs component, setting and two flags in one int: 2 bits a setting.
assert len(_SETTINGS) <= 4, "Setting outgrew its 2 bits in a line record"


class Interned:
    """Values stored once, referred to by number: ``intern(value)`` gives
    the number, ``values[number]`` the value back. :attr:`intern` is the
    same function, faster: a value already stored costs no Python call (the
    pipeline interns several values a line)."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._index = _Index(self.values)
        self.intern: Intern = self._index.__getitem__

    def __call__(self, value: Hashable) -> int:
        return self._index[value]


class _Index(dict[Hashable, int]):
    """Numbers by value; a value looked up for the first time is appended
    to ``values`` and numbered."""

    def __init__(self, values: list[Any]) -> None:
        super().__init__()
        self._values = values

    def __missing__(self, value: Hashable) -> int:
        index = self[value] = len(self._values)
        self._values.append(value)
        return index


# ---------------------------------------------------------------- claim facts, record form


def claim_record(facts: ClaimFacts, intern: Intern) -> tuple[Any, ...]:
    """``facts`` as a record, without its patient and entity (the caller
    keeps them: :func:`claim_from_record` takes them back). Raises
    :class:`ValueError` when a line's claim, patient, entity or kind is not
    its claim's (a record stores them once per claim)."""
    patient, entity, ref, kind = facts.patient, facts.entity, facts.ref, facts.kind
    lines = []
    for line in facts.lines:
        # A claim's lines share its objects: identity first skips comparing them.
        if (line.patient is not patient and line.patient != patient) or line.entity != entity:
            raise ValueError("a claim's lines must share its patient and entity")
        if (line.claim is not ref and line.claim != ref) or line.kind is not kind:
            raise ValueError("a line's claim reference and kind must be its claim's")
        lines.append(
            (
                line.lx,
                line.line_control,
                intern(line.site),
                line.dos.toordinal() if line.dos is not None else _NO_DATE,
                intern(line.code),
                intern(line.modifiers),
                intern(str(line.units)),
                _COMPONENT_INDEX[line.component] * 16
                + _SETTING_INDEX[line.setting] * 4
                + line.authorized * 2
                + line.documented,
            )
        )
    span = facts.closing_span
    return (
        ref.claim_id,
        intern(ref.source),
        ref.seq,
        _KIND_INDEX[kind],
        intern(facts.frequency_code),
        (span.start.toordinal(), span.end.toordinal()) if span is not None else None,
        tuple(lines),
        facts.charge_defects,  # None but for the rare claim whose money does not add up
    )


def claim_from_record(
    record: Sequence[Any], patient: PatientKey, entity: str, values: list[Any], base: int = 0
) -> ClaimFacts:
    """The facts :func:`claim_record` stored, with ``patient`` and
    ``entity``; ``values`` is the intern's list; ``base`` is added to the
    claim's ``seq``."""
    claim_id, source, seq, kind_index, frequency, span, lines, charge_defects = record
    ref = ClaimRef(claim_id, values[source], seq + base)
    kind = _KINDS[kind_index]
    fromordinal = dt.date.fromordinal
    # Positional, in field order: a named tuple binds keywords several times slower.
    facts = tuple(
        LineFact(
            ref,  # claim
            lx,  # lx
            control,  # line_control
            patient,  # patient
            entity,  # entity
            values[site],  # site
            fromordinal(dos) if dos != _NO_DATE else None,  # dos
            values[code],  # code
            values[modifiers],  # modifiers
            Decimal(values[units]),  # units
            kind,  # kind
            _COMPONENTS[flags >> 4],  # component
            _SETTINGS[(flags >> 2) & 3],  # setting
            flags & 2 != 0,  # authorized
            flags & 1 != 0,  # documented
        )
        for lx, control, site, dos, code, modifiers, units, flags in lines
    )
    return ClaimFacts(
        ref=ref,
        kind=kind,
        patient=patient,
        entity=entity,
        frequency_code=values[frequency],
        lines=facts,
        closing_span=(
            DateRange(fromordinal(span[0]), fromordinal(span[1])) if span is not None else None
        ),
        charge_defects=charge_defects,
    )


# ---------------------------------------------------------------- line facts, row form


def line_row(fact: LineFact, site_hash: Callable[[str], str]) -> dict[str, Any]:
    """The ``lines`` columns of ``fact`` (without the claim's): the site as
    ``site_hash`` gives it. The store keys its claim rows by the claim's
    reference, patient, entity and kind."""
    return {
        "lx": fact.lx,
        "line_control": fact.line_control,
        "site_hash": site_hash(fact.site),
        "dos": fact.dos,
        "code": fact.code,
        "modifiers": ":".join(fact.modifiers),
        "units": str(fact.units),
        "component": fact.component.value,
        "setting": fact.setting.value,
        "authorized": fact.authorized,
        "documented": fact.documented,
    }


def line_from_row(
    row: Any, claim: ClaimRef, patient: PatientKey, entity: str, kind: ClaimKind, site: str
) -> LineFact:
    """The fact of a ``lines`` row (attributes named as :func:`line_row`'s
    keys) of the given claim; ``site`` is the row's site, as far as the
    caller can name it."""
    return LineFact(
        claim=claim,
        lx=int(row.lx),
        line_control=row.line_control,
        patient=patient,
        entity=entity,
        site=site,
        dos=row.dos,
        code=row.code,
        modifiers=tuple(m for m in row.modifiers.split(":") if m),
        units=Decimal(row.units),
        kind=kind,
        component=Component(row.component),
        setting=Setting(row.setting),
        authorized=bool(row.authorized),
        documented=bool(row.documented),
    )


# ---------------------------------------------------------------- findings, record form


def finding_record(finding: Finding, intern: Intern) -> tuple[Any, ...]:
    """``finding`` as a record; the texts it shares with every finding of
    its rule (name, fix, citation, status code, rule set) are interned as
    one value."""
    shared = intern(
        (finding.name, finding.fix, finding.citation, finding.status_code, finding.rule_set)
    )
    return (
        finding.rule, finding.action.value, finding.line, finding.line_control,
        finding.procedure, finding.modifiers,
        finding.dos.toordinal() if finding.dos is not None else _NO_DATE,
        finding.message, finding.repaired_units, finding.extra_status_codes, shared,
    )  # fmt: skip


def finding_from_record(record: Sequence[Any], values: list[Any]) -> Finding:
    """The finding :func:`finding_record` stored (``values``: the intern's list)."""
    rule, action, line, control, procedure, modifiers, dos, message, units, extra, shared = record
    name, fix, citation, status_code, rule_set = values[shared]
    return Finding(
        rule=rule,
        name=name,
        action=Action(action),
        line=line,
        line_control=control,
        procedure=procedure,
        modifiers=modifiers,
        dos=dt.date.fromordinal(dos) if dos != _NO_DATE else None,
        message=message,
        fix=fix,
        citation=citation,
        status_code=status_code,
        repaired_units=units,
        extra_status_codes=extra,
        rule_set=rule_set,
    )


def decision_record(decision: ClaimDecision, intern: Intern) -> tuple[Any, ...]:
    """``decision`` as a record (its findings as :func:`finding_record` gives them)."""
    return (
        decision.status.value,
        tuple(finding_record(finding, intern) for finding in decision.findings),
        tuple(decision.removed_lines),
        tuple(decision.repaired_units.items()),
    )


def decision_from_record(record: Sequence[Any], values: list[Any]) -> ClaimDecision:
    """The decision :func:`decision_record` stored."""
    status, findings, removed, repaired = record
    return ClaimDecision(
        ClaimStatus(status),
        tuple(finding_from_record(finding, values) for finding in findings),
        frozenset(removed),
        dict(repaired),
    )


def rule_actions(findings: Iterable[Finding]) -> dict[int, list[tuple[str, str]]]:
    """(rule, action) of the line findings, by line: what the history store
    keeps of a batch's findings."""
    by_line: dict[int, list[tuple[str, str]]] = {}
    for finding in findings:
        if finding.line is not None:
            by_line.setdefault(finding.line, []).append((finding.rule, finding.action.value))
    return by_line
