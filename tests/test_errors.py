"""One error tree: every error scrubber raises is a ScrubberError, keeps the
builtin base it had, and the console script prints any of them as one line."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import scrubber
from scrubber import errors
from scrubber.status import ExitStatus

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "edi_samples" / "837p_freestanding_pos11.x12"

#: Each error, its parent in the tree and the builtin base it keeps.
TREE = {
    errors.InputError: (errors.ScrubberError, Exception),
    errors.X12InputError: (errors.InputError, ValueError),
    errors.ConfigurationError: (errors.ScrubberError, Exception),
    errors.PolicyError: (errors.ConfigurationError, ValueError),
    errors.RegistryError: (errors.ConfigurationError, ValueError),
    errors.CodeTableError: (errors.ConfigurationError, ValueError),
    errors.RulePackError: (errors.ConfigurationError, ImportError),
    errors.RuleDefinitionError: (errors.RulePackError, ValueError),
    errors.DecisionError: (errors.ScrubberError, ValueError),
    errors.HistoryError: (errors.ScrubberError, RuntimeError),
    errors.HistoryKeyError: (errors.HistoryError, RuntimeError),
    errors.HistoryStoreError: (errors.HistoryError, RuntimeError),
    errors.UsageError: (errors.ScrubberError, ValueError),
}

#: Where each class could be imported from before the tree existed.
OLD_PATHS = {
    "scrubber.history.errors": ("HistoryError", "HistoryKeyError", "HistoryStoreError"),
    "scrubber.history": ("HistoryError", "HistoryKeyError", "HistoryStoreError"),
    "scrubber.rules.discovery": ("RulePackError",),
    "scrubber.rules.outcome": ("DecisionError",),
    "scrubber.rules.policy": ("PolicyError",),
    "scrubber.rules.radonc.codeset": ("CodeTableError",),
    "scrubber.rules.radonc.registry": ("RegistryError",),
    "scrubber.rules": ("PolicyError", "RegistryError"),
    "scrubber.cli.commands.options": ("UsageError",),
    "scrubber": ("X12InputError",),
}


#: Exceptions that never reach a caller of the package (the API, the
#: console script, a host): each with where it ends. A new exception class is
#: either in the tree or here with its reason, else the test below fails.
NOT_RAISED_TO_CALLERS = {
    "scrubber.pipeline.interrupts.Terminated": "SIGTERM as an exception; the CLI exits 143",
    "scrubber.pipeline.passes._Discard": "rolls back a history batch with record=False",
    "scrubber.service.problems.Problem": "an RFC 9457 answer of the HTTP service",
    "scrubber.service.pipes.WorkerLost": "a dead service worker: the service answers 503",
    "scrubber.service.auth.KeyFileError": "scrubber serve turns it into a UsageError",
    "scrubber.pytest_plugin.ClaimMismatch": "a failing claim item of the pytest plugin",
    "scrubber.testing.sidecar.SidecarError": "a bad sidecar: a pytest collection error",
    "scrubber.testing.invariants.Violation": "a broken property in the fuzzer (a test failure)",
}


def _package_exceptions() -> dict[str, type[BaseException]]:
    """Every exception class defined in a module of the scrubber package."""
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(scrubber.__path__, "scrubber."):
        if info.name.endswith("__main__"):
            continue  # runs the command line when imported
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseException)
                and value.__module__ == info.name
            ):
                found[f"{info.name}.{value.__qualname__}"] = value
    return found


def test_every_exception_of_the_package_is_in_the_tree() -> None:
    found = _package_exceptions()
    outside = {name for name in found if name in NOT_RAISED_TO_CALLERS}
    assert outside == set(NOT_RAISED_TO_CALLERS), "a listed exception is gone: drop it"
    found = {name: cls for name, cls in found.items() if name not in outside}
    assert set(found.values()) == {errors.ScrubberError, *TREE}, sorted(found)
    assert all(issubclass(cls, errors.ScrubberError) for cls in found.values())


@pytest.mark.parametrize("cls", list(TREE), ids=lambda cls: cls.__name__)
def test_place_in_the_tree_and_builtin_base(cls: type[Exception]) -> None:
    parent, builtin = TREE[cls]
    assert cls.__bases__[0] is parent
    assert issubclass(cls, builtin)
    assert getattr(scrubber, cls.__name__) is cls


def test_old_import_paths_give_the_same_classes() -> None:
    for module_name, names in OLD_PATHS.items():
        module = importlib.import_module(module_name)
        for name in names:
            assert getattr(module, name) is getattr(errors, name), f"{module_name}.{name}"


def test_tree_is_drawn_in_the_module_docstring() -> None:
    doc = errors.__doc__ or ""
    assert "\n    ScrubberError\n" in doc
    for cls in TREE:
        assert f"── {cls.__name__} " in doc, cls.__name__


def test_exit_statuses() -> None:
    assert [(s.name, int(s)) for s in ExitStatus] == [
        ("OK", 0), ("FINDINGS", 1), ("UNUSABLE", 2), ("INTERRUPTED", 130), ("TERMINATED", 143),
    ]  # fmt: skip
    assert ExitStatus.of_scrub(corrected=0, rejected=0) is ExitStatus.OK
    assert ExitStatus.of_scrub(corrected=1, rejected=0) is ExitStatus.FINDINGS
    assert ExitStatus.of_scrub(corrected=0, rejected=3) is ExitStatus.FINDINGS


def test_api_exit_status_and_bad_as_of() -> None:
    result = scrubber.scrub(SAMPLE, as_of="2026-11-26")
    summary = result.report["summary"]
    expected = 1 if summary["corrected"] or summary["rejected"] else 0
    assert result.exit_status == expected
    assert isinstance(result.exit_status, ExitStatus)
    with pytest.raises(errors.UsageError, match="as_of '2026-13-01' is not a date") as caught:
        scrubber.scrub(SAMPLE, as_of="2026-13-01")
    assert isinstance(caught.value, ValueError)


def test_host_catches_one_class(monkeypatch: pytest.MonkeyPatch) -> None:
    """What an HTTP service does: one except clause for every scrubber error."""
    monkeypatch.setenv("SCRUBBER_HISTORY_KEY", "k" * 32)
    monkeypatch.delenv("SCRUBBER_HISTORY_KEY_FILE", raising=False)
    failures = []
    for source, kwargs in (
        ("not an 837", {}),
        (SAMPLE, {"as_of": "soon"}),
        (SAMPLE, {"history": "mysql://x/y"}),
    ):
        try:
            scrubber.scrub(source, **kwargs)  # type: ignore[arg-type]
        except scrubber.ScrubberError as error:
            failures.append((type(error).__name__, "\n" not in str(error)))
    assert failures == [
        ("X12InputError", True),
        ("UsageError", True),
        ("HistoryStoreError", True),
    ]


def test_cli_prints_a_rule_pack_error_as_one_line(tmp_path: Path) -> None:
    """A ``scrubber.rules`` entry point that is not a pack: one line, exit 2
    (caught once in scrubber.cli.main, not by the command)."""
    dist = tmp_path / "bogus_pack-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: bogus-pack\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[scrubber.rules]\nbogus = json:dumps\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "scrubber", "rules"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == ExitStatus.UNUSABLE
    assert done.stdout == ""
    assert done.stderr == (
        "scrubber rules: entry point 'bogus' (json:dumps, from bogus-pack 1.0) is not a rule pack "
        "(needs name, version, rules and codes)\n"
    )
