"""The pack contract: packs bring their code tables; loading refuses, naming
the pack at fault, duplicate names, conflicting codes and unknown code sets."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from scrubber.cli.main import main
from scrubber.rules import Engine, RulePackError
from scrubber.rules.discovery import discover_packs
from scrubber.rules.facts import LineFact
from scrubber.rules.findings import Action
from scrubber.rules.image_guidance import pack as image_guidance
from scrubber.rules.radonc.codeset import EMPTY_CODE_TABLE, CodeTable, parse_code_table
from scrubber.rules.rule import EvaluationView, Hit, Pack, Rule, Stage
from tests.rules.rulekit import D, P, line, read

HEADER = "code,sets,valid_from,valid_to,successor,descriptor\n"


def table(rule_set: str, rows: str) -> CodeTable:
    return parse_code_table(f"#rule-set,{rule_set}\n{HEADER}{rows}")


def check_watch(fact: LineFact, ev: EvaluationView) -> Iterator[Hit]:
    if ev.codes.is_in(fact.code, "acme-watch"):
        yield Hit(f"{fact.code} on line {fact.lx} needs the payer's review.")


def watch_rule(code: str = "ACME1", applies_to: tuple[str, ...] = ("acme-watch",)) -> Rule:
    return Rule(
        code=code,
        name="acme-watch",
        eras=image_guidance.rules[1].eras,
        stage=Stage.LINE,
        action=Action.WARN,
        trigger="a code of the acme-watch set",
        message="{code} on line {lx} needs the payer's review.",
        fix="Attach the payer's review form.",
        citation="ACME policy 7",
        example="99213 -> warn",
        line_check=check_watch,
        applies_to=applies_to,
    )


ACME_CODES = table("acme/1", "99213,acme-watch,2015-01-01,,,Office visit\n")


def test_a_packs_own_code_set_is_merged_and_its_rule_fires() -> None:
    acme = Pack("acme", "1", (watch_rule(),), ACME_CODES)
    engine = Engine(as_of=D, packs=[image_guidance, acme])
    assert engine.codes.is_in("99213", "acme-watch")
    assert engine.codes.is_in("77387", "igrt")  # image-guidance's sets are still there
    (decision,) = engine.decide_batch(read([P("C1", line("77412"), line("99213"))]))
    (finding,) = decision.findings
    assert (finding.rule, finding.action, finding.line) == ("ACME1", Action.WARN, 2)


def test_the_image_guidance_pack_declares_its_table() -> None:
    assert image_guidance.codes.rule_set == "image-guidance/2026.1"
    assert Engine(as_of=D, packs=[image_guidance]).codes is image_guidance.codes


def test_two_packs_defining_one_code_differently_cannot_load() -> None:
    other = table("other/2", "99213,other-set,2015-01-01,,,Office visit\n")
    acme = Pack("acme", "1", (watch_rule(),), ACME_CODES)
    rival = Pack("rival", "2", (), other)
    with pytest.raises(RulePackError, match=r"code 99213 .* packs 'acme' and 'rival'"):
        Engine(as_of=D, packs=[image_guidance, acme, rival])


def test_two_packs_may_define_one_code_identically() -> None:
    acme = Pack("acme", "1", (watch_rule(),), ACME_CODES)
    twin = Pack("twin", "1", (), table("twin/1", "99213,acme-watch,2015-01-01,,,Office visit\n"))
    engine = Engine(as_of=D, packs=[acme, twin])
    assert engine.codes.rule_set == "acme/1+twin/1"


def test_applies_to_an_unknown_code_set_is_a_load_error() -> None:
    typo = Pack("acme", "1", (watch_rule(applies_to=("acme-wacth",)),), ACME_CODES)
    with pytest.raises(RulePackError, match=r"pack 'acme' rule ACME1: .*'acme-wacth'"):
        Engine(as_of=D, packs=[image_guidance, typo])


def test_applies_to_may_name_another_packs_set() -> None:
    borrower = Pack("borrower", "1", (watch_rule("B1", ("igrt",)),), EMPTY_CODE_TABLE)
    Engine(as_of=D, packs=[image_guidance, borrower])


def test_duplicate_pack_names_and_rule_codes_are_load_errors() -> None:
    acme = Pack("acme", "1", (watch_rule(),), ACME_CODES)
    with pytest.raises(RulePackError, match="two rule packs are named 'acme'"):
        Engine(as_of=D, packs=[acme, Pack("acme", "2", (), EMPTY_CODE_TABLE)])
    clash = Pack("clash", "1", (watch_rule(),), EMPTY_CODE_TABLE)
    twice = r"ACME1 is defined twice: by pack 'acme' and by pack 'clash'"
    with pytest.raises(RulePackError, match=twice):
        Engine(as_of=D, packs=[acme, clash])


@pytest.fixture
def two_distributions(tmp_path: Path) -> Iterator[Path]:
    """Two installed distributions (dist-info on sys.path) whose entry points
    both give a pack named ``dup``."""
    for name in ("dup_one", "dup_two"):
        (tmp_path / f"{name}.py").write_text(
            textwrap.dedent(
                """
                from scrubber.rules.rule import Pack
                pack = Pack("dup", "1", ())
                """
            )
        )
        info = tmp_path / f"{name}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[scrubber.rules]\ndup = {name}:pack\n")
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in ("dup_one", "dup_two"):
            sys.modules.pop(name, None)


def test_two_entry_points_giving_one_pack_name_are_a_load_error(
    two_distributions: Path,
) -> None:
    with pytest.raises(RulePackError) as raised:
        discover_packs()
    message = str(raised.value)
    assert "rule pack named 'dup'" in message
    assert "dup_one:pack, from dup_one 1.0" in message
    assert "dup_two:pack, from dup_two 1.0" in message


def test_the_cli_reports_a_broken_pack_in_one_line(
    two_distributions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("scrubber rules: two entry points give a rule pack named 'dup'")
    assert err.count("\n") == 1
