"""The worklist page (``S.report.html``) as a :class:`~scrubber.outputs.sink.Sink`.

Optional (``scrubber scrub --html``, ``scrub(..., outputs=["html"])``). The
claims a person must act on are spooled as they come
(:class:`~scrubber.outputs.html_worklist.Worklist`), and the page is
rendered at the end (:func:`~scrubber.outputs.html_page.render_page`), with
the same head, summary and warnings as the report JSON. A shard's part is
the journal of its claims, in input order; the join reads the parts back in
order.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from scrubber.model import CopiedClaim, PlainTransaction
from scrubber.outputs.html_page import render_page
from scrubber.outputs.html_worklist import Worklist
from scrubber.outputs.sink import Part, RunEnd, RunInfo, Target
from scrubber.rules.outcome import Outcome


@dataclass(frozen=True)
class HtmlPart:
    """What the join needs of a shard's part besides its file."""

    interchanges: list[str]
    interchange_count: int


class HtmlSink:
    """Writes the worklist page of one input (see the module docstring)."""

    def __init__(self, run: RunInfo, target: Target) -> None:
        self._run = run
        self._target = target
        self._worklist = Worklist(target.open("utf-8") if run.part else None)

    def add(self, outcome: Outcome) -> None:
        self._worklist.add(outcome)

    def add_plain(self, plain: PlainTransaction) -> None:
        self._worklist.add_plain(plain)

    def add_copied(self, claim: CopiedClaim) -> None:
        self._worklist.add_copied(claim)

    def close(self, end: RunEnd) -> HtmlPart | None:
        if self._run.part:
            part = HtmlPart(self._worklist.interchanges, self._worklist.interchange_count)
            self._worklist.close()
            return part
        self._render(end)
        return None

    def join(self, parts: Sequence[Part], end: RunEnd) -> None:
        for part in parts:
            done = part.done
            assert isinstance(done, HtmlPart)
            with open(part.path, encoding="utf-8") as lines:
                self._worklist.load(lines, done.interchanges, done.interchange_count)
        self._render(end)

    def _render(self, end: RunEnd) -> None:
        run, tally = self._run, end.tally
        head = tally.head(
            input_name=run.name, profile=run.profile, as_of=run.as_of, rule_set=run.rule_set
        )
        out = _TextBytes(self._target.open("utf-8"))
        render_page(
            out, head, self._worklist, warnings=tally.warnings(end.warnings),
            rule_names=tally.rule_names, run_at=run.ack.now,
        )  # fmt: skip
        self._worklist.close()


class _TextBytes:
    """The bytes lxml writes, decoded into a text target (UTF-8 sequences
    split between two writes are kept for the next)."""

    def __init__(self, text: IO[str]) -> None:
        self._text = text
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    def write(self, data: bytes) -> int:
        self._text.write(self._decoder.decode(data))
        return len(data)
