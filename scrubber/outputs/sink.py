"""The one interface of every output: a :class:`Sink` takes each claim's
:class:`~scrubber.rules.outcome.Outcome` in input order and writes its
output to a :class:`Target`.

A sink is made (by its :data:`SinkFactory`, see :mod:`scrubber.outputs.registry`)
once the input's encoding is known, with the :class:`RunInfo` of the scrub and
its target, then used in one of two ways:

* ``add`` every outcome, then ``close`` once: the whole output (a serial run,
  the Python API), or one shard's part (``RunInfo.part``, in a worker process,
  to a part file); ``close`` returns what the parent needs to join that part
  (picklable: it crosses the process boundary; ``None`` when nothing).
* ``join`` once, in the parent of a sharded run, instead of ``add``/``close``:
  the whole output from the shards' parts, in input order (:class:`Part`).

A sink may also take a whole transaction of plain claims at once (issue 15):
the optional method ``add_plain`` (:class:`PlainSink`), in input order
between the outcomes, instead of ``add`` for each of its claims; it must
write exactly what ``add`` writes for each claim as an accepted outcome with
no finding. A sink without it (a plugin's output kind written before it
existed) only ever gets outcomes: the pipeline asks
:attr:`Fanout.takes_plain <scrubber.outputs.fanout.Fanout.takes_plain>`
and builds the claims when any sink of the run does not take plain
transactions (:func:`takes_plain`). Likewise one claim pass 2 copies as it
came (``add_copied``, :class:`CopySink`; issue 15, goal 2): a plain claim
or one decided accepted with no finding, given as a
:class:`~scrubber.model.CopiedClaim` with no claim model; the sink writes
what ``add`` writes for it as that outcome (:func:`takes_copied`).

The target decides where the text goes (a staged file, memory, a part file);
the sink decides what the text is. A sink opens its target at most once and
never closes it: whoever made the target closes it after ``close``/``join``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol, TypeAlias, TypeGuard

from scrubber.errors import InputWarning
from scrubber.model import CopiedClaim, PlainTransaction
from scrubber.outputs.report import ReportBuilder
from scrubber.pickling import by_fields
from scrubber.rules.outcome import Outcome
from scrubber.x12.source import Encoding


class Target(Protocol):
    """Where one output's text goes."""

    def open(self, codec: str, *, bom: bool = False) -> IO[str]:
        """The output's text stream, encoded with ``codec`` (a byte order
        mark first when ``bom`` and the target holds bytes)."""
        ...

    def drop(self) -> None:
        """The output is not written after all (a cleaned 837 with no claim);
        a file target also removes the file a previous run left."""
        ...

    def beside(self, suffix: str) -> Target:
        """Another target next to this one (for a shard's part: the part file's
        name + ``suffix``, :meth:`Part.beside` in the join), closed with it."""
        ...


@dataclass(frozen=True, slots=True)
class AckSettings:
    """Run-dependent values of the acknowledgment (the 277CA,
    :mod:`scrubber.outputs.ack277`, which re-exports it).

    ``control_start`` is the first ISA13 (and GS06); each further interchange
    or group takes the next number.

    It is defined here, beside :class:`RunInfo` that holds it, rather than in
    ``ack277`` (which imports this module): a dataclass field typed with a
    class imported only under ``TYPE_CHECKING`` crashes a mypyc-compiled
    build at import (the compiled module puts the class, not yet created,
    into the dataclass's ``__annotations__``)."""

    now: dt.datetime
    control_start: int = 1


@dataclass(frozen=True)
class RunInfo:
    """What a sink knows of the scrub when it is made (after pass 1)."""

    name: str  # the input's display name in the report ("-" for standard input)
    profile: str
    as_of: dt.date
    rule_set: str
    encoding: Encoding  # the input's: the X12 outputs are written the same way
    ack: AckSettings  # the 277CA's dates and first control number
    compact_json: bool = False  # the report also as one JSON line (a temporary file)
    part: bool = False  # writing one shard's part, to be joined in the parent
    continued: bool = False  # a part that follows claims of earlier parts


@dataclass(frozen=True)
class RunEnd:
    """What a sink is told at the end: of the whole input (``close``, ``join``)
    or of one shard (a part's ``close``)."""

    trailer: str  # the whitespace after the input's (or shard's) last segment
    warnings: Sequence[InputWarning]  # the reader's
    tally: ReportBuilder  # the summary of every claim (counts, charges, rules)


#: What a worker's sink returned from ``close`` (any picklable value). A named
#: alias of ``object`` because a mypyc-compiled build cannot annotate a
#: dataclass field with ``object`` itself (it looks the name up among the
#: module's globals at import and fails with ``KeyError: 'object'``).
PartDone: TypeAlias = object


@dataclass(frozen=True)
class Part:
    """One shard's part of an output, as the parent joins it."""

    path: Path  # the part file the worker's sink wrote
    done: PartDone  # what the worker's sink returned from ``close``

    def beside(self, suffix: str) -> Path:
        """The file the worker's sink wrote to its target's ``beside(suffix)``."""
        return self.path.with_name(self.path.name + suffix)


class Sink(Protocol):
    """One output of a scrub (see the module docstring). Optional, not part
    of this protocol: ``add_plain`` (:class:`PlainSink`), for whole
    transactions of plain claims, and ``add_copied`` (:class:`CopySink`),
    for claims copied as they came."""

    def add(self, outcome: Outcome) -> None:
        """Take the next claim's outcome (input order)."""
        ...

    def close(self, end: RunEnd) -> object:
        """Finish the output (or the part); return what ``join`` needs of a
        part (picklable), else ``None``."""
        ...

    def join(self, parts: Sequence[Part], end: RunEnd) -> None:
        """Write the whole output from the shards' ``parts``, in order."""
        ...


class PlainSink(Sink, Protocol):
    """A sink that also takes plain transactions (see the module docstring)."""

    def add_plain(self, plain: PlainTransaction) -> None:
        """Take the next claims, a whole transaction of accepted plain claims
        (input order): write what ``add`` writes for each of them given as
        ``Outcome(claim, ClaimDecision(ClaimStatus.ACCEPTED, ()))``."""
        ...


def takes_plain(sink: Sink) -> TypeGuard[PlainSink]:
    """Whether ``sink`` takes plain transactions (has ``add_plain``)."""
    return callable(getattr(sink, "add_plain", None))


class CopySink(Sink, Protocol):
    """A sink that also takes copied claims (see the module docstring)."""

    def add_copied(self, claim: CopiedClaim) -> None:
        """Take the next claim, accepted with no finding and copied as it came
        (input order): write what ``add`` writes for it given as an accepted
        outcome with no finding."""
        ...


def takes_copied(sink: Sink) -> TypeGuard[CopySink]:
    """Whether ``sink`` takes copied claims (has ``add_copied``)."""
    return callable(getattr(sink, "add_copied", None))


#: Makes a kind's sink for one scrub (a class whose ``__init__`` takes these).
SinkFactory = Callable[[RunInfo, Target], Sink]

# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(AckSettings, RunInfo, RunEnd, Part)
