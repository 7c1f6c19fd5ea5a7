"""structlog is imported only when an event is logged (scrubber/logs.py):
a scrub at the default level pays nothing for it, and the configuration
still applies, and a host application's own configuration still wins.
Each case runs in a fresh interpreter, where structlog is not imported yet."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.corpus import sample_files


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout


def test_a_scrub_at_the_default_level_does_not_import_structlog(tmp_path: Path) -> None:
    sample = sample_files()[0]
    out = _run(
        "import sys\n"
        "from scrubber.cli.main import main\n"
        f"status = main(['scrub', {str(sample)!r}, '-o', {str(tmp_path)!r}, '--quiet'])\n"
        "print(status, 'structlog' in sys.modules)\n"
    )
    assert out.split()[1] == "False"
    assert list(tmp_path.iterdir())  # it did scrub


def test_the_configured_stream_and_level_apply_at_the_first_event() -> None:
    out = _run(
        "import io, sys\n"
        "from scrubber.logs import configure_logging, get_logger\n"
        "stream = io.StringIO()\n"
        "configure_logging(stream, level='info', json=True)\n"
        "log = get_logger('scrubber.test')\n"
        "log.debug('dropped', n=0)\n"
        "print('structlog' in sys.modules)\n"
        "log.info('kept', n=1)\n"
        "print(stream.getvalue().strip())\n"
    )
    imported, line = out.splitlines()
    assert imported == "False"  # a debug event below the level imports nothing
    event = json.loads(line)
    assert (event["event"], event["n"], event["component"]) == ("kept", 1, "scrubber.test")


def test_a_host_applications_later_configuration_wins() -> None:
    out = _run(
        "import io\n"
        "from scrubber.logs import configure_logging, get_logger\n"
        "ours = io.StringIO()\n"
        "configure_logging(ours, level='info', json=True)\n"
        "import structlog\n"
        "host = io.StringIO()\n"
        "structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=host))\n"
        "get_logger('scrubber.test').warning('seen')\n"
        "print(repr(ours.getvalue()), 'seen' in host.getvalue())\n"
    )
    assert out.split() == ["''", "True"]
