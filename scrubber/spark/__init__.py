"""``scrubber spark``: the batch of ``scrubber scrub --batch`` on Apache Spark
(extra ``scrubber[spark]``: pyspark).

- :mod:`scrubber.spark.files`: the inputs (paths, URIs, globs) found on
  the driver through Hadoop's FileSystem API;
- :mod:`scrubber.spark.units`: the executors read them with Spark's own
  reader, each Hadoop split a unit of whole interchanges;
- :mod:`scrubber.spark.job`: the job (map: read units into compact facts;
  shuffle the facts by the keyed hash of their subject; decide; pass 2 per
  unit; the driver joins each input's outputs);
- :mod:`scrubber.spark.codec`: what crosses the shuffle;
- :mod:`scrubber.spark.runner`: the Spark session, with authentication,
  network and shuffle-file encryption on.

``spark-submit`` runs :mod:`scrubber.cli.spark_submit`.
"""
