"""Inputs that can be read twice (the pipeline's two passes).

Paths and in-memory text/bytes are read as they are; standard input
(``"-"``) and binary streams are first copied to a temporary file on disk.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from typing import BinaryIO

from scrubber.x12.source import Source, TextSource, path_of

SPOOL_CHUNK = 1 << 20


class ReplayableSource:
    """A source that can be read twice: paths and in-memory text/bytes as they
    are; standard input (``"-"``) and binary streams spooled to a temporary
    file first. Use as a context manager (the spool file is removed)."""

    def __init__(self, source: Source, name: str | None = None) -> None:
        self.name = name or TextSource(source).name
        self._spool: BinaryIO | None = None
        self._source: Source = source
        if isinstance(source, str | os.PathLike) and os.fspath(source) == "-":
            self._spool = _spool(sys.stdin.buffer)
        elif not isinstance(source, str | bytes | os.PathLike):
            self._spool = _spool(source)

    def open(self) -> Source:
        """The source for one pass."""
        if self._spool is not None:
            self._spool.seek(0)
            return self._spool
        return self._source

    @property
    def path(self) -> str | None:
        """The regular file read (not spooled), if any."""
        return None if self._spool is not None else path_of(self._source)

    @property
    def spooled(self) -> bool:
        return self._spool is not None

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None

    def __enter__(self) -> ReplayableSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _spool(stream: BinaryIO) -> BinaryIO:
    spool: BinaryIO = tempfile.TemporaryFile(prefix="scrubber-input-")  # noqa: SIM115
    try:
        shutil.copyfileobj(stream, spool, SPOOL_CHUNK)
    except BaseException:
        spool.close()
        raise
    return spool
