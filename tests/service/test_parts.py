"""The service's small parts in isolation: bodies, key files, the idempotency store."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.service.server import require_service

X12 = b"ISA*00*          *00*          *ZZ*A*ZZ*B*260105*1200*^*00501*000000101*0*T*:~CLM*X1*10~"


@pytest.fixture(autouse=True)
def _service() -> None:
    require_service()


def test_decode_raw_json_base64() -> None:
    from scrubber.service.bodies import decode

    assert decode(X12, "application/edi-x12") == X12
    assert decode(X12, None) == X12
    assert decode(b'{"x12": "ISA*1"}', "application/json; charset=utf-8") == b"ISA*1"
    assert decode(base64.encodebytes(X12), "application/octet-stream") == X12
    assert decode(base64.b64encode(X12), "application/x-anything") == X12
    assert decode(b"not base64 at all!", "application/edi-x12") == b"not base64 at all!"
    assert decode(base64.b64encode(b"hello"), "text/plain") == base64.b64encode(b"hello")


def test_decode_refusals() -> None:
    from scrubber.service.bodies import decode
    from scrubber.service.problems import Problem

    with pytest.raises(Problem) as bad_json:
        decode(b'{"x": 1}', "application/json")
    assert bad_json.value.status == 422
    with pytest.raises(Problem) as bad_type:
        decode(X12, "image/png")
    assert bad_type.value.status == 415


def test_claim_count() -> None:
    from scrubber.service.bodies import claim_count

    assert claim_count(X12) == 1
    assert claim_count(X12 + b"\nCLM*X2*1~CLMX*3~") == 2
    assert claim_count(b"garbage CLM*1") == 0


def test_key_file(tmp_path: Path) -> None:
    from scrubber.service.auth import Authenticator, KeyFileError, key_line, load_keys
    from scrubber.service.problems import Problem

    path = tmp_path / "keys"
    path.write_text(f"{key_line('secret-key-one-1234', 'one')} scrub\n\n# comment\n")
    keys = load_keys(path, environ={"SCRUBBER_API_KEYS": key_line("env-key-5678901234", "env")})
    assert [key.name for key in keys] == ["one", "env"]
    assert "secret-key-one-1234" not in path.read_text()
    auth = Authenticator(keys)
    assert auth.principal("secret-key-one-1234", "scrub").name == "one"
    with pytest.raises(Problem) as forbidden:
        auth.principal("secret-key-one-1234", "batches")
    assert forbidden.value.status == 403
    with pytest.raises(Problem) as unknown:
        auth.principal("wrong", "scrub")
    assert unknown.value.status == 401
    path.write_text("sha256:abc one\n")
    with pytest.raises(KeyFileError, match=r"keys:1: the sha256 digest"):
        load_keys(path, environ={})
    path.write_text(f"{key_line('k' * 20, 'x')} everything\n")
    with pytest.raises(KeyFileError, match="unknown scope"):
        load_keys(path, environ={})


def test_idempotency_store(tmp_path: Path) -> None:
    from scrubber.service.idempotency import Answer, IdempotencyStore
    from scrubber.service.problems import Problem

    store = IdempotencyStore(tmp_path / "db", ttl=3600, max_entries=2, max_body=100)
    assert store.begin("me", "k1", "print-1") is None
    with pytest.raises(Problem) as running:
        store.begin("me", "k1", "print-1")
    assert running.value.status == 409
    answer = Answer(200, "application/json", {"X-A": "1"}, b'{"a":1}')
    store.finish("me", "k1", answer)
    assert store.begin("me", "k1", "print-1") == answer
    assert store.begin("you", "k1", "print-1") is None  # keys are per caller
    with pytest.raises(Problem) as reused:
        store.begin("me", "k1", "print-2")
    assert reused.value.status == 409
    store.finish("you", "k1", Answer(503, "x", {}, b""))  # server errors are not kept
    assert store.begin("you", "k1", "print-1") is None
    store.finish("you", "k1", Answer(200, "x", {}, b"y" * 101))  # too large: not kept
    assert store.begin("you", "k1", "print-1") is None
    store.close()
    reopened = IdempotencyStore(tmp_path / "db", ttl=3600, max_entries=2, max_body=100)
    assert reopened.begin("you", "k1", "print-1") is None  # pending rows died with the server
    assert reopened.begin("me", "k1", "print-1") == answer
    expired = IdempotencyStore(tmp_path / "db", ttl=0, max_entries=2, max_body=100)
    assert expired.begin("me", "k1", "print-1") is None


def test_idempotency_store_is_bounded(tmp_path: Path) -> None:
    from scrubber.service.idempotency import Answer, IdempotencyStore

    store = IdempotencyStore(tmp_path / "db", ttl=3600, max_entries=3, max_body=100)
    for number in range(6):
        store.begin("me", f"k{number}", "p")
        store.finish("me", f"k{number}", Answer(200, "x", {}, b"b"))
    kept = [store.begin("me", f"k{number}", "p") is not None for number in range(6)]
    assert kept == [False, False, False, True, True, True]


def test_pipe_pool_replaces_a_dead_worker() -> None:
    import asyncio
    import os

    from scrubber.service import jobs
    from scrubber.service.problems import Problem
    from scrubber.service.workers import PipePool

    async def scenario() -> tuple[int, int, int]:
        pool = PipePool(1, jobs.WorkerSettings(log_level="warning"))
        try:
            await pool.warm()
            first = await pool.call(os.getpid)
            with pytest.raises(Problem) as lost:
                await pool.call(os._exit, 3)  # the worker dies mid-call
            assert lost.value.status == 503
            assert lost.value.headers["Retry-After"] == "1"
            return first, await pool.call(os.getpid), await pool.call(jobs.ping)
        finally:
            pool.close()

    first, second, ping = asyncio.run(scenario())
    assert first != second  # a new process answers
    assert ping == 0


def test_pipe_pool_hands_back_exceptions() -> None:
    import asyncio

    from scrubber.service import jobs
    from scrubber.service.workers import PipePool

    async def scenario() -> None:
        pool = PipePool(1, jobs.WorkerSettings(log_level="warning"))
        try:
            with pytest.raises(ValueError, match="invalid literal"):
                await pool.call(int, "not a number")
            assert await pool.call(int, "12") == 12
        finally:
            pool.close()

    asyncio.run(scenario())
