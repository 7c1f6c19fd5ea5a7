"""Pass one's state: the facts of a whole batch, compact, grouped by subject.

Every question the rules ask a :class:`~scrubber.rules.context.Context` is
keyed by the line's patient + entity (billing NPI): same-day lines
(patient, entity, DOS), course lines and courses (patient, entity, site),
fractions per day. So the context of a batch is the union of independent
per-subject contexts, and a claim is decided exactly as with one big
context when it is decided against the context built from its own subject's
facts only (``build_context`` is a pure function of its facts).

:class:`CourseState` keeps, per subject, the facts of every claim as one
pickled record of interned small values (about 40 bytes a line instead of
the ~300 a :class:`~scrubber.rules.facts.LineFact` with its index entries
costs), never a :class:`~scrubber.model.Claim`.
:func:`scrubber.pipeline.decisions.decide_subjects` rebuilds one subject's facts and
context at a time from it and decides that subject's claims.
"""

from __future__ import annotations

import datetime as dt
import io
import pickle
from array import array
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from scrubber.model import Claim, ClaimKind, DateRange
from scrubber.rules.facts import (
    ClaimFacts,
    ClaimRef,
    Component,
    LineFact,
    PatientKey,
    Setting,
    patient_key,
)

SubjectKey = tuple[PatientKey, str]  # patient, entity

_KINDS = tuple(ClaimKind)
_COMPONENTS = tuple(Component)
_SETTINGS = tuple(Setting)
_KIND_INDEX = {kind: index for index, kind in enumerate(_KINDS)}
_COMPONENT_INDEX = {value: index for index, value in enumerate(_COMPONENTS)}
_SETTING_INDEX = {value: index for index, value in enumerate(_SETTINGS)}
_NO_DATE = 0


class _Interned:
    """Values stored once, referred to by index."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._index: dict[Any, int] = {}

    def __call__(self, value: Any) -> int:
        index = self._index.get(value)
        if index is None:
            index = self._index[value] = len(self.values)
            self.values.append(value)
        return index


class CourseState:
    """The facts of a batch (and of its history), compact, by subject.

    A state built in parts (one per shard of a file, see
    :mod:`scrubber.pipeline.shards`) is joined by :meth:`merged`: each part keeps its
    own interned values and numbers its claims from 0; the merged state
    shifts a part's ``seq`` by the batch claims of the parts before it.
    """

    def __init__(self, part: int = 0) -> None:
        self.claim_count = 0  # batch and history
        self.batch_count = 0
        self._subjects: dict[SubjectKey, int] = {}
        self._keys: list[SubjectKey] = []
        self._records: list[bytearray] = []  # per subject: the claims added here
        self._merged: dict[int, list[bytearray]] = {}  # per subject: the parts' records
        self._lines: list[int] = []  # lines stored per subject
        self._batch_subjects = array("l")  # subject of each batch claim, by seq
        self._values = _Interned()
        # Per part: its interned values and the seq of its first batch claim.
        self._part = part
        self._parts: dict[int, tuple[list[Any], int]] = {part: (self._values.values, 0)}
        self._patients: dict[PatientKey, PatientKey] = {}
        self._entities: dict[str, str] = {}

    @classmethod
    def merged(cls, parts: list[CourseState]) -> CourseState:
        """One state holding ``parts`` (built with ``part=0, 1, ...`` from
        consecutive pieces of one batch, each numbering its claims from 0),
        as if their claims had been added in order to one state."""
        state = cls(part=len(parts))
        base = 0
        for index, part in enumerate(parts):
            if part._part != index or len(part._parts) != 1:
                raise ValueError(f"merge part {index} must be a fresh CourseState(part={index})")
            state._parts[index] = (part._values.values, base)
            targets = {}
            for key, subject in part._subjects.items():
                target = targets[subject] = state._subject_id(key)
                # The part's record itself, not a copy: a merge costs no memory.
                state._merged.setdefault(target, []).append(part._records[subject])
                state._lines[target] += part._lines[subject]
            state._batch_subjects.extend(targets[subject] for subject in part._batch_subjects)
            state.claim_count += part.claim_count
            state.batch_count += part.batch_count
            base += part.batch_count
        return state

    def __len__(self) -> int:
        return self.claim_count

    @property
    def subject_count(self) -> int:
        return len(self._keys)

    @property
    def stored_bytes(self) -> int:
        merged = sum(len(record) for records in self._merged.values() for record in records)
        return merged + sum(len(record) for record in self._records)

    def add(self, facts: ClaimFacts, batch: bool = True) -> None:
        """Remember ``facts``: a claim of the batch (decided in pass two, in
        ``seq`` order), or with ``batch=False`` one of its history."""
        self.claim_count += 1
        patient = self._patients.setdefault(facts.patient, facts.patient)
        entity = self._entities.setdefault(facts.entity, facts.entity)
        key = (patient, entity)
        subject = self._subject_id(key)
        record = (self._part, *self._encode(facts, key), batch)
        self._records[subject] += pickle.dumps(record, pickle.HIGHEST_PROTOCOL)
        self._lines[subject] += len(facts.lines)
        if batch:
            self.batch_count += 1
            self._batch_subjects.append(subject)

    def _subject_id(self, key: SubjectKey) -> int:
        subject = self._subjects.get(key)
        if subject is None:
            subject = self._subjects[key] = len(self._keys)
            self._keys.append(key)
            self._records.append(bytearray())
            self._lines.append(0)
        return subject

    def add_history(self, facts: Iterable[ClaimFacts]) -> None:
        for claim in facts:
            self.add(claim, batch=False)

    def subject_of(self, facts: ClaimFacts) -> int:
        return self._subjects[(facts.patient, facts.entity)]

    def batch_subject(self, seq: int) -> int:
        """The subject of batch claim ``seq`` (batch claims are added in
        ``seq`` order)."""
        return self._batch_subjects[seq]

    def subject(self, patient: PatientKey, entity: str) -> int:
        """The subject id of ``patient`` + ``entity`` (KeyError when never added)."""
        return self._subjects[(patient, entity)]

    def same_subject(self, seq: int, claim: Claim) -> bool:
        """Whether batch claim ``seq`` was added as a claim of ``claim``'s subject
        (what pass 2 checks each claim it reads again against)."""
        try:
            subject = self.subject(patient_key(claim), claim.billing_npi.strip())
        except KeyError:
            return False
        return 0 <= seq < self.batch_count and self._batch_subjects[seq] == subject

    def last_seq(self, subject: int) -> int:
        """The ``seq`` of ``subject``'s last batch claim (-1: none)."""
        claims = self._batch_subjects
        return max((seq for seq in range(len(claims)) if claims[seq] == subject), default=-1)

    def line_count(self, subject: int) -> int:
        return self._lines[subject]

    def facts(self, subject: int) -> list[ClaimFacts]:
        """The stored facts of ``subject`` (equal to what was added, in order)."""
        return self.facts_and_batch(subject)[0]

    def facts_and_batch(self, subject: int) -> tuple[list[ClaimFacts], dict[int, ClaimFacts]]:
        """The stored facts of ``subject``, and its batch claims' facts by ``seq``."""
        patient, entity = self._keys[subject]
        parts = self._parts
        claims = []
        batch = {}
        for records in (*self._merged.get(subject, ()), self._records[subject]):
            stream = io.BytesIO(records)
            end = len(records)
            while stream.tell() < end:
                part, *record, in_batch = pickle.load(stream)
                values, base = parts[part]
                facts = _decode(tuple(record), patient, entity, values, base)
                claims.append(facts)
                if in_batch:
                    batch[facts.ref.seq] = facts
        return claims, batch

    def _encode(self, facts: ClaimFacts, key: SubjectKey) -> tuple[Any, ...]:
        intern = self._values
        patient, entity = key
        lines = []
        for line in facts.lines:
            if not _same(line.patient, facts.patient, patient) or line.entity != entity:
                raise ValueError("a claim's lines must share its patient and entity")
            if not _same(line.claim, facts.ref, facts.ref) or line.kind is not facts.kind:
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
        ref = facts.ref
        return (
            ref.claim_id,
            intern(ref.source),
            ref.seq,
            _KIND_INDEX[facts.kind],
            intern(facts.frequency_code),
            (span.start.toordinal(), span.end.toordinal()) if span is not None else None,
            tuple(lines),
        )


def _same(value: object, shared: object, expected: object) -> bool:
    """``value == expected``, given ``shared == expected``: a claim's lines
    share its objects, and dataclass ``==`` is a Python-level call."""
    return value is shared or value == expected


def _decode(
    record: tuple[Any, ...], patient: PatientKey, entity: str, values: list[Any], base: int
) -> ClaimFacts:
    claim_id, source, seq, kind_index, frequency, span, lines = record
    ref = ClaimRef(claim_id, values[source], seq + base)
    kind = _KINDS[kind_index]
    fromordinal = dt.date.fromordinal
    facts = tuple(
        LineFact(
            claim=ref,
            lx=lx,
            line_control=control,
            patient=patient,
            entity=entity,
            site=values[site],
            dos=fromordinal(dos) if dos != _NO_DATE else None,
            code=values[code],
            modifiers=values[modifiers],
            units=Decimal(values[units]),
            kind=kind,
            component=_COMPONENTS[flags >> 4],
            setting=_SETTINGS[(flags >> 2) & 3],
            authorized=bool(flags & 2),
            documented=bool(flags & 1),
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
    )
