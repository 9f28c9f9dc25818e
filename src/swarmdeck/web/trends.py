"""Trends: each endpoint's p95 and requests/s across the finished runs of one host.

Each run's figures come from its whole-run rollup (merged histograms, never averaged
percentiles); runs are oldest first, so the result plots left to right.
"""

from __future__ import annotations

from typing import Any

from swarmdeck.analysis.summary import summarize
from swarmdeck.labels import endpoint_label
from swarmdeck.records import FINAL_STATUSES
from swarmdeck.store import Store

DEFAULT_RUNS = 50
MAX_RUNS = 200


def baselines(store: Store) -> list[dict[str, Any]]:
    """The named baselines."""
    return [{"name": b.name, "run_id": b.run_id,
             "set_at": b.set_at.isoformat() if b.set_at is not None else None}
            for b in store.list_baselines()]


def hosts(store: Store, limit: int = 1000) -> list[str]:
    """Hosts of the most recent runs, most recent first, each once."""
    seen: dict[str, None] = {}
    for row in store.list_runs(limit):
        seen.setdefault(row.host, None)
    return list(seen)


def trends(store: Store, host: str, locustfile: str | None = None,
           limit: int = DEFAULT_RUNS) -> dict[str, Any]:
    rows = [row for row in store.list_runs(limit * 2, host=host, locustfile=locustfile)
            if row.status in FINAL_STATUSES and row.ended_at is not None][:limit]
    rows.reverse()
    marks = baselines(store)
    by_run: dict[int, list[str]] = {}
    for mark in marks:
        by_run.setdefault(mark["run_id"], []).append(mark["name"])
    runs: list[dict[str, Any]] = []
    endpoints: dict[tuple[str, str], dict[str, list[float | None]]] = {}
    for i, row in enumerate(rows):
        duration = row.duration_s()
        totals, summaries = summarize(store.endpoint_data(row.id), duration)
        runs.append({"run_id": row.id, "started_at": row.started_at.isoformat(),
                     "status": row.status, "locustfile": row.locustfile,
                     "tags": dict(row.tags), "baselines": sorted(by_run.get(row.id, [])),
                     "p95_ms": totals.p95_ms if totals.requests else None,
                     "rps": totals.rps})
        for s in summaries:
            line = endpoints.setdefault((s.method, s.name), {"p95_ms": [None] * len(rows),
                                                              "rps": [None] * len(rows)})
            line["p95_ms"][i] = s.p95_ms if s.requests else None
            line["rps"][i] = s.rps
    return {
        "host": host, "locustfile": locustfile, "runs": runs,
        "endpoints": [{"method": method, "name": name,
                       "label": endpoint_label(method, name), **values}
                      for (method, name), values in sorted(endpoints.items(),
                                                           key=lambda kv: (kv[0][1], kv[0][0]))],
        "baselines": [m for m in marks if m["run_id"] in {r["run_id"] for r in runs}],
    }
