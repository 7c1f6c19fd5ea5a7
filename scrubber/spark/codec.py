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
from types import MappingProxyType
from typing import Any

from scrubber.rules.codecs import Interned, claim_from_record, claim_record
from scrubber.rules.facts import ClaimFacts, PatientKey

#: A claim's facts, encoded (see :func:`encode_facts`).
Encoded = tuple[Any, ...]
_SEQ = 2  # where a claim record keeps the claim's seq (rules/codecs.claim_record)


def encode_facts(facts: ClaimFacts) -> Encoded:
    """``facts`` as nested tuples of plain values (what :func:`decode_facts`
    reads): the patient key and entity, then the claim in the record form of
    :mod:`scrubber.rules.codecs` (the one codec of the facts, so a new field
    cannot be forgotten here) with its own interned values."""
    interned = Interned()
    record = claim_record(facts, interned)
    patient = tuple(facts.patient)
    return patient, facts.entity, record, tuple(interned.values)


def decode_facts(encoded: Encoded, seq: int | None = None) -> ClaimFacts:
    """The facts :func:`encode_facts` encoded (``seq``: another ``ref.seq``)."""
    patient, entity, record, values = encoded
    base = 0 if seq is None else seq - record[_SEQ]
    return claim_from_record(record, PatientKey(*patient), entity, list(values), base)


def read_only(mapping: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(mapping)


def _reduce_proxy(proxy: MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    return read_only, (dict(proxy),)


def picklable_engines() -> None:
    """Let ``pickle`` (and so Spark) carry an :class:`~scrubber.rules.engine.Engine`
    and the course registry: their read-only mappings travel as dicts."""
    copyreg.pickle(MappingProxyType, _reduce_proxy)
