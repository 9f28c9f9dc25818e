"""The run document's ``iterations`` (report/document.py): an open-model run's iterations per
second on the grid of the run's timeline (same ``t`` and step as users, requests/s and p95),
so that the page charts the schedule against what was started, the drops and the start lag
under one time axis. None for a closed-model run.

    {"step_s": 1, "t": [...], "scheduled": [...], "started": [...], "dropped": [...],
     "lag_p95_ms": [...]}   # per second over each step; None where nothing was stored
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from swarmdeck.analysis.iterations import iterations_on_grid
from swarmdeck.metrics.iterations import IterationInterval


def iterations_part(series: Sequence[IterationInterval], timeline: dict[str, Any], t0: float,
                    duration_s: float, number: Callable[[float | None], float | None]
                    ) -> dict[str, Any] | None:
    """The document's ``iterations``; None without any (a closed-model run). ``number``
    rounds a chart point (document._num)."""
    if not series:
        return None
    step = int(timeline.get("step_s") or 1)
    t = list(timeline.get("t") or [])
    if not t:  # no request answered at all: a grid of its own
        t = [float(k * step) for k in range(max(1, math.ceil(duration_s / step)))]
    points = iterations_on_grid(series, t0, t, step)

    def line(pick: Callable[[Any], float | None]) -> list[float | None]:
        return [None if p is None else number(pick(p)) for p in points]

    return {"step_s": step, "t": t,
            "scheduled": line(lambda p: p.scheduled), "started": line(lambda p: p.started),
            "dropped": line(lambda p: p.dropped), "lag_p95_ms": line(lambda p: p.lag_p95_ms)}
