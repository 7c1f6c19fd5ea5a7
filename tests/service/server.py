"""A real ``scrubber serve`` (uvicorn) on 127.0.0.1, in a subprocess, for the tests.

:func:`require_service` skips a test when the ``service`` extra is not
installed, with the reason, but fails it when ``CI`` is set.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import pytest

EPOCH = "1764000000"
START_SECONDS = 120


def require_service() -> None:
    """Skip (or, under CI, fail) when fastapi, uvicorn, httpx or schemathesis is missing."""
    try:
        import fastapi  # noqa: F401
        import httpx  # noqa: F401
        import schemathesis  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as error:
        reason = f"the service extra is not installed ({error}): pip install -e '.[test]'"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI is set, so the service tests must run", pytrace=False)
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``scrubber serve --port <free> --spool SPOOL ARGS...``; its standard
    error (the logs) goes to ``log``. Use as a context manager."""

    def __init__(
        self,
        spool: Path,
        args: Sequence[str] = (),
        env: dict[str, str] | None = None,
        log: Path | None = None,
    ) -> None:
        self.spool = spool
        self.args = list(args)
        self.env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **(env or {})}
        self.log = log or spool.parent / f"{spool.name}.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        import httpx

        command = [
            sys.executable,
            "-m",
            "scrubber",
            "serve",
            "--port",
            str(self.port),
            "--spool",
            str(self.spool),
            *self.args,
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=log, env=self.env, start_new_session=True
            )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"scrubber serve exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.kill()
        raise RuntimeError("scrubber serve did not become ready")

    def stop(self) -> None:
        """SIGTERM (graceful shutdown), then wait."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def kill(self) -> None:
        """SIGKILL the server and its workers (its process group): a crash."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)
        self.process = None

    def logs(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
        self.kill()
