"""The image-guidance rule pack (RULES.md, rule set ``image-guidance/<version>``).

Registered under the entry-point group ``scrubber.rules`` as
``image-guidance = scrubber.rules.image_guidance:pack``. The version is read
from the shipped code-set table (``scrubber/rules/radonc/data/codes.csv``),
which is the pack's ``codes``: rules and data are versioned together.
"""

from __future__ import annotations

from scrubber.rules.image_guidance import ct, general, igrt, mri, ports
from scrubber.rules.radonc.codeset import CodeTable, load_packaged_code_table
from scrubber.rules.rule import Pack, Rule

RULES: tuple[Rule, ...] = (*general.RULES, *igrt.RULES, *ct.RULES, *mri.RULES, *ports.RULES)


def build_pack(codes: CodeTable | None = None) -> Pack:
    """The pack whose version is that of ``codes`` (default: the shipped table)."""
    table = codes or load_packaged_code_table()
    name, _, version = table.rule_set.partition("/")
    return Pack(name=name, version=version, rules=RULES, codes=table)


pack = build_pack()
