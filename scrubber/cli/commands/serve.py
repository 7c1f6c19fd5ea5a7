"""``scrubber serve``: the HTTP service (extra ``scrubber[service]``).

Binds 127.0.0.1:8080 by default; refuses any other address unless API keys
are configured (``--api-keys FILE`` or ``SCRUBBER_API_KEYS``). ``--hash-key``
reads a key on standard input and prints its key file line. See
:mod:`scrubber.service` for the endpoints.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from scrubber.cli.commands.options import UsageError, load_policy_and_courses
from scrubber.history import HistoryError, open_store
from scrubber.status import ExitStatus


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the HTTP service (POST /v1/scrub, /v1/batches, ...)",
        description="Run the scrubber as an HTTP service (needs scrubber[service]).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    parser.add_argument(
        "--workers",
        type=_positive,
        default=None,
        metavar="N",
        help="scrub worker processes (default: the CPU count)",
    )
    parser.add_argument(
        "--queue",
        type=_positive,
        default=None,
        metavar="N",
        help="requests that may wait for a worker (default: 8 per worker); more are answered 503",
    )
    parser.add_argument("--history", metavar="URL", help="course history store URL")
    parser.add_argument("--policy", metavar="FILE", help="policy file (TOML)")
    parser.add_argument("--courses", metavar="FILE", help="course registry (CSV)")
    parser.add_argument("--api-keys", metavar="FILE", help="API key file (sha256 lines)")
    parser.add_argument(
        "--spool",
        metavar="DIR",
        help="batches and idempotency records (default: TMPDIR/scrubber-spool)",
    )
    parser.add_argument(
        "--max-claims",
        type=_positive,
        default=2000,
        metavar="N",
        help="most claims POST /v1/scrub takes (default 2000)",
    )
    parser.add_argument(
        "--max-bytes",
        type=_positive,
        default=5 << 20,
        metavar="N",
        help="largest body POST /v1/scrub takes (default 5 MB)",
    )
    parser.add_argument(
        "--retention",
        type=_positive,
        default=7 * 24,
        metavar="HOURS",
        help="hours a finished batch is kept (default 168)",
    )
    parser.add_argument(
        "--hash-key",
        metavar="NAME",
        help="read an API key on standard input, print its key file line, exit",
    )
    parser.set_defaults(run=run)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def run(args: argparse.Namespace) -> int:
    if args.hash_key:
        return _hash_key(args.hash_key)
    try:
        import uvicorn

        from scrubber.service.app import create_app
        from scrubber.service.auth import KeyFileError, load_keys
        from scrubber.service.config import ServiceConfig
    except ImportError as error:
        extra = "needs the service extra (pip install 'scrubber[service]')"
        raise UsageError(f"{extra}: {error}") from None
    try:
        keys = load_keys(Path(args.api_keys) if args.api_keys else None)
    except (OSError, KeyFileError) as error:
        raise UsageError(f"--api-keys: {error}") from None
    if not keys and not _loopback(args.host):
        raise UsageError(
            f"--host {args.host} is not a loopback address: "
            "configure API keys (--api-keys FILE or SCRUBBER_API_KEYS) first",
        )
    load_policy_and_courses(args)  # checked here: the workers load them again
    if args.history:
        try:
            open_store(args.history).close()  # creates / migrates it once, before the workers
        except HistoryError as error:
            raise UsageError(f"--history: {error}") from None
    spool = Path(args.spool or Path(tempfile.gettempdir()) / "scrubber-spool")
    config = ServiceConfig(
        spool=spool,
        history=args.history,
        policy=Path(args.policy) if args.policy else None,
        courses=Path(args.courses) if args.courses else None,
        api_keys=Path(args.api_keys) if args.api_keys else None,
        workers=args.workers or os.cpu_count() or 1,
        queue=args.queue or 0,
        sync_max_claims=args.max_claims,
        sync_max_bytes=args.max_bytes,
        retention_seconds=args.retention * 3600,
    )
    # The access log is at info; the workers' own (per-scrub counts) only when asked for.
    level = os.environ.get("SCRUBBER_LOG_LEVEL", "info").lower()
    worker_level = os.environ.get("SCRUBBER_LOG_LEVEL", "warning").lower()
    from scrubber.logs import configure_logging

    configure_logging(level=level, json=True)
    app = create_app(config, log_level=worker_level)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        access_log=False,
        log_config=None,
        server_header=False,
        timeout_graceful_shutdown=30,
    )
    return ExitStatus.OK


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _hash_key(name: str) -> int:
    from scrubber.service.auth import key_line

    key = sys.stdin.readline().strip()
    if len(key) < 16:
        raise UsageError("--hash-key: give a key of at least 16 characters on standard input")
    print(key_line(key, name))
    return ExitStatus.OK
