"""POST /v1/scrub against a real uvicorn: the CLI's outputs, every body form, the errors."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.corpus import sample_files
from tests.service.server import EPOCH, Server

AS_OF = "2026-11-26"
FREESTANDING = "837p_freestanding_pos11.x12"


def cli_outputs(sample: Path, out: Path) -> tuple[int, dict[str, Any], bytes | None, bytes]:
    """``scrubber scrub`` of ``sample``: exit status, report, clean and 277CA bytes."""
    import os

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrubber",
            "scrub",
            str(sample),
            "-o",
            str(out),
            "--as-of",
            AS_OF,
            "--quiet",
        ],
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
        capture_output=True,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    stem = sample.name.removesuffix(".x12")
    clean = out / f"{stem}.clean.x12"
    report = json.loads((out / f"{stem}.report.json").read_text("utf-8"))
    ack = (out / f"{stem}.277ca.x12").read_bytes()
    return done.returncode, report, clean.read_bytes() if clean.exists() else None, ack


def post(server: Server, body: bytes, **kwargs: Any) -> Any:
    import httpx

    headers = {"Content-Type": "application/edi-x12", **kwargs.pop("headers", {})}
    params = {"as_of": AS_OF, **kwargs.pop("params", {})}
    return httpx.post(
        f"{server.url}/v1/scrub",
        content=body,
        headers=headers,
        params=params,
        timeout=120,
        **kwargs,
    )


def without_input(report: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in report.items() if key != "input"}


@pytest.mark.parametrize("sample", sample_files(), ids=lambda path: path.name)
def test_sync_scrub_equals_cli(server: Server, sample: Path, tmp_path: Path) -> None:
    status, report, clean, ack = cli_outputs(sample, tmp_path)
    answer = post(server, sample.read_bytes())
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    document = answer.json()
    assert set(document) == {"report", "clean_x12", "ack_277ca", "exit_status"}
    assert without_input(document["report"]) == without_input(report)
    assert document["report"]["input"] == "-"
    assert document["exit_status"] == status
    assert document["ack_277ca"] == ack.decode("utf-8")
    if clean is None:
        assert document["clean_x12"] is None
    else:
        assert document["clean_x12"] == clean.decode("utf-8-sig")
    as_x12 = post(server, sample.read_bytes(), headers={"Accept": "application/edi-x12"})
    assert as_x12.status_code == 200
    assert as_x12.content == (clean or b"")  # the bytes scrub writes, BOM included
    assert as_x12.headers["x-scrubber-claims"] == str(report["summary"]["claims"])
    assert as_x12.headers["x-scrubber-rejected"] == str(report["summary"]["rejected"])
    assert as_x12.headers["x-scrubber-exit-status"] == str(status)


def test_json_and_base64_bodies_scrub_the_same(server: Server, samples_dir: Path) -> None:
    raw = (samples_dir / FREESTANDING).read_bytes()
    expected = post(server, raw).content
    as_json = post(
        server,
        json.dumps({"x12": raw.decode()}).encode(),
        headers={"Content-Type": "application/json"},
    )
    mirth = post(server, base64.encodebytes(raw), headers={"Content-Type": "application/edi"})
    other = post(server, base64.b64encode(raw), headers={"Content-Type": "application/x-hl7"})
    assert as_json.content == expected
    assert mirth.content == expected
    assert other.content == expected


def test_rejected_claims_are_a_result_not_an_error(server: Server, samples_dir: Path) -> None:
    answer = post(server, (samples_dir / FREESTANDING).read_bytes())
    assert answer.status_code == 200
    assert answer.json()["report"]["summary"]["rejected"] > 0
    assert answer.json()["exit_status"] == 1


def problem(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    document: dict[str, Any] = answer.json()
    assert document["status"] == status
    assert document["title"]
    return document


def test_unusable_x12_is_422_with_the_one_line_message(server: Server) -> None:
    document = problem(post(server, b"ISA*00*not an interchange~"), 422)
    assert document["type"] == "urn:scrubber:problem:unusable-x12"
    assert document["detail"].startswith("scrubber: -: segment 1")
    assert len(document["detail"].splitlines()) == 1


def test_no_claim_and_bad_json_and_media_type(server: Server) -> None:
    problem(post(server, b"{}", headers={"Content-Type": "application/json"}), 422)
    problem(post(server, b"x", headers={"Content-Type": "image/png"}), 415)
    invalid = problem(post(server, b"ISA", params={"as_of": "2026-13-45"}), 422)
    assert invalid["errors"][0]["location"] == "query.as_of"
    assert "2026-13-45" not in json.dumps(invalid)


def test_404_and_405_are_problems(server: Server) -> None:
    import httpx

    assert problem(httpx.get(f"{server.url}/v1/nothing"), 404)["type"] == "about:blank"
    problem(httpx.get(f"{server.url}/v1/scrub"), 405)
    problem(httpx.get(f"{server.url}/v1/rules/IG999"), 404)


def test_too_many_claims_is_413_naming_batches(tmp_path: Path, samples_dir: Path) -> None:
    with Server(
        tmp_path / "spool", ["--workers", "1", "--max-claims", "10", "--max-bytes", "60000"]
    ) as small:
        raw = (samples_dir / FREESTANDING).read_bytes()  # 38 claims, 41,840 bytes
        assert "/v1/batches" in problem(post(small, raw), 413)["detail"]
        assert "/v1/batches" in problem(post(small, raw * 2), 413)["detail"]


def test_idempotency_key_replays_and_conflicts(server: Server, samples_dir: Path) -> None:
    raw = (samples_dir / FREESTANDING).read_bytes()
    key = {"Idempotency-Key": "test-key-0001"}
    first = post(server, raw, headers=key)
    again = post(server, raw, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    other = problem(post(server, raw.replace(b"CLM*", b"CLM*X", 1), headers=key), 409)
    assert other["type"] == "urn:scrubber:problem:idempotency-key-reused"
    assert problem(post(server, raw, headers={"Idempotency-Key": "bad key"}), 422)


def test_saturated_pool_answers_503_with_retry_after(tmp_path: Path, samples_dir: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    raw = (samples_dir / FREESTANDING).read_bytes() * 3  # a few hundred ms each
    with (
        Server(tmp_path / "spool", ["--workers", "1", "--queue", "1"]) as busy,
        ThreadPoolExecutor(10) as clients,
    ):
        answers = list(clients.map(lambda _: post(busy, raw), range(10)))
    statuses = sorted(answer.status_code for answer in answers)
    assert set(statuses) == {200, 503}
    assert statuses.count(200) >= 2
    refused = next(answer for answer in answers if answer.status_code == 503)
    assert problem(refused, 503)["type"] == "urn:scrubber:problem:saturated"
    assert refused.headers["retry-after"].isdigit()


def _listed_findings(report: dict[str, Any]) -> int:
    return sum(len(c["findings"]) for c in report["claims"] if c["status"] != "accepted")


def test_accept_text_html_answers_the_worklist_page(server: Server, samples_dir: Path) -> None:
    from lxml import html

    body = (samples_dir / "837p_freestanding_pos11.x12").read_bytes()
    report = post(server, body).json()["report"]
    page = post(server, body, headers={"Accept": "text/html,application/xhtml+xml;q=0.9"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["x-scrubber-rejected"] == str(report["summary"]["rejected"])
    root = html.fromstring(page.content)
    rows = root.xpath(
        "//section[@id='rejected' or @id='corrected']//table[@class='findings']/tbody/tr"
    )
    assert len(rows) == _listed_findings(report) > 0
    assert root.findtext("head/title") == "Scrub worklist: -"
