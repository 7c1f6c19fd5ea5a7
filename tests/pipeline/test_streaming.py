"""The streaming pipeline: two passes over a file or stdin, bounded state, -j."""

from __future__ import annotations

import datetime as dt
import gc
import io
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

from scrubber import scrub
from scrubber.api import make_engine
from scrubber.cli import main
from scrubber.model import Claim, ClaimKind, Segment
from scrubber.outputs.ack277 import AckSettings
from scrubber.outputs.fanout import Outputs
from scrubber.outputs.registry import kinds
from scrubber.pipeline.course_state import CourseState
from scrubber.pipeline.decisions import Decisions, decide_subjects
from scrubber.pipeline.passes import ReplayableSource, run_pipeline
from scrubber.rules.facts import ClaimFacts, LineFact, facts_of
from scrubber.rules.findings import ClaimStatus
from scrubber.testing import ClaimSpec, LineSpec, build_837
from scrubber.x12.reader import read_claims

SAMPLES = Path(__file__).resolve().parents[2] / "edi_samples"
AS_OF = "2026-11-26"
EPOCH = {"SOURCE_DATE_EPOCH": "1764000000"}
BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _batch(claims: int = 400, kind: ClaimKind = ClaimKind.PROFESSIONAL, first: int = 1) -> str:
    """A realistic batch (the benchmark generator: whole courses, spread claims)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from generate import realistic_batches
    finally:
        sys.path.remove(str(BENCHMARKS))
    from scrubber.testing import EnvelopeSpec, GroupSpec, build_interchange

    parts = []
    for control, (day, _, batch) in enumerate(realistic_batches(claims, kind), start=first):
        group = GroupSpec(batch, kind, control, 50)
        parts.append(build_interchange([group], EnvelopeSpec(interchange_control=control)))
        del day
    return "".join(parts)


@pytest.fixture(scope="module")
def batch_text() -> str:
    return _batch()


def _outputs(directory: Path, stem: str) -> dict[str, bytes]:
    return {
        name: (directory / f"{stem}.{name}").read_bytes()
        for name in ("clean.x12", "277ca.x12", "report.json")
        if (directory / f"{stem}.{name}").exists()
    }


# Pass 1 state -------------------------------------------------------------------


def test_course_state_round_trips_facts_and_holds_no_claims(batch_text: str) -> None:
    facts = [facts_of(claim, seq) for seq, claim in enumerate(read_claims(batch_text))]
    state = CourseState()
    for claim_facts in facts:
        state.add(claim_facts)
    assert state.batch_count == len(facts)
    by_subject: dict[int, list[ClaimFacts]] = {}
    for claim_facts in facts:
        by_subject.setdefault(state.subject_of(claim_facts), []).append(claim_facts)
    for subject, expected in by_subject.items():
        assert state.facts(subject) == expected
    del facts, by_subject
    gc.collect()
    # Nothing reachable from the state is a claim, a segment or a line fact.
    seen: set[int] = set()
    stack: list[object] = [state]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        assert not isinstance(item, Claim | Segment | LineFact | ClaimFacts), type(item)
        stack.extend(gc.get_referents(item))
    # Compact: well under 100 bytes a line stored.
    lines = sum(state.line_count(s) for s in range(state.subject_count))
    assert state.stored_bytes < 100 * lines


@pytest.mark.parametrize("shares", [1, 3])
def test_decisions_by_subject_are_those_of_one_batch_context(
    batch_text: str, shares: int, tmp_path: Path
) -> None:
    """Deciding subject by subject (one context at a time, the subjects
    split in ``shares`` as the shard workers split them, each share saved to
    a file and loaded back as they hand it over) gives the decisions of the
    one-context engine; only the decisions that are not a plain accept are
    held."""
    engine = make_engine("clean", AS_OF, None, None)
    claims = list(read_claims(batch_text))
    expected = engine.decide_batch(claims)
    state = CourseState()
    for seq, claim in enumerate(claims):
        state.add(facts_of(claim, seq))
    decisions = Decisions(len(claims))
    for share in range(shares):
        subjects = range(share, state.subject_count, shares)
        path = tmp_path / f"share-{share}"
        decide_subjects(engine, state, engine.registry, subjects).save(path)
        decisions.update(Decisions.load(path, len(claims)))
    assert decisions.count == len(claims)
    assert [decisions.get(seq) for seq in range(len(claims))] == expected
    plain = sum(1 for d in expected if not d.findings and d.status is ClaimStatus.ACCEPTED)
    assert 0 < decisions.kept == len(claims) - plain


# Two passes over a file and over stdin -------------------------------------------


def test_cli_file_and_stdin_and_api_agree(
    tmp_path: Path, batch_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH["SOURCE_DATE_EPOCH"])
    source = tmp_path / "in" / "batch.x12"
    source.parent.mkdir()
    source.write_text(batch_text)
    (tmp_path / "file").mkdir()
    (tmp_path / "stdin").mkdir()
    assert main(["scrub", str(source), "-o", str(tmp_path / "file"), "--as-of", AS_OF,
                 "--quiet"]) == 1  # fmt: skip
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(batch_text.encode())))
    assert main(["scrub", "-", "-o", str(tmp_path / "stdin"), "--as-of", AS_OF, "--quiet"]) == 1
    from_file = _outputs(tmp_path / "file", "batch")
    from_stdin = _outputs(tmp_path / "stdin", "stdin")
    assert from_file["clean.x12"] == from_stdin["clean.x12"]
    assert from_file["277ca.x12"] == from_stdin["277ca.x12"]
    assert from_stdin["report.json"] == from_file["report.json"].replace(
        f'"input": "{source}"'.encode(), b'"input": "-"'
    )
    api = scrub(source, as_of=AS_OF, name=str(source))
    assert api.clean_bytes() == from_file["clean.x12"]
    assert api.ack_bytes() == from_file["277ca.x12"]
    import json

    assert (
        json.dumps(api.report, indent=2, ensure_ascii=False).encode() + b"\n"
        == from_file["report.json"]
    )


def test_stream_source_is_spooled_to_disk_and_read_twice(batch_text: str) -> None:
    stream = io.BytesIO(batch_text.encode())
    with ReplayableSource(stream, "<stream>") as source:
        assert source.spooled
        first = source.open()
        assert first is not stream
        assert isinstance(first, io.BufferedRandom | io.BufferedReader)
        assert first.read() == batch_text.encode()
        again = source.open()
        assert isinstance(again, io.BufferedRandom | io.BufferedReader)
        assert again.read() == batch_text.encode()
    assert scrub(io.BytesIO(batch_text.encode()), as_of=AS_OF).report["summary"]["claims"] == 400


def test_pipeline_writes_each_transaction_as_it_completes(batch_text: str) -> None:
    """The sinks emit text before the input is finished (streaming, not at
    the end): the first text of the cleaned 837 and of the 277CA arrives
    before pass 2 reports its 200th claim (of 400)."""
    engine = make_engine("clean", AS_OF, None, None)
    written: list[tuple[str, int]] = []
    done = [0]

    def progress(stage: str, count: int, total: int) -> None:
        if stage == "write":
            done[0] = count

    chosen = kinds()
    targets = {kind.name: _WhenWritten(kind.name, written, done) for kind in chosen}
    with ReplayableSource(batch_text) as source:
        result = run_pipeline(
            source,
            engine,
            Outputs(chosen, targets, AckSettings(dt.datetime(2026, 1, 1))),
            progress=progress,
        )
    assert result.report.claims == 400 and done[0] == 400
    first = {name: claims for name, claims in reversed(written)}
    assert first["clean"] == 0 and first["ack"] == 0, first
    assert first["report"] == 400  # the report's entries are spooled, its document written last


class _WhenWritten:
    """A target that notes, at each write, how many claims pass 2 had reported."""

    def __init__(self, name: str, written: list[tuple[str, int]], done: list[int]) -> None:
        self._name, self._written, self._done = name, written, done

    def open(self, codec: str, *, bom: bool = False) -> IO[str]:
        target = self

        class Stream(io.StringIO):
            def write(self, text: str) -> int:
                target._written.append((target._name, target._done[0]))
                return len(text)

        return Stream()

    def drop(self) -> None:
        raise AssertionError(f"{self._name} dropped")

    def beside(self, suffix: str) -> _WhenWritten:
        return _WhenWritten(self._name + suffix, self._written, self._done)


def test_golden_samples_through_the_streaming_cli(tmp_path: Path) -> None:
    """Every sample: the CLI (streaming) writes what the API returns."""
    for sample in sorted(SAMPLES.glob("*.x12")):
        out = tmp_path / sample.stem
        out.mkdir()
        env_epoch = EPOCH["SOURCE_DATE_EPOCH"]
        done = subprocess.run(
            [sys.executable, "-m", "scrubber.cli", "scrub", str(sample), "-o", str(out),
             "--as-of", AS_OF, "--quiet"],
            env={**__import__("os").environ, "SOURCE_DATE_EPOCH": env_epoch},
            check=False,
        )  # fmt: skip
        assert done.returncode in (0, 1)

        now = dt.datetime.fromtimestamp(int(env_epoch), dt.UTC).replace(tzinfo=None)
        api = scrub(sample, as_of=AS_OF, name=str(sample), now=now)
        files = _outputs(out, sample.stem)
        assert files.get("clean.x12") == api.clean_bytes()
        assert files["277ca.x12"] == api.ack_bytes()


# -j ---------------------------------------------------------------------------------


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "scrubber.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={**os.environ, **EPOCH},
    )


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("inputs")
    paths = []
    for number, kind in enumerate([ClaimKind.PROFESSIONAL, ClaimKind.INSTITUTIONAL] * 2):
        path = folder / f"batch{number}.x12"
        path.write_text(_batch(150 + 40 * number, kind, first=100 * number + 1))
        paths.append(path)
    return paths


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_jobs_2_writes_the_bytes_of_a_serial_run(
    tmp_path: Path, inputs: list[Path], fmt: str
) -> None:
    runs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"j{jobs}"
        out.mkdir()
        done = _cli(["scrub", *map(str, inputs), "-o", str(out), "--as-of", AS_OF,
                     "--format", fmt, "-j", jobs], tmp_path)  # fmt: skip
        assert done.returncode == 1, done.stderr
        files = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
        assert len(files) >= 3 * len(inputs) - 1
        runs[jobs] = (files, done.stdout.replace(str(out), "OUT"), done.stderr)
    assert runs["1"] == runs["2"]


def test_jobs_bad_input_among_good_ones(tmp_path: Path, inputs: list[Path]) -> None:
    bad = tmp_path / "bad.x12"
    bad.write_text("ISA*this is not an interchange~")
    args = [str(inputs[0]), str(bad), str(inputs[1])]
    done = _cli(["scrub", *args, "-o", str(tmp_path), "--as-of", AS_OF, "-j", "2"], tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"scrubber: {bad}: ")
    assert "Traceback" not in done.stderr
    for good in (inputs[0], inputs[1]):
        assert (tmp_path / f"{good.stem}.report.json").exists()
    assert not (tmp_path / "bad.report.json").exists()


def test_jobs_is_validated(tmp_path: Path) -> None:
    done = _cli(["scrub", "x.x12", "-j", "0"], tmp_path)
    assert done.returncode == 2 and "number of processes" in done.stderr


def test_jobs_with_history_processes_inputs_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --history, -j 2 is a serial run in input order: each input sees the
    batches before it (same store content and outputs as -j 1)."""
    import os

    key = "k" * 32
    spec_lines = [LineSpec("77385", dos=__import__("datetime").date(2025, 3, d)) for d in (3, 4)]
    week1 = build_837([ClaimSpec("W1", [*spec_lines, LineSpec("77417", dos=spec_lines[0].dos)])])
    week2 = build_837([ClaimSpec("W2", [LineSpec("77417", dos=spec_lines[1].dos)])])
    results = {}
    for jobs in ("1", "2"):
        folder = tmp_path / f"j{jobs}"
        folder.mkdir()
        (folder / "week1.x12").write_text(week1)
        (folder / "week2.x12").write_text(week2)
        url = f"sqlite:///{folder / 'history.db'}"
        done = subprocess.run(
            [sys.executable, "-m", "scrubber.cli", "scrub", "week1.x12", "week2.x12", "-o", ".",
             "--as-of", AS_OF, "--history", url, "-j", jobs, "--quiet"],
            capture_output=True, text=True, check=False, cwd=folder,
            env={**os.environ, **EPOCH, "SCRUBBER_HISTORY_KEY": key},
        )  # fmt: skip
        assert done.returncode in (0, 1), done.stderr
        results[jobs] = {
            p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix != ".db"
        }
    assert results["1"] == results["2"]
