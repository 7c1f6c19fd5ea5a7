"""Atomic output files: nothing half-written survives an interrupted run.

:class:`OutputSet` stages every file of one input in a temporary file in
the target directory (same file system), and :meth:`OutputSet.commit`
renames them into place with ``os.replace`` (atomic on POSIX and Windows)
and removes outputs a previous run left that this run does not write (a
stale ``S.clean.x12`` when no claim is accepted any more). Leaving the
``with`` block without committing (an exception, Ctrl-C) deletes the
temporary files and leaves the existing outputs untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import BinaryIO


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file + fsync + rename)."""
    with OutputSet() as outputs:
        outputs.stage(path, data)
        outputs.commit()


class OutputSet:
    """Files to write (and stale files to remove) together; see module doc."""

    def __init__(self) -> None:
        self._staged: list[tuple[str, Path]] = []
        self._stale: list[Path] = []
        self._streams: dict[str, BinaryIO] = {}

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.discard()

    def stage(self, path: str | os.PathLike[str], data: bytes) -> None:
        target = Path(path)
        handle, temp = tempfile.mkstemp(
            dir=target.parent or Path("."), prefix=f".{target.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temp, 0o666 & ~_umask())
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        self._staged.append((temp, target))

    def create(self, path: str | os.PathLike[str]) -> BinaryIO:
        """A binary stream for ``path``'s new content, written to a temporary
        file next to it; :meth:`commit` fsyncs it and renames it into place."""
        target = Path(path)
        handle, temp = tempfile.mkstemp(
            dir=target.parent or Path("."), prefix=f".{target.name}.", suffix=".tmp"
        )
        stream = os.fdopen(handle, "wb", buffering=1 << 20)
        self._staged.append((temp, target))
        self._streams[temp] = stream
        return stream

    def drop(self, path: str | os.PathLike[str]) -> None:
        """Forget the staged content of ``path`` (its temporary file is deleted)."""
        target = Path(path)
        for temp, staged in list(self._staged):
            if staged == target:
                self._close(temp, sync=False)
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                self._staged.remove((temp, staged))

    def _close(self, temp: str, sync: bool) -> None:
        stream = self._streams.pop(temp, None)
        if stream is None or stream.closed:
            return
        if sync:
            stream.flush()
            os.fsync(stream.fileno())
            stream.close()
            os.chmod(temp, 0o666 & ~_umask())
        else:
            with contextlib.suppress(OSError):
                stream.close()

    def remove(self, path: str | os.PathLike[str]) -> None:
        """Remove ``path`` at commit time if it exists."""
        self._stale.append(Path(path))

    def commit(self) -> None:
        for temp, _ in self._staged:
            self._close(temp, sync=True)
        staged, self._staged = self._staged, []
        for index, (temp, target) in enumerate(staged):
            try:
                os.replace(temp, target)
            except BaseException:
                for leftover, _ in staged[index:]:
                    with contextlib.suppress(OSError):
                        os.unlink(leftover)
                raise
        for path in self._stale:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        self._stale = []

    def discard(self) -> None:
        for temp, _ in self._staged:
            self._close(temp, sync=False)
            with contextlib.suppress(OSError):
                os.unlink(temp)
        self._staged = []
        self._stale = []


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
