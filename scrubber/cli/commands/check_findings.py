"""What ``scrubber check`` finds in one input: its claims and their findings,
collected from a scrub whose outputs are discarded (nothing is written; a
history store, if any, is read and never recorded).

Findings are ordered like a linter's: by input (in the order given), claim
(in input order), line (claim-level findings first, as line 0), rule code
and message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scrubber.model import CopiedClaim, PlainTransaction
from scrubber.outputs.ack277 import AckSettings, default_control_start
from scrubber.outputs.entries import CHANGING_ACTIONS
from scrubber.outputs.fanout import Outputs
from scrubber.outputs.registry import OutputKind
from scrubber.outputs.report import claim_entry, plain_entry
from scrubber.outputs.sink import Part, RunEnd
from scrubber.outputs.targets import MemoryTarget
from scrubber.pipeline.passes import run_pipeline
from scrubber.pipeline.spool import ReplayableSource
from scrubber.rules.engine import Engine
from scrubber.rules.outcome import Outcome

if TYPE_CHECKING:
    from scrubber.history import HistoryStore

# The 277CA is discarded: its run date and control numbers do not matter.
_MOMENT = dt.datetime(2000, 1, 1)
CLAIM_LEVEL = 0  # the LINE printed for a claim-level finding (LX numbers start at 1)


@dataclass(frozen=True, order=True)
class CheckFinding:
    """One finding, pointed at its input, claim and line (sortable)."""

    input_index: int
    claim_index: int
    line: int  # the claim's LX number; 0 for a claim-level finding
    rule: str
    message: str
    file: str = field(compare=False)
    claim: str = field(compare=False)
    name: str = field(compare=False)
    action: str = field(compare=False)
    fix: str = field(compare=False)

    @property
    def changing(self) -> bool:
        """Whether the finding changes or rejects the claim (not a warning)."""
        return self.action in CHANGING_ACTIONS

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "claim": self.claim,
            "line": self.line,
            "rule": self.rule,
            "name": self.name,
            "action": self.action,
            "severity": "error" if self.changing else "warning",
            "message": self.message,
            "fix": self.fix,
        }


@dataclass
class CheckedInput:
    """One input's claims (``claims``: display names, only when asked for)
    and its findings; ``error`` when it was unusable."""

    file: str
    findings: list[CheckFinding] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)
    claim_count: int = 0
    error: str | None = None


@dataclass(frozen=True)
class RuleFilter:
    """``--select`` / ``--ignore``: rule codes or their prefixes (``IG1``).
    Nothing selected means every rule; an ignored prefix always wins."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def __call__(self, rule: str) -> bool:
        if self.select and not rule.startswith(self.select):
            return False
        return not (self.ignore and rule.startswith(self.ignore))


def check_input(
    path: str,
    index: int,
    engine: Engine,
    *,
    rules: RuleFilter,
    history: HistoryStore | None = None,
    keep_claims: bool = False,
) -> CheckedInput:
    """Scrub ``path`` (``-``: standard input) with every output discarded;
    raises :class:`~scrubber.errors.X12InputError` when it is unusable."""
    display = "<stdin>" if path == "-" else path
    checked = CheckedInput(display)
    names: dict[str, int] = {}

    def on_entry(entry: dict[str, Any]) -> None:
        claim = unique_name(entry["claim_id"], names)
        if keep_claims:
            checked.claims.append(claim)
        seq = checked.claim_count
        for finding in entry["findings"]:
            if rules(finding["rule"]):
                checked.findings.append(_finding(display, index, seq, claim, finding))
        checked.claim_count += 1

    # The only output: each claim's report entry, handed to on_entry.
    kind = OutputKind("check", ".check", lambda run, target: _EntrySink(on_entry))
    outputs = Outputs(
        [kind], {kind.name: MemoryTarget()}, AckSettings(_MOMENT, default_control_start(_MOMENT))
    )
    with ReplayableSource(path, "-" if path == "-" else None) as source:
        run_pipeline(source, engine, outputs, history=history)
    checked.findings.sort()
    return checked


class _EntrySink:
    """A :class:`~scrubber.outputs.sink.Sink` that writes nothing: it hands
    each claim's report entry to ``on_entry`` (a check is never sharded)."""

    def __init__(self, on_entry: Callable[[dict[str, Any]], None]) -> None:
        self._on_entry = on_entry

    def add(self, outcome: Outcome) -> None:
        self._on_entry(claim_entry(outcome))

    def add_plain(self, plain: PlainTransaction) -> None:
        for claim in plain.claims:
            self._on_entry(plain_entry(plain.transaction, claim))

    def add_copied(self, claim: CopiedClaim) -> None:
        self._on_entry(plain_entry(claim.transaction, claim.plain))

    def close(self, end: RunEnd) -> None:
        return None

    def join(self, parts: Sequence[Part], end: RunEnd) -> None:
        raise NotImplementedError("a check is not sharded")


def unique_name(claim_id: str, seen: dict[str, int]) -> str:
    """``claim_id``, or ``claim_id#N`` for its N-th occurrence in the input
    (N >= 2), so that each claim has its own name."""
    count = seen.get(claim_id, 0) + 1
    seen[claim_id] = count
    return claim_id if count == 1 else f"{claim_id}#{count}"


def changing_count(inputs: Sequence[CheckedInput]) -> int:
    return sum(f.changing for checked in inputs for f in checked.findings)


def _finding(
    file: str, input_index: int, claim_index: int, claim: str, finding: dict[str, Any]
) -> CheckFinding:
    line = finding.get("line")
    return CheckFinding(
        input_index=input_index,
        claim_index=claim_index,
        line=CLAIM_LEVEL if line is None else int(line),
        rule=finding["rule"],
        message=finding["message"],
        file=file,
        claim=claim,
        name=finding.get("name", ""),
        action=finding["action"],
        fix=finding.get("fix") or "",
    )
