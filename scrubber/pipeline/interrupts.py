"""Stopping cleanly on Ctrl-C (SIGINT) and SIGTERM, worker processes included.

The command line turns SIGTERM into :class:`Terminated` (SIGINT is already
``KeyboardInterrupt``), so that every ``with`` block on the way out runs: an
:class:`~scrubber.outputs.atomic.OutputSet` deletes its temporary files, a
shard work directory is removed. Pool workers (forked) ignore SIGINT (a Ctrl-C
reaches the whole process group; the parent decides) and, on SIGTERM, raise
:class:`Terminated` while running a task (its ``with`` blocks clean up) or
exit quietly while idle. On an interrupt the parent stops its workers with
:func:`stop_workers`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # (imported where a pool starts: a serial run never needs it)
    from concurrent.futures import ProcessPoolExecutor

_T = TypeVar("_T")
_busy = False  # in a pool worker: a task is running


class Terminated(BaseException):
    """SIGTERM arrived: stop, cleaning up like for Ctrl-C."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` in the main thread
    (elsewhere, or where signals cannot be set, nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def init_worker() -> None:
    """Initializer of pool worker processes (see the module docstring)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_sigterm)


def _worker_sigterm(signum: int, frame: FrameType | None) -> None:
    if _busy:
        raise Terminated(signum)
    os._exit(128 + signum)  # idle: nothing to clean up


def run_task(work: Callable[..., _T], *args: object) -> _T:
    """Run ``work(*args)`` in a pool worker, marked busy (see :func:`init_worker`)."""
    global _busy
    _busy = True
    try:
        return work(*args)
    finally:
        _busy = False


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and send SIGTERM to the pool's workers (a
    busy one cleans up and stops), then wait for them to exit."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(OSError, AttributeError):
            process.terminate()
    for process in processes:
        process.join()
