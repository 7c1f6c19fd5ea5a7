"""Pass one's state: the facts of a whole batch, compact, grouped by subject.

Every question the rules ask a :class:`~scrubber.rules.context.Context` is
keyed by the line's patient + entity (billing NPI): same-day lines
(patient, entity, DOS), course lines and courses (patient, entity, site),
fractions per day. So the context of a batch is the union of independent
per-subject contexts, and a claim is decided exactly as with one big
context when it is decided against the context built from its own subject's
facts only (``build_context`` is a pure function of its facts).

:class:`CourseState` keeps, per subject, the facts of every claim as one
pickled record of interned small values
(:func:`scrubber.rules.codecs.claim_record`: about 40 bytes a line instead of
the ~300 a :class:`~scrubber.rules.facts.LineFact` with its index entries
costs), never a :class:`~scrubber.model.Claim`.
:func:`scrubber.pipeline.decisions.decide_subjects` rebuilds one subject's facts and
context at a time from it and decides that subject's claims.
"""

from __future__ import annotations

import io
import pickle
from array import array
from collections.abc import Iterable
from typing import Any

from scrubber.model import Claim
from scrubber.rules.codecs import Interned, claim_from_record, claim_record
from scrubber.rules.facts import ClaimFacts, PatientKey, patient_key

SubjectKey = tuple[PatientKey, str]  # patient, entity
#: The subject of a plain batch claim (:meth:`CourseState.add_passed`): none.
PASSED = -1
_ONE_PASSED = array("l", [PASSED])


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
        self.passed_count = 0  # plain batch claims (add_passed)
        self._subjects: dict[SubjectKey, int] = {}
        self._keys: list[SubjectKey] = []
        self._records: list[bytearray] = []  # per subject: the claims added here
        self._merged: dict[int, list[bytearray]] = {}  # per subject: the parts' records
        self._lines: list[int] = []  # lines stored per subject
        self._batch_subjects = array("l")  # subject of each batch claim, by seq
        self._copyable = bytearray()  # 1: pass 2 may copy batch claim seq (see add)
        self._values = Interned()
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
            targets: dict[int, int] = {}
            for key, subject in part._subjects.items():
                target = targets[subject] = state._subject_id(key)
                # The part's record itself, not a copy: a merge costs no memory.
                state._merged.setdefault(target, []).append(part._records[subject])
                state._lines[target] += part._lines[subject]
            targets[PASSED] = PASSED
            state._batch_subjects.extend(targets[subject] for subject in part._batch_subjects)
            state._copyable += part._copyable
            state.claim_count += part.claim_count
            state.batch_count += part.batch_count
            state.passed_count += part.passed_count
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

    def add(self, facts: ClaimFacts, batch: bool = True, copyable: bool = False) -> None:
        """Remember ``facts``: a claim of the batch (decided in pass two, in
        ``seq`` order), or with ``batch=False`` one of its history.
        ``copyable``: pass 2 may copy the batch claim as it came when it is
        decided accepted with no finding (its model built without a warning
        and its CLM02 is the sum of its lines; :meth:`copyable`)."""
        self.claim_count += 1
        patient = self._patients.setdefault(facts.patient, facts.patient)
        entity = self._entities.setdefault(facts.entity, facts.entity)
        key = (patient, entity)
        subject = self._subject_id(key)
        record = (self._part, *claim_record(facts, self._values.intern), batch)
        self._records[subject] += pickle.dumps(record, pickle.HIGHEST_PROTOCOL)
        self._lines[subject] += len(facts.lines)
        if batch:
            self.batch_count += 1
            self._batch_subjects.append(subject)
            self._copyable.append(copyable)

    def add_passed(self, count: int = 1) -> None:
        """Count ``count`` plain batch claims in a row
        (:mod:`scrubber.rules.passthrough`): each has a ``seq`` but no facts
        and no subject (it is decided without them)."""
        self.claim_count += count
        self.batch_count += count
        self.passed_count += count
        self._batch_subjects.extend(_ONE_PASSED * count)
        self._copyable += b"\x01" * count

    def passed(self, seq: int) -> bool:
        """Whether batch claim ``seq`` was added with :meth:`add_passed`."""
        return 0 <= seq < self.batch_count and self._batch_subjects[seq] == PASSED

    def copyable(self, seq: int) -> bool:
        """Whether batch claim ``seq`` was added ``copyable`` (or passed)."""
        return 0 <= seq < self.batch_count and self._copyable[seq] == 1

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
        return self.subject_is(seq, patient_key(claim), claim.billing_npi.strip())

    def subject_is(self, seq: int, patient: PatientKey, entity: str) -> bool:
        """Whether batch claim ``seq`` was added as a claim of ``patient`` + ``entity``."""
        try:
            subject = self.subject(patient, entity)
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
        claims: list[ClaimFacts] = []
        batch = self._read(subject, claims, claims)
        return claims, batch

    def history_and_batch(self, subject: int) -> tuple[list[ClaimFacts], dict[int, ClaimFacts]]:
        """The facts of ``subject``'s history claims, and of its batch claims by ``seq``."""
        history: list[ClaimFacts] = []
        return history, self._read(subject, history, None)

    def _read(
        self, subject: int, history: list[ClaimFacts], batch_too: list[ClaimFacts] | None
    ) -> dict[int, ClaimFacts]:
        """Decode ``subject``'s records: history claims onto ``history``,
        batch claims into the result (and onto ``batch_too``), in stored order."""
        patient, entity = self._keys[subject]
        parts = self._parts
        batch = {}
        for records in (*self._merged.get(subject, ()), self._records[subject]):
            stream = io.BytesIO(records)
            end = len(records)
            while stream.tell() < end:
                part, *record, in_batch = pickle.load(stream)
                values, base = parts[part]
                facts = claim_from_record(record, patient, entity, values, base)
                if in_batch:
                    batch[facts.ref.seq] = facts
                    if batch_too is not None:
                        batch_too.append(facts)
                else:
                    history.append(facts)
        return batch
