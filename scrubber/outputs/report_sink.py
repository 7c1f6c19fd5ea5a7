"""The report JSON (``S.report.json``) as a :class:`~scrubber.outputs.sink.Sink`.

Claim entries are rendered one at a time (:class:`~scrubber.outputs.entries.EntryRenderer`)
into a temporary file, so memory stays bounded, and copied into the document
at the end, whose head and summary come from the run's tally
(:mod:`scrubber.outputs.report_json`). With ``RunInfo.compact_json`` the
report is also written as one JSON line to a temporary file
(:attr:`ReportSink.compact_path`; the caller deletes it). A shard's part is
its entries (and, beside it, their one-line form); the join copies them in
order.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from scrubber.model import CopiedClaim, PlainTransaction
from scrubber.outputs.entries import EntryRenderer, PointedFinding
from scrubber.outputs.report import claim_entry
from scrubber.outputs.report_json import write_compact_report, write_report_json
from scrubber.outputs.sink import Part, RunEnd, RunInfo, Target
from scrubber.outputs.targets import copy_part, copy_text
from scrubber.pickling import by_fields
from scrubber.rules.outcome import Outcome

_COMPACT = ".compact"  # the part file beside the entries with their one-line form


@dataclass(frozen=True)
class ReportPart:
    """What a shard's report part holds (returned by the part's ``close``)."""

    count: int
    first_findings: list[PointedFinding]


class ReportSink:
    """The report document (see the module docstring). After ``close`` or
    ``join``: :attr:`head` (the document without ``"claims"``, with
    ``"warnings"``), :attr:`first_findings`, :attr:`compact_path`."""

    def __init__(self, run: RunInfo, target: Target) -> None:
        self._run = run
        self._target = target
        self.head: dict[str, Any] = {}
        self.compact_path: str | None = None
        if run.part:
            self._entries = target.open("utf-8")
            beside = target.beside(_COMPACT)
            self._compact = beside.open("utf-8") if run.compact_json else None
        else:
            self._entries = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
            self._compact = (
                tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
                if run.compact_json
                else None
            )
        self._renderer = EntryRenderer(self._entries, self._compact)

    @property
    def first_findings(self) -> list[PointedFinding]:
        """The first findings that change a claim (for a text summary)."""
        return self._renderer.first_findings

    def add(self, outcome: Outcome) -> None:
        self._renderer.add(claim_entry(outcome))

    def add_plain(self, plain: PlainTransaction) -> None:
        self._renderer.add_plain(plain)

    def add_copied(self, claim: CopiedClaim) -> None:
        self._renderer.add_copied(claim)

    def close(self, end: RunEnd) -> ReportPart | None:
        if self._run.part:
            return ReportPart(self._renderer.count, self._renderer.first_findings)
        self._write(end)
        return None

    def join(self, parts: Sequence[Part], end: RunEnd) -> None:
        """The document of the parts' entries, each part's bytes copied once,
        straight into the document (the one-line form through the renderer)."""
        filled = []
        for part in parts:
            done = part.done
            assert isinstance(done, ReportPart)
            with _open_optional(part, self._run.compact_json) as one_line:
                self._renderer.append(done.count, done.first_findings, None, one_line)
            if done.count:
                filled.append(part.path)
        self._write(end, lambda out: _copy_parts(filled, out))

    def _write(self, end: RunEnd, entries: Callable[[IO[str]], None] | None = None) -> None:
        """The document, its entries written by ``entries`` (by default,
        copied from this sink's own)."""
        run = self._run
        head = end.tally.head(
            input_name=run.name, profile=run.profile, as_of=run.as_of, rule_set=run.rule_set
        )
        warnings = end.tally.warnings(end.warnings)
        out = self._target.open("utf-8")
        own = self._entries
        write_report_json(
            head, entries or (lambda out: copy_text(own, out)), self._renderer.count, warnings, out
        )
        if self._compact is not None:
            self.compact_path = write_compact_report(head, self._compact, warnings)
            self._compact.close()
        self._entries.close()
        self.head = {**head, "warnings": warnings}


def _copy_parts(paths: Sequence[Path], out: IO[str]) -> None:
    """The entries of the part files ``paths`` (each holding some), comma-separated."""
    for index, path in enumerate(paths):
        if index:
            out.write(",\n")
        copy_part(path, "utf-8", out)


def _open_optional(part: Part, wanted: bool) -> contextlib.AbstractContextManager[IO[str] | None]:
    if not wanted:
        return contextlib.nullcontext()
    return open(part.beside(_COMPACT), encoding="utf-8")


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(ReportPart)
