"""What crosses the Spark shuffle: a claim's facts as a small tuple of plain
values (no class of ours: any worker unpickles it), keyed by the keyed hash
of its subject (:meth:`scrubber.history.keys.HistoryKey.subject`, an HMAC):
never by a clear member id or name. The values themselves still hold the
patient key (the rules compare it), which is why the runner encrypts the
shuffle files and the network (:mod:`scrubber.spark.runner`).

Also makes the engine picklable for Spark: its tables are read-only
``MappingProxyType`` s, pickled here as the dicts they wrap.
"""

from __future__ import annotations

import copyreg
import datetime as dt
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from scrubber.model import ClaimKind, DateRange
from scrubber.rules.facts import ClaimFacts, ClaimRef, Component, LineFact, PatientKey, Setting

_KINDS = tuple(ClaimKind)
_COMPONENTS = tuple(Component)
_SETTINGS = tuple(Setting)
_KIND_INDEX = {kind: index for index, kind in enumerate(_KINDS)}
_COMPONENT_INDEX = {value: index for index, value in enumerate(_COMPONENTS)}
_SETTING_INDEX = {value: index for index, value in enumerate(_SETTINGS)}

#: A claim's facts, encoded (see :func:`encode_facts`).
Encoded = tuple[Any, ...]


def encode_facts(facts: ClaimFacts) -> Encoded:
    """``facts`` as nested tuples of str/int (what :func:`decode_facts` reads)."""
    patient = facts.patient
    dob = patient.birth_date.toordinal() if patient.birth_date is not None else 0
    span = facts.closing_span
    return (
        (patient.payer_id, patient.member_id, patient.last_name, patient.first_name, dob),
        facts.entity,
        facts.ref.claim_id,
        facts.ref.source,
        facts.ref.seq,
        _KIND_INDEX[facts.kind],
        facts.frequency_code,
        (span.start.toordinal(), span.end.toordinal()) if span is not None else None,
        tuple(
            (
                line.lx,
                line.line_control,
                line.site,
                line.dos.toordinal() if line.dos is not None else 0,
                line.code,
                line.modifiers,
                str(line.units),
                _COMPONENT_INDEX[line.component] * 16
                + _SETTING_INDEX[line.setting] * 4
                + line.authorized * 2
                + line.documented,
            )
            for line in facts.lines
        ),
    )


def decode_facts(record: Encoded, seq: int | None = None) -> ClaimFacts:
    """The facts :func:`encode_facts` encoded (``seq``: another ``ref.seq``)."""
    patient_t, entity, claim_id, source, own_seq, kind_index, frequency, span, lines = record
    payer, member, last, first, dob = patient_t
    patient = PatientKey(payer, member, last, first, dt.date.fromordinal(dob) if dob else None)
    ref = ClaimRef(claim_id, source, own_seq if seq is None else seq)
    kind = _KINDS[kind_index]
    day = dt.date.fromordinal
    return ClaimFacts(
        ref=ref,
        kind=kind,
        patient=patient,
        entity=entity,
        frequency_code=frequency,
        lines=tuple(
            LineFact(
                claim=ref,
                lx=lx,
                line_control=control,
                patient=patient,
                entity=entity,
                site=site,
                dos=day(dos) if dos else None,
                code=code,
                modifiers=modifiers,
                units=Decimal(units),
                kind=kind,
                component=_COMPONENTS[flags >> 4],
                setting=_SETTINGS[(flags >> 2) & 3],
                authorized=bool(flags & 2),
                documented=bool(flags & 1),
            )
            for lx, control, site, dos, code, modifiers, units, flags in lines
        ),
        closing_span=DateRange(day(span[0]), day(span[1])) if span is not None else None,
    )


def read_only(mapping: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(mapping)


def _reduce_proxy(proxy: MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    return read_only, (dict(proxy),)


def picklable_engines() -> None:
    """Let ``pickle`` (and so Spark) carry an :class:`~scrubber.rules.engine.Engine`
    and the course registry: their read-only mappings travel as dicts."""
    copyreg.pickle(MappingProxyType, _reduce_proxy)
