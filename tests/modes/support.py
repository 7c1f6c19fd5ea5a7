"""Helpers for the pipeline and test-suite modes: the ``scrubber`` command run
as a real subprocess, directory listings and whole-store dumps."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from scrubber.history import schema
from scrubber.history.connect import normalize_url

AS_OF = ["--as-of", "2026-11-26"]


def run_cli(
    args: list[str], stdin: bytes = b"", cwd: Path | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[bytes]:
    """``python -m scrubber.cli ARGS`` with ``stdin``; stdout and stderr as bytes."""
    return subprocess.run(
        [sys.executable, "-m", "scrubber.cli", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        check=False,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1764547200"},
        timeout=timeout,
    )


def listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder``: relative path -> (size, mtime in ns)."""
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
    }


def dump_store(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the store's schema (with the migration
    and meta tables), ordered: two dumps are equal when nothing changed."""
    engine = sa.create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            return {
                table.name: [
                    tuple(row)
                    for row in conn.execute(
                        sa.select(table).order_by(*(table.primary_key.columns or table.columns))
                    )
                ]
                for table in schema.metadata.sorted_tables
            }
    finally:
        engine.dispose()
