"""The :class:`~scrubber.outputs.sink.Target` s a sink writes to: a staged
file of an :class:`~scrubber.outputs.atomic.OutputSet` (the ``scrubber scrub``
command), memory (the Python API) and a shard's part file (a worker).
Whoever makes a target closes it once its sink is closed (or joined)."""

from __future__ import annotations

import io
import os
import shutil
import stat
from pathlib import Path
from typing import IO

from scrubber.outputs.atomic import OutputSet

_BOM = "\ufeff"  # encoded by the codec: the bytes of its byte order mark
_COPY_CHUNK = 1 << 20


class StagedTarget:
    """``path``, staged in ``outputs`` (renamed into place by its commit). The
    temporary file is made at once, so that an interrupted run is seen to
    leave nothing behind from its start; a target never opened is unstaged
    when closed (a file a previous run left stays as it is)."""

    def __init__(self, outputs: OutputSet, path: Path) -> None:
        self.path = path
        self.opened = False
        self.dropped = False
        self._outputs = outputs
        self._raw = outputs.create(path)
        self._text: io.TextIOWrapper | None = None
        self._besides: list[StagedTarget] = []

    def open(self, codec: str, *, bom: bool = False) -> IO[str]:
        assert not self.opened, f"{self.path.name} opened twice"
        self.opened = True
        self._text = io.TextIOWrapper(self._raw, encoding=codec, newline="")
        if bom:
            self._text.write(_BOM)
        return self._text

    def drop(self) -> None:
        self._flush()
        self.dropped = True
        self._outputs.drop(self.path)
        self._outputs.remove(self.path)

    @property
    def written(self) -> bool:
        """Whether the commit writes the file (opened, not dropped)."""
        return self.opened and not self.dropped

    def beside(self, suffix: str) -> StagedTarget:
        target = StagedTarget(self._outputs, self.path.with_name(self.path.name + suffix))
        self._besides.append(target)
        return target

    def close(self) -> None:
        """Flush the text; the staged file stays open for the commit (one
        never opened is unstaged)."""
        self._flush()
        if not self.opened and not self.dropped:
            self.dropped = True
            self._outputs.drop(self.path)
        for target in self._besides:
            target.close()

    def _flush(self) -> None:
        if self._text is not None:
            self._text.flush()
            self._text.detach()
            self._text = None


class MemoryTarget:
    """The output's text in memory (:attr:`value`, ``None`` when dropped)."""

    def __init__(self) -> None:
        self._text = io.StringIO()
        self.dropped = False
        self.besides: dict[str, MemoryTarget] = {}

    def open(self, codec: str, *, bom: bool = False) -> IO[str]:
        return self._text  # str: the caller encodes (``Encoding.encode`` adds the BOM)

    def drop(self) -> None:
        self.dropped = True

    def beside(self, suffix: str) -> MemoryTarget:
        return self.besides.setdefault(suffix, MemoryTarget())

    def close(self) -> None:
        """Nothing to do: the text stays readable."""

    @property
    def value(self) -> str | None:
        return None if self.dropped else self._text.getvalue()


class PartTarget:
    """One shard's part of an output: the file ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stream: IO[str] | None = None
        self._besides: list[PartTarget] = []

    def open(self, codec: str, *, bom: bool = False) -> IO[str]:
        """The part file (never with a BOM: the join writes the output's)."""
        self._stream = open(self.path, "w", encoding=codec, newline="")  # noqa: SIM115
        return self._stream

    def drop(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)

    def beside(self, suffix: str) -> PartTarget:
        target = PartTarget(self.path.with_name(self.path.name + suffix))
        self._besides.append(target)
        return target

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        for target in self._besides:
            target.close()


def copy_part(path: Path, codec: str, out: IO[str]) -> None:
    """Append the text of the part file ``path`` (in ``codec``) to ``out``.

    When ``out`` encodes to a byte stream in the same codec, the part's bytes
    are copied as they are: decoding and encoding them again would give the
    same bytes (the codecs an input is read in are stateless, and both sides
    are strict), at a fraction of the cost."""
    buffer = getattr(out, "buffer", None)
    if buffer is not None and getattr(out, "encoding", None) == codec:
        out.flush()
        with open(path, "rb") as raw:
            _copy_bytes(raw, out, buffer)
        return
    with open(path, encoding=codec, newline="") as part:
        shutil.copyfileobj(part, out, _COPY_CHUNK)


def copy_text(source: IO[str], out: IO[str]) -> None:
    """Append all of the text file ``source`` (read from its start) to
    ``out``: its bytes as they are when both encode alike (see :func:`copy_part`)."""
    source.flush()
    raw = getattr(source, "buffer", None)
    buffer = getattr(out, "buffer", None)
    same = getattr(source, "encoding", None) == getattr(out, "encoding", None)
    if raw is not None and buffer is not None and same:
        out.flush()
        raw.seek(0)
        _copy_bytes(raw, out, buffer)
        return
    source.seek(0)
    shutil.copyfileobj(source, out, _COPY_CHUNK)


def _copy_bytes(source: IO[bytes], out: IO[str], buffer: IO[bytes]) -> None:
    """Append the rest of ``source`` to ``out`` (flushed) below its text layer,
    then tell ``out`` where the file now ends (so that, say, a codec with a
    byte order mark writes none after the copy)."""
    if not _copy_in_kernel(source, out):
        shutil.copyfileobj(source, buffer, _COPY_CHUNK)
    if out.seekable():
        out.seek(0, os.SEEK_END)


def _copy_in_kernel(source: IO[bytes], out: IO[str]) -> bool:
    """Append all of ``source`` to the file ``out`` (flushed) inside the kernel
    (``os.copy_file_range``: no copy through Python's buffers, 12 MB of
    parts in a sharded run of 20,000 claims); False, with nothing copied,
    where that cannot be done (another platform, not regular files, another
    file system on an older kernel: the caller copies then)."""
    copy = getattr(os, "copy_file_range", None)
    try:
        target = out.fileno()
        if copy is None or not stat.S_ISREG(os.fstat(target).st_mode):
            return False
        copy(source.fileno(), target, _COPY_CHUNK)  # the first chunk: fails at once if unable
    except (OSError, io.UnsupportedOperation):
        return False
    while copy(source.fileno(), target, _COPY_CHUNK):
        pass
    return True
