"""API keys, the loopback default, logs without PHI, and ``record=false`` with a history store."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.corpus import sample_files
from tests.service.server import Server, require_service
from tests.service.test_sync import FREESTANDING, post, problem

FULL_KEY = "full-access-key-0123456789abcdef"
RULES_KEY = "rules-only-key-0123456789abcdef"
HISTORY_KEY = "k" * 40
ACCESS_FIELDS = {
    "component",
    "method",
    "route",
    "status",
    "duration_ms",
    "request_id",
    "event",
    "level",
    "timestamp",
}


def key_file(folder: Path) -> Path:
    from scrubber.service.auth import key_line

    path = folder / "keys"
    path.write_text(
        f"# service keys\n{key_line(FULL_KEY, 'pm-system')}\n{key_line(RULES_KEY, 'docs')} rules\n"
    )
    return path


def test_api_keys_401_403_200(tmp_path: Path, samples_dir: Path) -> None:
    require_service()
    import httpx

    raw = (samples_dir / FREESTANDING).read_bytes()
    with Server(tmp_path / "spool", ["--workers", "1", "--api-keys", str(key_file(tmp_path))]) as s:
        missing = problem(post(s, raw), 401)
        assert missing["type"] == "urn:scrubber:problem:unauthorized"
        assert post(s, raw).headers["www-authenticate"].startswith("Bearer")
        problem(post(s, raw, headers={"Authorization": "Bearer not-a-key-at-all"}), 401)
        problem(post(s, raw, headers={"Authorization": f"Basic {FULL_KEY}"}), 401)
        problem(post(s, raw, headers={"Authorization": f"Bearer {RULES_KEY}"}), 403)
        assert post(s, raw, headers={"Authorization": f"Bearer {FULL_KEY}"}).status_code == 200
        rules = httpx.get(f"{s.url}/v1/rules", headers={"Authorization": f"Bearer {RULES_KEY}"})
        assert rules.status_code == 200
        assert httpx.get(f"{s.url}/healthz").status_code == 200
        logs = s.logs()
    assert FULL_KEY not in logs and RULES_KEY not in logs


def test_refuses_a_public_address_without_keys(tmp_path: Path) -> None:
    require_service()
    done = subprocess.run(
        [sys.executable, "-m", "scrubber", "serve", "--host", "0.0.0.0", "--spool", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1
    assert "not a loopback address" in done.stderr


def phi_values(sample: Path) -> set[str]:
    """Names, member ids, claim ids, dates of birth and diagnoses in ``sample``."""
    text = sample.read_bytes().decode("utf-8-sig", errors="replace")
    element = text[3]
    values: set[str] = set()
    for segment in re.split(r"[~\n]", text):
        fields = segment.strip().split(element)
        tag = fields[0]
        if tag == "NM1" and len(fields) > 3 and fields[1] in ("IL", "QC"):
            values.update(fields[3:5])
            values.update(fields[9:10])
        elif tag == "CLM":
            values.add(fields[1])
        elif tag == "DMG" and len(fields) > 2:
            values.add(fields[2])
        elif tag == "HI":
            values.update(code.split(":")[1] for code in fields[1:] if ":" in code)
    return {value for value in values if len(value) >= 4}


def test_no_phi_and_no_query_values_in_logs(tmp_path: Path) -> None:
    require_service()
    with Server(tmp_path / "spool", ["--workers", "1"]) as s:
        phi: set[str] = set()
        for sample in sample_files():
            phi |= phi_values(sample)
            assert post(s, sample.read_bytes(), params={"as_of": "2026-11-27"}).status_code == 200
            post(s, sample.read_bytes()[:400])  # unusable: 422
        logs = s.logs()
    assert phi, "the samples hold PHI to look for"
    assert [value for value in sorted(phi) if value in logs] == []
    assert "2026-11-27" not in logs
    access = [json.loads(line) for line in logs.splitlines() if '"http.request"' in line]
    assert len(access) >= 2 * len(sample_files())
    for line in access:
        assert set(line) == ACCESS_FIELDS
        assert line["route"] in ("/v1/scrub", "/readyz")
        assert re.fullmatch(r"[0-9a-f]{32}", line["request_id"])


def test_request_id_is_echoed(server: Server) -> None:
    import httpx

    answer = httpx.get(f"{server.url}/healthz", headers={"X-Request-ID": "pm-abc.123"})
    assert answer.headers["x-request-id"] == "pm-abc.123"
    unsafe = httpx.get(f"{server.url}/healthz", headers={"X-Request-ID": "x" * 100})
    assert re.fullmatch(r"[0-9a-f]{32}", unsafe.headers["x-request-id"])
    assert "pm-abc.123" in server.logs()


def test_record_false_checks_without_recording(tmp_path: Path, samples_dir: Path) -> None:
    require_service()
    from scrubber.history import open_store

    url = f"sqlite:///{tmp_path / 'history.db'}"
    raw = (samples_dir / FREESTANDING).read_bytes()
    env = {"SCRUBBER_HISTORY_KEY": HISTORY_KEY}
    with Server(tmp_path / "spool", ["--workers", "1", "--history", url], env=env) as s:
        checked = post(s, raw, params={"record": "false"})
        assert checked.status_code == 200
        with open_store(url, HISTORY_KEY) as store:
            assert store.counts()["claims"] == 0
        recorded = post(s, raw)
        with open_store(url, HISTORY_KEY) as store:
            assert store.counts()["claims"] == 38
        again = post(s, raw, params={"record": "false"})
        with open_store(url, HISTORY_KEY) as store:
            assert store.counts()["claims"] == 38
        import httpx

        assert httpx.get(f"{s.url}/readyz").json()["checks"]["history"] is True
    assert checked.json()["report"]["summary"] == recorded.json()["report"]["summary"]
    assert again.json()["report"]["summary"]["claims"] == 38
