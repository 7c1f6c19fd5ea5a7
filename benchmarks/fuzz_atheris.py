"""Coverage-guided fuzzing of the reader and the scrub with atheris (libFuzzer).

    pip install atheris            # not a project dependency: a wheel for CPython 3.11 on
                                   # x86-64 Linux exists; elsewhere it builds with clang
    python benchmarks/fuzz_atheris.py [--scrub] [-- libFuzzer options, e.g. -max_total_time=600]

Seeds: ``edi_samples/*.x12`` and the public corpus (``../shared/edi_corpus``),
copied into a temporary libFuzzer corpus directory (new inputs go there
too; nothing is written into the repository). Target: the bytes are read
with :func:`scrubber.x12.reader.read_claims` (or, with ``--scrub``, scrubbed
with :func:`scrubber.scrub`); an :class:`~scrubber.errors.X12InputError` is
the expected refusal, any other exception a crash, unless the input shows a
crash still open on another branch (:func:`known_open_shape`): those are
skipped (each shape named once) so the run goes on to find new ones. libFuzzer stops at
the first new crash and writes it to ``crash-*``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

import atheris  # type: ignore[import-not-found, import-untyped, unused-ignore]

with atheris.instrument_imports():
    from scrubber import scrub
    from scrubber.errors import X12InputError
    from scrubber.x12.reader import read_claims

from scrubber.testing.mutations import known_open_shape

ROOT = Path(__file__).resolve().parents[1]
CORPUS = (ROOT / ".." / "shared" / "edi_corpus").resolve()
SKIPPED: Counter[str] = Counter()
SCRUB = "--scrub" in sys.argv


def target(data: bytes) -> None:
    try:
        if SCRUB:
            scrub(data, as_of="2026-11-26")
        else:
            for _ in read_claims(data):
                pass
    except X12InputError:
        return
    except Exception:
        shape = known_open_shape(data.decode("utf-8", errors="replace"))
        if shape is None:
            raise
        if not SKIPPED[shape]:
            print(f"skipping inputs with a known open crash: {shape}", file=sys.stderr)
        SKIPPED[shape] += 1


def seed_directory() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="scrubber-atheris-"))
    paths = list((ROOT / "edi_samples").glob("*.x12"))
    if CORPUS.is_dir():
        paths += [p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".md"]
    for number, path in enumerate(sorted(paths)):
        shutil.copyfile(path, directory / f"seed-{number:03d}")
    return directory


def main() -> None:
    args = [arg for arg in sys.argv if arg not in ("--scrub", "--")]
    corpus = seed_directory()
    atheris.Setup([*args, str(corpus)], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
