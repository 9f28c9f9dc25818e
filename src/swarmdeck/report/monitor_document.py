"""The run document's ``monitors`` (report/document.py): each monitor series on the grid of
the run's timeline (same ``t`` and step as users, requests/s and p95), so that the page
draws them under one time axis; with each series' mean and peak, and the sources' states.

    {"step_s": 1, "t": [...], "series": [{"name", "unit", "source", "worker", "values",
     "mean", "peak"}], "sources": [...]}
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from swarmdeck.analysis.monitor_series import on_grid
from swarmdeck.records.monitor_codec import monitor_source_to_json
from swarmdeck.records.monitors import MonitorSeries, MonitorSource, is_worker_series


def monitors_part(series: Sequence[MonitorSeries], sources: Sequence[MonitorSource],
                  timeline: dict[str, Any], duration_s: float,
                  number: Callable[[float | None], float | None]) -> dict[str, Any] | None:
    """The document's ``monitors``; None for a run without monitors. ``number`` rounds a
    chart point (document._num)."""
    if not series and not sources:
        return None
    step = int(timeline.get("step_s") or 1)
    t = list(timeline.get("t") or [])
    if not t:  # no requests at all: a grid of its own
        t = [float(k * step) for k in range(max(1, math.ceil(duration_s / step)))]
    rows = []
    for s in series:
        values = [number(v) for v in on_grid(s, t, step)]
        rows.append({"name": s.name, "unit": s.unit, "source": s.source,
                     "worker": is_worker_series(s.name), "values": values,
                     "mean": number(s.mean), "peak": number(s.peak)})
    return {"step_s": step, "t": t, "series": rows,
            "sources": [monitor_source_to_json(s) for s in sources]}
