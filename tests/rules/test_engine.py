"""The engine: profiles, policies, interplay between rules, two-pass API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from scrubber.rules import Engine, PolicyError, parse_policy
from scrubber.rules.engine import decide_claim
from scrubber.rules.findings import Action, ClaimStatus
from scrubber.rules.image_guidance import pack
from scrubber.rules.rule import Hit, Pack, Rule, Stage
from tests.rules.rulekit import AS_OF, D, I, P, decide, line, read

IMRT_DAY = [P("C1", line("77385"), line("77387", D, "TC"), line("77417", D, units=2))]


def test_clean_profile_removes_and_repairs() -> None:
    outcome = decide([P("C1", line("77412"), line("77417", D, units=3))], as_of=D, profile="clean")
    decision = outcome["C1"]
    assert decision.status is ClaimStatus.CORRECTED
    assert decision.repaired_units == {2: Decimal(1)}
    (finding,) = outcome.fired("C1", "IG402", 2)
    assert finding.repaired_units == Decimal(1)


def test_strict_profile_turns_remove_and_repair_into_reject() -> None:
    outcome = decide(IMRT_DAY, as_of=D, profile="strict")
    decision = outcome["C1"]
    assert decision.status is ClaimStatus.REJECTED
    assert decision.removed_lines == frozenset()
    assert decision.repaired_units == {}
    actions = {(f.rule, f.action) for f in decision.findings}
    assert ("IG105", Action.REJECT_CLAIM) in actions
    assert ("IG403", Action.REJECT_CLAIM) in actions
    (ig105,) = outcome.fired("C1", "IG105")
    assert ig105.status_code == "A8:735"


def test_strict_repair_rejects() -> None:
    outcome = decide([P("C1", line("77412"), line("77417", D, units=3))], as_of=D, profile="strict")
    assert outcome["C1"].status is ClaimStatus.REJECTED
    assert outcome.action("C1", "IG402", 2) is Action.REJECT_CLAIM


def test_claim_with_every_line_removed_is_rejected() -> None:
    outcome = decide([P("C0", line("77385")), P("C1", line("77387", D, "TC"))])
    assert outcome["C1"].status is ClaimStatus.REJECTED
    (finding,) = outcome.fired("C1", "IG002")
    assert finding.line is None and finding.status_code == "A3:21"
    assert outcome["C1"].removed_lines == frozenset()


def test_policy_overrides_action_per_payer() -> None:
    policy = parse_policy('[payers.PAYER01.actions]\nIG105 = "warn"\n')
    outcome = decide(IMRT_DAY, as_of=D, policy=policy)
    assert outcome.action("C1", "IG105", 2) is Action.WARN
    other = decide([P("C1", line("77385"), line("77387", D, "TC"), payer_id="PAYER02")])
    assert other.action("C1", "IG105", 2) is Action.REMOVE_LINE


def test_policy_disables_globally_and_reenables_per_payer() -> None:
    policy = parse_policy('disable = ["IG104"]\n[payers.PAYER02]\nenable = ["IG104"]\n')
    claim = [line("77412"), line("77387", D, "26")]
    assert not decide([P("C1", *claim)], policy=policy).fired("C1", "IG104")
    assert decide([P("C1", *claim, payer_id="PAYER02")], policy=policy).fired("C1", "IG104")


def test_policy_override_wins_over_a_hits_own_action_but_not_over_strict() -> None:
    policy = parse_policy('[actions]\nIG101 = "warn"\nIG303 = "reject-claim"\n')
    claim = P("C1", line("77412"), line("77387", D, "26", units=3))
    assert decide([claim], policy=policy).action("C1", "IG101", 2) is Action.WARN
    mri = P("C1", line("76498", D, attachment=True), prior_authorization="A1")
    outcome = decide([mri], policy=policy)
    (finding,) = outcome.fired("C1", "IG303")
    assert finding.action is Action.REJECT_CLAIM and finding.status_code == "A3:21"
    strict = parse_policy('[actions]\nIG105 = "remove-line"\n')
    assert decide(IMRT_DAY, policy=strict, profile="strict")["C1"].status is ClaimStatus.REJECTED


def test_policy_changes_what_count_rules_count() -> None:
    """A port another rule would remove counts once that rule is disabled."""
    days = [D + dt.timedelta(days=n) for n in range(4)]
    claim = P(
        "C1",
        *(line("77412", d) for d in days),
        line("77417", days[0], "26"),
        line("77417", days[2]),
    )
    assert not decide([claim], as_of=D).fired("C1", "IG405")
    policy = parse_policy('disable = ["IG401"]\n')
    assert decide([claim], as_of=D, policy=policy).fired("C1", "IG405", 6)


@pytest.mark.parametrize(
    "text",
    [
        'disable = ["IG999"]',
        'disable = ["IG002"]',
        '[actions]\nIG105 = "delete"',
        "colour = 1",
        "disable = 'IG104'",
        "[payers]\nX = 1",
        "not toml [",
    ],
)
def test_bad_policies_are_refused(text: str) -> None:
    with pytest.raises(PolicyError):
        Engine(policy=parse_policy(text), as_of=AS_OF)


def test_same_day_rules_see_removed_lines_but_count_rules_do_not() -> None:
    # 77014-26 is removed (IG202) yet still puts the port on an IGRT day (IG403),
    # and it does not use up the single IGRT unit allowed that day (IG101).
    outcome = decide(
        [P("C1", line("77412"), line("77014", D, "26"), line("77387", D, "26"), line("77417"))]
    )
    assert outcome.fired("C1", "IG202", 2)
    assert outcome.fired("C1", "IG403", 4)
    assert not outcome.fired("C1", "IG101")


def test_igrt_count_spans_claims_and_keeps_the_earliest() -> None:
    outcome = decide(
        [P("C1", line("77412"), line("77387", D, "26")), P("C2", line("77387", D, "26"))]
    )
    assert not outcome.fired("C1", "IG101")
    (finding,) = outcome.fired("C2", "IG101", 1)
    assert "claim C1 line 2" in finding.message
    assert outcome["C2"].status is ClaimStatus.REJECTED  # its only line is removed: IG002


def test_modifier_59_bypass_is_a_warning_naming_the_bypass() -> None:
    outcome = decide([P("C1", line("77290"), line("77014", D, "TC", "59"))])
    (finding,) = outcome.fired("C1", "IG201", 2)
    assert finding.action is Action.WARN
    assert "59" in finding.message
    assert outcome["C1"].status is ClaimStatus.ACCEPTED


def test_claim_spanning_2025_and_2026_is_judged_line_by_line() -> None:
    outcome = decide(
        [
            P(
                "C1",
                line("77412", dt.date(2025, 12, 31)),
                line("77387", dt.date(2025, 12, 31), "TC"),
                line("77412", dt.date(2026, 1, 2)),
                line("77387", dt.date(2026, 1, 2), "TC"),
            )
        ]
    )
    assert outcome.rules("C1") >= {("IG110", 4)}
    assert not outcome.fired("C1", "IG110", 2)
    assert outcome["C1"].removed_lines == frozenset({4})


def test_undated_and_pre_2015_lines_are_not_evaluated_never_clean() -> None:
    outcome = decide([P("C1", line("77387", dt.date(2014, 6, 2), "TC"))])
    assert outcome.rules("C1") == {("IG000", 1)}
    assert outcome.action("C1", "IG000", 1) is Action.NOT_EVALUATED


def test_findings_carry_what_the_report_and_277ca_need() -> None:
    outcome = decide(
        [P("C1", line("77385"), line("77387", D, "TC", line_control="PCN1L2"))], as_of=D
    )
    (finding,) = outcome.fired("C1", "IG105")
    assert (finding.line, finding.line_control, finding.procedure) == (2, "PCN1L2", "77387")
    assert finding.modifiers == ("TC",) and finding.dos == D
    assert finding.status_code == "A8:735" and finding.rule_set == "image-guidance/2026.1"
    assert finding.citation.startswith("standard-image-guidance")


def test_ig301_status_codes_for_missing_authorization_and_documentation() -> None:
    outcome = decide([P("C1", line("76498"))])
    (finding,) = outcome.fired("C1", "IG301")
    assert finding.status_code == "A6:252:PR"
    assert finding.extra_status_codes == ("A6:294", "A6:306")


def test_two_pass_api_matches_decide_batch() -> None:
    claims = read([*IMRT_DAY, P("C2", line("77387", D, "26")), I("C3", line("77385"))])
    engine = Engine(as_of=D)
    facts = [engine.facts_of(claim, seq) for seq, claim in enumerate(claims)]
    context = engine.build_context(reversed(facts))
    evaluation = engine.evaluation(context)
    two_pass = [decide_claim(f, evaluation) for f in facts]
    assert two_pass == engine.decide_batch(claims)
    assert engine.decide(claims[1], context, seq=1) == two_pass[1]
    assert engine.rule_set == "image-guidance/2026.1"


def test_history_facts_are_context_but_not_decided() -> None:
    earlier = read([P("OLD", line("77385"))])
    engine = Engine(as_of=D)
    history = [engine.facts_of(earlier[0], 0, source="batch-1")]
    decisions = engine.decide_batch(read([P("NEW", line("77387", D, "TC"))]), history=history)
    assert len(decisions) == 1
    assert {f.rule for f in decisions[0].findings} >= {"IG105", "IG002"}


def test_a_third_party_pack_runs_beside_image_guidance() -> None:
    def no_99213(fact, ev):  # type: ignore[no-untyped-def]
        if fact.code == "99213":
            yield Hit(f"99213 on line {fact.lx} is not covered by this payer.")

    rule = Rule(
        code="ACME1",
        name="no-office-visit",
        eras=pack.rules[1].eras,
        stage=Stage.LINE,
        action=Action.REMOVE_LINE,
        trigger="99213",
        message="99213 on line {lx} is not covered by this payer.",
        fix="Bill the visit elsewhere.",
        citation="ACME policy 7",
        example="99213 -> removed",
        line_check=no_99213,
    )
    acme = Pack("acme", "1", (rule,))
    engine = Engine(as_of=D, packs=[pack, acme])
    (decision,) = engine.decide_batch(read([P("C1", line("77412"), line("99213"))]))
    (finding,) = decision.findings
    assert (finding.rule, finding.rule_set, finding.line) == ("ACME1", "acme/1", 2)
    assert engine.rule_set == "image-guidance/2026.1+acme/1"


def test_rule_without_its_check_is_refused() -> None:
    with pytest.raises(ValueError):
        Rule("X1", "x", pack.rules[1].eras, Stage.LINE, Action.WARN, "", "", "", "", "")
