"""How the executors read the inputs: with Spark's own file reader, through
Hadoop, cut into units of whole interchanges.

The executors are Python processes without a JVM, so they cannot open a
Hadoop path themselves; Spark's readers can. What they offer for bytes:

- ``binaryFiles`` / the ``binaryFile`` source: a whole file per record (one
  task per file, the file in memory: no split);
- ``binaryRecords`` / ``FixedLengthInputFormat``: fixed-length records, split
  anywhere; a file whose size is not a multiple of the length fails (its
  last record is partial), and the splits fall mid-interchange;
- the ``text`` source with ``lineSep``: records split at ANY byte string,
  across Hadoop splits the way text lines are (a record that crosses a
  split's end is read whole by the task of the split it starts in, and
  skipped by the next one); its rows hold the raw bytes (cast to binary they
  are exact, whatever the encoding).

So a file is read by the ``text`` source with the separator between two of
its interchanges (:func:`~scrubber.pipeline.shards.plan.interchange_separator`:
terminator, whitespace, ``ISA``, element separator, taken from the file's
first 4 KB, read by the driver): every record is whole interchanges, a
Hadoop split (``spark.sql.files.maxPartitionBytes``, or ``split_bytes``) is
a unit of whole interchanges, cut where the shard plan cuts (after the
``IEA``'s terminator), and a large file is read by as many tasks as it has
splits. A task streams its unit's records into the X12 reader: memory is one
interchange (a file of ONE interchange is one record, held whole, up to
Spark's 2 GB limit for a row). Nothing is shuffled to put a unit together,
and the driver reads only each file's first 4 KB.

A file that cannot be cut (UTF-16, no ISA at its start, a separator that is
not ASCII) is read whole by one task (the ``binaryFile`` source, in memory),
and so are all inputs when the units did not read cleanly (an input error:
then every input is read whole, so that the error names the place as
``scrub --batch`` does).

The units are told apart by ``(input, split start)``. A unit's bytes are its
records joined with the separator, the part of it after the terminator put
before every record but the file's first and the terminator after every
record but the file's last (the one that already ends with a terminator and
whitespace). :class:`UnitStream` counts them, and the job checks that every
input's units add up to its size (else it reads the inputs whole).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrubber.spark.files import file_key, spark_path

if TYPE_CHECKING:
    from pyspark import RDD
    from pyspark.sql import DataFrame, SparkSession

#: A unit: (input number, start of its Hadoop split).
UnitKey = tuple[int, int]
_WHITESPACE = b" \t\r\n"
_TAIL = 64  # bytes looked at to tell the file's last record


@dataclass(frozen=True)
class Layout:
    """How an input's records are joined: ``separator`` (``None``: one
    record, the whole file)."""

    input: int
    separator: bytes | None


def unit_rows(
    spark: SparkSession,
    uris: Sequence[str],
    separators: Sequence[bytes | None],
    split_bytes: int | None = None,
) -> RDD[Any]:
    """The rows ``(file, split start, bytes)`` of every input, ``uris[i]``
    cut at ``separators[i]`` (``None``: whole); ``split_bytes``: the largest
    Hadoop split (else the session's ``spark.sql.files.maxPartitionBytes``)."""
    from pyspark.sql import functions as F

    frames: list[DataFrame] = []
    by_separator: dict[bytes | None, list[str]] = {}
    for uri, separator in zip(uris, separators, strict=True):
        by_separator.setdefault(separator, []).append(spark_path(uri))
    session = spark.newSession()  # its own SQL settings; the same context
    if split_bytes is not None:
        session.conf.set("spark.sql.files.maxPartitionBytes", str(split_bytes))
    for separator, paths in by_separator.items():
        if separator is None:
            frame = session.read.format("binaryFile").load(paths)
            frames.append(frame.select(F.col("path"), F.lit(0).cast("long"), F.col("content")))
        else:
            frame = session.read.option("lineSep", separator.decode("ascii")).text(paths)
            columns = (F.input_file_name(), F.input_file_block_start(), F.col("value"))
            frames.append(frame.select(columns[0], columns[1], columns[2].cast("binary")))
    rows = frames[0]
    for frame in frames[1:]:
        rows = rows.union(frame)
    rdd = rows.rdd
    rdd.getNumPartitions()  # the splits are planned now, with this session's settings
    return rdd


def layouts(uris: Sequence[str], separators: Sequence[bytes | None]) -> dict[str, Layout]:
    """Each input's :class:`Layout`, by :func:`~scrubber.spark.files.file_key`."""
    return {
        file_key(uri): Layout(number, separator)
        for number, (uri, separator) in enumerate(zip(uris, separators, strict=True))
    }


def unit_streams(
    rows: Iterable[Any], layout: Mapping[str, Layout]
) -> Iterator[tuple[UnitKey, UnitStream]]:
    """The units of one partition's rows, in order, each as a stream of its
    bytes (read each to its end before taking the next)."""
    for (name, start), group in itertools.groupby(rows, key=lambda row: (row[0], row[1])):
        known = layout.get(file_key(name))
        if known is None:
            raise LookupError(f"Spark read a file that is not an input: {name}")
        yield (known.input, start), UnitStream(group, known.separator, start == 0)


class UnitStream:
    """A unit's bytes from its records (``read``, ``close``); ``size``: bytes
    read so far."""

    def __init__(self, rows: Iterable[Any], separator: bytes | None, first: bool) -> None:
        self._pieces = _pieces(rows, separator, first)
        self._pending = memoryview(b"")
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        parts: list[bytes] = []
        have = 0
        while size < 0 or have < size:
            if not self._pending:
                piece = next(self._pieces, None)
                if piece is None:
                    break
                self._pending = memoryview(piece)
                continue
            take = self._pending if size < 0 else self._pending[: size - have]
            self._pending = self._pending[len(take) :]
            parts.append(bytes(take))
            have += len(take)
        self.size += have
        return b"".join(parts)

    def close(self) -> None:
        while self.read(1 << 20):  # the rest of the unit (counted)
            pass


def _pieces(rows: Iterable[Any], separator: bytes | None, first: bool) -> Iterator[bytes]:
    if separator is None:
        for row in rows:
            yield row[2]
        return
    terminator, between = separator[:1], separator[1:]
    for number, row in enumerate(rows):
        if number or not first:
            yield between
        value = row[2]
        yield value
        if not _ends_file(value, terminator):
            yield terminator


def _ends_file(value: bytes, terminator: bytes) -> bool:
    """Whether ``value`` is the file's last record: it ends with the
    terminator (and whitespace); the others end where the separator cut
    the terminator off."""
    return bytes(value[-_TAIL:]).rstrip(_WHITESPACE).endswith(terminator)
