"""The example third-party pack (examples/payer_pack) installed as a real
distribution: pip builds and installs it into a throwaway virtual
environment that also sees this scrubber, and the ``scrubber`` there lists
and applies its rule. Offline: no index, no build isolation."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from scrubber.testing.samples import ClaimSpec, LineSpec, build_837

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "payer_pack"
DOS = dt.date(2026, 3, 2)


@pytest.fixture(scope="module")
def payer_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a fresh venv (no pip of its own) that sees this
    environment's packages, with the example pack pip-installed into it."""
    root = tmp_path_factory.mktemp("payer")
    env = root / "venv"
    venv.EnvBuilder(with_pip=False).create(env)
    python = env / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # This environment's packages (scrubber, its dependencies, pip, setuptools)
    # are visible there, after the venv's own: a .pth line that adds a site dir.
    ours = sysconfig.get_paths()["purelib"]
    (site / "zz_scrubber_env.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    source = root / "payer_pack"
    shutil.copytree(EXAMPLE, source)  # pip builds in place: keep the checkout clean
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", "--disable-pip-version-check", str(source)],
        check=True,
        env=_clean_env(),
    )  # fmt: skip
    return python


def _clean_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    return env


def _scrubber(python: Path, *args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [python, "-m", "scrubber", *args],
        capture_output=True,
        text=True,
        env=_clean_env(),
        cwd=cwd,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.stdout


def test_installed_pack_is_a_distribution_outside_this_environment(payer_env: Path) -> None:
    code = "from importlib.metadata import version; print(version('acme-payer-rules'))"
    done = subprocess.run([payer_env, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "1.0.0"
    mine = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert mine.returncode != 0  # only the throwaway environment has it


def test_scrubber_rules_lists_the_installed_pack(payer_env: Path) -> None:
    table = _scrubber(payer_env, "rules")
    assert "ACME100" in table and "IG105" in table
    explained = json.loads(_scrubber(payer_env, "rules", "ACME100", "--format", "json"))
    assert explained["rule_set"] == "acme-payer/1.0"
    assert explained["name"] == "acme-visit-needs-review"


def test_a_scrub_applies_the_installed_packs_rule(payer_env: Path, tmp_path: Path) -> None:
    text = build_837(
        [
            ClaimSpec("ACME-1", [LineSpec("77412", dos=DOS), LineSpec("99213", dos=DOS)],
                      payer_id="ACME1"),
            ClaimSpec("OTHER-1", [LineSpec("77412", dos=DOS), LineSpec("99213", dos=DOS)]),
        ]
    )  # fmt: skip
    (tmp_path / "batch.x12").write_text(text)
    _scrubber(payer_env, "scrub", "batch.x12", "-o", "out", "--as-of", "2026-11-26",
              "--quiet", "-j", "1", cwd=tmp_path)  # fmt: skip
    report = json.loads((tmp_path / "out" / "batch.report.json").read_text())
    fired = {
        (claim["claim_id"], finding["rule"], finding.get("line"))
        for claim in report["claims"]
        for finding in claim["findings"]
    }
    assert ("ACME-1", "ACME100", 2) in fired
    assert not any(rule == "ACME100" for claim, rule, _ in fired if claim == "OTHER-1")
    assert "acme-payer/1.0" in report["rule_set"]
