"""Two runs' server-side medians side by side, per endpoint: the queries per request and
the time of ``app``, ``db``, ``tpl`` and ``queue``, from what the server said
(``Server-Timing``). Pure. So "GET /blog: 30 → 2 queries" is a line of a comparison.

No bootstrap here: a query count is not noisy like a latency (the same page runs the same
statements), and the times are the server's own; the comparison's verdicts stay on the
client's latency.
"""

from __future__ import annotations

from collections.abc import Mapping

from swarmdeck.analysis.server_split import ServerSummary, summarize_server
from swarmdeck.metrics.interval import EndpointInterval, EndpointKey
from swarmdeck.records.comparison import ServerChange

TIMES = ("app", "db", "tpl", "queue")


def _summary(data: EndpointInterval | None) -> ServerSummary | None:
    if data is None:
        return None
    return summarize_server(data.server_timing, data.histogram.count)


def compare_server(base: Mapping[EndpointKey, EndpointInterval],
                   candidate: Mapping[EndpointKey, EndpointInterval]
                   ) -> tuple[ServerChange, ...]:
    """Per endpoint of both runs (by name), where either run's server said something:
    the median queries per request, then the median time of each of TIMES either said."""
    changes: list[ServerChange] = []
    for key in sorted(set(base) & set(candidate), key=lambda k: (k.name, k.method)):
        b, c = _summary(base.get(key)), _summary(candidate.get(key))
        if b is None and c is None:
            continue
        bq, cq = (s.queries if s else None for s in (b, c))
        if bq is not None or cq is not None:
            changes.append(ServerChange(key.method, key.name, "queries",
                                        bq.p50 if bq else None, cq.p50 if cq else None,
                                        unit="queries"))
        for name in TIMES:
            bm, cm = (s.metric(name) if s else None for s in (b, c))
            if (bm is None or bm.p50_ms is None) and (cm is None or cm.p50_ms is None):
                continue
            changes.append(ServerChange(key.method, key.name, name,
                                        bm.p50_ms if bm else None, cm.p50_ms if cm else None))
    return tuple(changes)
