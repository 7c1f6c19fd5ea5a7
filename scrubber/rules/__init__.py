"""Rules: code sets, course context, rule packs and the decide step.

Public entry points::

    from scrubber.rules import Engine, load_policy, load_registry

    engine = Engine(profile="clean", policy=load_policy("policy.toml"),
                    as_of=date(2026, 11, 26), registry=load_registry("courses.csv"))
    decisions = engine.decide_batch(claims)   # one ClaimDecision per claim, same order
    engine.evaluate(facts, history)           # the same from facts (+ context-only facts)
    engine.rule_set                           # "image-guidance/2026.1", for the report

Writing a rule or a pack: :mod:`scrubber.rules.rule` is the contract
(``docs/rules-guide.md``).
"""

from scrubber.errors import RulePackError
from scrubber.rules.context import Context, build_context
from scrubber.rules.engine import Engine, decide_claim
from scrubber.rules.facts import ClaimFacts, LineFact, facts_of
from scrubber.rules.policy import Policy, PolicyError, Profile, load_policy, parse_policy
from scrubber.rules.radonc.registry import (
    CourseRegistry,
    RegistryError,
    load_registry,
    parse_registry,
)
from scrubber.rules.rule import CourseView, EvaluationView, Hit, Pack, Rule, RulePack, Stage

__all__ = [
    "ClaimFacts",
    "Context",
    "CourseRegistry",
    "CourseView",
    "Engine",
    "EvaluationView",
    "Hit",
    "LineFact",
    "Pack",
    "Policy",
    "PolicyError",
    "Profile",
    "RegistryError",
    "Rule",
    "RulePack",
    "RulePackError",
    "Stage",
    "build_context",
    "decide_claim",
    "facts_of",
    "load_policy",
    "load_registry",
    "parse_policy",
    "parse_registry",
]
