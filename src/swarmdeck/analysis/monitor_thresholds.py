"""Thresholds on monitor series (``monitor:cpu < 85%``), evaluated on the stored points.

Without a window the observed value is the series' mean over the run; with one, the worst
window's mean: windows start at every point (while a whole window fits before the last
point's second ends) and hold the points of the next WINDOW seconds,
the highest mean for ``<``/``<=`` (an upper bound), the lowest for ``>``/``>=``. So
``monitor:pg.connections[1s] < 80`` must hold every second. A series with no points, or
not stored at all, fails the threshold and says so (a misspelt name must not pass).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from swarmdeck.analysis.threshold_expr import MONITOR, OPS, Threshold, plain_number
from swarmdeck.records.monitors import BYTES, MonitorSeries

__all__ = ["MonitorResult", "evaluate_monitor", "show_value"]


def show_value(value: float, unit: str) -> str:
    """A monitor value as reports print it: ``85.2%``, ``1.5 GB``, ``12``, ``3.4/s``."""
    if unit.startswith(BYTES):
        rest = unit[len(BYTES):]
        for factor, prefix in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
            if abs(value) >= factor:
                return f"{value / factor:.3g} {prefix}{rest}"
        return f"{value:.0f} B{rest}"
    text = f"{value:.3g}" if abs(value) < 1e3 else f"{value:,.0f}"
    return text + (unit if unit in ("%", "/s") else f" {unit}" if unit else "")


def _compatible(threshold: Threshold, series: MonitorSeries) -> bool:
    if not threshold.unit:
        return True
    return series.unit == threshold.unit or series.unit.startswith(threshold.unit + "/")


def _worst_window(points: Sequence[tuple[float, float]], window_s: float,
                  upper: bool) -> tuple[float, float]:
    """(worst mean, its start) over whole windows starting at each point (all the points
    when the series is shorter than one window)."""
    best: tuple[float, float] | None = None
    j = 0
    total = 0.0
    last_start = max(points[-1][0] + 1 - window_s, points[0][0])
    for i, (start, _) in enumerate(points):
        if start > last_start + 1e-9:
            break
        while j < len(points) and points[j][0] < start + window_s:
            total += points[j][1]
            j += 1
        mean = total / (j - i)
        if best is None or (mean > best[0] if upper else mean < best[0]):
            best = (mean, start)
        total -= points[i][1]
    assert best is not None
    return best


@dataclass(frozen=True)
class MonitorResult:
    observed: float | None
    passed: bool
    observed_text: str  # as reports show it: "85.2%", or what was missing
    detail: str  # one sentence: what was observed where


def evaluate_monitor(threshold: Threshold, series: Sequence[MonitorSeries]) -> MonitorResult:
    """A ``monitor:`` threshold over the run's series."""
    if threshold.metric != MONITOR or threshold.series is None:
        raise ValueError("evaluate_monitor takes monitor thresholds")
    found = next((s for s in series if s.name == threshold.series), None)
    if found is None:
        known = ", ".join(sorted(s.name for s in series if not s.name.startswith("worker."))
                          [:12])
        missing = f"no series {threshold.series}"
        return MonitorResult(None, False, missing, (
            f"{threshold}: no monitor series {threshold.series!r} in this run"
            + (f" (it has {known})" if known else " (it had no monitors)") + " (failed)"))
    if not _compatible(threshold, found):
        unit = found.unit or "plain numbers"
        return MonitorResult(None, False, f"the series is in {unit}",
                             f"{threshold}: the series is in {unit}, not {threshold.unit} "
                             "(failed)")
    points = [(t, v) for t, v in found.points]
    if not points:
        return MonitorResult(None, False, "no points",
                             f"{threshold}: no points in the series (failed)")
    upper = threshold.op in ("<", "<=")
    if threshold.window_s is None:
        observed = sum(v for _, v in points) / len(points)
        where = f"the mean over the run ({len(points)} s)"
    else:
        observed, start = _worst_window(points, threshold.window_s, upper)
        where = (f"the worst {plain_number(threshold.window_s)} s window's mean, starting "
                 f"{plain_number(round(start, 1))} s into the run")
    passed = OPS[threshold.op](observed, threshold.value)
    shown = show_value(observed, found.unit)
    return MonitorResult(observed, passed, shown, f"{threshold}: observed {shown}, {where} "
                         f"({'passed' if passed else 'failed'})")
