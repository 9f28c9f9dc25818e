"""Where an endpoint's time went, from what its server said (``Server-Timing``): the
client's latency split into the server's part and the rest (network and queueing in front
of the app), each metric's percentiles, and the counts the server stated (queries per
request). Pure: from ``metrics.server_timing.ServerTiming`` to plain records.

The split uses means, the one statistic that adds up: over the responses that carried the
header, the client's mean latency is exactly the server's mean (``app``, or ``total`` from
other servers) plus the rest's; a part's ``share_ms`` is its time summed over those
responses divided by their number (a response without the metric counts 0), so the parts
add up too. Medians and p95 are of the responses that carried the metric.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from swarmdeck.metrics.server_timing import OTHER_LABEL, MetricTiming, ServerTiming

SERVER_METRICS = ("app", "total")  # the metric that is the server's whole time, in order
FIRST = ("app", "db", "tpl", "queue", "cache")  # shown first, in this order
QUERY_UNITS = ("queries", "query", "statements", "statement", "sql queries")


@dataclass(frozen=True)
class CountStats:
    """The counts a metric's ``desc`` stated per response (``"23 queries"``)."""

    unit: str  # the desc's text after the count, most often: "queries"
    responses: int
    p50: int
    p95: int
    max: int
    mean: float


@dataclass(frozen=True)
class MetricStats:
    name: str
    responses: int  # that carried the metric
    share_ms: float | None  # its time per timed response (absent: 0); None without a dur
    p50_ms: float | None  # of the responses that carried it with a dur
    p95_ms: float | None
    max_ms: float | None
    count: CountStats | None = None
    desc: str | None = None  # its most frequent desc text (the count left out)
    desc_share: float | None = None  # of the responses with a desc, the share saying it


@dataclass(frozen=True)
class ServerSummary:
    """An endpoint's server timing (see the module docstring)."""

    responses: int  # successful responses that carried a Server-Timing header
    coverage: float  # of the endpoint's successful responses
    client_mean_ms: float  # the client's mean latency of those responses
    server_metric: str | None  # "app" or "total": the server's whole time; None: neither
    server_mean_ms: float | None
    rest_mean_ms: float | None  # client - server: network and queueing in front of the app
    metrics: tuple[MetricStats, ...]
    dropped: int = 0  # metrics past the cap on names

    def metric(self, name: str) -> MetricStats | None:
        return next((m for m in self.metrics if m.name == name), None)

    @property
    def queries(self) -> CountStats | None:
        """Queries per request: ``db``'s stated count, or any metric counting queries."""
        ordered = sorted(self.metrics, key=lambda m: m.name != "db")
        return next((m.count for m in ordered
                     if m.count is not None and m.count.unit.lower() in QUERY_UNITS), None)


def count_percentiles(counts: Mapping[int, int], ps: tuple[float, ...]) -> list[int]:
    """Exact percentiles of integer values given as value -> occurrences (HDR's rule: the
    smallest value with at least p% of the occurrences at or below it)."""
    total = sum(counts.values())
    values = sorted(counts)
    result = []
    for p in ps:
        target = max(1, -(-total * p // 100))  # ceil, at least the first
        seen = 0
        for value in values:
            seen += counts[value]
            if seen >= target:
                result.append(value)
                break
    return result


def _count(metric: MetricTiming) -> CountStats | None:
    if not metric.counts:
        return None
    n = sum(metric.counts.values())
    p50, p95 = count_percentiles(metric.counts, (50.0, 95.0))
    unit = Counter({label: k for label, k in metric.labels.items() if label != OTHER_LABEL})
    return CountStats(unit=unit.most_common(1)[0][0] if unit else "",
                      responses=n, p50=p50, p95=p95, max=max(metric.counts),
                      mean=sum(v * k for v, k in metric.counts.items()) / n)


def _metric(name: str, metric: MetricTiming, timed: int) -> MetricStats:
    dur = metric.dur
    p50 = p95 = high = share = None
    if dur is not None and dur.count:
        p50_us, p95_us = dur.percentiles([50, 95])
        p50, p95, high = p50_us / 1000, p95_us / 1000, dur.max_us / 1000
        share = dur.sum_us / 1000 / timed if timed else None
    labels = metric.labels
    desc = share_of = None
    if labels:
        text, n = max(labels.items(), key=lambda kv: (kv[1], kv[0] != OTHER_LABEL))
        if text != OTHER_LABEL:
            desc, share_of = text, n / sum(labels.values())
    return MetricStats(name=name, responses=metric.responses, share_ms=share, p50_ms=p50,
                       p95_ms=p95, max_ms=high, count=_count(metric), desc=desc,
                       desc_share=share_of)


def summarize_server(timing: ServerTiming | None, successes: int) -> ServerSummary | None:
    """The endpoint's server summary; None when no response carried the header."""
    if timing is None or timing.responses == 0:
        return None
    timed = timing.responses
    metrics = timing.metrics
    names = [n for n in FIRST if n in metrics] + sorted(n for n in metrics if n not in FIRST)
    stats = tuple(_metric(name, metrics[name], timed) for name in names)
    client = timing.client_us / 1000 / timed
    server_metric = next((n for n in SERVER_METRICS if n in metrics
                          and metrics[n].dur is not None), None)
    server = next((m.share_ms for m in stats if m.name == server_metric), None)
    return ServerSummary(
        responses=timed, coverage=min(timed / successes, 1.0) if successes else 0.0,
        client_mean_ms=client, server_metric=server_metric, server_mean_ms=server,
        rest_mean_ms=client - server if server is not None else None, metrics=stats,
        dropped=timing.dropped)


def server_json(summary: ServerSummary | None) -> dict[str, Any] | None:
    """``endpoints[].server`` of the JSON summary and the run document (docs/cli.md)."""
    if summary is None:
        return None
    queries = summary.queries
    return {
        "responses": summary.responses, "coverage": round(summary.coverage, 4),
        "client_mean_ms": round(summary.client_mean_ms, 3),
        "server_metric": summary.server_metric,
        "server_mean_ms": _ms(summary.server_mean_ms),
        "rest_mean_ms": _ms(summary.rest_mean_ms),
        "queries": None if queries is None else {
            "p50": queries.p50, "p95": queries.p95, "max": queries.max,
            "mean": round(queries.mean, 2)},
        "metrics": {m.name: {
            "responses": m.responses, "share_ms": _ms(m.share_ms), "p50_ms": m.p50_ms,
            "p95_ms": m.p95_ms, "max_ms": m.max_ms,
            "count": None if m.count is None else {
                "unit": m.count.unit, "p50": m.count.p50, "p95": m.count.p95,
                "max": m.count.max, "mean": round(m.count.mean, 2)},
            "desc": m.desc, "desc_share": None if m.desc_share is None
            else round(m.desc_share, 4)} for m in summary.metrics},
        "dropped": summary.dropped,
    }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@dataclass(frozen=True)
class ServerStep:
    """Every endpoint's server timing over one step of the run: how the client's latency
    and the server's own time moved as the load changed (the ``queueing`` finding)."""

    start: int  # epoch seconds
    seconds: int
    users: int | None
    responses: int  # that carried the header
    client_ms: float  # the client's mean latency of those responses
    server_ms: float | None  # the server's mean time (app or total) per such response

    @property
    def rest_ms(self) -> float | None:
        return None if self.server_ms is None else self.client_ms - self.server_ms


def server_time_us(timing: ServerTiming) -> int | None:
    """The server's whole time (``app``, else ``total``) summed over the responses, µs."""
    metrics = timing.metrics
    for name in SERVER_METRICS:
        metric = metrics.get(name)
        if metric is not None and metric.dur is not None:
            return metric.dur.sum_us
    return None
