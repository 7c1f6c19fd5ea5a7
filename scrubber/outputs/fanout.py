"""The one fan-out: each claim's outcome to every sink of a scrub, and the
run's tally (:class:`~scrubber.outputs.report.ReportBuilder`: the summary
the exit status, the logs and the report need), kept once here.

The serial pipeline, the shard workers (each writing its parts) and, through
the pipeline, the Python API all write through a :class:`Fanout`; the parent
of a sharded run makes the same sinks and joins the parts (:func:`join`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scrubber.errors import InputWarning
from scrubber.model import CopiedClaim, PlainTransaction
from scrubber.outputs.ack277 import AckSettings
from scrubber.outputs.registry import OutputKind
from scrubber.outputs.report import ReportBuilder
from scrubber.outputs.sink import (
    Part,
    RunEnd,
    RunInfo,
    Sink,
    Target,
    takes_copied,
    takes_plain,
)
from scrubber.pickling import by_fields
from scrubber.rules.outcome import Outcome


@dataclass(frozen=True)
class Outputs:
    """The outputs of one scrub: which kinds (:func:`~scrubber.outputs.registry.kinds`),
    the target of each (by name), and the options of the :class:`RunInfo`
    the sinks are made with."""

    kinds: Sequence[OutputKind]
    targets: Mapping[str, Target]
    ack: AckSettings
    compact_json: bool = False


def make_sinks(
    kinds: Sequence[OutputKind], run: RunInfo, targets: Mapping[str, Target]
) -> dict[str, Sink]:
    """One sink of each kind, writing to the target of its name."""
    return {kind.name: kind.sink_factory()(run, targets[kind.name]) for kind in kinds}


class Fanout:
    """Hands every outcome to every sink, in input order, and tallies it."""

    def __init__(self, sinks: Mapping[str, Sink]) -> None:
        self.sinks = dict(sinks)
        self.tally = ReportBuilder()
        self._adds = [sink.add for sink in self.sinks.values()]
        self._plain_adds = [sink.add_plain for sink in self.sinks.values() if takes_plain(sink)]
        self.takes_plain = len(self._plain_adds) == len(self.sinks)
        """Whether every sink takes plain transactions (:meth:`add_plain`);
        when not, the caller hands each plain claim's outcome to :meth:`add`."""
        self._copied_adds = [s.add_copied for s in self.sinks.values() if takes_copied(s)]
        self.takes_copied = len(self._copied_adds) == len(self.sinks)
        """Whether every sink takes copied claims (:meth:`add_copied`); when
        not, pass 2 builds every claim and hands its outcome to :meth:`add`."""

    @classmethod
    def of(cls, kinds: Sequence[OutputKind], run: RunInfo, targets: Mapping[str, Target]) -> Fanout:
        return cls(make_sinks(kinds, run, targets))

    def add(self, outcome: Outcome) -> None:
        self.tally.count(outcome)
        for add in self._adds:
            add(outcome)

    def add_plain(self, plain: PlainTransaction) -> None:
        """Hand a whole transaction of plain claims to every sink and tally
        its claims: the same outputs and tally as :meth:`add` of each claim
        accepted with no finding. Only when :attr:`takes_plain`."""
        if not self.takes_plain:
            raise TypeError("a sink of this run takes no plain transactions (see takes_plain)")
        self.tally.count_accepted(plain.claims)
        for add_plain in self._plain_adds:
            add_plain(plain)

    def add_copied(self, claim: CopiedClaim) -> None:
        """Hand a claim copied as it came to every sink and tally it: the same
        outputs and tally as :meth:`add` of it accepted with no finding.
        Only when :attr:`takes_copied`."""
        if not self.takes_copied:
            raise TypeError("a sink of this run takes no copied claims (see takes_copied)")
        self.tally.count_accepted((claim.plain,))
        for add_copied in self._copied_adds:
            add_copied(claim)

    def close(self, trailer: str, warnings: Sequence[InputWarning]) -> dict[str, object]:
        """Close every sink (in registration order); what each returned, by name."""
        end = RunEnd(trailer, warnings, self.tally)
        return {name: sink.close(end) for name, sink in self.sinks.items()}


def join(
    kinds: Sequence[OutputKind],
    run: RunInfo,
    targets: Mapping[str, Target],
    parts: Sequence[Mapping[str, Part]],
    end: RunEnd,
) -> dict[str, Sink]:
    """In the parent of a sharded run: each kind's whole output from the
    shards' ``parts`` (one mapping of kind name -> part per shard, in input
    order); the sinks, joined."""
    sinks = make_sinks(kinds, run, targets)
    for name, sink in sinks.items():
        sink.join([shard[name] for shard in parts], end)
    return sinks


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(Outputs)
