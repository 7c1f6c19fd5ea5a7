"""The process pools and admission control (the server-process side).

Scrubbing is pure-Python CPU work: threads would share one interpreter lock
(see benchmarks/service_pool.py for the measurement), so requests run in a
process pool sized to the cores, each worker set up once
(:func:`scrubber.service.jobs.init_worker`) and spoken to straight from the
event loop (:class:`PipePool`, see :mod:`scrubber.service.pipes`). Admission is a bounded
semaphore of ``workers + queue`` slots: a request that finds none is
answered 503 with ``Retry-After`` at once, so nothing ever queues without
bound. Batches run one at a time in a pool of their own (one process, which
shards a large file over the cores itself), so that a long batch never takes
the slots of quick ``/v1/scrub`` calls.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import sys
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from scrubber.service import jobs
from scrubber.service.pipes import PipeWorker, WorkerLost
from scrubber.service.problems import Problem

T = TypeVar("T")
RETRY_AFTER_SECONDS = 1


def _context() -> Any:
    """forkserver on Linux (the server process has threads: no plain fork)."""
    method = "forkserver" if sys.platform == "linux" else "spawn"
    return multiprocessing.get_context(method)


class Pool:
    """A process pool of ``size`` workers that rebuilds itself when a worker dies."""

    def __init__(self, size: int, settings: jobs.WorkerSettings) -> None:
        self.size = size
        self._settings = settings
        self._executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.size,
            mp_context=_context(),
            initializer=jobs.init_worker,
            initargs=(self._settings,),
        )

    async def warm(self) -> None:
        """Start every worker and wait for its setup (policy, store) to finish."""
        await asyncio.gather(*(self.call(jobs.ping) for _ in range(self.size)))

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in a worker; 503 when the pool broke (it is rebuilt)."""
        loop = asyncio.get_running_loop()
        executor = self._executor
        try:
            return await loop.run_in_executor(executor, function, *args)
        except BrokenProcessPool:
            if executor is self._executor:
                self._executor = self._start()
            raise Problem(
                503,
                "a worker process died; retry",
                "worker-lost",
                {"Retry-After": str(RETRY_AFTER_SECONDS)},
            ) from None

    def close(self, kill: bool = False) -> None:
        """Stop the workers: after their current task, or at once with ``kill``
        (a batch left half done is on disk as running: it is run again at
        the next start)."""
        if kill:
            processes = getattr(self._executor, "_processes", None) or {}
            for process in list(processes.values()):
                process.terminate()
        self._executor.shutdown(wait=True, cancel_futures=True)


class PipePool:
    """``size`` worker processes (:class:`~scrubber.service.pipes.PipeWorker`),
    each running one call at a time; a call waits for an idle one (how many
    may wait is bounded by :class:`Admission`). A worker that dies is
    replaced and its caller answered 503."""

    def __init__(self, size: int, settings: jobs.WorkerSettings) -> None:
        self.size = size
        self._settings = settings
        self._idle: asyncio.Queue[PipeWorker] | None = None
        self._all: list[PipeWorker] = []

    def _queue(self) -> asyncio.Queue[PipeWorker]:
        if self._idle is None:
            self._idle = asyncio.Queue()
            for _ in range(self.size):
                self._idle.put_nowait(self._start())
        return self._idle

    def _start(self) -> PipeWorker:
        worker = PipeWorker(_context(), self._settings)
        self._all.append(worker)
        return worker

    async def warm(self) -> None:
        """Start every worker and wait for its setup (policy, store) to finish."""
        await asyncio.gather(*(self.call(jobs.ping) for _ in range(self.size)))

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        idle = self._queue()
        worker = await idle.get()
        try:
            result: T = await worker.call(function, *args)
        except WorkerLost:
            self._all.remove(worker)
            worker.close()
            worker = self._start()
            raise Problem(
                503, "a worker process died; retry", "worker-lost",
                {"Retry-After": str(RETRY_AFTER_SECONDS)},
            ) from None  # fmt: skip
        finally:
            idle.put_nowait(worker)
        return result

    def close(self, kill: bool = False) -> None:
        for worker in self._all:
            if kill:
                worker.process.terminate()
            worker.close()
        self._all.clear()


class Admission:
    """At most ``capacity`` requests admitted at once; the next gets 503."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.rejected = 0
        self._slots = asyncio.BoundedSemaphore(capacity)
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._slots.locked():
            self.rejected += 1
            raise Problem(
                503,
                "every worker is busy and the queue is full; retry later",
                "saturated",
                {"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        await self._slots.acquire()
        self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1
            self._slots.release()
