"""Which latency a metric reads (pure). ``p95``, ``max``, ``avg``... are of the successful
requests (``EndpointInterval.histogram``, k6's ``expected_response``); the same prefixed
``failed.`` (``failed.p95``) are of the failed requests (``failed_histogram``).

In an open-model run ``histogram`` counts from when each iteration was due (coordinated-
omission correct): ``p95`` is that one, and ``service.p95`` the successful requests' time as
Locust measured it, from the send (``EndpointInterval.service``; in a closed-model run the
two are the same)."""

from __future__ import annotations

from collections.abc import Iterable

from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.metrics.interval import EndpointInterval

PERCENTILES: dict[str, float] = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0,
                                 "p99.9": 99.9}
LATENCY = (*PERCENTILES, "max", "avg")  # of the successful requests
FAILED = "failed."  # the prefix of a latency metric of the failed requests: failed.p95
FAILED_METRICS = tuple(FAILED + metric for metric in LATENCY)
SERVICE = "service."  # the prefix of the service time (as Locust measures): service.p95
SERVICE_METRICS = tuple(SERVICE + metric for metric in LATENCY)
LATENCY_METRICS = frozenset(LATENCY) | frozenset(FAILED_METRICS) | frozenset(SERVICE_METRICS)


def base_metric(metric: str) -> str:
    """The statistic of a metric, whichever requests it is of: ``p95`` of ``failed.p95``
    and of ``service.p95``."""
    return metric.removeprefix(FAILED).removeprefix(SERVICE)


def latency_of(metric: str, interval: EndpointInterval) -> LatencyHistogram | None:
    """The histogram a latency metric reads: the failed requests' for ``failed.*``, the
    service time's for ``service.*``, else the successful requests' (from the due time in
    an open-model run)."""
    if metric.startswith(FAILED):
        return interval.failed_histogram
    if metric.startswith(SERVICE):
        return interval.service
    return interval.histogram


def merged_latency(metric: str, members: Iterable[EndpointInterval]) -> LatencyHistogram:
    """The histogram ``metric`` reads, merged over ``members``."""
    return LatencyHistogram.merged([h for m in members if (h := latency_of(metric, m))
                                    is not None])
