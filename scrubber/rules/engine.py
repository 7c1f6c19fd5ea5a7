"""The decide step: claims (or their facts) in, one ClaimDecision per claim out.

Two passes, so that context can come from anywhere facts come from:

1. :meth:`Engine.facts_of` reduces each claim to hashable
   :class:`~scrubber.rules.facts.ClaimFacts`;
2. :meth:`Engine.build_context` indexes facts (this batch, plus earlier
   batches from a history store) into a read-only
   :class:`~scrubber.rules.context.Context`;
3. :meth:`Engine.decide` is a pure function of one claim's facts, the
   context and the engine's configuration.

:meth:`Engine.evaluate` does steps 2 and 3 for some claims' facts (plus the
facts of claims that are context only) and is the one decide step every
caller uses: :meth:`Engine.decide_batch` (claims in memory), the pipeline's
:func:`~scrubber.pipeline.decisions.decide_subjects`, ``scrubber retro``
(:mod:`scrubber.history.retro`) and :mod:`scrubber.testing.oracles`. The
writers need nothing but the returned :class:`~scrubber.rules.findings.ClaimDecision`
objects and :attr:`Engine.rule_set`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from scrubber.model import Claim
from scrubber.rules.context import DEFAULT_GAP_DAYS, Context, build_context
from scrubber.rules.discovery import discover_packs
from scrubber.rules.evaluation import ActiveRule, Evaluation, RuleSelections
from scrubber.rules.facts import ClaimFacts, facts_of
from scrubber.rules.findings import Action, ClaimDecision, ClaimStatus, Finding
from scrubber.rules.packs import load_packs
from scrubber.rules.policy import NO_POLICY, Policy, Profile
from scrubber.rules.radonc.codeset import CodeTable
from scrubber.rules.radonc.registry import EMPTY_REGISTRY, CourseRegistry
from scrubber.rules.rule import ClaimOutcome, Rule, RulePack, rule_set_of


class Engine:
    """Rules of one or more packs under one profile, policy and as-of date.

    ``as_of`` decides whether a course has ended (RULES.md 2 (c)); default
    today. ``registry`` supplies planned fractions (``--courses``).
    ``packs`` defaults to every pack found through the ``scrubber.rules``
    entry points; their code tables are merged into :attr:`codes`. Raises
    :class:`~scrubber.rules.packs.RulePackError` when the packs cannot be
    loaded together (see :func:`~scrubber.rules.packs.load_packs`) and
    :class:`~scrubber.rules.policy.PolicyError` when the policy names an
    unknown or mandatory rule.
    """

    def __init__(
        self,
        profile: Profile | str = Profile.CLEAN,
        policy: Policy | None = None,
        as_of: dt.date | None = None,
        registry: CourseRegistry | None = None,
        gap_days: int = DEFAULT_GAP_DAYS,
        packs: Sequence[RulePack] | None = None,
    ) -> None:
        if gap_days < 0:
            raise ValueError("gap_days must not be negative")
        self.profile = Profile(profile)
        self.policy = policy or NO_POLICY
        self.as_of = as_of or dt.date.today()
        self.registry = registry or EMPTY_REGISTRY
        self.gap_days = gap_days
        loaded = load_packs(tuple(packs) if packs is not None else discover_packs())
        self.packs = loaded.packs
        self.codes: CodeTable = loaded.codes
        self.rules = tuple(ActiveRule(rule, rule_set) for rule, rule_set in loaded.rules)
        codes_seen = [active.rule.code for active in self.rules]
        self.policy.check_against(
            set(codes_seen), {a.rule.code for a in self.rules if a.rule.mandatory}
        )
        # Rule selections shared by the evaluations of contexts on self.codes.
        self._selections: RuleSelections = {}

    @property
    def rule_set(self) -> str:
        """The rule sets in use, ``+``-joined: ``image-guidance/2026.1``."""
        return "+".join(rule_set_of(pack) for pack in self.packs)

    def catalogue(self) -> tuple[Rule, ...]:
        return tuple(active.rule for active in self.rules)

    # Pass one ----------------------------------------------------------------

    @staticmethod
    def facts_of(claim: Claim, seq: int, source: str = "") -> ClaimFacts:
        """Facts of ``claim``; ``seq``/``source`` identify it (see ClaimRef)."""
        return facts_of(claim, seq, source)

    # Context -----------------------------------------------------------------

    def build_context(self, facts: Iterable[ClaimFacts]) -> Context:
        """Index the facts of this batch and any history (order irrelevant)."""
        return build_context(
            facts, self.codes, as_of=self.as_of, gap_days=self.gap_days, registry=self.registry
        )

    def evaluation(self, context: Context) -> Evaluation:
        """An evaluation to decide many claims against one context (shares work)."""
        selections = self._selections if context.codes is self.codes else None
        return Evaluation(context, self.rules, self.profile, self.policy, selections)

    # Pass two ----------------------------------------------------------------

    def decide(
        self, claim: Claim | ClaimFacts, context: Context | Evaluation, seq: int = 0
    ) -> ClaimDecision:
        """Decide one claim. ``context`` must contain the claim's facts (with the
        same ``seq``); pass an :class:`Evaluation` to share work across claims."""
        facts = claim if isinstance(claim, ClaimFacts) else facts_of(claim, seq)
        evaluation = context if isinstance(context, Evaluation) else self.evaluation(context)
        return decide_claim(facts, evaluation)

    def evaluate(
        self,
        facts: Iterable[ClaimFacts],
        history: Iterable[ClaimFacts] = (),
        *,
        registry: CourseRegistry | None = None,
    ) -> list[ClaimDecision]:
        """The decide step: a decision for each of ``facts``, in their order.

        The context is ``facts`` plus ``history`` (facts of claims that are
        context only: earlier batches, or the subject's other claims; they
        are not decided); ``registry`` replaces the engine's (a history
        store's, with its stored courses). Every caller decides through
        here: :meth:`decide_batch`, the pipeline (one subject at a time),
        ``scrubber retro`` and the test oracles."""
        decided = list(facts)
        context = build_context(
            [*history, *decided],
            self.codes,
            as_of=self.as_of,
            gap_days=self.gap_days,
            registry=self.registry if registry is None else registry,
        )
        evaluation = self.evaluation(context)
        return [decide_claim(claim_facts, evaluation) for claim_facts in decided]

    def decide_batch(
        self, claims: Sequence[Claim], history: Iterable[ClaimFacts] = ()
    ) -> list[ClaimDecision]:
        """Decisions for ``claims`` in input order, the whole batch in one
        context in memory; ``history`` adds facts of earlier batches to the
        context (they are not decided). The streaming pipeline decides the
        same way, one subject at a time (``tests/pipeline`` compares them)."""
        return self.evaluate([facts_of(claim, seq) for seq, claim in enumerate(claims)], history)


_NONE_REMOVED: frozenset[int] = frozenset()


def decide_claim(facts: ClaimFacts, evaluation: Evaluation) -> ClaimDecision:
    """Apply every rule to one claim's lines (pure given the evaluation). A void
    claim is accepted as it is: it cancels a claim and bills nothing (one with
    no service line at all is decided like any claim: IG003 rejects it)."""
    if facts.is_void and facts.lines:
        return ClaimDecision(ClaimStatus.ACCEPTED, ())
    findings: list[Finding] = []
    line_findings, count_findings = evaluation.line_findings, evaluation.count_findings
    for fact in facts.lines:
        findings.extend(line_findings(fact))
    for fact in facts.lines:
        findings.extend(count_findings(fact))
    if findings:
        removed = frozenset(
            f.line for f in findings if f.action is Action.REMOVE_LINE and f.line is not None
        )
        rejected = any(f.action is Action.REJECT_CLAIM for f in findings)
    else:  # most claims: no line finding
        removed, rejected = _NONE_REMOVED, False
    outcome = ClaimOutcome(facts, removed, rejected)
    for active in evaluation.claim_rules:
        check = active.rule.claim_check
        for hit in check(outcome) if check is not None else ():
            finding = evaluation.to_finding(active, hit, None, facts.payer_id)
            if finding is not None:
                findings.append(finding)
    if not findings:
        return ClaimDecision(ClaimStatus.ACCEPTED, ())
    all_removed = bool(removed) and bool(facts.lines) and {f.lx for f in facts.lines} <= removed
    findings.sort(key=lambda f: (f.line or 0, f.rule))
    if rejected or all_removed or any(f.action is Action.REJECT_CLAIM for f in findings):
        return ClaimDecision(ClaimStatus.REJECTED, tuple(findings))
    repaired: dict[int, Decimal] = {}
    for f in findings:
        if f.action is not Action.REPAIR or f.line is None or f.line in removed:
            continue
        if f.repaired_units is not None:
            previous = repaired.get(f.line, f.repaired_units)
            repaired[f.line] = min(previous, f.repaired_units)
    status = ClaimStatus.CORRECTED if removed or repaired else ClaimStatus.ACCEPTED
    return ClaimDecision(status, tuple(findings), removed, repaired)
