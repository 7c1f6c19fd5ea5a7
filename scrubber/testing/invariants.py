"""What every scrub must satisfy, whatever the input: the fuzzer's oracle.

:func:`check_input` scrubs one input through the Python API and the command
line (``-j 1`` and ``-j 2``, one file split in shards), then with a fresh
history store and again over its own cleaned output, and raises
:class:`Violation` (a named property that does not hold) or lets the
scrubber's own exception through (a crash). The properties:

- ``api-error``: unusable input is an :class:`X12InputError` with a one-line
  message; nothing else may escape ``scrub()``.
- ``partition``: every claim read is in exactly one output: the report lists
  as many claims as the input has CLM segments; the cleaned 837 holds the
  accepted and corrected ones (its CLM01s, in order), the 277CA rejects
  (``A3:21``) exactly the rejected ones and accepts (``A2:20``) the others.
- ``money``: ``input = clean + removed_lines + rejected_claims`` to the cent,
  the claims' ``charge_in`` add up to ``input``, rejected claims' to
  ``rejected_claims`` and kept claims' ``charge_out`` to ``clean``.
- ``cli``: exit 0/1 with all three outputs written, or exit 2 with one line
  on standard error and no output at all; same status and cleaned 837 as the
  API.
- ``shards``: ``-j 2`` (the file split at interchange boundaries), with a
  fresh history store when history is checked, writes byte-for-byte what
  ``-j 1`` writes without one.
- ``fresh-history``: a scrub recorded into an empty history store decides
  every claim as the scrub without one.
- ``rescrub``: scrubbing the cleaned 837 again with the same store changes
  nothing (identical cleaned 837) and finds nothing new (not checked when a
  CLM01 repeats: see :func:`repeated_claim_ids`).
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import traceback
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from scrubber.api import ScrubResult, scrub
from scrubber.errors import X12InputError
from scrubber.testing.documents import Document, parse_document

AS_OF = "2026-11-26"
EPOCH = "1764000000"  # SOURCE_DATE_EPOCH: reproducible 277CA dates and control numbers
FUZZ_KEY = b"scrubber-fuzzing-only-history-key-0123456789"
OUTPUT_SUFFIXES = (".clean.x12", ".277ca.x12", ".report.json")
CLAIM_REJECTED = "A3"
CLAIM_ACCEPTED = "A2"
EMPTY_TRN = "0"  # the 277CA's TRN02 for a claim with an empty CLM01


class Violation(AssertionError):
    """A property of :mod:`scrubber.testing.invariants` that does not hold."""

    def __init__(self, prop: str, detail: str) -> None:
        super().__init__(f"{prop}: {detail}")
        self.prop = prop


def _require(prop: str, condition: bool, detail: str) -> None:
    if not condition:
        raise Violation(prop, detail)


def crash_signature(error: BaseException) -> str:
    """``Type at file:function`` of the innermost scrubber frame (not the
    testing helpers): distinct crashes have distinct signatures."""
    if isinstance(error, Violation):
        return f"violation {error.prop}"
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if "/scrubber/" in frame.filename and "/scrubber/testing/" not in frame.filename
    ]
    where = ""
    if frames:
        last = frames[-1]
        where = f" at {last.filename.rsplit('/scrubber/', 1)[-1]}:{last.name}"
    return f"{type(error).__name__}{where}"


@contextlib.contextmanager
def small_shards() -> Iterator[None]:
    """Split files of any size (as tests/pipeline/test_shards.py does)."""
    import scrubber.pipeline.shards.plan as plan

    saved = plan.MIN_SHARD_BYTES
    plan.MIN_SHARD_BYTES = 1
    try:
        yield
    finally:
        plan.MIN_SHARD_BYTES = saved


@contextlib.contextmanager
def _environment() -> Iterator[None]:
    """SOURCE_DATE_EPOCH (reproducible 277CA) and the history key for the
    command line, restored afterwards."""
    values = {"SOURCE_DATE_EPOCH": EPOCH, "SCRUBBER_HISTORY_KEY": FUZZ_KEY.decode()}
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def check_input(
    text: str,
    *,
    profile: str = "clean",
    cli: bool = True,
    shards: bool = True,
    history: bool = True,
) -> ScrubResult | None:
    """Check every property on ``text``; the API result (``None`` when the
    input is refused)."""
    with _environment(), tempfile.TemporaryDirectory(prefix="scrubber-fuzz-") as tmp:
        work = Path(tmp)
        result = api_scrub(text, profile)
        if result is not None:
            check_partition(text, result)
            check_money(result)
        if cli:
            check_cli(text, work, profile, result, shards=shards, history=history)
        if history and result is not None:
            check_history(text, result, work, profile)
        return result


def api_scrub(text: str, profile: str, history: Any = None) -> ScrubResult | None:
    """The API's result for ``text`` as UTF-8 bytes (what the command line
    reads from the file), or ``None`` for a clean refusal (one-line message)."""
    try:
        return scrub(text.encode("utf-8"), profile=profile, as_of=AS_OF, history=history)
    except X12InputError as error:
        message = str(error)
        _require("api-error", bool(message) and "\n" not in message, repr(message))
        return None


# ------------------------------------------------------------------ partition


def check_partition(text: str, result: ScrubResult) -> None:
    report = result.report
    summary = report["summary"]
    claims = report["claims"]
    statuses = [claim["status"] for claim in claims]
    _require("partition", len(claims) == summary["claims"], "report claims != summary")
    counts = {s: statuses.count(s) for s in ("accepted", "corrected", "rejected")}
    _require("partition", sum(counts.values()) == len(claims), f"statuses {set(statuses)}")
    for status, count in counts.items():
        _require("partition", summary[status] == count, f"summary {status}")
    clm_in = _count(text, "CLM")
    _require(
        "partition",
        clm_in is None or clm_in == len(claims),
        f"{clm_in} CLM segments in, {len(claims)} claims in the report",
    )
    kept = [c["claim_id"] for c in claims if c["status"] != "rejected"]
    rejected = [c["claim_id"] or EMPTY_TRN for c in claims if c["status"] == "rejected"]
    kept_trn = [claim_id or EMPTY_TRN for claim_id in kept]
    clean_ids = _clm01s(result.clean_x12) if result.clean_x12 is not None else []
    _require("partition", clean_ids == kept, f"clean 837 holds {clean_ids}, kept {kept}")
    acks = _ack_statuses(result.ack_277ca)
    _require("partition", len(acks) == len(claims), f"{len(acks)} claims in 277CA")
    ack_rejected = [claim_id for claim_id, code in acks if code == CLAIM_REJECTED]
    ack_accepted = [claim_id for claim_id, code in acks if code == CLAIM_ACCEPTED]
    _require("partition", sorted(ack_rejected) == sorted(rejected), "277CA rejections")
    _require("partition", sorted(ack_accepted) == sorted(kept_trn), "277CA acceptances")


def _count(text: str, tag: str) -> int | None:
    document = parse_document(text)
    return None if document is None else document.count(tag)


def _segments(text: str) -> Document:
    document = parse_document(text)
    if document is None:
        raise Violation("output", "an output does not start with a readable ISA")
    return document


def _clm01s(text: str) -> list[str]:
    return [
        seg.elements()[1] if len(seg.elements()) > 1 else ""
        for seg in _segments(text).segments
        if seg.tag == "CLM"
    ]


def _ack_statuses(text: str) -> list[tuple[str, str]]:
    """(TRN02, STC01-1) of every 2200D claim status in a 277CA."""
    found: list[tuple[str, str]] = []
    level = ""
    trn = ""
    for seg in _segments(text).segments:
        elements = seg.elements()
        if seg.tag == "HL":
            level = elements[3] if len(elements) > 3 else ""
            trn = ""
        elif level == "PT" and seg.tag == "TRN":
            trn = elements[2] if len(elements) > 2 else ""
        elif level == "PT" and seg.tag == "STC" and trn:
            found.append((trn, elements[1].split(seg.component)[0]))
            trn = ""
    return found


# ------------------------------------------------------------------ money


def check_money(result: ScrubResult) -> None:
    summary = result.report["summary"]
    money = {key: Decimal(value) for key, value in summary["charges"].items()}
    _require(
        "money",
        money["input"] == money["clean"] + money["removed_lines"] + money["rejected_claims"],
        f"{summary['charges']}",
    )
    claims = result.report["claims"]
    charge_in = sum((Decimal(c["charge_in"]) for c in claims), Decimal(0))
    _require("money", charge_in == money["input"], f"claims' charge_in {charge_in}")
    rejected = sum(
        (Decimal(c["charge_in"]) for c in claims if c["status"] == "rejected"), Decimal(0)
    )
    _require("money", rejected == money["rejected_claims"], f"rejected claims {rejected}")
    out = sum((Decimal(c["charge_out"]) for c in claims if c["status"] != "rejected"), Decimal(0))
    _require("money", out == money["clean"], f"kept claims' charge_out {out}")


# ------------------------------------------------------------------ command line


def run_cli(
    path: Path, out: Path, profile: str, jobs: int, history: str | None = None
) -> tuple[int, str]:
    """``scrubber scrub PATH -o OUT -j JOBS [--history URL]`` in process:
    (status, stderr)."""
    from scrubber.cli import main

    err = io.StringIO()
    argv = ["scrub", str(path), "-o", str(out), "-j", str(jobs), "--as-of", AS_OF]
    if history is not None:
        argv += ["--history", history]
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main([*argv, "--profile", profile, "--quiet"])
    return status, err.getvalue()


def check_cli(
    text: str,
    work: Path,
    profile: str,
    api: ScrubResult | None,
    *,
    shards: bool,
    history: bool = False,
) -> None:
    """``-j 1``, then (``shards``) ``-j 2``, with a fresh SQLite store when
    ``history``: a fresh store changes no byte of the outputs either."""
    path = work / "input.x12"
    path.write_bytes(text.encode("utf-8"))
    runs = [1, 2] if shards else [1]
    outputs: dict[int, dict[str, bytes]] = {}
    for jobs in runs:
        out = work / f"out-j{jobs}"
        out.mkdir()
        store = f"sqlite:///{work / 'cli-history.db'}" if history and jobs > 1 else None
        with small_shards():
            status, err = run_cli(path, out, profile, jobs, store)
        outputs[jobs] = _check_cli_run(status, err, out, api)
    if shards:
        what = "-j 2 --history (fresh store)" if history else "-j 2"
        _require("shards", outputs[1] == outputs[2], f"{what} outputs differ from -j 1")


def _check_cli_run(status: int, err: str, out: Path, api: ScrubResult | None) -> dict[str, bytes]:
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    _require("cli", status in (0, 1, 2), f"exit status {status}")
    _require("cli", "Traceback" not in err, err)
    if status == 2:
        _require("cli", len(err.splitlines()) == 1, f"exit 2 with {err!r}")
        _require("cli", not files, f"exit 2 but wrote {sorted(files)}")
        _require("cli", api is None, "exit 2 but the API scrubbed the input")
        return files
    expected = {"input" + suffix for suffix in OUTPUT_SUFFIXES}
    clean_expected = api is not None and api.clean_x12 is not None
    if not clean_expected:
        expected.discard("input.clean.x12")
    _require("cli", set(files) == expected, f"wrote {sorted(files)}, expected {sorted(expected)}")
    _require("cli", api is not None and status == api.exit_status, f"exit {status} vs API")
    if api is not None and api.clean_x12 is not None:
        _require("cli", files["input.clean.x12"] == api.clean_bytes(), "clean 837 differs from API")
    return files


# ------------------------------------------------------------------ history


def check_history(text: str, first: ScrubResult, work: Path, profile: str) -> None:
    """``fresh-history`` and ``rescrub`` with an SQLite store in ``work``
    (``first``: ``text`` scrubbed without a store)."""
    from scrubber.history import HistoryKey
    from scrubber.history.store import HistoryStore

    with HistoryStore.open(f"sqlite:///{work / 'history.db'}", HistoryKey(FUZZ_KEY)) as store:
        recorded = scrub(text.encode("utf-8"), profile=profile, as_of=AS_OF, history=store)
        _require(
            "fresh-history",
            _decisions(recorded) == _decisions(first),
            "an empty store changed a decision",
        )
        if recorded.clean_x12 is None or repeated_claim_ids(text):
            return
        again = rescrub(recorded.clean_x12, store, profile)
        _require("rescrub", again.clean_x12 == recorded.clean_x12, "cleaned 837 changed")
        new = _finding_keys(again) - _finding_keys(recorded)
        _require("rescrub", not new, f"new findings {sorted(new)}")


def repeated_claim_ids(text: str) -> bool:
    """Whether a CLM01 occurs twice in ``text``. Open (found by the fuzzer):
    both copies count as course context in the batch (fractions twice), the
    store keeps one, so a re-scrub sees another course; ``rescrub`` is not
    checked for such inputs until that is decided."""
    ids = _clm01s(text) if parse_document(text) is not None else []
    return len(ids) != len(set(ids))


def rescrub(clean: str, store: Any, profile: str) -> ScrubResult:
    try:
        return scrub(clean, profile=profile, as_of=AS_OF, history=store)
    except X12InputError as error:
        raise Violation("rescrub", f"the cleaned 837 is refused: {error}") from error


def _decisions(result: ScrubResult) -> list[tuple[str, str, list[Any]]]:
    return [(c["claim_id"], c["status"], c["findings"]) for c in result.report["claims"]]


def _finding_keys(result: ScrubResult) -> set[tuple[str, ...]]:
    """Findings by claim, rule, action and line identity (not LX number,
    which changes when removed lines are gone)."""
    return {
        (
            claim["claim_id"],
            finding["rule"],
            finding["action"],
            str(finding["procedure"]),
            ":".join(finding["modifiers"] or ()),
            str(finding["dos"]),
            str(finding["line_control"]),
        )
        for claim in result.report["claims"]
        for finding in claim["findings"]
    }
