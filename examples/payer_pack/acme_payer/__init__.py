"""ACME Health's payer rules: an example third-party pack for scrubber.

Installed, it is found through its ``scrubber.rules`` entry point
(``acme-payer = acme_payer:pack``, see ``setup.cfg``): ``scrubber rules``
lists ACME100 and every scrub applies it. The pack brings its own code set
(``codes.csv``: the ``acme-review`` set), merged with the other packs'.
"""

from __future__ import annotations

from importlib import resources

from acme_payer.rules import RULES
from scrubber.rules.radonc.codeset import parse_code_table
from scrubber.rules.rule import Pack

CODES = parse_code_table(resources.files(__name__).joinpath("codes.csv").read_text("utf-8"))
NAME, _, VERSION = CODES.rule_set.partition("/")

pack = Pack(name=NAME, version=VERSION, rules=RULES, codes=CODES)
