"""Where a serial scrub's time goes: pass 1, deciding, pass 2 (and its outputs).

    python benchmarks/phases.py benchmarks/data/realistic2-PI-10000.x12 [--as-of 2026-11-26]

Runs ``scrubber scrub FILE -j 1 --quiet`` in this process with the pipeline's
three phases wrapped in timers (wall clock, ``time.perf_counter``):

* ``pass1``: :func:`scrubber.pipeline.passes.read_facts` (read, claim models,
  facts);
* ``decide``: :func:`scrubber.pipeline.passes.decide_subjects`;
* ``pass2``: :func:`scrubber.pipeline.passes.write_claims` (read again and
  write), of which ``outputs`` is the time in the fan-out's ``add``,
  ``add_copied`` and ``add_plain`` (every output of every claim).

The machine is shared and noisy: compare two checkouts in alternating runs
(``PYTHONPATH=<checkout> python benchmarks/phases.py ...``), never one run
against a figure written down earlier.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from typing import Any

import scrubber.pipeline.passes as passes
from scrubber.cli.main import main
from scrubber.outputs.fanout import Fanout

Timed = dict[str, float]


def _timed(times: Timed, key: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            times[key] = times.get(key, 0.0) + time.perf_counter() - start

    return wrapper


def measure(path: str, as_of: str | None) -> Timed:
    """The phases of one serial scrub of ``path`` (seconds)."""
    times: Timed = {}
    for name, key in (
        ("read_facts", "pass1"),
        ("decide_subjects", "decide"),
        ("write_claims", "pass2"),
    ):
        setattr(passes, name, _timed(times, key, getattr(passes, name)))
    for name in ("add", "add_copied", "add_plain"):  # (an older checkout lacks some)
        if hasattr(Fanout, name):
            setattr(Fanout, name, _timed(times, "outputs", getattr(Fanout, name)))
    with tempfile.TemporaryDirectory() as out:
        argv = ["scrub", path, "-o", out, "-j", "1", "--quiet", "--exit-zero"]
        start = time.perf_counter()
        main([*argv, *(["--as-of", as_of] if as_of else [])])
        times["total"] = time.perf_counter() - start
    return times


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--as-of")
    args = parser.parse_args()
    times = measure(args.path, args.as_of)
    print("  ".join(f"{key} {value:.2f} s" for key, value in times.items()))


if __name__ == "__main__":
    run()
