"""Properties of the decide step (hypothesis), on 837 text read back.

- Shuffling the claims of a batch never changes any claim's decision.
- Adding an unrelated patient never changes another patient's decisions.
"""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrubber.model import Claim
from scrubber.rules import Engine
from scrubber.testing import LineSpec
from tests.rules.rulekit import Entry, I, P, line, read

START = dt.date(2025, 12, 1)  # DOS straddle the 2025/2026 boundary
AS_OF = dt.date(2026, 1, 20)
CODES = (
    "77385", "77412", "77402", "77373", "77523", "77387", "77014", "76498", "G6002",
    "G6017", "77417", "77280", "77290", "77295", "77301", "77306", "99213",
)  # fmt: skip
MODIFIERS = ((), ("26",), ("TC",), ("XS",), ("59",))

lines = st.builds(
    lambda code, mods, day, units, pointer: line(
        code, START + dt.timedelta(days=day), *mods, units=units, pointers=(pointer,)
    ),
    st.sampled_from(CODES),
    st.sampled_from(MODIFIERS),
    st.integers(0, 60),
    st.sampled_from((1, 1, 1, 2, 3)),
    st.sampled_from((1, 1, 2)),
)

claim_shapes = st.tuples(
    st.sampled_from(("P", "P", "I")),
    st.lists(lines, min_size=1, max_size=6),
    st.sampled_from(("MBR1", "MBR2")),
    st.sampled_from(("1234567893", "1999999992")),
    st.sampled_from(("1", "3", "4")),
    st.booleans(),
)


def entry(number: int, shape: tuple[str, list[LineSpec], str, str, str, bool]) -> Entry:
    kind, specs, member, npi, frequency, authorized = shape
    make = P if kind == "P" else I
    return make(
        f"C{number:03d}",
        *specs,
        member_id=member,
        billing_npi=npi,
        frequency_code=frequency,
        diagnoses=("C61", "C7951"),
        prior_authorization="AUTH" if authorized else "",
    )


batches = st.lists(claim_shapes, min_size=1, max_size=12).map(
    lambda shapes: [entry(n, shape) for n, shape in enumerate(shapes)]
)


def decisions_by_id(claims: list[Claim]) -> dict[str, object]:
    engine = Engine(as_of=AS_OF)
    decisions = engine.decide_batch(claims)
    return {c.patient_control_number: d for c, d in zip(claims, decisions, strict=True)}


PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(batches, st.randoms(use_true_random=False))
def test_shuffling_claims_never_changes_a_decision(batch: list[Entry], rng: random.Random) -> None:
    claims = read(batch)
    shuffled = claims[:]
    rng.shuffle(shuffled)
    assert decisions_by_id(shuffled) == decisions_by_id(claims)


@PROPERTY_SETTINGS
@given(batches, st.lists(claim_shapes, min_size=1, max_size=4))
def test_an_unrelated_patient_never_changes_other_decisions(
    batch: list[Entry], extra: list[tuple[str, list[LineSpec], str, str, str, bool]]
) -> None:
    stranger = [
        entry(100 + n, (kind, specs, "STRANGER", npi, freq, auth))
        for n, (kind, specs, _member, npi, freq, auth) in enumerate(extra)
    ]
    before = decisions_by_id(read(batch))
    after = decisions_by_id(read([*batch, *stranger]))
    assert {k: after[k] for k in before} == before
