"""The committed OpenAPI document, and schemathesis against a real server.

Bodies for ``application/edi-x12`` / ``text/plain`` come from
:mod:`scrubber.testing.samples` builders: valid 837s of random claims, and
broken ones (cut short, a segment dropped, bytes flipped). Every answer must
be documented (status, content type, schema) and none may be a 5xx.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.service.server import Server, require_service

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "openapi.json"
PROCEDURES = ("77385", "77386", "77387", "77014", "77417", "77290", "77427", "77402", "G6002")
MODIFIERS = ((), ("TC",), ("26",), ("59",))


def test_committed_openapi_document_is_current() -> None:
    require_service()
    from scrubber.service.openapi import text

    assert DOCUMENT.read_text(encoding="utf-8") == text(), (
        "docs/openapi.json is stale: python -m scrubber.service.openapi > docs/openapi.json"
    )


def x12_bodies() -> Any:
    """A hypothesis strategy of 837 bodies, valid and broken."""
    from hypothesis import strategies as st

    from scrubber.testing.samples import ClaimSpec, LineSpec, build_837

    line = st.builds(
        LineSpec,
        procedure=st.sampled_from(PROCEDURES),
        modifiers=st.sampled_from(MODIFIERS),
        dos=st.dates(dt.date(2024, 6, 1), dt.date(2026, 6, 30)),
        charge=st.decimals(Decimal("1.00"), Decimal("9999.99"), places=2),
    )
    claim = st.builds(
        ClaimSpec,
        claim_id=st.from_regex(r"[A-Z][A-Z0-9]{2,10}", fullmatch=True),
        lines=st.lists(line, min_size=1, max_size=6),
        member_id=st.sampled_from(("MBR0001", "MBR0002", "MBR0003")),
    )
    valid = st.lists(claim, min_size=1, max_size=4).map(lambda claims: build_837(claims).encode())

    def broken(body: bytes, cut: int, how: int) -> bytes:
        segments = body.split(b"~")
        at = cut % max(len(segments), 1)
        if how == 0:
            return body[: cut % max(len(body), 1)]
        if how == 1:
            return b"~".join(segments[:at] + segments[at + 1 :])
        return body[:at] + b"\x00*\xff" + body[at + 3 :]

    broken_bodies = st.builds(broken, valid, st.integers(0, 5000), st.integers(0, 2))
    return st.one_of(valid, broken_bodies, st.binary(max_size=64))


@pytest.fixture(scope="module")
def schema() -> Any:
    require_service()
    import schemathesis

    strategy = x12_bodies()
    schemathesis.openapi.media_type("application/edi-x12", strategy)
    schemathesis.openapi.media_type("text/plain", strategy)
    return schemathesis.openapi.from_path(DOCUMENT)


def test_schemathesis_no_5xx_and_answers_match_the_document(schema: Any, server: Server) -> None:
    """Every operation, a bounded number of examples each, every check of
    schemathesis but those :func:`_excluded` names."""
    failures: list[str] = []
    calls = [0]
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        _fuzz(operation, server.url, failures, calls)
    assert len(operations) == 10
    assert calls[0] >= 5 * len(operations)
    assert failures == []


def _fuzz(operation: Any, url: str, failures: list[str], calls: list[int]) -> None:
    from hypothesis import HealthCheck, given, settings

    @settings(
        max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(operation.as_strategy())
    def run(case: Any) -> None:
        calls[0] += 1
        try:
            case.call_and_validate(base_url=url, excluded_checks=_excluded(), timeout=120)
        except Exception as error:
            failures.append(f"{operation.method.upper()} {operation.path}: {error}"[:1500])

    run()


def _excluded() -> list[Any]:
    """Checks that do not fit an API that answers 4xx for bodies its schema
    (a string) cannot describe: any string is schema-valid, few are 837s."""
    from schemathesis.specs.openapi import checks

    return [
        checks.positive_data_acceptance,
        checks.missing_required_header,
        checks.unsupported_method,
        checks.ignored_auth,
    ]


def test_rules_answer_the_cli_catalogue(server: Server) -> None:
    import subprocess
    import sys

    import httpx

    cli = subprocess.run(
        [sys.executable, "-m", "scrubber", "rules", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert httpx.get(f"{server.url}/v1/rules").json() == json.loads(cli.stdout)
    one = subprocess.run(
        [sys.executable, "-m", "scrubber", "rules", "IG105", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert httpx.get(f"{server.url}/v1/rules/ig105").json() == json.loads(one.stdout)


def test_metrics_count_requests_claims_and_pool(server: Server) -> None:
    import httpx

    from tests.service.test_sync import FREESTANDING, post

    samples = ROOT / "edi_samples"
    post(server, (samples / FREESTANDING).read_bytes())
    text = httpx.get(f"{server.url}/metrics").text
    assert 'scrubber_http_requests_total{method="POST",route="/v1/scrub",status="200"}' in text
    assert 'scrubber_claims_total{status="rejected"}' in text
    assert "scrubber_http_request_duration_seconds_bucket" in text
    assert 'scrubber_batches{state="queued"}' in text
    assert "scrubber_pool_capacity 4.0" in text
    assert "scrubber_pool_saturation" in text
