"""``scrubber serve``: the scrubber over HTTP (extra ``scrubber[service]``).

Practice-management systems call ``POST /v1/scrub`` before they submit (one
claim up to a small file, answered at once); clearinghouses post files of any
size to ``POST /v1/batches`` and poll. The CPU work runs in a process pool
(:mod:`scrubber.service.workers`); this package is only the HTTP face over
:func:`scrubber.api.scrub_with_engine` and
:func:`scrubber.pipeline.files.scrub_to_files`. Build the app with
:func:`scrubber.service.app.create_app`.
"""
