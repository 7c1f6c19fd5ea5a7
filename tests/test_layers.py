"""The layers are enforced, not only drawn.

import-linter checks the contracts of setup.cfg (``[importlinter:...]``):
every folder a layer, a lower one never importing a higher one, and the
leaves (errors, status, logs, pickling, build) importing nothing of scrubber. The first test
runs them on the package as it is; the others run them on a copy of it with
one wrong-way import added, and expect them to break, naming that import
(so the check cannot pass by seeing nothing).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "setup.cfg"
LAYERS = "Layers: a lower layer never imports a higher one"
LEAVES = "Leaves: errors, status, logs, pickling and build import nothing of scrubber"
# import-linter's own command, run in a fresh interpreter so that it finds
# the ``scrubber`` package under the working directory (the copy, below).
LINT = (
    "import sys\n"
    "from importlinter.cli import lint_imports\n"
    "sys.exit(lint_imports(config_filename=sys.argv[1], no_cache=True, no_logo=True))\n"
)


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter with the project's contracts on ``root/scrubber``
    (put first on the path: with PYTHONSAFEPATH, as CI's run of the compiled
    build sets it, ``-c`` would not put the working directory there)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSAFEPATH"}
    env["PYTHONPATH"] = str(root)
    return subprocess.run(
        [sys.executable, "-c", LINT, str(CONFIG)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_package_keeps_its_layers() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{LAYERS} KEPT" in done.stdout
    assert f"{LEAVES} KEPT" in done.stdout
    assert "Contracts: 2 kept, 0 broken." in done.stdout


@pytest.mark.parametrize(
    "module, statement, contract, broken",
    [
        (
            "x12/wrong_way.py",
            "from scrubber.pipeline.passes import run_pipeline",
            LAYERS,
            "scrubber.x12.wrong_way -> scrubber.pipeline.passes",
        ),
        (
            "model/claim.py",
            "import scrubber.rules.engine",
            LAYERS,
            "scrubber.model.claim -> scrubber.rules.engine",
        ),
        (
            "rules/wrong_way.py",
            "import scrubber.history.store",
            LAYERS,
            "scrubber.rules.wrong_way -> scrubber.history.store",
        ),
        (
            "outputs/wrong_way.py",
            "def later() -> None:\n    from scrubber.api import scrub\n",
            LAYERS,
            "scrubber.outputs.wrong_way -> scrubber.api",
        ),
        (
            "cli/wrong_way.py",
            "from scrubber.testing.samples import build_837",
            LAYERS,
            "scrubber.cli.wrong_way -> scrubber.testing.samples",
        ),
        (
            "service/__init__.py",
            "from scrubber.cli import main",
            LAYERS,
            "scrubber.service -> scrubber.cli",
        ),
        (
            "errors.py",
            "from scrubber.model import Claim",
            LEAVES,
            "scrubber.errors -> scrubber.model",
        ),
        (
            "logs.py",
            "from scrubber.errors import X12InputError",
            LEAVES,
            "scrubber.logs -> scrubber.errors",
        ),
        ("status.py", "import scrubber", LEAVES, "scrubber.status -> scrubber (l."),
    ],
)
def test_a_wrong_way_import_breaks_a_contract(
    tmp_path: Path, module: str, statement: str, contract: str, broken: str
) -> None:
    shutil.copytree(
        ROOT / "scrubber", tmp_path / "scrubber", ignore=shutil.ignore_patterns("__pycache__")
    )
    target = tmp_path / "scrubber" / module
    target.parent.mkdir(exist_ok=True)
    with target.open("a", encoding="utf-8") as stream:
        stream.write(f"\n{statement}\n")
    done = lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{contract} BROKEN" in done.stdout
    assert broken in done.stdout
