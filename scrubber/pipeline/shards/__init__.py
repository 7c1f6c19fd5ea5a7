"""Scrub one large input file on several cores, split at interchange boundaries.

:func:`plan_shards` cuts a file into byte ranges (shards) of whole
interchanges: a cut is made only right after an ``IEA`` segment, before the
whitespace and ``ISA`` that follow it, with the first interchange's
delimiters. :func:`run_sharded` then runs the two passes of
:mod:`scrubber.pipeline.passes` with one process per shard:

1. each shard's claims are read into its own
   :class:`~scrubber.pipeline.course_state.CourseState` part, and the parts are
   merged (a patient's course may span the whole file);
2. the subjects are decided, a share of them in each process, against the
   merged state (the workers inherit it by ``fork``);
3. each shard is read again and every output's sink writes its part of
   the output to a part file; the parent makes the same sinks and joins the
   parts in input order (:func:`scrubber.outputs.fanout.join`).

Contract: the outputs are byte-for-byte those of the serial pipeline (the
reader is told where a shard starts, so positions, ordinals and 277CA
control numbers are the whole file's). Whenever that cannot be had cheaply
(no ``fork``; a file too small to split; UTF-16 input or a whitespace
segment terminator; shards that decode differently; any input error in
pass 1) :func:`run_sharded` returns ``None`` before writing anything (and
before a history store is opened), and the caller runs the serial
pipeline, which reports errors as always. With a history store the file is
one batch, as in a serial run: the parent holds the claims' keys for the
store and records the claims and decisions the workers wrote, in order.
Memory: the merged state and the decisions are shared copy-on-write by the
workers; each holds one subject's context or one claim at a time.
"""

from scrubber.pipeline.shards.plan import MIN_SHARD_BYTES, ByteRange, plan_shards
from scrubber.pipeline.shards.run import run_sharded

__all__ = ["MIN_SHARD_BYTES", "ByteRange", "plan_shards", "run_sharded"]
