"""``scrubber scrub`` with the worklist page's render timed alone.

    python benchmarks/time_render.py scrub FILE -o OUT -j 1 --quiet --html

Runs the CLI in this process with :func:`scrubber.outputs.html.render_page`
wrapped, and prints the CPU and wall seconds of each page rendered (``-j 1``:
with shards the render still runs here, in the parent, at the join).
"""

from __future__ import annotations

import sys
import time
from typing import Any

import scrubber.outputs.html as html
from scrubber.cli.main import main

_real = vars(html)["render_page"]  # the name html.py calls, replaced below
_spent: list[tuple[float, float]] = []


def _timed(*args: Any, **kwargs: Any) -> Any:
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        return _real(*args, **kwargs)
    finally:
        _spent.append((time.process_time() - cpu, time.perf_counter() - wall))


def run(argv: list[str]) -> int:
    vars(html)["render_page"] = _timed
    code = main(argv)
    for cpu, wall in _spent:
        print(f"render_page: {cpu:.1f} s CPU, {wall:.1f} s wall", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
