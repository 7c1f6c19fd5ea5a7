"""Atomic output files: nothing half-written survives an interrupted run.

:class:`OutputSet` stages every file of one input in a temporary file in
the target directory (same file system), and :meth:`OutputSet.commit`
renames them into place with ``os.replace`` (atomic on POSIX and Windows)
and removes outputs a previous run left that this run does not write (a
stale ``S.clean.x12`` when no claim is accepted any more). Leaving the
``with`` block without committing (an exception, Ctrl-C) deletes the
temporary files and leaves the existing outputs untouched. The commit itself
is all or nothing: if one file cannot be put in place (a directory in the
way, a full disk, a signal), the files already renamed are put back as they
were, so the outputs of one input are never a mix of two runs.
"""

from __future__ import annotations

import contextlib
import errno
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
        """Rename every staged file into place and remove the stale ones, all
        or nothing: every target is checked first (a directory in the way
        fails before anything is renamed), existing files are moved aside
        before being replaced, and a failure (or an interrupt) part-way puts
        the ones already renamed back. Raises the ``OSError`` that stopped it;
        the temporary files are gone either way."""
        for temp, _ in self._staged:
            self._close(temp, sync=True)
        staged, self._staged = self._staged, []
        stale, self._stale = self._stale, []
        try:
            _check_targets([target for _, target in staged] + stale)
            _install(staged, stale)
        finally:
            for temp, _ in staged:
                with contextlib.suppress(OSError):
                    os.unlink(temp)

    def discard(self) -> None:
        for temp, _ in self._staged:
            self._close(temp, sync=False)
            with contextlib.suppress(OSError):
                os.unlink(temp)
        self._staged = []
        self._stale = []


def _check_targets(targets: list[Path]) -> None:
    """Fail before any rename when a target cannot be replaced by a file."""
    for target in targets:
        if target.is_dir() and not target.is_symlink():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))


def _install(staged: list[tuple[str, Path]], stale: list[Path]) -> None:
    """Move each existing target (and each stale file) aside, rename the staged
    files into place; on any failure undo what was done, then re-raise."""
    aside: list[tuple[Path, Path]] = []  # (original path, where it was moved)
    installed: list[Path] = []
    try:
        for path in [target for _, target in staged]:
            if path.exists() or path.is_symlink():
                aside.append((path, _keep_aside(path, move=False)))
        for path in stale:
            if path.exists() or path.is_symlink():
                aside.append((path, _keep_aside(path, move=True)))
        for temp, target in staged:
            os.replace(temp, target)
            installed.append(target)
    except BaseException:
        for target in installed:
            with contextlib.suppress(OSError):
                target.unlink()
        for path, backup in aside:
            with contextlib.suppress(OSError):
                _put_back(backup, path)
        raise
    for _, backup in aside:
        with contextlib.suppress(OSError):
            backup.unlink()


def _put_back(backup: Path, path: Path) -> None:
    """Restore ``path`` from ``backup`` (a hard link still naming the same file
    when ``path`` was not replaced: rename would then do nothing)."""
    if path.exists() and os.path.samefile(backup, path):
        backup.unlink()
    else:
        os.replace(backup, path)


def _keep_aside(path: Path, move: bool) -> Path:
    """A copy of ``path`` under a fresh name next to it, to put back if the
    commit fails: a hard link (``path`` stays in place until ``os.replace``
    swaps it atomically), or a rename when ``move`` or when links are not
    supported."""
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".old")
    os.close(handle)
    backup = Path(name)
    if not move:
        try:
            os.unlink(backup)
            os.link(path, backup, follow_symlinks=False)
            return backup
        except OSError:
            pass
    os.replace(path, backup)
    return backup


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
