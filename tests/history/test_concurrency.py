"""Several scrubber processes writing one store at once lose and double nothing."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
from collections.abc import Sequence

import pytest
import sqlalchemy as sa

from scrubber.history import open_store
from scrubber.history import schema as history_schema
from scrubber.history.migrations import LATEST
from scrubber.rules import Engine
from scrubber.rules.radonc.registry import CourseRegistry, RegisteredCourse
from scrubber.testing import ClaimSpec, build_837
from scrubber.testing.oracles import decide_with_history
from scrubber.x12.reader import read_claims
from tests.history.builders import COURSE_START, course_specs, weekly
from tests.history.conftest import TEST_KEY

AS_OF = dt.date(2025, 5, 1)
MEMBERS = [f"MBR{n:04d}" for n in range(1, 7)]
PROCESSES = 4
REGISTRY = CourseRegistry.of(
    [RegisteredCourse(member, "1234567893", "C61", COURSE_START, 15) for member in MEMBERS]
)


def _files() -> list[str]:
    """Weekly files, each holding that week's claims of every member."""
    per_member = [
        weekly(course_specs(m, fractions=15, port_fractions=(1, 3, 7, 14))) for m in MEMBERS
    ]
    files: list[list[ClaimSpec]] = []
    for week in range(max(len(w) for w in per_member)):
        files.append([spec for weeks in per_member if week < len(weeks) for spec in weeks[week]])
    return [build_837(specs) for specs in files]


def _worker(url: str, texts: Sequence[str], seed: int) -> int:
    order = list(texts)
    random.Random(seed).shuffle(order)
    written = 0
    with open_store(url, TEST_KEY) as store:
        for text in order:
            engine = Engine(as_of=AS_OF, registry=REGISTRY)
            _, summary = decide_with_history(engine, list(read_claims(text)), store)
            written += summary.recorded
    return written


def _state(url: str) -> tuple[dict[str, int], list[tuple[object, ...]], set[tuple[str, str]]]:
    """Row counts (but batches), every stored line fact, and (CLM01, digest)."""
    with open_store(url, TEST_KEY) as store:
        counts = {k: v for k, v in store.counts().items() if k != "batches"}
        claims, lines = history_schema.claims, history_schema.lines
        with store._engine.begin() as conn:
            facts = conn.execute(
                sa.select(claims.c.claim_id, lines.c.lx, lines.c.code, lines.c.dos)
                .join(claims, claims.c.id == lines.c.claim_row)
                .order_by(claims.c.claim_id, lines.c.lx)
            )
            digests = conn.execute(sa.select(claims.c.claim_id, claims.c.digest))
            return counts, [tuple(row) for row in facts], {tuple(row) for row in digests}


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_parallel_overlapping_batches_give_exact_counts(
    backend: str, request: pytest.FixtureRequest
) -> None:
    texts = _files()
    url: str = request.getfixturevalue("postgres_url" if backend == "postgresql" else "sqlite_url")
    reference: str = request.getfixturevalue("sqlite_url").replace("history.db", "reference.db")
    _worker(reference, texts, seed=0)  # one process, one file after the other
    _worker(reference, texts, seed=0)  # settle: every decision made with all facts
    expected_counts, expected_facts, expected_digests = _state(reference)
    assert expected_counts["claims"] == len(MEMBERS) * 16  # plan + 15 treatment days
    # No open up front: the processes also race to create and migrate the store.
    # Every process scrubs every file, each in its own order: each file is
    # scrubbed PROCESSES times, concurrently with the others.
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        results = [
            pool.apply_async(_worker, (url, texts, seed)) for seed in range(1, PROCESSES + 1)
        ]
        for result in results:
            result.get(timeout=300)
    counts, facts, _ = _state(url)
    assert counts == expected_counts  # nothing lost, nothing doubled
    with open_store(url, TEST_KEY) as store, store._engine.begin() as conn:
        versions = conn.execute(sa.select(history_schema.schema_migrations.c.version)).all()
    assert len(versions) == LATEST  # migrated once
    assert facts == expected_facts
    # Decisions made before an earlier week had arrived may differ (course
    # numbering starts at the first fraction known); one more pass settles
    # them to exactly the one-process result.
    _worker(url, texts, seed=0)
    assert _state(url) == (expected_counts, expected_facts, expected_digests)
