"""Where the test inputs are: the committed samples and the public corpus.

``corpus_dir()`` locates the public EDI corpus (``../shared/edi_corpus``
next to the checkout). Tests that need it call :func:`require_corpus` (or
use the ``corpus_dir`` fixture): outside the project workspace they skip
with a reason, but when the ``CI`` environment variable is set a missing
corpus is a failure, never a silent skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES_DIR = ROOT / "edi_samples"
CORPUS_DIR = (ROOT / ".." / "shared" / "edi_corpus").resolve()


def require_corpus() -> Path:
    """The corpus directory; skip (or fail under CI) when it is absent."""
    if CORPUS_DIR.is_dir() and any(CORPUS_DIR.iterdir()):
        return CORPUS_DIR
    reason = f"EDI corpus not found at {CORPUS_DIR} (expected ../shared/edi_corpus)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI is set, so corpus tests must run", pytrace=False)
    pytest.skip(reason)


def corpus_files() -> list[Path]:
    """Every corpus data file (recursively, SOURCES.md excluded); [] when absent.

    For parametrization at collection time: pair it with :func:`require_corpus`
    in the test (an empty list gives one placeholder case that calls it).
    """
    if not CORPUS_DIR.is_dir():
        return []
    return sorted(p for p in CORPUS_DIR.rglob("*") if p.is_file() and p.name != "SOURCES.md")


def sample_files() -> list[Path]:
    """The committed edi_samples/*.x12 files."""
    return sorted(SAMPLES_DIR.glob("*.x12"))


def corpus_params() -> list[object]:
    """``pytest.param`` per corpus file (id: path inside the corpus).

    When the corpus is absent there is one placeholder case (``None``): the
    test must call :func:`require_corpus` first, which skips it, or fails
    it under CI.
    """
    files = corpus_files()
    if not files:
        return [pytest.param(None, id="corpus-missing")]
    return [pytest.param(p, id=str(p.relative_to(CORPUS_DIR))) for p in files]
