"""What the worklist page (``S.report.html``) lists, collected claim by claim.

The page puts rejected claims first, then corrected ones, then the warnings,
while claims arrive in input order; so :class:`Worklist` appends each claim
that needs a person's attention, as one JSON line, to one of three temporary
files, and the page is rendered from them at the end
(:func:`scrubber.outputs.html_page.render_page`). Memory stays bounded
whatever the batch size: a few counters, the first claims of each rule for
the page's table of contents, and each rule's name, fix and citation for the
page's rule legend (printed once per rule, not once per finding).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from scrubber.model import CopiedClaim, PlainTransaction
from scrubber.outputs.report import claim_entry
from scrubber.rules.findings import Action, ClaimStatus
from scrubber.rules.outcome import Outcome

#: Claims linked from the table of contents for each rule (the rest are counted).
TOC_LINKS = 50
#: A long section's claims are indexed in the contents every this many claims.
JUMP_STEP = 1000
#: Interchange control numbers named in the page header (the rest are counted).
HEADER_INTERCHANGES = 20
SECTIONS = ("rejected", "corrected", "warnings")


@dataclass(frozen=True)
class RuleNote:
    """What the page's rule legend says of a rule: as its first listed finding
    carries them (a finding whose fix or citation differs prints its own)."""

    name: str
    fix: str
    citation: str


class Worklist:
    """Rejected, corrected and warned claims of one input, spooled in order."""

    def __init__(self, journal: IO[str] | None = None) -> None:
        self._journal = journal
        self._spools = {name: _spool() for name in SECTIONS} if journal is None else {}
        self.counts: Counter[str] = Counter()
        self.rule_claims: dict[str, list[tuple[str, str]]] = {}  # rule -> (anchor, claim id)
        self.rules: dict[str, RuleNote] = {}
        self.jumps: dict[str, list[tuple[str, str]]] = {}  # section -> every JUMP_STEPth claim
        self.interchanges: list[str] = []  # the first HEADER_INTERCHANGES control numbers
        self.interchange_count = 0
        self._last_interchange: str | None = None  # the control number of the last claim

    def add(self, outcome: Outcome) -> None:
        """Take one claim's outcome (claims arrive in input order)."""
        self._note_interchange(outcome.claim.transaction.group.interchange.control_number)
        if outcome.status is ClaimStatus.ACCEPTED and not outcome.decision.findings:
            return
        entry = claim_row(outcome)
        section = str(outcome.status)
        if section != "accepted":
            self.add_row(section, entry)
        warned = [f for f in entry["findings"] if f["action"] in _WARNING_ACTIONS]
        if warned:
            row = {**entry, "findings": warned}
            self.add_row("warnings", row, linked=_linked("warnings", row))

    def add_plain(self, plain: PlainTransaction) -> None:
        """Take every claim of ``plain``: accepted with no finding, each is
        only noted (its interchange), as :meth:`add` notes it."""
        if plain.claims:
            self._note_interchange(plain.transaction.group.interchange.control_number)

    def add_copied(self, claim: CopiedClaim) -> None:
        """Take ``claim``, accepted with no finding: only noted, as :meth:`add`
        notes it."""
        self._note_interchange(claim.transaction.group.interchange.control_number)

    def add_row(self, section: str, entry: dict[str, Any], linked: bool = True) -> None:
        """List ``entry`` (a :func:`claim_row`) in ``section``; ``linked``:
        link it from the contents under each of its rules. With a journal (a
        shard's part) the row is written there instead, for :meth:`load`."""
        if self._journal is not None:
            self._journal.write(f"{section}\t{json.dumps(entry, ensure_ascii=False)}\n")
            return
        self.counts[section] += 1
        self._spools[section].write(json.dumps(entry, ensure_ascii=False) + "\n")
        anchor = anchor_of(entry, "warnings" if section == "warnings" else "")
        if self.counts[section] % JUMP_STEP == 1:
            self.jumps.setdefault(section, []).append((anchor, entry["claim_id"]))
        for finding in entry["findings"]:
            if finding["rule"] not in self.rules:
                self.rules[finding["rule"]] = RuleNote(
                    finding["name"], finding["fix"], finding["citation"]
                )
        if not linked:
            return
        for finding in entry["findings"]:
            self._link(finding["rule"], anchor, entry["claim_id"])

    def load(self, lines: IO[str], interchanges: list[str], interchange_count: int) -> None:
        """Take in a shard's part, the journal of a worklist made with one (the
        claims that follow this worklist's), with its interchanges."""
        for line in lines:
            section, _, text = line.partition("\t")
            row = json.loads(text)
            self.add_row(section, row, linked=_linked(section, row))
        for control in interchanges:
            self._note_interchange(control, counted=False)
        self.interchange_count += interchange_count

    def rows(self, section: str) -> Iterator[dict[str, Any]]:
        """The claims of ``section``, in input order, one at a time."""
        spool = self._spools[section]
        spool.flush()
        spool.seek(0)
        for line in spool:
            yield json.loads(line)
        spool.seek(0, 2)

    def close(self) -> None:
        for spool in self._spools.values():
            spool.close()

    def _link(self, rule: str, anchor: str, claim_id: str) -> None:
        links = self.rule_claims.setdefault(rule, [])
        target = (anchor, claim_id)
        if len(links) < TOC_LINKS and (not links or links[-1] != target):
            links.append(target)

    def _note_interchange(self, control: str, counted: bool = True) -> None:
        """One claim's interchange: counted when it is not the last claim's."""
        if self._last_interchange == control:
            return
        self._last_interchange = control
        if counted:
            self.interchange_count += 1
        if len(self.interchanges) < HEADER_INTERCHANGES and control not in self.interchanges:
            self.interchanges.append(control)


_WARNING_ACTIONS = (str(Action.WARN), str(Action.NOT_EVALUATED))


def _linked(section: str, row: dict[str, Any]) -> bool:
    """Whether the contents link to ``row`` in ``section``: a claim is linked
    where it is listed first (its status section; warnings only for accepted
    claims, which are listed nowhere else)."""
    return section != "warnings" or row["status"] == "accepted"


def claim_row(outcome: Outcome) -> dict[str, Any]:
    """The report entry of a claim plus what a biller looks it up by: the
    patient's name as the 277CA carries it, the billing NPI and the payer."""
    claim = outcome.claim
    person = claim.patient or claim.subscriber
    name = person.last_name or "UNKNOWN"
    if person.first_name:
        name = f"{name}, {person.first_name}"
    return {
        **claim_entry(outcome),
        "patient": name,
        "billing_npi": claim.billing_npi,
        "payer_id": claim.payer_id,
    }


def anchor_of(entry: dict[str, Any], section: str = "") -> str:
    """The page anchor of a claim: its ordinal in the input (unique, and free
    of whatever characters the claim id holds); in the warnings section,
    prefixed with the section (a claim may be listed twice)."""
    return f"{section}-claim-{entry['ordinal']}" if section else f"claim-{entry['ordinal']}"


def _spool() -> IO[str]:
    return tempfile.TemporaryFile("w+", encoding="utf-8")
