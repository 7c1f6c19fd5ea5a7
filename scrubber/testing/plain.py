"""Test oracle for issue 15's text path: a
:class:`~scrubber.model.PlainTransaction` made the slow, obvious way, from
the reader's :class:`~scrubber.model.Claim` models of one transaction and
the input's text of it.

The pipeline makes plain transactions straight from the raw text (a
recognizer, without claim models); the outputs take them whole
(``Sink.add_plain``) and must write what they write for each claim as an
accepted outcome with no finding. The tests check that with transactions
made here: :func:`plain_transaction_of` for one, :func:`with_plain_transactions`
for every eligible transaction of an input (:func:`eligible`: every claim
accepted with no finding and CLM02 the sum of its lines, no reader warning
inside it, and the cleaned 837 of it, every claim kept, exactly its text).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from scrubber.errors import InputWarning
from scrubber.model import (
    Claim,
    ClaimKind,
    PlainClaim,
    PlainTransaction,
    Segment,
    Transaction,
)
from scrubber.outputs.ack277 import claim_dates
from scrubber.outputs.clean837 import Clean837Writer
from scrubber.outputs.report import charge_warning
from scrubber.rules.findings import ClaimStatus
from scrubber.rules.outcome import Outcome
from scrubber.x12.segment_text import prefix_of, render
from scrubber.x12.source import Source, TextSource
from scrubber.x12.tokenizer import Tokenizer


def plain_claim_of(claim: Claim) -> PlainClaim:
    """What the outputs write of ``claim`` when it is accepted with no finding."""
    institutional = claim.kind is ClaimKind.INSTITUTIONAL
    return PlainClaim(
        ordinal=claim.ordinal,
        claim_id=claim.patient_control_number,
        charge=claim.total_charge,
        lines=len(claim.lines),
        billing=claim.billing,
        billing_npi=claim.billing_npi,
        payer_id=claim.payer_id,
        person=claim.patient or claim.subscriber,
        member_id=claim.subscriber.member_id,
        bill_type=claim.bill_type if institutional else "",
        dates=claim_dates(claim),
    )


def plain_transaction_of(
    transaction: Transaction, claims: Sequence[Claim], text: str, segments: int | None = None
) -> PlainTransaction:
    """The plain transaction of ``claims`` (every claim the reader read in
    ``transaction``, in order) whose input text from ST through SE is
    ``text``; ``segments``: how many segments that is (default: the segment
    terminators in ``text``, right for an input read without warnings)."""
    if any(claim.transaction is not transaction for claim in claims):
        raise ValueError("every claim must be of the transaction")
    if segments is None:
        segments = text.count(transaction.group.interchange.delimiters.segment)
    return PlainTransaction(transaction, text, segments, tuple(map(plain_claim_of, claims)))


@dataclass(frozen=True)
class TransactionText:
    """One ST-SE of an input: its text (ST through SE's terminator) and the
    positions of its ST and SE segments."""

    text: str
    st: int
    se: int

    @property
    def segments(self) -> int:
        return self.se - self.st + 1


def transaction_texts(source: Source) -> dict[int, TransactionText]:
    """Every ST-SE of ``source`` (bytes, text or a path), by its ST's position."""
    found: dict[int, TransactionText] = {}
    held: list[Segment] = []
    for segment in Tokenizer(TextSource(source).chunks(), []).segments():
        if segment.id == "ST":
            held = [segment]
        elif held:
            held.append(segment)
            if segment.id == "SE":
                text = "".join(s.raw for s in held)
                found[held[0].position] = TransactionText(text, held[0].position, segment.position)
                held = []
    return found


def eligible(
    outcomes: Sequence[Outcome], text: TransactionText, warnings: Iterable[InputWarning] = ()
) -> bool:
    """Whether ``outcomes`` (every claim of one transaction whose text is
    ``text``) may be handed over as one plain transaction: each accepted with
    no finding and no charge warning, no reader warning inside the transaction,
    and the cleaned 837 of the transaction (every claim kept) its text exactly."""
    if not outcomes:
        return False
    for outcome in outcomes:
        decision = outcome.decision
        if decision.status is not ClaimStatus.ACCEPTED or decision.findings:
            return False
        if charge_warning(outcome) is not None:
            return False
    if any(text.st <= (w.position or 0) <= text.se for w in warnings):
        return False
    return _cleaned(outcomes) == _enveloped(outcomes[0].claim.transaction, text.text)


def with_plain_transactions(
    source: Source, outcomes: Sequence[Outcome], warnings: Iterable[InputWarning] = ()
) -> list[Outcome | PlainTransaction]:
    """``outcomes`` (every claim of ``source``, input order) with the claims
    of each :func:`eligible` transaction replaced by its plain transaction."""
    texts = transaction_texts(source)
    warned = list(warnings)
    stream: list[Outcome | PlainTransaction] = []
    for run in _by_transaction(outcomes):
        transaction = run[0].claim.transaction
        text = texts.get(transaction.st.position)
        if text is not None and eligible(run, text, warned):
            claims = [outcome.claim for outcome in run]
            stream.append(plain_transaction_of(transaction, claims, text.text, text.segments))
        else:
            stream.extend(run)
    return stream


def _by_transaction(outcomes: Sequence[Outcome]) -> list[list[Outcome]]:
    runs: list[list[Outcome]] = []
    for outcome in outcomes:
        if runs and runs[-1][0].claim.transaction is outcome.claim.transaction:
            runs[-1].append(outcome)
        else:
            runs.append([outcome])
    return runs


def _cleaned(outcomes: Sequence[Outcome]) -> str:
    parts: list[str] = []
    writer = Clean837Writer(parts.append)
    for outcome in outcomes:
        writer.add(outcome)
    writer.close()
    return "".join(parts)


def _enveloped(transaction: Transaction, text: str) -> str:
    """``text`` (one transaction) as the cleaned 837 of it alone is written:
    in its ISA and GS, closed by a GE and an IEA of one."""
    group = transaction.group
    interchange = group.interchange
    delimiters = interchange.delimiters
    newline = prefix_of(group.gs, delimiters)
    return (
        interchange.isa.raw
        + group.gs.raw
        + text
        + render(("GE", "1", group.control_number), delimiters, newline)
        + render(("IEA", "1", interchange.control_number), delimiters, newline)
    )
