"""The page wherever a scrub runs: one file split over several processes
gives the same page as one process, and the Python API renders it too."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import scrubber.pipeline.shards.plan
from scrubber import scrub
from scrubber.cli import main
from scrubber.testing.samples import ClaimSpec, EnvelopeSpec, LineSpec, build_837
from tests.corpus import SAMPLES_DIR

AS_OF = ["--as-of", "2026-11-26"]
SAMPLE = SAMPLES_DIR / "837p_freestanding_pos11.x12"  # two interchanges: two shards


@pytest.fixture
def small_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scrubber.pipeline.shards.plan, "MIN_SHARD_BYTES", 1)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")


def _page(out: Path, jobs: str) -> bytes:
    args = ["scrub", str(SAMPLE), "-o", str(out), "--html", "--quiet", "-j", jobs, *AS_OF]
    assert main(args) == 1
    return (out / "837p_freestanding_pos11.report.html").read_bytes()


def test_sharded_page_equals_serial_page(tmp_path: Path, small_shards: None) -> None:
    serial = _page(tmp_path / "serial", "1")
    sharded = _page(tmp_path / "sharded", "2")
    assert b"000000101, 000000102" in serial  # both interchanges, so both shards
    assert sharded == serial


def test_header_counts_interchanges_not_claims(tmp_path: Path, small_shards: None) -> None:
    """25 interchanges of three claims: the header lists the first 20 control
    numbers "and 5 more", serially and in shards (it once counted every claim
    after the 20th interchange)."""
    path = tmp_path / "many.x12"
    path.write_text(
        "".join(
            build_837(
                [ClaimSpec(f"I{n}C{c}", [LineSpec("77014")], member_id=f"M{n}") for c in range(3)],
                envelope=EnvelopeSpec(interchange_control=n),
            )
            for n in range(1, 26)
        )
    )
    pages = []
    for jobs in ("1", "2", "3"):
        out = tmp_path / f"j{jobs}"
        main(["scrub", str(path), "-o", str(out), "--html", "--quiet", "-j", jobs, *AS_OF])
        pages.append((out / "many.report.html").read_bytes())
    assert b"000000019, 000000020 and 5 more</dd>" in pages[0]
    assert pages[1] == pages[0] and pages[2] == pages[0]


def test_api_renders_the_page_on_request(tmp_path: Path, small_shards: None) -> None:
    now = dt.datetime(2025, 12, 1)
    plain = scrub(SAMPLE, as_of="2026-11-26", now=now)
    assert "html" not in plain.outputs
    result = scrub(SAMPLE, as_of="2026-11-26", now=now, outputs=["html"])
    assert result.report == plain.report
    page = result.outputs["html"]
    assert page is not None and page.startswith("<!DOCTYPE html>")
    assert main(["scrub", str(SAMPLE), "-o", str(tmp_path), "--html", "--quiet", "-j", "1",
                 *AS_OF]) == 1  # fmt: skip
    # The same page as the command's but for the run date in its header.
    written = (tmp_path / "837p_freestanding_pos11.report.html").read_text(encoding="utf-8")
    assert page.replace("2025-12-01 00:00", "RUN") == written.replace("2025-12-01 00:00", "RUN")


def test_batch_writes_the_same_page_for_one_input(tmp_path: Path, small_shards: None) -> None:
    """``scrub --batch --html`` on one input writes the page ``scrub --html`` writes."""
    single = _page(tmp_path / "single", "1")
    args = ["scrub", "--batch", str(SAMPLE), "-o", str(tmp_path / "batch"), "--html", "--quiet",
            *AS_OF]  # fmt: skip
    assert main(args) == 1
    assert (tmp_path / "batch" / "837p_freestanding_pos11.report.html").read_bytes() == single


def test_exit_zero_with_batch(tmp_path: Path) -> None:
    args = ["scrub", "--batch", str(SAMPLE), "-o", str(tmp_path), "--quiet", "--exit-zero",
            *AS_OF]  # fmt: skip
    assert main(args) == 0
