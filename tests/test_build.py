"""The two builds: pure Python (``pip install .``) and compiled by mypyc
(``SCRUBBER_MYPYC=1 pip install .``, see ``_build/``).

These run against whichever build is installed; CI runs the whole suite
against both (``.ci/run``; the compiled run sets SCRUBBER_EXPECT_COMPILED=1,
which tests/conftest.py checks). They check that the build compiled exactly
the listed modules, that the frozen dataclasses a sharded run or Spark sends
to other processes survive pickle and cloudpickle, that a subprocess runs
the same build, and that this build writes byte for byte what the
pure-Python sources write.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import os
import pickle
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pyspark import cloudpickle

import scrubber
from scrubber import build, pickling
from scrubber.model import Claim
from scrubber.pipeline.shards.plan import MIN_SHARD_BYTES
from scrubber.rules.engine import Engine
from scrubber.rules.facts import facts_of
from scrubber.rules.passthrough import Passthrough, passthrough_of
from scrubber.rules.radonc.codeset import CodeTable, load_packaged_code_table
from scrubber.x12.plain_text import TextScan
from scrubber.x12.reader import X12Reader
from scrubber.x12.source import Encoding
from tests.corpus import sample_files
from tests.pipeline.test_fast_path import several_interchanges
from tests.rules.test_codecs import claim_facts, finding

ROOT = Path(__file__).resolve().parents[1]
MODULE_LIST = ROOT / "_build" / "mypyc-modules.txt"
AS_OF = "2026-11-26"


def listed_modules() -> list[str]:
    """The dotted names of the modules ``_build/mypyc-modules.txt`` lists."""
    lines = (line.split("#", 1)[0].strip() for line in MODULE_LIST.read_text().splitlines())
    return [line.removesuffix(".py").replace("/", ".") for line in lines if line]


def all_modules() -> list[str]:
    """Every module of the installed ``scrubber`` package."""
    found = pkgutil.walk_packages(scrubber.__path__, "scrubber.")
    return ["scrubber", *(info.name for info in found)]


def test_the_listed_modules_are_modules_of_the_package() -> None:
    listed = listed_modules()
    assert len(listed) == len(set(listed)) > 40
    assert set(listed) <= set(all_modules())


def test_exactly_the_listed_modules_are_compiled_in_a_compiled_build() -> None:
    listed = set(listed_modules())
    compiled = build.compiled()
    for name in all_modules():
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None, name
        from_source = spec.origin.endswith(".py")
        assert from_source is not (compiled and name in listed), (name, spec.origin)


def test_every_frozen_dataclass_of_a_listed_module_pickles_by_its_fields() -> None:
    frozen = []
    for name in listed_modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and value.__module__ == name
                and dataclasses.is_dataclass(value)
                and value.__dataclass_params__.frozen  # type: ignore[attr-defined]
            ):
                frozen.append(value)
                assert pickling.registered(value), f"{name}.{value.__qualname__}"
    assert len(frozen) > 40


def round_trips(value: Any) -> None:
    """``value`` comes back equal through pickle and through cloudpickle
    (what Spark ships to its workers), and pickles the same again."""
    for dumps in (pickle.dumps, cloudpickle.dumps):
        back = pickle.loads(dumps(value))
        assert back == value
        assert type(back) is type(value)
    assert pickle.dumps(pickle.loads(pickle.dumps(value))) == pickle.dumps(value)


def test_claims_facts_and_decisions_of_the_samples_survive_pickling() -> None:
    engine = Engine(as_of=dt.date.fromisoformat(AS_OF))
    findings = 0
    for path in sample_files():
        reader = X12Reader(path.read_bytes(), path.name)
        claims = [item for item in reader.read() if isinstance(item, Claim)]
        assert claims, path
        decisions = engine.decide_batch(claims)
        findings += sum(len(decision.findings) for decision in decisions)
        for seq, claim in enumerate(claims):
            round_trips(claim)
            round_trips(facts_of(claim, seq, path.name))
        round_trips(decisions)
    assert findings > 0
    round_trips(claim_facts())
    round_trips(finding())
    round_trips(Encoding("utf-8", True))


def test_the_passthrough_shipped_to_spark_tells_plain_claims_as_before() -> None:
    """A Passthrough (and its TextScan: classes whose ``__init__`` takes
    arguments) through cloudpickle passes and takes the same claims."""
    plain = passthrough_of(Engine(as_of=dt.date.fromisoformat(AS_OF)))
    assert plain is not None
    back = pickle.loads(cloudpickle.dumps(plain))  # type: ignore[no-untyped-call]
    assert type(back) is Passthrough and type(back.text_scan) is TextScan
    text = several_interchanges(1).encode()

    def items(passthrough: Passthrough) -> list[str]:
        reader = X12Reader(text, "t.x12", plain=passthrough, scan=passthrough.text_scan)
        return [repr(item) for item in reader.read()]

    read = items(plain)
    assert any(line.startswith("Passed(") for line in read)
    assert items(back) == read
    assert (back.text_scan.taken, back.text_scan.checked) == (
        plain.text_scan.taken,
        plain.text_scan.checked,
    )


def test_a_field_set_after_init_survives_pickling() -> None:
    """CodeTable's derived fields (``init=False``, set in ``__post_init__``;
    the packaged table's read-only mappings made plain dicts: a mapping proxy
    does not pickle, and Spark's codec registers a reducer of its own)."""
    packaged = load_packaged_code_table()
    table = CodeTable(packaged.rule_set, dict(packaged.entries), dict(packaged.members))
    back = pickle.loads(pickle.dumps(table))
    assert back == table
    assert back._sets == table._sets and back._fractions == table._fractions
    assert back._fractions and all(back.is_fraction(code) for code in back._fractions)


def test_a_subprocess_runs_the_same_build() -> None:
    """``python -m`` from the project's folder (the tests run the CLI so)
    imports the installed build, not the sources beside it."""
    done = subprocess.run(
        [sys.executable, "-m", "scrubber.build"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    assert done.stdout.strip() == build.describe()


def _scrub(inputs: list[Path], out: Path, jobs: int, pure_sources: bool) -> dict[str, bytes]:
    """The outputs of ``scrubber scrub`` of each input, in a subprocess that
    runs this build, or the project's pure-Python sources."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSAFEPATH")}
    env["SOURCE_DATE_EPOCH"] = "1700000000"
    if pure_sources:
        env["PYTHONPATH"] = str(ROOT)
        which = subprocess.run(
            [sys.executable, "-m", "scrubber.build"],
            env=env, capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip
        assert which.stdout.strip() == "pure Python"
    outputs = {}
    for path in inputs:
        folder = out / path.stem
        done = subprocess.run(
            [sys.executable, "-m", "scrubber.cli", "scrub", str(path), "-o", str(folder),
             "-j", str(jobs), "--quiet", "--as-of", AS_OF],
            cwd=out, env=env, capture_output=True, text=True, check=False, timeout=600,
        )  # fmt: skip
        assert done.returncode in (0, 1), done.stderr  # 1: some claim rejected
        for written in sorted(folder.iterdir()):
            outputs[f"{path.stem}/{written.name}"] = written.read_bytes()
    return outputs


@pytest.fixture(scope="module")
def realistic_batch(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Batches of the benchmarks' realistic generator: an 837P large enough
    (over twice MIN_SHARD_BYTES) for ``-j 2`` to cut it in two shards, and a
    small 837I."""
    folder = tmp_path_factory.mktemp("realistic")
    paths = []
    for kind, claims in (("P", 4800), ("I", 400)):
        path = folder / f"realistic-{kind}-{claims}.x12"
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(path),
             "--claims", str(claims), "--kind", kind],
            cwd=ROOT, capture_output=True, check=True, timeout=300,
        )  # fmt: skip
        paths.append(path)
    assert paths[0].stat().st_size > 2 * MIN_SHARD_BYTES
    return paths


def test_this_build_writes_what_the_pure_python_sources_write(
    tmp_path: Path, realistic_batch: list[Path]
) -> None:
    """The cleaned 837, the 277CA and the report of the samples and of
    realistic batches (sharded, ``-j 2``) are the same bytes from this build
    and from the sources run as pure Python (under the compiled build this
    compares the two builds)."""
    inputs = [*sample_files(), *realistic_batch]
    (tmp_path / "built").mkdir()
    (tmp_path / "pure").mkdir()
    built = _scrub(inputs, tmp_path / "built", 2, pure_sources=False)
    pure = _scrub(inputs, tmp_path / "pure", 1, pure_sources=True)
    assert len(built) >= 3 * len(inputs)
    assert built.keys() == pure.keys()
    for name in built:
        assert built[name] == pure[name], name
