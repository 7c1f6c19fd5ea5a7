"""/v1/batches against a real uvicorn: outputs equal the CLI's, a restart
mid-run finishes the batch, failures, deletion, retention."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from lxml import html

from tests.service.server import Server, require_service
from tests.service.test_sync import AS_OF, FREESTANDING, cli_outputs, problem, without_input

ROOT = Path(__file__).resolve().parents[2]


def submit(server: Server, body: bytes, **headers: str) -> Any:
    import httpx

    return httpx.post(
        f"{server.url}/v1/batches",
        content=body,
        params={"as_of": AS_OF},
        headers={"Content-Type": "application/edi-x12", **headers},
        timeout=120,
    )


def wait_for(server: Server, location: str, states: set[str], seconds: float = 600) -> Any:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = httpx.get(f"{server.url}{location}", timeout=30).json()
        if status["state"] in states:
            return status
        time.sleep(0.1)
    raise AssertionError(f"batch not {states} after {seconds} s")


def fetch(server: Server, link: str) -> bytes:
    import httpx

    answer = httpx.get(f"{server.url}{link}", timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.content


def assert_cli_outputs(server: Server, status: dict[str, Any], sample: Path, out: Path) -> None:
    exit_status, report, clean, ack = cli_outputs(sample, out)
    assert status["state"] == "done"
    assert status["exit_status"] == exit_status
    assert status["summary"] == report["summary"]
    links = status["links"]
    assert without_input(json.loads(fetch(server, links["report"]))) == without_input(report)
    assert fetch(server, links["ack_277ca"]) == ack
    page = fetch(server, links["report_html"]).decode("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    listed = sum(len(c["findings"]) for c in report["claims"] if c["status"] != "accepted")
    rows = html.fromstring(page).xpath(
        "//section[@id='rejected' or @id='corrected']//table[@class='findings']/tbody/tr"
    )
    assert len(rows) == listed
    if clean is None:
        assert links["clean_x12"] is None
    else:
        assert fetch(server, links["clean_x12"]) == clean


def test_batch_outputs_equal_cli_and_delete(
    server: Server, samples_dir: Path, tmp_path: Path
) -> None:
    import httpx

    sample = samples_dir / FREESTANDING
    accepted = submit(server, sample.read_bytes())
    assert accepted.status_code == 202
    location = accepted.headers["location"]
    assert location == f"/v1/batches/{accepted.json()['id']}"
    assert accepted.json()["state"] == "queued"
    status = wait_for(server, location, {"done", "failed"})
    assert_cli_outputs(server, status, sample, tmp_path)
    assert httpx.delete(f"{server.url}{location}").status_code == 204
    problem(httpx.get(f"{server.url}{location}"), 404)
    problem(httpx.get(f"{server.url}{location}/report.json"), 404)


def test_unusable_batch_fails_with_the_one_line_message(server: Server) -> None:
    accepted = submit(server, b"ISA*garbage~")
    status = wait_for(server, accepted.headers["location"], {"done", "failed"})
    assert status["state"] == "failed"
    assert status["error"].startswith("segment 1")
    assert len(status["error"].splitlines()) == 1
    problem(__import__("httpx").get(f"{server.url}{status['links']['self']}/clean.x12"), 409)


def test_batch_idempotency_key(server: Server, samples_dir: Path) -> None:
    raw = (samples_dir / FREESTANDING).read_bytes()
    first = submit(server, raw, **{"Idempotency-Key": "batch-key-1"})
    again = submit(server, raw, **{"Idempotency-Key": "batch-key-1"})
    assert first.status_code == again.status_code == 202
    assert again.content == first.content
    assert again.headers["location"] == first.headers["location"]
    problem(submit(server, raw + b"\n", **{"Idempotency-Key": "batch-key-1"}), 409)


def test_batch_survives_a_crash_mid_run(tmp_path: Path) -> None:
    big = tmp_path / "big.x12"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "generate.py"),
            str(big),
            "--claims",
            "3000",
            "--kind",
            "P",
        ],
        check=True,
        capture_output=True,
    )
    spool = tmp_path / "spool"
    first = Server(spool, ["--workers", "2"]).start()
    try:
        accepted = submit(first, big.read_bytes())
        assert accepted.status_code == 202
        location = accepted.headers["location"]
        seen = wait_for(first, location, {"running", "done", "failed"})
        assert seen["state"] == "running", "the batch finished before the crash: make it larger"
    finally:
        first.kill()  # SIGKILL: the server and its workers die mid-batch
    on_disk = json.loads((spool / "batches" / accepted.json()["id"] / "state.json").read_text())
    assert on_disk["state"] == "running"
    with Server(spool, ["--workers", "2"], log=first.log) as second:
        status = wait_for(second, location, {"done", "failed"})
        assert_cli_outputs(second, status, big, tmp_path / "cli")


def test_retention_removes_finished_batches(tmp_path: Path) -> None:
    require_service()
    from scrubber.service.batches import BatchSpool

    spool = BatchSpool(tmp_path)
    old = spool.root / ("a" * 32)
    new = spool.root / ("b" * 32)
    for folder, finished in ((old, 1000.0), (new, 9000.0)):
        folder.mkdir()
        spool.save(
            folder,
            {
                "id": folder.name,
                "state": "done",
                "finished": finished,
                "created": 0.0,
                "profile": "clean",
            },
        )
    queued = spool.root / ("c" * 32)
    queued.mkdir()
    spool.save(queued, {"id": queued.name, "state": "queued", "created": 0.0, "profile": "clean"})
    assert spool.expire(retention=3600, now=10_000.0) == 1
    assert not old.exists() and new.exists() and queued.exists()
