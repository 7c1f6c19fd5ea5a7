"""``scrubber spark``: the batch of ``scrubber scrub --batch`` on Apache Spark
(extra ``scrubber[spark]``: pyspark).

- :mod:`scrubber.spark.job`: the job (map: read byte ranges into compact
  facts; shuffle the facts by the keyed hash of their subject; decide; pass
  2 per byte range; the driver joins each input's outputs);
- :mod:`scrubber.spark.codec`: what crosses the shuffle;
- :mod:`scrubber.spark.runner`: the Spark session, with authentication,
  network and shuffle-file encryption on.

``spark-submit`` runs :mod:`scrubber.cli.spark_submit`.
"""
