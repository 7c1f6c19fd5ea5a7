"""The claim model, the bottom layer: plain frozen data, no I/O.

A :class:`Claim` carries every field the rules need, already typed (money as
``Decimal``, dates as ``datetime.date``), plus the raw :class:`Segment` objects
it was read from, so that a writer can reproduce an untouched claim
byte-for-byte and rebuild a changed one.

Envelope and hierarchy objects (:class:`Interchange`, :class:`Group`,
:class:`Transaction`, :class:`HierarchyLevel`) are shared by identity between
the claims read from the same envelope or HL loop: two claims are in the same
transaction exactly when ``a.transaction is b.transaction``.

One concept a file: :mod:`.segment` (Segment, Delimiters), :mod:`.kind`
(ClaimKind), :mod:`.envelopes` (Interchange, Group, Transaction),
:mod:`.parts` (DateRange, HierarchyLevel, Person, Diagnosis, Attachment),
:mod:`.claim` (ServiceLine, Claim) and :mod:`.plain` (the fast path's
PlainClaim, CopiedClaim, PlainTransaction). Import them from here:
``from scrubber.model import Claim``.
"""

from __future__ import annotations

from scrubber.model.claim import Claim, ServiceLine
from scrubber.model.envelopes import Group, Interchange, Transaction
from scrubber.model.kind import ClaimKind
from scrubber.model.parts import Attachment, DateRange, Diagnosis, HierarchyLevel, Person
from scrubber.model.plain import CopiedClaim, PlainClaim, PlainTransaction
from scrubber.model.segment import Delimiters, Segment

__all__ = [
    "Attachment",
    "Claim",
    "ClaimKind",
    "CopiedClaim",
    "DateRange",
    "Delimiters",
    "Diagnosis",
    "Group",
    "HierarchyLevel",
    "Interchange",
    "Person",
    "PlainClaim",
    "PlainTransaction",
    "Segment",
    "ServiceLine",
    "Transaction",
]
