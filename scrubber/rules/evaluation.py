"""Running rules over one context: resolving actions, memoising per line.

An :class:`Evaluation` binds a :class:`~scrubber.rules.context.Context` to a
configuration (rules, profile, policy). Deciding a claim asks it for the
findings of each line; count rules also ask whether *other* lines survive,
which evaluates those lines' LINE rules once and remembers the result. The
memo is private and only ever caches pure results, so an evaluation answers
the same question the same way whatever order claims are decided in.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from scrubber.pickling import by_fields
from scrubber.rules.context import Context
from scrubber.rules.facts import UNBILLED_SOURCE, LineFact
from scrubber.rules.findings import Action, Finding
from scrubber.rules.policy import Policy, Profile, apply_profile
from scrubber.rules.radonc.codeset import CodeTable
from scrubber.rules.radonc.eras import Era, era_of
from scrubber.rules.rule import Hit, Rule, Stage

# STC01 for a rule that has none of its own but a policy made it reject.
FALLBACK_REJECT_STATUS = "A3:21"

_T = TypeVar("_T")
_MISSING: Any = object()
#: Rules that can fire, by (stage, code, era, payer id): shared by the
#: evaluations of one configuration (see :meth:`Evaluation.__init__`).
RuleSelections = dict[tuple[Stage, str, Era, str], tuple["ActiveRule", ...]]


@dataclass(frozen=True, slots=True)
class ActiveRule:
    """A rule with the rule set (``pack/version``) it comes from."""

    rule: Rule
    rule_set: str


class Evaluation:
    """Rules applied to one context under one profile and policy."""

    def __init__(
        self,
        context: Context,
        rules: Sequence[ActiveRule],
        profile: Profile,
        policy: Policy,
        selections: RuleSelections | None = None,
    ) -> None:
        """``selections`` caches which rules can fire on a line; pass the same
        dict only to evaluations of the same rules, profile, policy and code
        table (an :class:`~scrubber.rules.engine.Engine` does, per code table)."""
        self.context = context
        #: The context's code-set table (an attribute: rules ask it for every line).
        self.codes: CodeTable = context.codes
        self.profile = profile
        self.policy = policy
        staged: dict[Stage, list[ActiveRule]] = {stage: [] for stage in Stage}
        for active in rules:
            staged[active.rule.stage].append(active)
        self._line_rules = tuple(staged[Stage.LINE])
        self._count_rules = tuple(staged[Stage.COUNT])
        self.claim_rules = tuple(staged[Stage.CLAIM])
        self._memo: dict[Hashable, Any] = {}
        # Findings per stage, by fact identity (see _findings).
        self._findings: dict[Stage, dict[int, tuple[LineFact, tuple[Finding, ...]]]] = {
            Stage.LINE: {},
            Stage.COUNT: {},
        }
        self._selections: RuleSelections = {} if selections is None else selections

    def memo(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """``compute()`` once per key for this evaluation (pure results only)."""
        result: _T = self._memo.get(key, _MISSING)
        if result is _MISSING:
            result = self._memo[key] = compute()
        return result

    def line_findings(self, fact: LineFact) -> tuple[Finding, ...]:
        """Findings of every LINE rule on ``fact``."""
        return self._findings_of(Stage.LINE, fact)

    def count_findings(self, fact: LineFact) -> tuple[Finding, ...]:
        """Findings of every COUNT rule on ``fact``."""
        return self._findings_of(Stage.COUNT, fact)

    def _findings_of(self, stage: Stage, fact: LineFact) -> tuple[Finding, ...]:
        """``_run(stage, fact)``, once per fact object.

        Remembered by ``id(fact)``, not by the fact (hashing a LineFact is a
        Python-level call over all its fields, on every lookup). An entry
        keeps its fact alive, so its id cannot be reused while it is cached;
        an equal fact that is another object is simply evaluated again, to
        the same (pure) result."""
        memo = self._findings[stage]
        entry = memo.get(id(fact))
        if entry is not None and entry[0] is fact:
            return entry[1]
        findings = self._run(stage, fact)
        memo[id(fact)] = (fact, findings)
        return findings

    def survives(self, fact: LineFact) -> bool:
        """``fact``'s line is billed: it is not a line of a stored rejected
        claim (:data:`~scrubber.rules.facts.UNBILLED_SOURCE`), and no LINE
        rule removes it or rejects its claim for it."""
        if fact.claim.source == UNBILLED_SOURCE:
            return False
        return not any(
            f.action in (Action.REMOVE_LINE, Action.REJECT_CLAIM) for f in self.line_findings(fact)
        )

    def to_finding(
        self, active: ActiveRule, hit: Hit, fact: LineFact | None, payer_id: str
    ) -> Finding | None:
        """The finding ``hit`` gives under this profile and policy; ``None``
        when the rule is disabled for the payer. ``fact`` is ``None`` for a
        claim-level finding."""
        rule = active.rule
        configured = self.policy.action(rule.code, rule.action, payer_id)
        if configured is None:
            return None
        if hit.bypass:
            action = Action.WARN
        elif hit.action is not None and not self.policy.overridden(rule.code, payer_id):
            action = hit.action
        else:
            action = configured
        action = apply_profile(action, self.profile)
        status = hit.status_code if hit.status_code is not None else rule.status_code
        if action is Action.REJECT_CLAIM and not status:
            status = FALLBACK_REJECT_STATUS
        return Finding(
            rule=rule.code,
            name=rule.name,
            action=action,
            line=fact.lx if fact is not None else None,
            line_control=fact.line_control if fact is not None else "",
            procedure=fact.code if fact is not None else "",
            modifiers=fact.modifiers if fact is not None else (),
            dos=fact.dos if fact is not None else None,
            message=hit.message,
            fix=rule.fix,
            citation=rule.citation,
            status_code=status,
            repaired_units=hit.repaired_units if action is Action.REPAIR else None,
            extra_status_codes=hit.extra_status_codes if action is Action.REJECT_CLAIM else (),
            rule_set=active.rule_set,
        )

    def _run(self, stage: Stage, fact: LineFact) -> tuple[Finding, ...]:
        payer_id = fact.patient.payer_id
        key = (stage, fact.code, era_of(fact.dos), payer_id)
        selected = self._selections.get(key)  # shared by evaluations (see __init__)
        if selected is None:
            selected = self._selections[key] = self._select(*key)
        if not selected:
            return ()  # most lines for the COUNT stage
        findings: list[Finding] = []
        for active in selected:
            check = active.rule.line_check
            assert check is not None  # Rule.__post_init__: LINE/COUNT rules have one
            for hit in check(fact, self):
                finding = self.to_finding(active, hit, fact, payer_id)
                if finding is not None:
                    findings.append(finding)
        return tuple(findings)

    def _select(self, stage: Stage, code: str, era: Era, payer_id: str) -> tuple[ActiveRule, ...]:
        """The rules of ``stage`` that can fire on a line with this code, era
        and payer (era, ``applies_to`` and the policy's disabled rules)."""
        rules = self._line_rules if stage is Stage.LINE else self._count_rules
        return tuple(
            active
            for active in rules
            if era in active.rule.eras
            and (not active.rule.applies_to or self.codes.is_in(code, *active.rule.applies_to))
            and self.policy.action(active.rule.code, active.rule.action, payer_id) is not None
        )


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(ActiveRule)
