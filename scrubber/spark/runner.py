"""The Spark session ``scrubber spark`` runs in, secure by default.

Shuffle files, spilled and cached blocks hold claim facts (patient keys,
diagnosis sites, dates of service: PHI), so the runner turns on, unless the
caller's configuration says otherwise:

- ``spark.authenticate``: executors and driver prove a shared secret (in
  local mode and on a standalone cluster the runner makes a random one for
  the run, ``spark.authenticate.secret``; on YARN or Kubernetes Spark makes
  and distributes it itself);
- ``spark.network.crypto.enabled``: AES-based encryption of the RPC and
  block transfer traffic;
- ``spark.io.encryption.enabled``: the shuffle files, spills and blocks
  stored on local disk are encrypted.

All three work in local mode (the tests run with them on). The web UI is
off (it would show task names, not data, but it listens on a port).
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SECURE_CONF: Mapping[str, str] = {
    "spark.authenticate": "true",
    "spark.network.crypto.enabled": "true",
    "spark.io.encryption.enabled": "true",
}


def session_conf(master: str | None, conf: Mapping[str, str] | None = None) -> dict[str, str]:
    """The configuration the runner starts Spark with (``conf`` wins)."""
    made = {
        **SECURE_CONF,
        "spark.app.name": "scrubber",
        "spark.ui.enabled": "false",
        "spark.python.worker.reuse": "true",
        "spark.ui.showConsoleProgress": "false",
    }
    if master is not None:
        made["spark.master"] = master
    if not _managed(master):
        made["spark.authenticate.secret"] = secrets.token_hex(32)
    if master is None or master.startswith("local"):
        made["spark.driver.host"] = "127.0.0.1"
        made["spark.driver.bindAddress"] = "127.0.0.1"
    made.update(conf or {})
    return made


def _managed(master: str | None) -> bool:
    """Whether the cluster manager hands out the authentication secret itself."""
    return master is not None and master.startswith(("yarn", "k8s://"))


def start_session(master: str | None = None, conf: Mapping[str, str] | None = None) -> SparkSession:
    """A Spark session (an active one is reused as it is: spark-submit made it)."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if master is None or master.startswith("local"):
        # Local workers run this interpreter, which has scrubber installed.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # loopback only
    builder = SparkSession.builder
    for name, value in session_conf(master, conf).items():
        builder = builder.config(name, value)
    return builder.getOrCreate()
