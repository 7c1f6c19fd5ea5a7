"""The :class:`RulePack` protocol, re-exported by :mod:`scrubber.rules.rule`
(import it from there: ``from scrubber.rules.rule import RulePack``).

It lives in a module of its own so that a mypyc-compiled build can compile
``rule.py`` and leave this module interpreted: mypyc compiles a protocol
class into a plain class, which ``@runtime_checkable`` refuses, and
:mod:`scrubber.rules.discovery` checks each entry point's object with
``isinstance(obj, RulePack)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from scrubber.rules.radonc.codeset import CodeTable
    from scrubber.rules.rule import Rule


@runtime_checkable
class RulePack(Protocol):
    """A versioned set of rules and the code sets they use, found through the
    ``scrubber.rules`` entry points. ``codes`` may be empty (a pack whose
    rules only use other packs' sets); the engine merges the packs' tables,
    and two packs defining one code differently cannot be loaded together."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def rules(self) -> Sequence[Rule]: ...

    @property
    def codes(self) -> CodeTable: ...
