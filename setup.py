"""setuptools' entry point; the metadata lives in setup.cfg.

Pure Python unless ``SCRUBBER_MYPYC=1`` is set (see ``_build/backend.py``):
then mypyc compiles the modules listed in ``_build/mypyc-modules.txt``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from setuptools import setup

MODULE_LIST = Path(__file__).resolve().parent / "_build" / "mypyc-modules.txt"


def compiled_modules() -> list[str]:
    """The module paths of ``_build/mypyc-modules.txt`` (comments dropped)."""
    lines = (line.split("#", 1)[0].strip() for line in MODULE_LIST.read_text().splitlines())
    return [line for line in lines if line]


def ext_modules() -> list[Any]:
    if os.environ.get("SCRUBBER_MYPYC", "") != "1":
        return []
    from mypyc.build import mypycify

    return list(mypycify(compiled_modules(), opt_level="3", debug_level="0", multi_file=True))


setup(ext_modules=ext_modules())
