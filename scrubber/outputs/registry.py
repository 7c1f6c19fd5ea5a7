"""The kinds of output a scrub writes, in ONE place: name -> file suffix ->
sink factory. The pipeline, the shard join, ``scrub_to_files`` and the Python
API make, close, join and commit whatever :func:`kinds` lists; only what
they hand back about one output names it (the API's ``report`` dict, the
``scrub`` command's summary taken from the report sink).

Adding an output is one module in ``scrubber/outputs/`` with a class that
follows :class:`~scrubber.outputs.sink.Sink` and one :func:`register` line
below (its factory given as ``"module:Class"``, imported when first used).
An ``optional`` kind is written only when asked for by name.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass

from scrubber.outputs.sink import SinkFactory
from scrubber.pickling import by_fields


@dataclass(frozen=True)
class OutputKind:
    """One kind of output: ``S{suffix}`` beside the others, written by the
    sink ``factory`` makes (a :data:`SinkFactory`, or its ``"module:name"``)."""

    name: str
    suffix: str
    factory: SinkFactory | str
    optional: bool = False

    def sink_factory(self) -> SinkFactory:
        if not isinstance(self.factory, str):
            return self.factory
        module, _, attribute = self.factory.partition(":")
        made: SinkFactory = getattr(importlib.import_module(module), attribute)
        return made


_KINDS: dict[str, OutputKind] = {}


def register(kind: OutputKind) -> OutputKind:
    """Add ``kind`` after the kinds registered before it (their order is the
    order outputs are made, closed and listed)."""
    for other in _KINDS.values():
        if kind.name == other.name or kind.suffix == other.suffix:
            raise ValueError(f"output {kind.name!r} ({kind.suffix}) clashes with {other}")
    _KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Forget the kind ``name`` (for tests that register one)."""
    del _KINDS[name]


def kinds(wanted: Iterable[str] = ()) -> list[OutputKind]:
    """Every kind that is not optional, and the optional ones named in
    ``wanted`` (an unknown name is a ``ValueError``), in registration order."""
    asked = set(wanted)
    unknown = asked - _KINDS.keys()
    if unknown:
        raise ValueError(f"no such output: {', '.join(sorted(unknown))}")
    return [kind for kind in _KINDS.values() if not kind.optional or kind.name in asked]


register(OutputKind("clean", ".clean.x12", "scrubber.outputs.clean837:Clean837Sink"))
register(OutputKind("ack", ".277ca.x12", "scrubber.outputs.ack277:Ack277Sink"))
register(OutputKind("report", ".report.json", "scrubber.outputs.report_sink:ReportSink"))
register(OutputKind("html", ".report.html", "scrubber.outputs.html:HtmlSink", optional=True))

# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(OutputKind)
