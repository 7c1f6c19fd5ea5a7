"""The structure-aware fuzzer, bounded: mutated 837 files through the API,
the command line (``-j 1`` and ``-j 2``), a fresh history store and a
re-scrub of the cleaned output, with every property of
:mod:`scrubber.testing.invariants` checked on each.

Seeds: ``edi_samples/*.x12`` and the small built seeds (always), the public
corpus (read in place; skipped with a reason outside CI when absent, a
failure under CI). Operators: :data:`~scrubber.testing.mutations.SAFE_OPERATORS`;
the ones in ``KNOWN_OPEN`` (crashes being fixed on other branches, issue 16)
run in :func:`test_known_open_operator`, expected to fail until then.

``FUZZ_EXAMPLES=N`` runs N examples per test instead of the bounded few (a
long run; ``benchmarks/fuzz_long.py`` keeps going past failures and prints
every distinct one: see ``tests/fuzz/README.md``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, assume, given, note, settings
from hypothesis import strategies as st

from scrubber.testing.documents import parse_document
from scrubber.testing.invariants import check_input
from scrubber.testing.mutations import (
    FIXED_CRASHES,
    KNOWN_OPEN,
    OPERATORS,
    Mutant,
    SeedDoc,
    built_seeds,
    known_open_shape,
    load_seeds,
    mutants,
)
from tests.corpus import corpus_files, require_corpus, sample_files

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0"))
#: Where failing inputs are saved, to replay with ``scrubber scrub FILE``.
FAILURES = Path(tempfile.gettempdir()) / "scrubber-fuzz-failures"
#: Corpus files above this size (one of 330 kB) would take most of the budget.
MAX_SEED_BYTES = 100_000

SAMPLE_SEEDS = load_seeds(sample_files()) + built_seeds()
CORPUS_SEEDS = load_seeds([p for p in corpus_files() if p.stat().st_size <= MAX_SEED_BYTES])


def _settings(bounded: int) -> settings:
    """Derandomized for CI; no shrinking (a mutant of a 40 kB seed shrinks
    for many minutes): a failure names its seed and operators and saves the
    input (see :func:`_check`)."""
    return settings(
        max_examples=EXAMPLES or bounded,
        deadline=None,
        derandomize=not EXAMPLES,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


def _check(mutant: Mutant, profile: str, known_open: bool = False) -> None:
    """Check ``mutant``; mutants showing a known-open crash shape are left
    out unless ``known_open``. A failing input is saved for replay."""
    if not known_open:
        assume(known_open_shape(mutant.text) is None)
    try:
        check_input(
            mutant.text, profile=profile, **({"cli": False, "history": False} if known_open else {})
        )
    except BaseException:
        FAILURES.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(mutant.text.encode()).hexdigest()[:12]
        path = FAILURES / f"{digest}.x12"
        path.write_text(mutant.text, encoding="utf-8")
        note(f"failing input ({mutant.describe()}, profile {profile}) saved to {path}")
        raise


@_settings(6)
@given(mutants(SAMPLE_SEEDS), st.sampled_from(["clean", "strict"]))
def test_mutated_samples_keep_every_property(mutant: Mutant, profile: str) -> None:
    _check(mutant, profile)


@_settings(10)
@given(st.data(), st.sampled_from(["clean", "strict"]))
def test_mutated_corpus_files_keep_every_property(data: st.DataObject, profile: str) -> None:
    require_corpus()
    mutant = data.draw(mutants(CORPUS_SEEDS))
    _check(mutant, profile)


@pytest.mark.parametrize(
    "seed",
    [seed for seed in SAMPLE_SEEDS if len(seed.document.render()) <= 15_000],
    ids=lambda seed: seed.name,
)
def test_unmutated_seeds_keep_every_property(seed: SeedDoc) -> None:
    """The small seeds themselves pass (the three large samples, 28-42 kB,
    only as mutants, to keep the bounded run short)."""
    check_input(seed.document.render())


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_operator_changes_a_seed(name: str) -> None:
    """Every operator does something to some seed (none is a silent no-op)."""
    from random import Random

    from scrubber.testing.mutations import RandomPicker

    rng = Random(0)
    changed = 0
    for seed in SAMPLE_SEEDS:
        before = seed.document.render()
        result = OPERATORS[name](seed.document, RandomPicker(rng))
        after = result if isinstance(result, str) else result.render()
        changed += after != before
    assert changed, f"{name} changed none of {len(SAMPLE_SEEDS)} seeds"


def test_no_operator_is_known_to_crash() -> None:
    assert not KNOWN_OPEN, "a crash is pending: its shapes are left out of the bounded run"


@pytest.mark.parametrize("name", sorted(FIXED_CRASHES))
def test_fixed_crash_operator(name: str) -> None:
    """Each operator of an issue-16 crash alone, every check (API and CLI):
    a regression test for those fixes."""

    @settings(
        max_examples=EXAMPLES or 5,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(mutants(SAMPLE_SEEDS, [name], max_operations=1), st.sampled_from(["clean", "strict"]))
    def run(mutant: Mutant, profile: str) -> None:
        _check(mutant, profile)

    run()


def test_documents_count_claims_like_the_reader() -> None:
    """The fuzzer's independent segment splitter agrees with the committed
    samples' claim counts (its partition check relies on it)."""
    from scrubber import scrub

    for path in sample_files():
        document = parse_document(path.read_text(encoding="utf-8"))
        assert document is not None
        result = scrub(path, as_of="2026-11-26")
        assert document.count("CLM") == result.report["summary"]["claims"] > 0


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_operator_handles_a_document_with_no_body(name: str) -> None:
    """An operator applied after others deleted everything but the ISA (or
    everything) returns a document or text, never raises."""
    from dataclasses import replace
    from random import Random

    from scrubber.testing.mutations import RandomPicker

    seed = SAMPLE_SEEDS[0].document
    for segments in (seed.segments[:1], ()):
        result = OPERATORS[name](replace(seed, segments=segments), RandomPicker(Random(0)))
        assert isinstance(result, str) or len(result.segments) <= len(segments) + 3
