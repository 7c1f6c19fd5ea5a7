"""One pass, not two, for a file of nothing but plain claims (issue 15).

Pass 1 of a sharded scrub learns two things: the facts that decide the
claims, and each shard's counts (segments, claims, transactions, 277CA
envelopes), where the next shard's outputs start. A plain claim is decided
without facts (:mod:`scrubber.rules.passthrough`), so a file of nothing but
plain claims needs only the counts, and those can be read off its bytes:
the segment terminators and the ``ISA``, ``GS``, ``ST`` and ``CLM``
segments of each range (:func:`byte_counts`).

:func:`write_plain_shard` (in a worker) writes a shard's part of every
output in one pass, starting from the counts of the bytes before it, and
gives it up at the first claim that is not plain or on an input error.
The parts are kept only when every shard read nothing but plain claims, in
the encoding assumed (UTF-8, no byte order mark), and the reader's own
counts are the byte counts; then the file's offsets were right and every
part is what pass 2 would have written. Otherwise nothing is kept and the
two passes run as before: the work of the one pass is lost (for a
radiation-oncology file, a shard's first claim; at worst one pass).
"""

from __future__ import annotations

import dataclasses
import mmap
import re
from collections import Counter
from dataclasses import dataclass

from scrubber.errors import X12InputError
from scrubber.model import PlainTransaction
from scrubber.outputs.ack277 import control_after
from scrubber.outputs.fanout import Fanout
from scrubber.outputs.targets import PartTarget
from scrubber.pipeline.passes import run_info, text_scan_for
from scrubber.pipeline.shards.plan import ByteRange, first_isa_delimiters
from scrubber.pipeline.shards.workers import (
    EnvelopeCounter,
    ShardWritten,
    current_job,
    open_range,
    part_path,
)
from scrubber.rules.findings import ClaimDecision, ClaimStatus
from scrubber.rules.outcome import checked_outcome
from scrubber.x12.reader import Passed, ReadOffsets, X12Reader
from scrubber.x12.source import Encoding

ASSUMED = Encoding()  # what the parts are written in (a shard read otherwise is given up)
WINDOW = 1 << 20  # bytes counted at a time


@dataclass(frozen=True, slots=True)
class ByteCounts:
    """What a shard holds, counted on its bytes (or by its reader, to compare)."""

    segments: int
    claims: int
    transactions: int
    envelopes: int  # interchanges + groups (the 277CA opens one for each that holds claims)


def byte_counts(path: str, ranges: list[ByteRange]) -> list[ByteCounts] | None:
    """The counts of each range of the file ``path`` (``None``: its first ISA
    declares no delimiters a byte count can use). Read in windows of about
    :data:`WINDOW` bytes, each cut at a segment terminator, so that no
    segment start is split and memory stays bounded."""
    with open(path, "rb") as stream, mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as data:
        delimiters = first_isa_delimiters(data)
        if delimiters is None:
            return None
        element, terminator = delimiters
        ids = rb"[ \t\r\n]*(ISA|GS|ST|CLM)"  # (after a terminator: a segment's start)
        starts = re.compile(re.escape(terminator) + ids + re.escape(element))
        return [_range_counts(data, span, terminator, starts) for span in ranges]


def _range_counts(
    data: mmap.mmap, span: ByteRange, terminator: bytes, starts: re.Pattern[bytes]
) -> ByteCounts:
    segments, found = 0, Counter[bytes]()
    at = span.start
    while at < span.end:
        cut = data.find(terminator, min(at + WINDOW, span.end), span.end)
        window = data[at : span.end if cut < 0 else cut]
        segments += window.count(terminator)
        found.update(starts.findall(window))
        at += len(window)
    return ByteCounts(
        segments=segments,
        claims=found[b"CLM"],
        transactions=found[b"ST"],
        envelopes=1 + found[b"ISA"] + found[b"GS"],  # (1: the range's first ISA)
    )


def write_plain_shard(index: int) -> ShardWritten | None:
    """Shard ``index``'s part of every output in one pass (see the module
    docstring); ``None`` when it is given up (its part files may be left)."""
    job = current_job()
    assert job.plain is not None and job.counts
    before = job.counts[:index]
    offsets = ReadOffsets(
        segments=sum(count.segments for count in before),
        claims=sum(count.claims for count in before),
        transactions=sum(count.transactions for count in before),
    )
    outputs = job.outputs
    control = control_after(outputs.ack.control_start, sum(c.envelopes for c in before))
    run = dataclasses.replace(
        run_info(outputs, job.name, job.engine, ASSUMED),
        ack=dataclasses.replace(outputs.ack, control_start=control),
        part=True,
        continued=offsets.claims > 0,
    )
    targets = {
        kind.name: PartTarget(part_path(job.workdir, index, kind.name)) for kind in outputs.kinds
    }
    fanout = Fanout.of(outputs.kinds, run, targets)
    reader = X12Reader(
        open_range(job.path, job.ranges[index]), job.name, keep_transactions=False,
        offsets=offsets, plain=job.plain, scan=text_scan_for(job.plain, fanout),
    )  # fmt: skip
    try:
        envelopes = _write_plain(reader, fanout)
        done = fanout.close(reader.trailer, reader.warnings) if envelopes is not None else None
    finally:
        for target in targets.values():
            target.close()
    read = (reader.segment_count, reader.claim_count, reader.transaction_count)
    if done is None or reader.encoding != ASSUMED or read != _ends(job.counts[: index + 1]):
        return None
    if envelopes != job.counts[index].envelopes:
        return None
    return ShardWritten(fanout.tally, reader.warnings, reader.trailer, reader.segment_count, done)


def _write_plain(reader: X12Reader, fanout: Fanout) -> int | None:
    """Write what ``reader`` reads, every claim accepted as it is; the
    envelopes its claims open; ``None`` at a claim that is not plain or an
    input error."""
    accepted = ClaimDecision(ClaimStatus.ACCEPTED, ())  # what deciding a plain claim gives
    counter = EnvelopeCounter(keep_batch=False)
    try:
        for item in reader.read():
            if type(item) is PlainTransaction:
                fanout.add_plain(item)
                counter.passed(item.transaction)
            elif type(item) is Passed and item.claim is not None:
                fanout.add(checked_outcome(item.claim, accepted))
                counter.passed(item.claim.transaction)
            else:
                return None
    except X12InputError:
        return None
    return counter.count


def _ends(counts: list[ByteCounts]) -> tuple[int, int, int]:
    """The segments, claims and transactions a reader given the counts before
    the last range as offsets ends at, when the counts hold."""
    return (
        sum(c.segments for c in counts),
        sum(c.claims for c in counts),
        sum(c.transactions for c in counts),
    )
