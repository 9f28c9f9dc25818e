"""An open-model run's iterations, summarised (pure): how many fell due, started and were
dropped, the achieved rate against the target, and the start lag's percentiles (from the
exactly merged lag histograms); and the same per step of a chart's time grid."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from swarmdeck.metrics.histogram import LatencyHistogram, bucket_values
from swarmdeck.metrics.iterations import IterationInterval, merged


@dataclass(frozen=True)
class IterationSummary:
    scheduled: int
    started: int
    dropped: int
    rate: float  # iterations started per second
    target_rate: float | None  # what the schedule asked for, per second (None: unknown)
    lag_p50_ms: float | None  # start lag of the started iterations
    lag_p95_ms: float | None
    lag_p99_ms: float | None
    lag_max_ms: float | None
    dropped_max_per_s: int = 0  # the most dropped in one interval
    late: int = 0  # started at least LATE_MS after they were due

    @property
    def dropped_pct(self) -> float:
        return 100.0 * self.dropped / self.scheduled if self.scheduled else 0.0


LATE_MS = 10.0  # a start lag this long or more is "late" (a user was not free at once)


def summarize_iterations(intervals: Iterable[IterationInterval], duration_s: float,
                         target_rate: float | None = None) -> IterationSummary | None:
    """None without any iteration (a closed-model run)."""
    chosen = list(intervals)
    if not chosen:
        return None
    total = merged(chosen)
    lag = total.lag
    p50 = p95 = p99 = None
    if lag.count:
        p50, p95, p99 = (v / 1000.0 for v in lag.percentiles([50, 95, 99]))
    late = 0
    if lag.count:
        late = lag.count - count_below(lag, int(LATE_MS * 1000))
    return IterationSummary(
        scheduled=total.scheduled, started=total.started, dropped=total.dropped,
        rate=total.started / duration_s if duration_s > 0 else 0.0, target_rate=target_rate,
        lag_p50_ms=p50, lag_p95_ms=p95, lag_p99_ms=p99,
        lag_max_ms=lag.max_us / 1000.0 if lag.count else None,
        dropped_max_per_s=max((i.dropped for i in chosen), default=0), late=late)


def count_below(histogram: LatencyHistogram, value_us: int) -> int:
    """How many recorded values fall in buckets whose value is below ``value_us`` (HDR's
    resolution)."""
    lo, counts = histogram.bucket_counts()
    values = bucket_values()[lo:lo + len(counts)]
    return int(counts[values < value_us].sum())


@dataclass(frozen=True)
class IterationPoint:
    """One step of a chart's grid: iterations per second over the step, and the start lag's
    p95 of those started in it (None when none started)."""

    scheduled: float
    started: float
    dropped: float
    lag_p95_ms: float | None


def iterations_on_grid(intervals: Sequence[IterationInterval], t0: float,
                       grid: Sequence[float], step: int) -> list[IterationPoint | None]:
    """Per grid point ``t`` (seconds since the run's start ``t0``, as the report's timeline),
    the slices starting in ``[t, t + step)`` (and before the next point) merged (None: no
    slice there). ``intervals`` in
    time order, regions merged (``Store.iteration_series``); a slice starting before ``t0``
    counts in the first step, as the timeline's intervals do."""
    result: list[IterationPoint | None] = []
    i = 0
    for k, t in enumerate(grid):
        end = min(t + step, grid[k + 1]) if k + 1 < len(grid) else t + step
        while i < len(intervals) and max(intervals[i].start - t0, 0.0) < t - 1e-6:
            i += 1
        j = i
        while j < len(intervals) and max(intervals[j].start - t0, 0.0) < end - 1e-6:
            j += 1
        if j == i:
            result.append(None)
            continue
        total = merged(list(intervals[i:j]))
        lag = total.lag.percentiles([95])[0] / 1000.0 if total.lag.count else None
        result.append(IterationPoint(total.scheduled / step, total.started / step,
                                     total.dropped / step, lag))
        i = j
    return result
