"""Loading rule packs together: the checks that name the pack at fault.

:func:`load_packs` is what an :class:`~scrubber.rules.engine.Engine` does
with its packs: it merges their code-set tables and lists their rules, and
refuses (:class:`RulePackError`, naming the packs and rules concerned):

- two packs with the same name;
- two rules with the same code;
- one code defined differently by two packs' tables;
- a rule whose ``applies_to`` names a code set no loaded pack defines
  (it would silently never run).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scrubber.errors import RuleDefinitionError, RulePackError
from scrubber.pickling import by_fields
from scrubber.rules.radonc.codeset import EMPTY_CODE_TABLE, CodeEntry, CodeTable, code_table
from scrubber.rules.rule import Rule, RulePack, rule_set_of


@dataclass(frozen=True, slots=True)
class LoadedPacks:
    """Packs checked to work together: their rules (with each one's
    ``pack/version``) and their merged code table."""

    packs: tuple[RulePack, ...]
    rules: tuple[tuple[Rule, str], ...]
    codes: CodeTable


def load_packs(packs: Sequence[RulePack]) -> LoadedPacks:
    """Check ``packs`` (see the module docstring) and merge their tables."""
    names = [pack.name for pack in packs]
    for name in names:
        if names.count(name) > 1:
            raise RulePackError(f"two rule packs are named {name!r}")
    codes = merge_code_tables(packs)
    rules: list[tuple[Rule, str]] = []
    defined_by: dict[str, str] = {}
    for pack in packs:
        for rule in pack.rules:
            if rule.code in defined_by:
                raise RuleDefinitionError(
                    f"rule {rule.code} is defined twice: by pack {defined_by[rule.code]!r} "
                    f"and by pack {pack.name!r}"
                )
            defined_by[rule.code] = pack.name
            _check_applies_to(pack, rule, codes)
            rules.append((rule, rule_set_of(pack)))
    return LoadedPacks(tuple(packs), tuple(rules), codes)


def merge_code_tables(packs: Sequence[RulePack]) -> CodeTable:
    """One table holding every pack's codes. A code two packs define must be
    defined identically (same sets, dates, successor, descriptor)."""
    tables = [pack for pack in packs if pack.codes.entries]
    if not tables:
        return EMPTY_CODE_TABLE
    if len(tables) == 1:
        return tables[0].codes  # the pack's own object: nothing to merge
    entries: dict[str, CodeEntry] = {}
    owner: dict[str, str] = {}
    for pack in tables:
        for code, entry in pack.codes.entries.items():
            known = entries.setdefault(code, entry)
            if known != entry:
                raise RulePackError(
                    f"code {code} is defined differently by packs {owner[code]!r} "
                    f"and {pack.name!r} (each pack must use its own codes, or define "
                    "a shared one identically)"
                )
            owner.setdefault(code, pack.name)
    return code_table("+".join(pack.codes.rule_set for pack in tables), entries)


def _check_applies_to(pack: RulePack, rule: Rule, codes: CodeTable) -> None:
    unknown = [name for name in rule.applies_to if name not in codes.members]
    if unknown:
        raise RulePackError(
            f"pack {pack.name!r} rule {rule.code}: applies_to names unknown code "
            f"set(s) {', '.join(map(repr, unknown))} (no loaded pack's code table defines them)"
        )


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(LoadedPacks)
