"""Helpers shared by the image-guidance checks: naming lines, same-day conflicts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from scrubber.rules.facts import LineFact
from scrubber.rules.radonc.codeset import CodeTable
from scrubber.rules.radonc.eras import Era
from scrubber.rules.rule import EvaluationView, Hit

ERA_A = frozenset({Era.A})
ERA_B = frozenset({Era.B})
ERAS_AB = frozenset({Era.A, Era.B})
NO_RULE_VERSION = frozenset({Era.PRE, Era.UNDATED})

STANDARD = "standard-image-guidance"
CATALOGUE = "RULES.md section 4"


def day(fact: LineFact) -> str:
    return fact.dos.isoformat() if fact.dos is not None else "(no DOS)"


def where(fact: LineFact, relative_to: LineFact | None = None) -> str:
    """``line 2``, or ``claim PCN7 line 2`` for a line of another claim."""
    if relative_to is None or fact.same_claim(relative_to):
        return f"line {fact.lx}"
    return f"claim {fact.claim.claim_id} line {fact.lx}"


def subject(fact: LineFact) -> str:
    """``77387-TC on 2025-03-03 (line 2)``."""
    return f"{fact.coded} on {day(fact)} ({where(fact)})"


def named(fact: LineFact, relative_to: LineFact) -> str:
    """``77385 (line 1)``."""
    return f"{fact.coded} ({where(fact, relative_to)})"


def listed(facts: Iterable[LineFact], relative_to: LineFact) -> str:
    return ", ".join(named(f, relative_to) for f in facts)


def in_sets(codes: CodeTable, *sets: str) -> Callable[[LineFact], bool]:
    return lambda other: codes.is_in(other.code, *sets)


def same_day_conflict(
    ev: EvaluationView,
    fact: LineFact,
    partner: Callable[[LineFact], bool],
    template: str,
) -> Iterator[Hit]:
    """Fire on ``fact`` against its same-day, same-site lines that ``partner``
    accepts (itself excluded); ``template`` is formatted with ``subject`` (the
    fact) and ``partners`` (the conflicting lines).

    A partner pair where either line carries XS or 59 asserts different sites:
    it does not conflict. If only such pairs exist, the rule gives one ``warn``
    hit naming the bypass, so every bypass is auditable.
    """
    others = [p for p in same_day_partners(ev, fact, partner) if p != fact]
    conflicting = [p for p in others if not (fact.site_bypass or p.site_bypass)]
    if conflicting:
        yield Hit(template.format(subject=subject(fact), partners=listed(conflicting, fact)))
    elif others:
        modifier = fact.site_bypass or others[0].site_bypass
        holder = fact if fact.site_bypass else others[0]
        yield Hit(
            f"Bypassed by modifier {modifier} on {named(holder, fact)}: {subject(fact)} "
            f"would conflict with {listed(others, fact)}; {modifier} asserts a different site.",
            bypass=modifier,
        )


def same_day_partners(
    ev: EvaluationView, fact: LineFact, predicate: Callable[[LineFact], bool]
) -> list[LineFact]:
    """Lines of the same patient, entity, DOS and site matching ``predicate``
    (every billed line, removed or not)."""
    return [other for other in ev.context.same_day_same_site(fact) if predicate(other)]
