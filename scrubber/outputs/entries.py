"""Report claim entries as streamed JSON text, and the first findings that
change a claim (what ``scrubber scrub`` lists in its text summary)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from scrubber.model import CopiedClaim, PlainClaim, PlainTransaction, Transaction
from scrubber.outputs.report_json import AcceptedEntries, render_entry
from scrubber.pickling import by_fields

FIRST_FINDINGS = 10  # findings the text summary lists; the report has them all
CHANGING_ACTIONS = ("reject-claim", "remove-line", "repair")  # what the summary lists
_COPY_CHUNK = 1 << 20


class EntryRenderer:
    """Report claim entries as the JSON text they take in the document; keeps
    the first :data:`FIRST_FINDINGS` findings that change a claim (for the
    text summary), so memory stays bounded."""

    def __init__(self, out: IO[str], compact: IO[str] | None) -> None:
        self._out = out
        self._compact = compact
        self.count = 0
        self.first_findings: list[PointedFinding] = []
        self._accepted: AcceptedEntries | None = None  # the last transaction's templates

    @property
    def compact(self) -> bool:
        """Whether the one-line form of the entries is written too."""
        return self._compact is not None

    def add(self, entry: dict[str, Any]) -> None:
        self._keep_first_findings(entry)
        if self.count:
            self._out.write(",\n")
            if self._compact is not None:
                self._compact.write(", ")
        self.count += 1
        self._out.write(render_entry(entry))
        if self._compact is not None:
            self._compact.write(json.dumps(entry, ensure_ascii=False))

    def add_plain(self, plain: PlainTransaction) -> None:
        """The entries of every claim of ``plain``: what :meth:`add` writes of
        each one's entry (accepted, no finding: none is kept for the summary)."""
        self._add_accepted(plain.transaction, plain.claims)

    def add_copied(self, claim: CopiedClaim) -> None:
        """The entry of ``claim``: what :meth:`add` writes of it accepted with
        no finding."""
        self._add_accepted(claim.transaction, (claim.plain,))

    def _add_accepted(self, transaction: Transaction, claims: Sequence[PlainClaim]) -> None:
        if not claims:
            return
        accepted = self._accepted
        if accepted is None or accepted.transaction is not transaction:
            accepted = self._accepted = AcceptedEntries(transaction, self._compact is not None)
        entries, one_line = accepted.texts(claims)
        first = ",\n" if self.count else ""
        self._out.write(first + ",\n".join(entries))
        if self._compact is not None:
            self._compact.write((", " if self.count else "") + ", ".join(one_line))
        self.count += len(entries)

    def append(
        self,
        count: int,
        first_findings: list[PointedFinding],
        entries: IO[str] | None,
        compact: IO[str] | None,
    ) -> None:
        """Take in what another renderer wrote (``count`` entries in
        ``entries`` and ``compact``, read from their start; its
        ``first_findings``): the claims that follow this renderer's. A form
        given as ``None`` is not copied (the caller writes it)."""
        if not count:
            return
        for source, target, separator in (
            (entries, self._out, ",\n"),
            (compact, self._compact, ", "),
        ):
            if source is None or target is None:
                continue
            source.seek(0)
            if self.count:
                target.write(separator)
            shutil.copyfileobj(source, target, _COPY_CHUNK)
        self.count += count
        room = FIRST_FINDINGS - len(self.first_findings)
        self.first_findings.extend(first_findings[: max(room, 0)])

    def _keep_first_findings(self, entry: dict[str, Any]) -> None:
        if entry["status"] == "accepted":
            return
        for finding in entry["findings"]:
            if len(self.first_findings) >= FIRST_FINDINGS:
                return
            if finding["action"] in CHANGING_ACTIONS:
                self.first_findings.append(PointedFinding.of(entry["claim_id"], finding))


@dataclass(frozen=True)
class PointedFinding:
    """A finding and the claim it points at, for a one-line listing."""

    claim_id: str
    line: int | None
    rule: str
    action: str
    message: str

    @classmethod
    def of(cls, claim_id: str, finding: dict[str, Any]) -> PointedFinding:
        return cls(
            claim_id, finding["line"], finding["rule"], finding["action"], finding["message"]
        )

    def __str__(self) -> str:
        where = self.claim_id if self.line is None else f"{self.claim_id} line {self.line}"
        return f"{where}: {self.rule} [{self.action}] {self.message}"


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(PointedFinding)
