"""scrubber/outputs: what a scrub writes, behind one interface.

Every output is a :class:`~scrubber.outputs.sink.Sink` (:mod:`.sink`)
registered in :mod:`.registry` (name -> file suffix -> sink factory); the
pipeline hands each claim's outcome to all of them through one
:class:`~scrubber.outputs.fanout.Fanout` (:mod:`.fanout`); a sink writes to a
target (:mod:`.targets`: a staged file, memory, a shard's part file).
The writers behind the sinks: :mod:`.clean837`, :mod:`.ack277`, :mod:`.report`
with :mod:`.entries`, :mod:`.report_json` and :mod:`.report_sink`; :mod:`.atomic`
commits a run's files together. Nothing here imports :mod:`scrubber.pipeline`.
"""
