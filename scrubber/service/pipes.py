"""Worker processes spoken to over a socket pair each, straight from the event loop.

A ``ProcessPoolExecutor`` hands each task through a manager thread and a
feeder thread each way (five thread wake-ups a request); on a loaded machine
every wake-up waits for a core, which a one-claim scrub (about 2 ms of CPU)
feels. Here the event loop writes the request to the worker's socket and
reads the answer from it (two wake-ups). A message is an 8-byte length and a
pickle: ``(function, args)`` in, ``(True, value)`` or ``(False, exception)``
out. A worker that dies is replaced; its caller gets :class:`WorkerLost`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import socket
import struct
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from scrubber.service import jobs

_LENGTH = struct.Struct("!Q")


class WorkerLost(Exception):
    """The worker process died before it answered."""


def _serve(connection: Connection, settings: jobs.WorkerSettings) -> None:
    """The worker's loop (runs in the child process)."""
    sock = socket.socket(fileno=os.dup(connection.fileno()))
    connection.close()
    jobs.init_worker(settings)
    with sock:
        while True:
            try:
                function, args = pickle.loads(_read(sock))
            except EOFError:
                return  # the server closed its end: exit
            try:
                answer: tuple[bool, Any] = (True, function(*args))
            except Exception as error:
                answer = (False, error)
            try:
                payload = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as error:  # an exception that does not pickle
                payload = pickle.dumps((False, RuntimeError(f"{type(error).__name__}")))
            sock.sendall(_LENGTH.pack(len(payload)) + payload)


def _read(sock: socket.socket) -> bytes:
    (size,) = _LENGTH.unpack(_exactly(sock, _LENGTH.size))
    return _exactly(sock, size)


def _exactly(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(min(size - len(chunks), 1 << 20))
        if not chunk:
            raise EOFError
        chunks += chunk
    return bytes(chunks)


class PipeWorker:
    """One worker process and the server's end of its socket."""

    def __init__(self, context: Any, settings: jobs.WorkerSettings) -> None:
        parent, child = context.Pipe(duplex=True)
        self.process = context.Process(target=_serve, args=(child, settings), daemon=True)
        self.process.start()
        child.close()
        self._sock = socket.socket(fileno=os.dup(parent.fileno()))
        parent.close()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def call(self, function: Callable[..., Any], *args: Any) -> Any:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_unix_connection(sock=self._sock)
        assert self._reader is not None
        payload = pickle.dumps((function, args), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self._writer.write(_LENGTH.pack(len(payload)) + payload)
            await self._writer.drain()
            (size,) = _LENGTH.unpack(await self._reader.readexactly(_LENGTH.size))
            ok, value = pickle.loads(await self._reader.readexactly(size))
        except (asyncio.IncompleteReadError, ConnectionError, OSError) as error:
            raise WorkerLost(str(error)) from None
        if not ok:
            raise value
        return value

    def close(self) -> None:
        """Tell the worker to exit (end of its socket), wait for it a little."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)  # at once, not at the loop's next turn
        if self._writer is not None:
            self._writer.close()
        else:
            self._sock.close()
        self.process.join(10)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
