"""Helpers shared by the image-guidance checks: naming lines, same-day conflicts."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator, Sequence

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
#: Lines a message names at most (then "and N more"): a day of thousands of
#: lines must not make each finding name every other line.
LISTED_AT_MOST = 10


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


def listed(facts: Sequence[LineFact], relative_to: LineFact, total: int | None = None) -> str:
    """``77385 (line 1), 77385 (line 4)``: at most :data:`LISTED_AT_MOST` lines,
    then ``and N more`` (``total``: how many there are when ``facts`` holds
    only the first ones), so that a message stays short however many lines a
    day holds."""
    shown = facts[:LISTED_AT_MOST]
    text = ", ".join(named(f, relative_to) for f in shown)
    more = (len(facts) if total is None else total) - len(shown)
    return f"{text} and {more:,} more" if more > 0 else text


def in_sets(codes: CodeTable, *sets: str) -> Callable[[LineFact], bool]:
    """Whether a line's code is in any of ``sets`` (one set, the common case:
    a look-up in its members, asked of every line of a day)."""
    if len(sets) == 1:
        members = codes.codes_in(sets[0])
        return lambda other: other.code in members
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

    ``template`` identifies the rule, hence ``partner``: the partners of a day
    and site are found once per rule (not once per line), and the hits once
    per distinct fact, so a day of N lines costs O(N), not O(N^2).
    """
    yield from ev.memo(
        ("same-day-conflict", template, fact), lambda: _conflict(ev, fact, partner, template)
    )


def _conflict(
    ev: EvaluationView, fact: LineFact, partner: Callable[[LineFact], bool], template: str
) -> tuple[Hit, ...]:
    if fact.dos is None:
        return ()
    group = ev.memo(
        ("same-day-partners", template, fact.patient, fact.entity, fact.dos, fact.site),
        lambda: _Partners(same_day_partners(ev, fact, partner)),
    )
    if not fact.site_bypass:
        count, first = group.others(fact, bypassed=False)
        if count:
            partners = listed(first, fact, count)
            return (Hit(template.format(subject=subject(fact), partners=partners)),)
    count, first = group.others(fact, bypassed=True)
    if not count:
        return ()
    modifier = fact.site_bypass or first[0].site_bypass
    holder = fact if fact.site_bypass else first[0]
    return (
        Hit(
            f"Bypassed by modifier {modifier} on {named(holder, fact)}: {subject(fact)} "
            f"would conflict with {listed(first, fact, count)}; {modifier} asserts a "
            "different site.",
            bypass=modifier,
        ),
    )


class _Partners:
    """The partner lines of one day and site, with and without the XS/59 ones."""

    def __init__(self, lines: list[LineFact]) -> None:
        self._all = lines
        self._plain = [p for p in lines if not p.site_bypass]
        self._counts: dict[bool, Counter[LineFact]] = {}

    def others(self, fact: LineFact, *, bypassed: bool) -> tuple[int, list[LineFact]]:
        """How many lines (those with XS/59 too when ``bypassed``) are not equal
        to ``fact``, and the first :data:`LISTED_AT_MOST` of them."""
        lines = self._all if bypassed else self._plain
        if not lines:
            return 0, []  # most days and sites: no partner at all
        counts = self._counts.get(bypassed)
        if counts is None:
            counts = self._counts[bypassed] = Counter(lines)
        count = len(lines) - counts.get(fact, 0)
        first = list(itertools.islice((p for p in lines if p != fact), LISTED_AT_MOST))
        return count, first


def same_day_partners(
    ev: EvaluationView, fact: LineFact, predicate: Callable[[LineFact], bool]
) -> list[LineFact]:
    """Lines of the same patient, entity, DOS and site matching ``predicate``
    (every billed line, removed or not)."""
    return [other for other in ev.context.same_day_same_site(fact) if predicate(other)]
