"""pytest plugin: every claim of your fixture 837s as a test item.

Registered through the ``pytest11`` entry point, and off by default: it
collects nothing unless ``--scrub-claims`` is given or the ini option
``scrub_claims`` names file globs::

    # pytest.ini / [tool.pytest.ini_options] / [tool:pytest]
    scrub_claims = samples/*.x12 fixtures/**/*.837
    scrub_as_of = 2026-11-26      # optional: the date that ends courses

``--scrub-claims`` alone matches ``*.x12``, ``*.837`` and ``*.edi`` (or the
ini globs). Globs are matched against paths relative to the rootdir (a glob
without ``/`` against file names). Files are collected where pytest looks;
when pytest runs its ``testpaths`` (no paths on the command line), files the
ini globs match outside them are added.

Each claim of a matching file is one item, ``samples/batch.x12::CLAIM01``
(``CLAIM01#2`` for a repeated claim id), so ``-k``, ``-x`` and
``--junitxml`` work as for any test. Expectations live in a sidecar,
``batch.x12.scrub.json`` (:mod:`scrubber.testing.sidecar`): a claim passes
when its status and rule codes are the expected ones; without a sidecar, a
claim passes only when it is accepted. ``--scrub-update`` writes the
sidecars from what the scrubber now says (snapshot workflow; every item
passes). A failure reads like the command's summary: claim, line, rule,
action, message and fix.

Options: ``--scrub-as-of`` / ini ``scrub_as_of`` (default: the sidecar's
``as_of``, else today), ini ``scrub_profile`` (``clean``), ini
``scrub_policy`` (a policy file, relative to the rootdir).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scrubber.testing.sidecar import Expected, Sidecar, SidecarError

DEFAULT_GLOBS = ("*.x12", "*.837", "*.edi")
_UPDATES = pytest.StashKey[dict[Path, dict[str, Expected]]]()
_CLAIM_NAMES = pytest.StashKey[dict[Path, list[str]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("scrubber", "claim scrubber (X12 837 fixtures)")
    group.addoption("--scrub-claims", action="store_true",
                    help="collect every claim of matching X12 files as a test item "
                    "(globs: ini scrub_claims, default *.x12 *.837 *.edi)")  # fmt: skip
    group.addoption("--scrub-update", action="store_true",
                    help="rewrite the .scrub.json sidecars from the current results")  # fmt: skip
    group.addoption("--scrub-as-of", metavar="YYYY-MM-DD",
                    help="the date that decides whether a course has ended")  # fmt: skip
    parser.addini("scrub_claims", "globs of X12 files whose claims are test items",
                  type="args", default=[])  # fmt: skip
    parser.addini("scrub_as_of", "the date that decides whether a course has ended", default="")
    parser.addini("scrub_profile", "scrub profile: clean or strict", default="clean")
    parser.addini("scrub_policy", "policy file (TOML), relative to the rootdir", default="")


def _globs(config: pytest.Config) -> tuple[str, ...]:
    """The globs to collect, or ``()`` when the plugin is off."""
    globs = tuple(str(g) for g in config.getini("scrub_claims"))
    if globs:
        return globs
    return DEFAULT_GLOBS if config.getoption("scrub_claims") else ()


def _matches(config: pytest.Config, path: Path, globs: tuple[str, ...]) -> bool:
    try:
        relative = path.resolve().relative_to(config.rootpath.resolve()).as_posix()
    except ValueError:
        relative = path.as_posix()
    return any(
        fnmatch.fnmatch(relative if "/" in glob else path.name, glob.removeprefix("./"))
        for glob in globs
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_UPDATES] = {}
    config.stash[_CLAIM_NAMES] = {}
    globs = tuple(str(g) for g in config.getini("scrub_claims"))
    if globs and config.args_source == pytest.Config.ArgsSource.TESTPATHS:
        config.args.extend(_outside_testpaths(config, globs))


def _outside_testpaths(config: pytest.Config, globs: tuple[str, ...]) -> list[str]:
    """Files the ini globs match that the testpaths do not contain."""
    roots = [Path(arg).resolve() for arg in config.args]
    found: list[str] = []
    for glob in globs:
        for path in sorted(config.rootpath.glob(glob)):
            resolved = path.resolve()
            if path.is_file() and not any(resolved.is_relative_to(root) for root in roots):
                found.append(str(path))
    return found


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ScrubFile | None:
    globs = _globs(parent.config)
    if globs and not file_path.name.endswith(".py") and _matches(parent.config, file_path, globs):
        return ScrubFile.from_parent(parent, path=file_path)
    return None


class ScrubFile(pytest.File):
    """An X12 file: scrubbed once at collection, one item per claim."""

    def collect(self) -> Iterator[ClaimItem]:
        from scrubber.errors import X12InputError

        config = self.config
        try:
            sidecar = Sidecar.load(Sidecar.for_file(self.path))
        except SidecarError as error:
            raise self.CollectError(str(error)) from None
        as_of = _as_of(config, sidecar)
        try:
            entries = _scrub(config, self.path, as_of)
        except X12InputError as error:
            raise self.CollectError(f"{self.path}: {error}") from None
        except (ValueError, OSError) as error:  # a bad policy, as_of or file
            raise self.CollectError(f"{self.path}: {error}") from None
        seen: dict[str, int] = {}
        claim_names = [_unique(entry["claim_id"], seen) for entry in entries]
        config.stash[_CLAIM_NAMES][self.path] = claim_names
        if sidecar is not None and not config.getoption("scrub_update"):
            self._warn_stale(sidecar, claim_names)
        for name, entry in zip(claim_names, entries, strict=True):
            expected = None if sidecar is None else sidecar.claims.get(name)
            yield ClaimItem.from_parent(
                self, name=name, entry=entry, expected=expected, has_sidecar=sidecar is not None,
                as_of=as_of,
            )  # fmt: skip

    def _warn_stale(self, sidecar: Sidecar, claim_names: list[str]) -> None:
        """A warning naming the claims the sidecar expects that the file lacks."""
        stale = [name for name in sidecar.claims if name not in set(claim_names)]
        if stale:
            self.warn(
                pytest.PytestWarning(
                    f"{sidecar.path.name} expects claims not in {self.path.name}: "
                    f"{', '.join(stale)} (pytest --scrub-update drops them)"
                )
            )


def _scrub(config: pytest.Config, path: Path, as_of: str) -> list[dict[str, Any]]:
    from scrubber.api import scrub

    policy = str(config.getini("scrub_policy") or "")
    result = scrub(
        path,
        profile=str(config.getini("scrub_profile") or "clean"),
        as_of=as_of,
        policy=config.rootpath / policy if policy else None,
    )
    claims: list[dict[str, Any]] = result.report["claims"]
    return claims


def _as_of(config: pytest.Config, sidecar: Sidecar | None) -> str:
    chosen = config.getoption("scrub_as_of") or (sidecar.as_of if sidecar else None)
    return str(chosen or config.getini("scrub_as_of") or dt.date.today().isoformat())


def _unique(claim_id: str, seen: dict[str, int]) -> str:
    count = seen.get(claim_id, 0) + 1
    seen[claim_id] = count
    return claim_id if count == 1 else f"{claim_id}#{count}"


class ClaimMismatch(Exception):
    """A claim that did not come out as expected (the message is the report)."""


class ClaimItem(pytest.Item):
    """One claim: passes when it comes out as its sidecar expects (or, with
    no sidecar, accepted)."""

    def __init__(
        self,
        *,
        entry: dict[str, Any],
        expected: Expected | None,
        has_sidecar: bool,
        as_of: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.entry = entry
        self.expected = expected
        self.has_sidecar = has_sidecar
        self.as_of = as_of

    def runtest(self) -> None:
        actual = Expected.of_entry(self.entry)
        if self.config.getoption("scrub_update"):
            self.config.stash[_UPDATES].setdefault(self.path, {})[self.name] = actual
            return
        if self.expected is None:
            if actual.status == "accepted":
                return
            want = "accepted (no expectation in " + (
                f"{Sidecar.for_file(self.path).name})" if self.has_sidecar else "a sidecar)"
            )
            raise ClaimMismatch(self._explain(want, actual))
        if actual != self.expected:
            raise ClaimMismatch(self._explain(str(self.expected), actual))

    def _explain(self, want: str, actual: Expected) -> str:
        lines = [f"claim {self.name} (as of {self.as_of}): expected {want}, got {actual}"]
        for f in self.entry["findings"]:
            where = "claim" if f["line"] is None else f"line {f['line']}"
            lines.append(f"  {where}: {f['rule']} [{f['action']}] {f['message']}")
            if f.get("fix"):
                lines.append(f"    fix: {f['fix']}")
        sidecar = Sidecar.for_file(self.path).name
        lines.append(f"(expectations: {sidecar}; rewrite them with pytest --scrub-update)")
        return "\n".join(lines)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | Any:
        if isinstance(excinfo.value, ClaimMismatch):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.path.name}::{self.name}"


def pytest_sessionfinish(session: pytest.Session) -> None:
    """With ``--scrub-update``: write each sidecar whose claims ran."""
    config = session.config
    if not config.getoption("scrub_update"):
        return
    from scrubber.outputs.atomic import write_atomic

    for path, results in config.stash[_UPDATES].items():
        target = Sidecar.for_file(path)
        old = Sidecar.load(target) or Sidecar(target)
        names = config.stash[_CLAIM_NAMES].get(path, list(results))
        claims = {
            name: results.get(name) or old.claims[name]
            for name in names
            if name in results or name in old.claims
        }
        sidecar = Sidecar(target, claims, _as_of(config, old if old.as_of else None),
                          str(config.getini("scrub_profile") or "clean"))  # fmt: skip
        text = sidecar.dumps()
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            write_atomic(target, text.encode("utf-8"))
