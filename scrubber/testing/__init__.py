"""Helpers for testing with the scrubber: sample 837 builders
(:mod:`scrubber.testing.samples`) and the in-memory reference decider the
streaming pipeline is checked against with a history store
(:mod:`scrubber.testing.oracles`).

Pipelines that call the scrubber can use the builders to test their own
integration without hand-writing EDI.
"""

from scrubber.testing.samples import (
    ClaimSpec,
    EnvelopeSpec,
    GroupSpec,
    LineSpec,
    PatientSpec,
    build_837,
    build_interchange,
    weekdays,
)

__all__ = [
    "ClaimSpec",
    "EnvelopeSpec",
    "GroupSpec",
    "LineSpec",
    "PatientSpec",
    "build_837",
    "build_interchange",
    "weekdays",
]
