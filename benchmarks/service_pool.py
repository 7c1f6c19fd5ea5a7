"""Threads or processes for the service's scrub pool? Measured, same work both ways.

    python benchmarks/service_pool.py [--workers 2] [--requests 60]

Scrubs the 38-claim ``edi_samples/837p_freestanding_pos11.x12`` ``--requests``
times through a ``ThreadPoolExecutor`` and through a ``ProcessPoolExecutor``
of ``--workers`` each (engines built once per thread / process, as the
service does) and prints claims/s of each and of one thread alone, and the
cores each kept busy (CPU seconds of this process and its children over wall
seconds). Scrubbing is pure-Python CPU work, so threads share one interpreter
lock: they cannot keep more than one core busy, while processes keep up to
``--workers``. On a machine loaded by other work the claims/s say little
(the share of the cores others leave decides them); the cores kept busy
still show the lock.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from service_load import tree_cpu_seconds

from scrubber.api import make_engine, scrub_with_engine
from scrubber.rules.engine import Engine

SAMPLE = Path(__file__).resolve().parents[1] / "edi_samples" / "837p_freestanding_pos11.x12"
CLAIMS = 38
_local = threading.local()


def _scrub(body: bytes) -> int:
    engine: Engine | None = getattr(_local, "engine", None)
    if engine is None:
        engine = _local.engine = make_engine("clean", "2026-11-26", None, None)
    return int(scrub_with_engine(body, engine).report["summary"]["claims"])


def _rate(
    make: Callable[[], Executor], workers: int, requests: int, body: bytes
) -> dict[str, float]:
    with make() as pool:
        list(pool.map(_scrub, [body] * workers * 2))  # start and warm every worker
        cpu = tree_cpu_seconds(os.getpid())
        started = time.perf_counter()
        claims = sum(pool.map(_scrub, [body] * requests))
        wall = time.perf_counter() - started
        busy = (tree_cpu_seconds(os.getpid()) - cpu) / wall
    return {"claims_per_s": round(claims / wall, 1), "cores_busy": round(busy, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args(argv)
    body = SAMPLE.read_bytes()
    workers, requests = args.workers, args.requests
    figures = {
        "one_thread": _rate(lambda: ThreadPoolExecutor(1), 1, requests, body),
        "threads": _rate(lambda: ThreadPoolExecutor(workers), workers, requests, body),
        "processes": _rate(lambda: ProcessPoolExecutor(workers), workers, requests, body),
    }
    print(json.dumps({"workers": workers, "load_average": os.getloadavg(), **figures}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
