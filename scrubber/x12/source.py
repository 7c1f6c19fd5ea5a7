"""Turn any accepted input into a stream of decoded text chunks.

Accepted sources: a filesystem path (``str`` naming an existing file or
``os.PathLike``), ``"-"`` for standard input, ``bytes``, X12 text as ``str``,
or a binary file object. Encoding is detected from the first bytes: a UTF-8
BOM, UTF-16 (with or without a BOM, recognised by its NUL bytes), otherwise
UTF-8, falling back to Latin-1 (which maps every byte) when the bytes are not
UTF-8. :class:`TextSource` remembers what it found so that a writer can
encode its output the same way.
"""

from __future__ import annotations

import codecs
import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from scrubber.errors import X12InputError
from scrubber.pickling import by_fields

Source = str | bytes | os.PathLike[str] | BinaryIO

CHUNK_BYTES = 1 << 20
_SAMPLE_BYTES = 64  # bytes looked at to detect the encoding


@dataclass(frozen=True, slots=True)
class Encoding:
    """How the input was encoded: codec name and whether it carried a BOM."""

    codec: str = "utf-8"
    bom: bool = False

    def encode(self, text: str) -> bytes:
        body = text.encode(self.codec)
        if not self.bom:
            return body
        return _BOMS[self.codec] + body


_BOMS = {
    "utf-8": codecs.BOM_UTF8,
    "utf-16-le": codecs.BOM_UTF16_LE,
    "utf-16-be": codecs.BOM_UTF16_BE,
}


class TextSource:
    """Iterates over the decoded text of a source in chunks.

    ``name`` is a display name for messages (the path, ``<stdin>``,
    ``<bytes>``); ``encoding`` is known once iteration has started.
    """

    def __init__(self, source: Source, name: str | None = None) -> None:
        self._source = source
        self.name = name or _display_name(source)
        self.encoding = Encoding()

    def chunks(self) -> Iterator[str]:
        source = self._source
        if isinstance(source, str) and not _is_path(source):
            yield source.lstrip("\ufeff")
            return
        if isinstance(source, bytes):
            yield from self._decode_stream(io.BytesIO(source))
            return
        if isinstance(source, str | os.PathLike):
            path = os.fspath(source)
            if path == "-":
                yield from self._decode_stream(sys.stdin.buffer)
                return
            try:
                with open(path, "rb") as stream:
                    yield from self._decode_stream(stream)
            except OSError as exc:
                raise X12InputError(f"cannot read {path}: {exc.strerror or exc}") from None
            return
        yield from self._decode_stream(source)

    def _decode_stream(self, stream: BinaryIO) -> Iterator[str]:
        head = stream.read(CHUNK_BYTES)
        # Short reads (pipes, sockets, raw streams) must not decide the encoding
        # from a few bytes: read until the detection sample is complete.
        while head and len(head) < _SAMPLE_BYTES:
            more = stream.read(CHUNK_BYTES)
            if not more:
                break
            head += more
        self.encoding = _detect_encoding(head)
        # A UTF-8 BOM declares UTF-8: no fall-back to Latin-1 then.
        decoder = _IncrementalText(self.encoding.codec, fallback=not self.encoding.bom)
        first = decoder.feed(_strip_bom(head, self.encoding))
        self._note_codec(decoder)
        if first:
            yield first
        while True:
            block = stream.read(CHUNK_BYTES)
            if not block:
                break
            text = decoder.feed(block)
            self._note_codec(decoder)
            if text:
                yield text
        rest = decoder.finish()
        if rest:
            yield rest

    def _note_codec(self, decoder: _IncrementalText) -> None:
        """Record a fall-back to Latin-1, so that output is encoded like the input."""
        if decoder.codec != self.encoding.codec:
            self.encoding = Encoding(decoder.codec, self.encoding.bom)


class _IncrementalText:
    """UTF-8/UTF-16 incremental decoding that falls back to Latin-1 when the
    input turns out not to be UTF-8 (Latin-1 never fails and round-trips)."""

    def __init__(self, codec: str, fallback: bool = True) -> None:
        self.codec = codec
        self._fallback = fallback
        self._decoder = codecs.getincrementaldecoder(codec)(errors="strict")
        self._multibyte_seen = False

    def feed(self, block: bytes) -> str:
        try:
            text = self._decoder.decode(block)
        except UnicodeDecodeError as exc:
            if self.codec != "utf-8":
                raise X12InputError(f"input is not valid {self.codec}: {exc.reason}") from None
            if not self._fallback:
                raise X12InputError(
                    "input starts with a UTF-8 byte order mark but holds bytes that are "
                    f"not UTF-8 ({exc.reason}): save it in one encoding"
                ) from None
            if self._multibyte_seen or not exc.object[: exc.start].isascii():
                # Earlier text (in an earlier block, or in this one before the
                # bad byte) is multi-byte UTF-8: decoded as Latin-1 it would not
                # be the same text, so the input mixes encodings.
                raise X12InputError(
                    "input mixes UTF-8 characters with bytes that are not UTF-8: "
                    "save it in one encoding"
                ) from None
            # Bytes decoded so far were ASCII; Latin-1 from here on.
            self.codec = "latin-1"
            pending = self._decoder.getstate()[0]
            self._decoder = codecs.getincrementaldecoder("latin-1")()
            return self._decoder.decode(pending + block)
        if self.codec == "utf-8" and not self._multibyte_seen and not text.isascii():
            self._multibyte_seen = True
        return text

    def finish(self) -> str:
        try:
            return self._decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise X12InputError(
                f"input ends inside a {self.codec} character: {exc.reason}"
            ) from None


def _detect_encoding(head: bytes) -> Encoding:
    if head.startswith(codecs.BOM_UTF8):
        return Encoding("utf-8", bom=True)
    if head.startswith(codecs.BOM_UTF16_LE):
        return Encoding("utf-16-le", bom=True)
    if head.startswith(codecs.BOM_UTF16_BE):
        return Encoding("utf-16-be", bom=True)
    sample = head[:_SAMPLE_BYTES]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4 and sample[0] != 0:
        return Encoding("utf-16-le")
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) // 4 and sample[1] != 0:
        return Encoding("utf-16-be")
    return Encoding("utf-8")


def _strip_bom(head: bytes, encoding: Encoding) -> bytes:
    if not encoding.bom:
        return head
    return head[3:] if encoding.codec == "utf-8" else head[2:]


def path_of(source: Source) -> str | None:
    """The file ``source`` names, when it is a path to a regular file (not
    ``"-"``, text, bytes or a stream)."""
    if isinstance(source, os.PathLike) or (isinstance(source, str) and _is_path(source)):
        path = os.fspath(source)
        return path if path != "-" and os.path.isfile(path) else None
    return None


def _is_path(text: str) -> bool:
    """A ``str`` source is a path unless it looks like X12 text.

    Text has a line break or starts with a segment id (ISA, GS, ST); a file
    whose name happens to start with one of those (``ISA_batch.x12``) is
    still a path when it exists.
    """
    if text == "-":
        return True
    if "\n" in text or "\r" in text:
        return False
    if text.lstrip("\ufeff \t").startswith(("ISA", "GS", "ST")):
        return len(text) < 4096 and os.path.isfile(text)
    return True


def _display_name(source: Source) -> str:
    if isinstance(source, bytes):
        return "<bytes>"
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        if path == "-":
            return "<stdin>"
        return path if isinstance(source, os.PathLike) or _is_path(path) else "<text>"
    return getattr(source, "name", None) or "<stream>"


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(Encoding)
