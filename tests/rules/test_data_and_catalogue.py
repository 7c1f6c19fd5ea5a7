"""The shipped code-set table, the course registry loader, the catalogue,
the entry point and the ``scrubber rules`` command."""

from __future__ import annotations

import datetime as dt
import json
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from scrubber.cli.main import main
from scrubber.rules import RegistryError, load_registry, parse_policy, parse_registry
from scrubber.rules.discovery import discover_packs
from scrubber.rules.image_guidance import pack
from scrubber.rules.radonc.codeset import CodeTableError, load_packaged_code_table, parse_code_table
from scrubber.rules.rule import RulePack

EXPECTED_CODES = [
    "IG000",
    "IG001",
    "IG002",
    "IG101",
    "IG102",
    "IG103",
    "IG104",
    "IG105",
    "IG106",
    "IG107",
    "IG108",
    "IG109",
    "IG110",
    "IG111",
    "IG201",
    "IG202",
    "IG203",
    "IG301",
    "IG302",
    "IG303",
    "IG401",
    "IG402",
    "IG403",
    "IG404",
    "IG405",
    "IG406",
    "IG407",
    "IG408",
]


def test_code_table_matches_rules_md_section_1() -> None:
    table = load_packaged_code_table()
    assert table.rule_set == "image-guidance/2026.1"
    assert table.codes_in("igrt") == {"77387", "77014", "76498", "G6001", "G6002", "G6017"}
    assert table.codes_in("deleted-2015") == {"76950", "77421", "0197T"}
    deleted_2026 = {"77385", "77386", "77401", "77014", *(f"G60{n:02d}" for n in range(1, 18))}
    assert table.codes_in("deleted-2026") == deleted_2026
    for code in deleted_2026:
        entry = table.get(code)
        assert entry is not None and entry.valid_to == dt.date(2025, 12, 31), code
    assert table.codes_in("imrt-bundles-igrt") == {"77385", "77386"}
    assert table.is_fraction("77412") and not table.is_fraction("77401")
    assert not table.is_fraction("77436")
    assert table.get("74177") is None  # the standard's heading typo is never a port image
    assert table.codes_in("port") == {"77417"}


def test_bad_code_tables_are_refused() -> None:
    with pytest.raises(CodeTableError):
        parse_code_table("code,sets\n")
    header = "#rule-set,x/1\ncode,sets,valid_from,valid_to,successor,descriptor\n"
    with pytest.raises(CodeTableError):
        parse_code_table(header + "1,a,2015-13-01,,,\n")
    with pytest.raises(CodeTableError):
        parse_code_table(header + "1,a,,,,\n1,b,,,,\n")


def test_registry_loader(tmp_path: Path) -> None:
    path = tmp_path / "courses.csv"
    path.write_text(
        "\ufeffmember_id,billing_npi,site_icd10,first_dos,planned_fractions\n"
        "mbr1,1234567893,C34.1,2025-03-03,30\n"
        "MBR1,1234567893,C61,20250401,5\n",
        encoding="utf-8",
    )
    registry = load_registry(path)
    assert len(registry) == 2
    (course,) = registry.lookup("MBR1", "1234567893", "C341")
    assert course.planned_fractions == 30 and course.first_dos == dt.date(2025, 3, 3)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("A,1,C61,2025-03-03\n", "expected 5 columns"),
        ("A,1,C61,2025-03-03,0\n", "planned_fractions"),
        ("A,1,C61,03/03/2025,5\n", "first_dos"),
        (",1,C61,2025-03-03,5\n", "member_id is empty"),
    ],
)
def test_registry_errors_name_row_and_column_not_values(text: str, problem: str) -> None:
    with pytest.raises(RegistryError) as caught:
        parse_registry(text)
    assert problem in str(caught.value) and "row 1" in str(caught.value)
    assert "2025" not in str(caught.value).replace("YYYY", "")


def test_catalogue_is_complete_and_well_formed() -> None:
    assert [rule.code for rule in pack.rules] == EXPECTED_CODES
    names = [rule.name for rule in pack.rules]
    assert len(set(names)) == len(names)
    for rule in pack.rules:
        assert rule.trigger and rule.message and rule.fix and rule.citation and rule.example
        rejects = rule.action.value in ("reject-claim", "remove-line", "repair")
        assert bool(rule.status_code) == rejects, rule.code


def test_pack_is_registered_as_an_entry_point() -> None:
    (entry,) = [e for e in entry_points(group="scrubber.rules") if e.name == "image-guidance"]
    loaded = entry.load()
    assert isinstance(loaded, RulePack)
    assert loaded is pack
    assert [p.name for p in discover_packs()] == ["image-guidance"]


def test_example_policy_file_parses() -> None:
    path = Path(__file__).resolve().parents[2] / "scrubber/rules/radonc/data/policy.example.toml"
    policy = parse_policy(path.read_text("utf-8"))
    assert policy.payers["87726"].disabled == {"IG407"}


def run_command(argv: list[str]) -> int:
    return main(argv)  # the console script: errors are printed there, as one line


def test_rules_command_lists_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_command(["rules"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:5] == ["code", "name", "era", "clean", "strict"]
    assert len(out) == 1 + len(EXPECTED_CODES)
    ig105 = next(row for row in out if row.startswith("IG105"))
    assert "igrt-tc-bundled-with-imrt" in ig105 and "remove-line" in ig105
    assert "reject-claim" in ig105 and "A8:735" in ig105


def test_rules_command_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_command(["rules", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [rule["code"] for rule in document] == EXPECTED_CODES
    ig108 = next(rule for rule in document if rule["code"] == "IG108")
    assert ig108["actions"] == {"clean": "reject-claim", "strict": "reject-claim"}
    assert ig108["status_codes"] == "A8:228 (837I) / A8:249 (837P)"
    assert ig108["era"] == "A" and ig108["fix_available"] is False


def test_rules_command_explains_one_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_command(["rules", "ig405"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("IG405 port-once-per-five-fractions (image-guidance/2026.1)")
    assert "Example:" in out and "Citation:" in out and "strict: reject-claim" in out


def test_rules_command_unknown_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_command(["rules", "IG999"]) == 2
    assert capsys.readouterr().err == "scrubber rules: unknown rule code 'IG999'\n"


def test_rule_prefilters_name_real_code_sets() -> None:
    table = load_packaged_code_table()
    for rule in pack.rules:
        for name in rule.applies_to:
            assert table.codes_in(name), (rule.code, name)
