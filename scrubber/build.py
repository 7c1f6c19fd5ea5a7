"""Which build of scrubber is running: pure Python, or compiled by mypyc.

``pip install .`` installs pure Python; ``SCRUBBER_MYPYC=1 pip install .``
compiles the modules listed in the project's ``_build/mypyc-modules.txt``
with mypyc (same behaviour and outputs, faster). ``python -m scrubber.build``
prints which one is installed.
"""

from __future__ import annotations

from importlib.util import find_spec

# A module every compiled build compiles (in the lowest layer; not a
# package's __init__, which stays interpreted).
_PROBE = "scrubber.model.claim"


def compiled() -> bool:
    """Whether the modules of this scrubber were compiled by mypyc."""
    spec = find_spec(_PROBE)
    origin = spec.origin if spec is not None else None
    return origin is not None and not origin.endswith(".py")


def describe() -> str:
    """One line naming the build, e.g. for ``--version`` or a bug report."""
    return "compiled (mypyc)" if compiled() else "pure Python"


if __name__ == "__main__":
    print(describe())
