"""The rule catalogue as data: what ``scrubber rules --format json`` prints
and ``GET /v1/rules`` answers (one dict per rule of every pack found)."""

from __future__ import annotations

from typing import Any

from scrubber.rules.discovery import discover_packs
from scrubber.rules.packs import load_packs
from scrubber.rules.policy import Profile, apply_profile
from scrubber.rules.rule import Rule


def catalogue() -> list[tuple[str, Rule]]:
    """(rule set, rule) of every rule of every pack, in pack order, the packs
    loaded as a scrub loads them (a pack that cannot load raises
    :class:`~scrubber.errors.RulePackError`: it is reported, not listed)."""
    return [(rule_set, rule) for rule, rule_set in load_packs(discover_packs()).rules]


def actions(rule: Rule) -> dict[str, str]:
    """The rule's action in each profile (without a policy)."""
    clean = rule.action_text or rule.action.value
    strict = apply_profile(rule.action, Profile.STRICT).value
    return {Profile.CLEAN.value: clean, Profile.STRICT.value: strict}


def rule_as_dict(rule: Rule, rule_set: str) -> dict[str, Any]:
    return {
        "code": rule.code,
        "name": rule.name,
        "rule_set": rule_set,
        "era": rule.era_label,
        "stage": rule.stage.value,
        "actions": actions(rule),
        "status_codes": rule.status_text or None,
        "fix_available": rule.fixable,
        "trigger": rule.trigger,
        "message": rule.message,
        "fix": rule.fix,
        "citation": rule.citation,
        "example": rule.example,
    }
