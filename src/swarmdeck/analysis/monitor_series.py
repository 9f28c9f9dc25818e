"""Monitor series reduced for the views (pure): a stage's mean and peak, a series on a chart's
time grid, a long series thinned for the JSON summary."""

from __future__ import annotations

import math
from collections.abc import Sequence

from swarmdeck.records.monitors import MonitorSeries

MAX_JSON_POINTS = 7200  # a series in the JSON summary: per second up to 2 h, then coarser


def mean_peak(series: MonitorSeries, start_s: float | None = None,
              end_s: float | None = None) -> tuple[float | None, float | None]:
    """The mean and the peak of the points with ``start_s <= t < end_s`` (whole series by
    default); None, None without any."""
    values = [v for t, v in series.points
              if (start_s is None or t >= start_s) and (end_s is None or t < end_s)
              and math.isfinite(v)]
    if not values:
        return None, None
    return sum(values) / len(values), max(values)


def on_grid(series: MonitorSeries, starts: Sequence[float], step: float
            ) -> list[float | None]:
    """The mean of the points in each ``[start, start + step)`` of a chart's grid (None: a
    gap), so that a monitor line shares the x values of the latency lines."""
    result: list[float | None] = []
    points = series.points
    i = 0
    for start in starts:
        while i < len(points) and points[i][0] < start:
            i += 1
        j, total = i, 0.0
        while j < len(points) and points[j][0] < start + step:
            total += points[j][1]
            j += 1
        result.append(total / (j - i) if j > i else None)
        i = j
    return result


def thinned(series: MonitorSeries, max_points: int = MAX_JSON_POINTS) -> MonitorSeries:
    """At most ``max_points`` points: consecutive points averaged in steps of whole seconds
    (the series as it is when it is short enough)."""
    points = series.points
    if len(points) <= max_points:
        return series
    span = points[-1][0] - points[0][0] + 1
    step = max(1, math.ceil(span / max_points))
    starts = [points[0][0] + k * step for k in range(math.ceil(span / step))]
    values = on_grid(series, starts, step)
    return MonitorSeries(series.name, series.source, series.unit,
                         tuple((t, v) for t, v in zip(starts, values, strict=True)
                               if v is not None))
