"""setuptools' entry point; the metadata lives in setup.cfg.

Pure Python unless ``SCRUBBER_MYPYC=1`` is set (see ``_build/backend.py``):
then mypyc compiles the modules listed in ``_build/mypyc-modules.txt``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from setuptools import setup

ROOT = Path(__file__).resolve().parent
MODULE_LIST = ROOT / "_build" / "mypyc-modules.txt"
# The compiled build's own scratch folder, emptied first: setuptools copies
# whatever its build folder holds into the wheel, so a module compiled by an
# earlier build (and since left out) would come back, and a pure build must
# never see compiled modules.
MYPYC_BUILD = "build/mypyc"


def compiled_modules() -> list[str]:
    """The module paths of ``_build/mypyc-modules.txt`` (comments dropped)."""
    lines = (line.split("#", 1)[0].strip() for line in MODULE_LIST.read_text().splitlines())
    return [line for line in lines if line]


def compiling() -> bool:
    return os.environ.get("SCRUBBER_MYPYC", "") == "1"


def ext_modules() -> list[Any]:
    if not compiling():
        return []
    from mypyc.build import mypycify

    shutil.rmtree(ROOT / MYPYC_BUILD, ignore_errors=True)
    modules = mypycify(
        compiled_modules(),
        opt_level="3",
        debug_level="0",
        multi_file=True,
        target_dir=f"{MYPYC_BUILD}/c",
    )
    return list(modules)


setup(
    ext_modules=ext_modules(),
    options={"build": {"build_base": MYPYC_BUILD}} if compiling() else {},
)
