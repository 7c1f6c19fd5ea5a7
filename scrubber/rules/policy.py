"""Profiles and policy files: which action each rule takes, for which payer.

Profiles: ``clean`` uses each rule's catalogue action; ``strict`` (for a
clearinghouse that must not alter claims) turns every ``remove-line`` and
``repair`` into ``reject-claim``. The profile is applied last, so no policy
can make ``strict`` alter a claim.

Policy file (TOML)::

    # Global settings apply to every payer.
    disable = ["IG104"]                 # rules that never run

    [actions]                           # action overrides
    IG303 = "reject-claim"

    # Per payer id (2010BB NM109); these win over the global settings.
    [payers."87726"]
    disable = ["IG407"]
    enable = ["IG104"]                  # re-enable a globally disabled rule

    [payers."87726".actions]
    IG105 = "warn"

Actions are ``reject-claim``, ``remove-line``, ``repair``, ``warn`` and
``not-evaluated``. Unknown keys, unknown rule codes and unknown actions are
errors, as is disabling or re-actioning a mandatory rule (IG002: a claim with
no billable line cannot be sent). See ``data/policy.example.toml``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from scrubber.errors import PolicyError as PolicyError
from scrubber.pickling import by_fields
from scrubber.rules.findings import Action


class Profile(StrEnum):
    CLEAN = "clean"
    STRICT = "strict"


@dataclass(frozen=True, slots=True)
class Overrides:
    disabled: frozenset[str] = frozenset()
    enabled: frozenset[str] = frozenset()
    actions: Mapping[str, Action] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class Policy:
    """Global and per-payer overrides (empty: the catalogue as is)."""

    default: Overrides = Overrides()
    payers: Mapping[str, Overrides] = field(default_factory=lambda: MappingProxyType({}))

    def action(self, rule: str, catalogue_action: Action, payer_id: str) -> Action | None:
        """The action ``rule`` takes for ``payer_id`` before the profile, or
        ``None`` when the rule is disabled for that payer."""
        payer = self.payers.get(payer_id)
        if payer is not None and rule in payer.disabled:
            return None
        if rule in self.default.disabled and not (payer is not None and rule in payer.enabled):
            return None
        if payer is not None and rule in payer.actions:
            return payer.actions[rule]
        return self.default.actions.get(rule, catalogue_action)

    def overridden(self, rule: str, payer_id: str) -> bool:
        payer = self.payers.get(payer_id)
        return (payer is not None and rule in payer.actions) or rule in self.default.actions

    def rule_codes(self) -> frozenset[str]:
        codes: set[str] = set()
        for overrides in (self.default, *self.payers.values()):
            codes |= overrides.disabled | overrides.enabled | set(overrides.actions)
        return frozenset(codes)

    def check_against(self, known: Collection[str], mandatory: Collection[str]) -> None:
        """Raise :class:`PolicyError` for unknown or mandatory rule codes."""
        for code in sorted(self.rule_codes()):
            if code not in known:
                raise PolicyError(f"policy names unknown rule {code!r}")
            if code in mandatory:
                raise PolicyError(f"policy cannot change mandatory rule {code}")


NO_POLICY = Policy()


def apply_profile(action: Action, profile: Profile) -> Action:
    if profile is Profile.STRICT and action in (Action.REMOVE_LINE, Action.REPAIR):
        return Action.REJECT_CLAIM
    return action


def parse_policy(text: str) -> Policy:
    """Parse policy TOML text (see the module docstring)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"policy is not valid TOML: {error}") from error
    payers_table = document.pop("payers", {})
    if not isinstance(payers_table, dict):
        raise PolicyError("policy key 'payers' must be a table of payer ids")
    default = _overrides(document, "policy")
    payers = {
        str(payer): _overrides(table, f"payers.{payer}") for payer, table in payers_table.items()
    }
    return Policy(default, MappingProxyType(payers))


def load_policy(path: str | Path) -> Policy:
    return parse_policy(Path(path).read_text("utf-8"))


def _overrides(table: Any, where: str) -> Overrides:
    if not isinstance(table, dict):
        raise PolicyError(f"{where} must be a table")
    unknown = set(table) - {"disable", "enable", "actions"}
    if unknown:
        raise PolicyError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    actions_table = table.get("actions", {})
    if not isinstance(actions_table, dict):
        raise PolicyError(f"{where}.actions must be a table of rule = action")
    actions: dict[str, Action] = {}
    for rule, value in actions_table.items():
        try:
            actions[str(rule)] = Action(value)
        except ValueError as error:
            choices = ", ".join(a.value for a in Action)
            raise PolicyError(
                f"{where}.actions.{rule}: {value!r} is not one of {choices}"
            ) from error
    return Overrides(
        disabled=_codes(table.get("disable", []), f"{where}.disable"),
        enabled=_codes(table.get("enable", []), f"{where}.enable"),
        actions=MappingProxyType(actions),
    )


def _codes(value: Any, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{where} must be a list of rule codes")
    return frozenset(value)


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(Overrides, Policy)
