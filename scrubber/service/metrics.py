"""Prometheus metrics (``GET /metrics``), in a registry of the app's own.

Requests by method, route template and status, and their latency; claims
scrubbed by status; batches by state (counted in the spool when scraped);
the pool's capacity, requests in flight and requests turned away (503).
Labels never carry request values (no PHI, bounded cardinality).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _Live(Collector):
    """Gauges read when scraped: batches by state, the pool's load."""

    def __init__(
        self,
        batch_counts: Callable[[], dict[str, int]],
        pool: Callable[[], tuple[int, int, int]],
    ) -> None:
        self._batch_counts = batch_counts
        self._pool = pool

    def collect(self) -> Iterator[GaugeMetricFamily]:
        batches = GaugeMetricFamily(
            "scrubber_batches", "Batches in the spool by state", labels=["state"]
        )
        counts = self._batch_counts()
        for state in ("queued", "running", "done", "failed"):
            batches.add_metric([state], counts.get(state, 0))
        yield batches
        capacity, in_flight, workers = self._pool()
        yield GaugeMetricFamily("scrubber_pool_capacity", "Requests admitted at once", capacity)
        yield GaugeMetricFamily("scrubber_pool_in_flight", "Requests admitted now", in_flight)
        yield GaugeMetricFamily("scrubber_pool_workers", "Worker processes", workers)
        yield GaugeMetricFamily(
            "scrubber_pool_saturation",
            "In flight over capacity (1: the next gets 503)",
            in_flight / capacity if capacity else 0.0,
        )


class Metrics:
    """The service's metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "scrubber_http_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "scrubber_http_request_duration_seconds",
            "Time to answer a request",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.claims = Counter(
            "scrubber_claims", "Claims scrubbed by status", ["status"], registry=self.registry
        )
        self.rejected = Counter(
            "scrubber_pool_rejected_requests",
            "Requests answered 503 (pool saturated)",
            registry=self.registry,
        )

    def watch(
        self,
        batch_counts: Callable[[], dict[str, int]],
        pool: Callable[[], tuple[int, int, int]],
    ) -> None:
        self.registry.register(_Live(batch_counts, pool))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def count_claims(self, summary: dict[str, int]) -> None:
        for status in ("accepted", "corrected", "rejected"):
            if summary.get(status):
                self.claims.labels(status).inc(summary[status])
