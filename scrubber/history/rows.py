"""Rows <-> facts: what a claim, line, subject or course becomes in the
store's tables, and back (a line's own columns are
:func:`scrubber.rules.codecs.line_row`'s).

Identifiers go in only as keyed hashes (:class:`HistoryKey`). Coming back,
a hash becomes the batch's clear value when the batch names it
(:class:`ClearKeys`), else a pseudonym (``#`` + digest), which the rules only
ever compare for equality. No SQL is executed here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from scrubber.history.keys import HistoryKey
from scrubber.history.records import (
    AMOUNTS_NOT_KEPT,
    HISTORY_SOURCE,
    PSEUDONYM_PREFIX,
    BatchClaim,
    BatchKey,
    LineOutcome,
    StoredClaim,
    StoredLine,
    line_outcome,
)
from scrubber.model import ClaimKind, DateRange
from scrubber.rules.codecs import line_from_row, line_row, rule_actions
from scrubber.rules.facts import UNBILLED_SOURCE, ClaimFacts, ClaimRef, PatientKey
from scrubber.rules.findings import ClaimDecision, ClaimStatus
from scrubber.rules.radonc.registry import CourseRegistry, RegisteredCourse


@dataclass(frozen=True, slots=True)
class ClearKeys:
    """How to turn stored hashes back into rule keys: the patient of each
    subject id, and clear sites by site hash (others become pseudonyms)."""

    patients: Mapping[int, PatientKey]
    sites: Mapping[str, str]

    def site(self, site_hash: str) -> str:
        return self.sites.get(site_hash) or pseudonym(site_hash)


# ------------------------------------------------------------------ facts -> rows


def subject_values(key: HistoryKey, patient: PatientKey, entity: str) -> dict[str, Any]:
    """The ``subjects`` row of ``patient`` + ``entity``."""
    return {
        "subject_hash": key.subject(patient, entity),
        "patient_hash": key.patient(patient),
        "payer_id": patient.payer_id,
        "member_hash": key.member(patient.member_id),
        "person_hash": key.person(patient),
        "entity": entity,
    }


def claim_values(
    subject_id: int, claim: BatchClaim, decision: ClaimDecision, digest: str
) -> dict[str, Any]:
    """The ``claims`` row of ``claim`` (without its batch columns)."""
    facts = claim.facts
    span = facts.closing_span
    return {
        "subject_id": subject_id,
        "claim_id": facts.ref.claim_id,
        "payer_claim_number": claim.payer_claim_number,
        "kind": facts.kind.value,
        "frequency_code": facts.frequency_code,
        "closing_start": span.start if span else None,
        "closing_end": span.end if span else None,
        "status": decision.status.value,
        "digest": digest,
    }


def line_values(
    key: HistoryKey, facts: ClaimFacts, decision: ClaimDecision
) -> list[dict[str, Any]]:
    """The ``lines`` rows of ``facts`` (without ``claim_row``), with what
    ``decision`` did to each line."""
    findings = rule_actions(decision.findings)
    marker = [AMOUNTS_NOT_KEPT] if facts.charge_defects is not None else []
    return [
        {
            **line_row(fact, key.site),
            "outcome": line_outcome(fact.lx, decision).value,
            "findings": json.dumps(sorted([*findings.get(fact.lx, ()), *marker])),
        }
        for fact in facts.lines
    ]


def claim_digest(
    key: HistoryKey, claim: BatchClaim, decision: ClaimDecision, lines: list[dict[str, Any]]
) -> str:
    """Keyed hash of everything ``claim`` contributes to the store (``lines``
    as :func:`line_values` gives them): equal digests, nothing to rewrite."""
    facts = claim.facts
    span = facts.closing_span
    canonical = json.dumps(
        [
            facts.kind.value,
            facts.frequency_code,
            claim.payer_claim_number,
            str(span) if span else "",
            decision.status.value,
            [{k: str(v) for k, v in sorted(row.items())} for row in lines],
        ],
        sort_keys=True,
    )
    return key.digest("claim", facts.ref.claim_id, canonical)


def registry_values(key: HistoryKey, course: RegisteredCourse) -> dict[str, Any]:
    """The ``registry`` row of ``course``."""
    return {
        "member_hash": key.member(course.member_id),
        "entity": course.billing_npi,
        "site_hash": key.site(course.site),
        "first_dos": course.first_dos,
        "planned_fractions": course.planned_fractions,
    }


def site_names(
    key: HistoryKey, claims: Iterable[BatchKey], registry: CourseRegistry
) -> dict[str, str]:
    """Clear site codes named by ``claims`` and ``registry``, by site hash."""
    names: dict[str, str] = {}
    for site in {site for claim in claims for site in claim.sites}:
        names[key.site(site)] = site
    for courses in registry.by_key.values():
        for course in courses:
            names[key.site(course.site)] = course.site
    return names


# ------------------------------------------------------------------ rows -> facts


def stored_claim(row: Any, line_rows: list[Any], keys: ClearKeys) -> StoredClaim:
    """A ``claims`` row (joined with its subject's ``entity``) and its
    ``lines`` rows, as a :class:`StoredClaim` (``ref.seq`` is the row id)."""
    rejected = ClaimStatus(row.status) is ClaimStatus.REJECTED
    ref = ClaimRef(row.claim_id, UNBILLED_SOURCE if rejected else HISTORY_SOURCE, int(row.id))
    stored_lines = tuple(stored_line(line, row, ref, keys) for line in line_rows)
    span = (
        DateRange(row.closing_start, row.closing_end)
        if row.closing_start is not None and row.closing_end is not None
        else None
    )
    facts = ClaimFacts(
        ref=ref,
        kind=ClaimKind(row.kind),
        patient=keys.patients[row.subject_id],
        entity=row.entity,
        frequency_code=row.frequency_code,
        lines=tuple(line.fact for line in stored_lines),
        closing_span=span,
    )
    return StoredClaim(
        facts=facts,
        status=ClaimStatus(row.status),
        payer_claim_number=row.payer_claim_number,
        lines=stored_lines,
        batch_id=int(row.batch_id),
        subject_id=int(row.subject_id),
        digest=row.digest,
    )


def stored_line(line: Any, claim_row: Any, ref: ClaimRef, keys: ClearKeys) -> StoredLine:
    """A ``lines`` row of ``claim_row`` as a :class:`StoredLine`."""
    fact = line_from_row(
        line,
        ref,
        keys.patients[claim_row.subject_id],
        claim_row.entity,
        ClaimKind(claim_row.kind),
        keys.site(line.site_hash),
    )
    return StoredLine(
        fact=fact,
        outcome=LineOutcome(line.outcome),
        findings=tuple((rule, action) for rule, action in json.loads(line.findings)),
    )


def registered_course(row: Any, member_id: str, site: str) -> RegisteredCourse:
    """A ``registry`` row as a course of ``member_id`` at ``site``."""
    return RegisteredCourse(
        member_id=member_id,
        billing_npi=row.entity,
        site=site,
        first_dos=row.first_dos,
        planned_fractions=row.planned_fractions,
    )


def registry_key(course: RegisteredCourse) -> tuple[str, str, str, dt.date]:
    """What makes a course row unique (the registry table's unique key)."""
    return (course.member_id, course.billing_npi, course.site, course.first_dos)


def pseudonymous_patient(row: Any) -> PatientKey:
    """The patient of a ``subjects`` row, with hashes for names."""
    return PatientKey(
        payer_id=row.payer_id,
        member_id=PSEUDONYM_PREFIX + row.member_hash,
        last_name=PSEUDONYM_PREFIX + row.person_hash if row.person_hash else "",
    )


def pseudonym(site_hash: str) -> str:
    """The stand-in for a site the caller cannot name in clear."""
    return PSEUDONYM_PREFIX + site_hash if site_hash else ""
