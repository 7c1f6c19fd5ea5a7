"""A worker's claims and their decisions, in a file, for a history store.

With a store, the processes that write a shard's or a unit's outputs do not
record anything: each writes the (claim, decision) pairs of its part to a
file (:class:`DecidedFile`), and the parent hands them to the store in batch
order (:func:`recorded`). Used by :mod:`scrubber.pipeline.shards` and
:mod:`scrubber.pipeline.batch`.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from scrubber.rules.findings import ClaimDecision

if TYPE_CHECKING:
    from scrubber.history.records import BatchClaim


class DecidedFile:
    """Each claim of a part and its decision (pickled) in the file ``path``,
    when ``wanted`` (a store records the batch); else nothing."""

    def __init__(self, path: Path, wanted: bool) -> None:
        self.stream = open(path, "wb") if wanted else None  # noqa: SIM115

    def record(self, claim: BatchClaim, decision: ClaimDecision) -> None:
        assert self.stream is not None
        pickle.dump((claim, decision), self.stream, pickle.HIGHEST_PROTOCOL)

    def __enter__(self) -> DecidedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.stream is not None:
            self.stream.close()


def recorded(path: Path) -> Iterator[tuple[BatchClaim, ClaimDecision]]:
    """The (claim, decision) pairs a :class:`DecidedFile` wrote to ``path``, in order."""
    with open(path, "rb") as stream:
        while True:
            try:
                yield pickle.load(stream)
            except EOFError:
                return
