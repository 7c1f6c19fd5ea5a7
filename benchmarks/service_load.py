"""Load benchmark of ``scrubber serve`` on loopback: latency, claims/s, errors, RSS.

    python benchmarks/service_load.py [--requests 300] [--duration 30] [--rss-requests 10000]

Starts ``scrubber serve`` on 127.0.0.1 (a free port, a temporary spool; or
``--url http://127.0.0.1:PORT`` of one already running: loopback only), then
for a one-claim body (built with :mod:`scrubber.testing.samples`) and the
38-claim ``edi_samples/837p_freestanding_pos11.x12``, at 1, 4 and 16
concurrent clients, sends a fixed number of ``POST /v1/scrub`` requests
(stopping early at ``--duration`` seconds): p50/p99 latency, requests/s,
claims/s, errors (any answer but 200). Then ``--rss-requests`` one-claim
requests at 4 clients while sampling the RSS of the server and its workers:
the RSS at the start, every tenth of the run and at the end (flat = no leak).

The clients run in this process (httpx, asyncio) on the same machine: on a
small machine they take CPU from the server, so the figures are a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.service.server import Server  # noqa: E402

SAMPLE = ROOT / "edi_samples" / "837p_freestanding_pos11.x12"
AS_OF = "2026-11-26"


@dataclass
class Round:
    body: str
    clients: int
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    claims: int
    cpu_seconds: float = 0.0

    def row(self) -> dict[str, object]:
        ordered = sorted(self.latencies) or [0.0]
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return {
            "body": self.body,
            "clients": self.clients,
            "requests": self.requests,
            "errors": self.errors,
            "p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p99_ms": round(p99 * 1000, 2),
            "requests_per_s": round(self.requests / self.seconds, 1),
            "claims_per_s": round(self.claims / self.seconds, 1),
            "server_cpu_ms_per_request": round(self.cpu_seconds * 1000 / max(self.requests, 1), 2),
            "claims_per_server_cpu_s": round(self.claims / self.cpu_seconds, 1)
            if self.cpu_seconds
            else None,
        }


def one_claim() -> bytes:
    from scrubber.testing.samples import ClaimSpec, LineSpec, build_837

    claim = ClaimSpec("PCN1001", [LineSpec("77385"), LineSpec("77387", ("TC",))])
    return build_837([claim]).encode()


async def load(
    url: str, body: bytes, claims: int, clients: int, requests: int, duration: float, name: str
) -> Round:
    import httpx

    latencies: list[float] = []
    errors = 0
    sent = 0
    deadline = time.monotonic() + duration
    headers = {"Content-Type": "application/edi-x12"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:

        async def worker() -> None:
            nonlocal errors, sent
            while sent < requests and time.monotonic() < deadline:
                sent += 1
                started = time.perf_counter()
                try:
                    answer = await client.post(
                        "/v1/scrub", content=body, headers=headers, params={"as_of": AS_OF}
                    )
                    ok = answer.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - started)
                errors += not ok

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        seconds = time.perf_counter() - started
    done = len(latencies)
    return Round(name, clients, done, errors, seconds, latencies, (done - errors) * claims)


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from /proc)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        found.append(current)
        pending += [int(child) for child in children]
    return found


def tree_rss_mb(pid: int) -> float:
    """RSS of ``pid`` and its descendants (MB)."""
    total = 0
    for current in tree(pid):
        try:
            with open(f"/proc/{current}/status") as status:
                total += sum(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        except OSError:
            continue
    return total / 1024


def tree_cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) used so far by ``pid`` and its descendants:
    what a request costs, whatever else loads the machine."""
    if pid is None:
        return 0.0
    ticks = 0
    for current in tree(pid):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


async def rss_run(url: str, pid: int | None, body: bytes, count: int) -> dict[str, object]:
    samples: list[float] = []
    step = max(count // 10, 1)
    results: list[Round] = []
    if pid is not None:
        samples.append(tree_rss_mb(pid))
    for _ in range(0, count, step):
        results.append(await load(url, body, 1, 4, step, 3600, "one-claim"))
        if pid is not None:
            samples.append(round(tree_rss_mb(pid), 1))
    return {
        "requests": sum(r.requests for r in results),
        "errors": sum(r.errors for r in results),
        "rss_mb_over_time": samples,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server (loopback only)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--requests", type=int, default=300, help="requests per round")
    parser.add_argument("--duration", type=float, default=30, help="seconds per round, at most")
    parser.add_argument("--rss-requests", type=int, default=10_000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.url and urlparse(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("--url must be a loopback address")
    bodies = {"one-claim": (one_claim(), 1), "38-claim": (SAMPLE.read_bytes(), 38)}
    with tempfile.TemporaryDirectory() as spool:
        server = None
        if not args.url:
            server = Server(
                Path(spool) / "spool",
                ["--workers", str(args.workers)],
                log=Path(spool) / "server.log",
            ).start()
        url = args.url or (server.url if server else "")
        pid = server.process.pid if server and server.process else None
        try:
            rows = []
            for name, (body, claims) in bodies.items():
                asyncio.run(load(url, body, claims, 2, 20, 30, name))  # warm the engines
                for clients in (1, 4, 16):
                    cpu = tree_cpu_seconds(pid)
                    result = asyncio.run(
                        load(url, body, claims, clients, args.requests, args.duration, name)
                    )
                    result.cpu_seconds = tree_cpu_seconds(pid) - cpu
                    rows.append(result.row())
                    if not args.json:
                        print(json.dumps(rows[-1]), flush=True)
            rss = asyncio.run(rss_run(url, pid, bodies["one-claim"][0], args.rss_requests))
        finally:
            if server is not None:
                server.stop()
    report = {
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "rounds": rows,
        "rss": rss,
    }
    print(json.dumps(report, indent=2 if args.json else None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
