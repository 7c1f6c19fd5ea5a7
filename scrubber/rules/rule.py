"""What a rule and a rule pack are.

A :class:`Rule` is catalogue metadata plus one pure check function. Checks
receive facts and an :class:`EvaluationView` (the read-only course context,
the code table, and for count rules the survival of other lines) and return
:class:`Hit` values; they do no I/O and keep no state. The engine turns hits
into :class:`~scrubber.rules.findings.Finding` objects, applying the profile
and the policy.

A pack is anything with ``name``, ``version``, ``rules`` and ``codes`` (its
code-set table; :class:`RulePack`); it is registered under the entry-point
group ``scrubber.rules``, e.g. in a payer's own distribution::

    [options.entry_points]
    scrubber.rules =
        acme-payer = acme_rules.pack:pack

What a pack may rely on is this module: :class:`Rule`, :class:`Hit`,
:class:`Stage`, :class:`Pack`, :class:`EvaluationView`, :class:`CourseView`
(and the fact and code-table types they name). ``docs/rules-guide.md`` walks
through adding a rule and a pack.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, TypeVar

from scrubber.errors import RuleDefinitionError
from scrubber.pickling import by_fields
from scrubber.rules.facts import ClaimFacts, LineFact
from scrubber.rules.findings import Action
from scrubber.rules.radonc.codeset import EMPTY_CODE_TABLE, CodeTable
from scrubber.rules.radonc.courses import Course, CourseKey
from scrubber.rules.radonc.eras import Era
from scrubber.rules.rule_pack import RulePack as RulePack

_T = TypeVar("_T")


class Stage(StrEnum):
    """When a rule runs.

    ``LINE`` rules see every billed line (removed or not); ``COUNT`` rules
    count only lines that no ``LINE`` rule removes or rejects; ``CLAIM`` rules
    look at the claim's outcome after both.
    """

    LINE = "line"
    COUNT = "count"
    CLAIM = "claim"


@dataclass(frozen=True, slots=True)
class Hit:
    """One firing of a check.

    ``bypass`` names the modifier (XS/59) that kept the rule from applying:
    the finding is then a ``warn`` naming the bypass. ``action`` overrides the
    rule's default action for this hit (IG101 repairs units instead of
    removing a line); a policy override still wins over it.
    """

    message: str
    bypass: str = ""
    action: Action | None = None
    status_code: str | None = None
    extra_status_codes: tuple[str, ...] = ()
    repaired_units: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ClaimOutcome:
    """What LINE and COUNT rules did to a claim, for CLAIM rules."""

    facts: ClaimFacts
    removed: frozenset[int]
    rejected: bool


class CourseView(Protocol):
    """What a check may ask about the claims around a line (read-only): the
    batch's and history's lines of the same patient + billing entity."""

    def same_day(self, fact: LineFact) -> tuple[LineFact, ...]:
        """Every billed line of the fact's patient + entity on its DOS (itself included)."""
        ...

    def same_day_same_site(self, fact: LineFact) -> tuple[LineFact, ...]:
        """:meth:`same_day`, limited to the fact's site."""
        ...

    def fractions_on(self, fact: LineFact) -> int:
        """Fractions the fact's patient + entity received on its DOS (all sites)."""
        ...

    def course_key(self, fact: LineFact) -> CourseKey: ...

    def course_of(self, fact: LineFact) -> Course | None:
        """The course the fact's line belongs to (``None``: no course event)."""
        ...

    def lines_of_course_key(self, key: CourseKey) -> tuple[LineFact, ...]:
        """Every dated line of a patient + entity + site, in DOS order."""
        ...


class EvaluationView(Protocol):
    """What a line check receives besides the line (read-only).

    ``codes`` is the code-set table of every loaded pack, merged;
    ``context`` the course context; :meth:`survives` whether a line is
    billed: left standing by every LINE rule, and not a line of a stored
    claim that was rejected (for COUNT rules, which count billed lines
    against a limit); :meth:`memo`
    computes a pure value once per evaluation."""

    @property
    def codes(self) -> CodeTable: ...

    @property
    def context(self) -> CourseView: ...

    def survives(self, fact: LineFact) -> bool: ...

    def memo(self, key: Hashable, compute: Callable[[], _T]) -> _T: ...


LineCheck = Callable[[LineFact, EvaluationView], Iterable[Hit]]
ClaimCheck = Callable[[ClaimOutcome], Iterable[Hit]]


@dataclass(frozen=True, slots=True)
class Rule:
    """One catalogue entry and its check.

    ``status_code`` is the 277CA STC01 composite of its findings (a hit may
    choose another); ``status_codes`` describes them for the catalogue when
    one code does not say it all (:attr:`status_text` falls back to
    ``status_code``).
    ``message`` is the template the check formats. ``mandatory`` rules cannot
    be disabled or re-actioned by a policy. ``applies_to`` names the code sets
    (of the loaded packs' code tables) a line's code must belong to for the
    check to be called at all; empty means every line; a set no loaded pack
    defines is a load error. It only saves work: a check must still return
    nothing for lines outside its trigger.

    ``ignores_other_codes`` is a promise the pipeline's fast path relies on
    (issue 15): the rule never reads a line whose code is in no loaded pack's
    code table (as the line checked or as context of another line), and
    gives no hit for a claim none of whose lines has such a code, as long as
    the claim has a service line and its amounts reconcile (no
    :class:`~scrubber.rules.facts.ChargeDefects`). Plain claims of that kind
    are then copied and acknowledged without facts or rules; one loaded rule
    without the promise turns the fast path off.
    """

    code: str
    name: str
    eras: frozenset[Era]
    stage: Stage
    action: Action
    trigger: str
    message: str
    fix: str
    citation: str
    example: str
    status_code: str = ""
    status_codes: str = ""
    action_text: str = ""
    line_check: LineCheck | None = None
    claim_check: ClaimCheck | None = None
    mandatory: bool = False
    applies_to: tuple[str, ...] = ()
    ignores_other_codes: bool = False

    def __post_init__(self) -> None:
        needs_claim_check = self.stage is Stage.CLAIM
        if needs_claim_check != (self.claim_check is not None) or needs_claim_check == (
            self.line_check is not None
        ):
            raise RuleDefinitionError(
                f"rule {self.code}: a {self.stage.value} rule needs exactly "
                f"{'a claim_check' if needs_claim_check else 'a line_check'}"
            )

    @property
    def status_text(self) -> str:
        """The 277CA status codes as the catalogue shows them (``""``: none)."""
        return self.status_codes or self.status_code

    @property
    def fixable(self) -> bool:
        """An automatic correction exists (line removal or unit repair)."""
        return self.action in (Action.REMOVE_LINE, Action.REPAIR)

    @property
    def era_label(self) -> str:
        labels = [era.value for era in (Era.A, Era.B) if era in self.eras]
        return ",".join(labels) or "-"


@dataclass(frozen=True, slots=True)
class Pack:
    """A plain :class:`RulePack`."""

    name: str
    version: str
    rules: tuple[Rule, ...]
    codes: CodeTable = EMPTY_CODE_TABLE


def rule_set_of(pack: RulePack) -> str:
    """``name/version``, echoed in every finding: ``image-guidance/2026.1``."""
    return f"{pack.name}/{pack.version}"


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(Hit, ClaimOutcome, Rule, Pack)
