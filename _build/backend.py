"""The build backend: setuptools' own, plus mypyc when asked for.

``pip install .`` builds a pure-Python wheel exactly as setuptools would.
With ``SCRUBBER_MYPYC=1`` in the environment, building a wheel also asks
for mypy (which holds mypyc, pinned: the compiled code is what this version
makes of it) and for the package's own requirements, so that mypyc type-checks
the modules against the same libraries as ``mypy`` does in development; then
``setup.py`` compiles the modules listed in ``_build/mypyc-modules.txt``.

Only :func:`build_wheel` compiles: every other hook (the requirements, the
metadata, an sdist, an editable install) runs ``setup.py`` pure, so mypyc
runs once and an editable install never puts compiled modules beside the
sources (they would shadow them for everyone working in the checkout).
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from setuptools import build_meta as _setuptools

MYPYC_REQUIRES = ["mypy[mypyc]==2.4.1"]
ROOT = Path(__file__).resolve().parents[1]
VARIABLE = "SCRUBBER_MYPYC"
Settings = dict[str, Any] | None


def compiling() -> bool:
    """Whether this build was asked to compile (``SCRUBBER_MYPYC=1``)."""
    return os.environ.get(VARIABLE, "") == "1"


@contextmanager
def _pure() -> Iterator[None]:
    """Run setuptools with the compiled build switched off."""
    before = os.environ.get(VARIABLE)
    os.environ[VARIABLE] = "0"
    try:
        yield
    finally:
        if before is None:
            del os.environ[VARIABLE]
        else:
            os.environ[VARIABLE] = before


def _install_requires() -> list[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    lines = config.get("options", "install_requires", fallback="").splitlines()
    return [line.strip() for line in lines if line.strip()]


def get_requires_for_build_wheel(config_settings: Settings = None) -> list[str]:
    extra = MYPYC_REQUIRES + _install_requires() if compiling() else []
    with _pure():
        return [*_setuptools.get_requires_for_build_wheel(config_settings), *extra]


def prepare_metadata_for_build_wheel(
    metadata_directory: str, config_settings: Settings = None
) -> str:
    with _pure():
        prepared = _setuptools.prepare_metadata_for_build_wheel(metadata_directory, config_settings)
        return str(prepared)


def build_wheel(
    wheel_directory: str, config_settings: Settings = None, metadata_directory: str | None = None
) -> str:
    return str(_setuptools.build_wheel(wheel_directory, config_settings, metadata_directory))


def get_requires_for_build_sdist(config_settings: Settings = None) -> list[str]:
    with _pure():
        return list(_setuptools.get_requires_for_build_sdist(config_settings))


def build_sdist(sdist_directory: str, config_settings: Settings = None) -> str:
    with _pure():
        return str(_setuptools.build_sdist(sdist_directory, config_settings))


def get_requires_for_build_editable(config_settings: Settings = None) -> list[str]:
    with _pure():
        return list(_setuptools.get_requires_for_build_editable(config_settings))


def prepare_metadata_for_build_editable(
    metadata_directory: str, config_settings: Settings = None
) -> str:
    with _pure():
        return str(
            _setuptools.prepare_metadata_for_build_editable(metadata_directory, config_settings)
        )


def build_editable(
    wheel_directory: str, config_settings: Settings = None, metadata_directory: str | None = None
) -> str:
    with _pure():
        return str(_setuptools.build_editable(wheel_directory, config_settings, metadata_directory))
