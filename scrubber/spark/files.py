"""The inputs of ``scrubber spark``, found on the driver through Hadoop's
FileSystem API: the API Spark itself reads files with, so every file system
the session's Hadoop configuration knows works, with its credentials
(``file:``, ``hdfs://``, ``viewfs://``; ``s3a://``, ``gs://``, ``abfss://``
when their connector is on Spark's classpath), and no Python file system
library is involved.

An input is a path or URI, or a glob (``*``, ``?``, ``[...]``, ``{a,b}``,
Hadoop's ``globStatus``); a directory stands for the files in it (not those
whose name starts with ``_`` or ``.``, as Spark skips them). A path without a
scheme is one of Hadoop's default file system (``fs.defaultFS``: the local
disk in local mode). Each pattern's files are taken in path order, patterns
in the order given, a file named twice once. A pattern that matches nothing,
or a file system Spark cannot open, is a :class:`~scrubber.errors.UsageError`
naming the pattern.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from scrubber.errors import UsageError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Characters that make a path a glob for Hadoop (and Spark's readers).
GLOB_CHARACTERS = frozenset("*?[]{}\\")
HEAD_BYTES = 4096


@dataclass(frozen=True)
class FoundFile:
    """One input file: ``uri`` the qualified Hadoop path Spark reads
    (``file:/in/a.x12``, ``hdfs://nn/in/a.x12``), ``name`` how outputs and
    messages name it (the argument itself when it was no glob), ``size``."""

    uri: str
    name: str
    size: int


def find_inputs(spark: SparkSession, patterns: Sequence[str]) -> list[FoundFile]:
    """Every file the ``patterns`` name (see the module docstring)."""
    found: list[FoundFile] = []
    seen: set[str] = set()
    for pattern in patterns:
        matches = list(_matches(spark, pattern))
        if not matches:
            raise UsageError(f"{pattern}: no file matches")
        for match in matches:
            if match.uri not in seen:
                seen.add(match.uri)
                found.append(match)
    return found


@dataclass(frozen=True)
class Probe:
    """An input file as the driver saw it: its qualified ``uri``
    (``/in/a.x12`` -> ``file:/in/a.x12``), its ``size`` and first bytes."""

    uri: str
    size: int
    head: bytes


def probe(spark: SparkSession, uri: str, head: int = HEAD_BYTES) -> Probe:
    """The file ``uri`` qualified, its size and first ``head`` bytes (fewer
    when it is shorter), read through Hadoop."""
    path, fs = _path_and_fs(spark, uri)
    status = fs.getFileStatus(path)
    stream = fs.open(status.getPath())
    try:
        first = bytes(stream.readNBytes(head))
    finally:
        stream.close()
    return Probe(str(status.getPath().toString()), int(status.getLen()), first)


def file_key(uri: str) -> str:
    """``uri`` in one spelling whichever way Spark or Hadoop wrote it
    (``file:///a%20b`` and ``file:/a b`` are one file)."""
    text = unquote(uri)
    if text.startswith("file://"):
        text = "file:" + text[len("file://") :]
    return text


def spark_path(uri: str) -> str:
    """``uri`` with its glob characters escaped, for a Spark reader (which
    globs whatever path it is given)."""
    return _escaped(uri)


def _escaped(text: str) -> str:
    return "".join("\\" + char if char in GLOB_CHARACTERS else char for char in text)


def _matches(spark: SparkSession, pattern: str) -> Iterator[FoundFile]:
    path, fs = _path_and_fs(spark, pattern)
    if not _scheme(pattern) and not os.path.isabs(pattern) and fs.getScheme() == "file":
        # relative to this process's working directory (the JVM keeps the one it started in)
        path, fs = _path_and_fs(spark, os.path.join(_escaped(os.getcwd()), pattern))
    try:
        statuses = fs.globStatus(path)
        for status in sorted(statuses or (), key=lambda status: status.getPath().toString()):
            if status.isDirectory():
                yield from _directory(fs, pattern, status)
            else:
                yield _found(pattern, status, literal=not _is_glob(pattern))
    except Exception as error:  # py4j's Py4JJavaError: the Java exception
        raise UsageError(f"{pattern}: {_java_message(error)}") from None


def _directory(fs: Any, pattern: str, status: Any) -> Iterator[FoundFile]:
    children = sorted(fs.listStatus(status.getPath()), key=lambda s: s.getPath().toString())
    for child in children:
        if child.isFile() and not child.getPath().getName().startswith(("_", ".")):
            yield _found(pattern, child, literal=False)


def _found(pattern: str, status: Any, literal: bool) -> FoundFile:
    path = status.getPath()
    return FoundFile(path.toString(), pattern if literal else _name(pattern, path), status.getLen())


def _name(pattern: str, path: Any) -> str:
    """A matched file's name: its URI when the pattern had a scheme, else
    its path (relative to the working directory when the pattern was
    relative and the file is local, as a shell would expand it)."""
    uri = path.toUri()
    if _scheme(pattern):
        return str(path.toString())
    local = str(uri.getPath())
    if uri.getScheme() == "file" and not os.path.isabs(pattern):
        return os.path.relpath(local)
    return local


def _path_and_fs(spark: SparkSession, text: str) -> tuple[Any, Any]:
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    try:
        path = jvm.org.apache.hadoop.fs.Path(text)
        return path, path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    except Exception as error:
        raise UsageError(f"{text}: {_java_message(error)}") from None


def _scheme(pattern: str) -> bool:
    head, colon, _ = pattern.partition(":")
    return bool(colon) and len(head) > 1 and head.replace("+", "").replace("-", "").isalnum()


def _is_glob(pattern: str) -> bool:
    return any(char in GLOB_CHARACTERS for char in pattern)


def _java_message(error: Exception) -> str:
    """The first line of the Java exception's message (not its stack)."""
    java = getattr(error, "java_exception", None)
    text = str(java.getMessage() if java is not None else error) or type(error).__name__
    line = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    line = line.removeprefix("java.lang.ClassNotFoundException: ")
    if "No FileSystem for scheme" in line or "FileSystem not found" in line:
        line += " (is the file system's connector, e.g. hadoop-aws for s3a, on Spark's classpath?)"
    return line
