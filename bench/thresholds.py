"""Benchmark: a windowed threshold (``p95[30s] < 500ms``) on a 1-hour, 30-endpoint run.

    .venv/bin/python bench/thresholds.py [--seconds 3600] [--endpoints 30] [--window 30]
        [--rounds 3] [--metric p95]

Builds the run's 108,000 one-second intervals in memory (their histograms drawn from a pool
of 64 so the run fits in memory: merging reads them only), then in alternating rounds times
``evaluate`` (slots reduced once to their non-zero HDR buckets, a sliding window kept by
adding and subtracting bucket counts) against the reference it replaced: every window's
histograms merged again and its percentile read from the merged histogram. Each round
checks both find the same worst window and value. Prints medians and the ratio.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Sequence

from swarmdeck.analysis.thresholds import (
    HIGHER_IS_WORSE,
    Threshold,
    _measure,
    _members,
    _slots,
    _window_span,
    evaluate,
)
from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.metrics.interval import EndpointInterval


def build(seconds: int, endpoints: int, seed: int = 7) -> list[EndpointInterval]:
    rng = random.Random(seed)
    pool = []
    for k in range(64):
        h = LatencyHistogram()
        base = rng.uniform(2_000, 80_000) * (3 if k % 16 == 0 else 1)
        for _ in range(rng.randint(5, 60)):
            h.record(int(rng.lognormvariate(0, 0.6) * base))
        pool.append(h)
    start = 1_700_000_000
    intervals = []
    for second in range(seconds):
        for e in range(endpoints):
            h = pool[rng.randrange(len(pool))]
            intervals.append(EndpointInterval(start=start + second, method="GET",
                                              name=f"/api/e{e}", requests=h.count,
                                              failures=rng.randint(0, 1), histogram=h))
    return intervals


def reference(threshold: Threshold, intervals: Sequence[EndpointInterval]) -> tuple[float, int]:
    """The re-merging evaluation that `evaluate` replaced (kept here to compare against)."""
    slots = _slots(threshold, intervals, 1.0)
    total = max(slots) + 1
    n = min(_window_span(threshold, 1.0), total)
    worse = max if threshold.metric in HIGHER_IS_WORSE else min
    values = [(v, lo) for lo in range(total - n + 1) if (v := _measure(
        threshold.metric, _members(slots, lo, lo + n), n, 1.0)) is not None]
    return worse(values, key=lambda vl: vl[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3600)
    parser.add_argument("--endpoints", type=int, default=30)
    parser.add_argument("--window", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--metric", default="p95")
    args = parser.parse_args()
    intervals = build(args.seconds, args.endpoints)
    threshold = Threshold(args.metric, "<", 500.0, float(args.window))
    print(f"{len(intervals):,} intervals; threshold {threshold}")
    fast_times: list[float] = []
    ref_times: list[float] = []
    for round_ in range(args.rounds):
        order = ("fast", "ref") if round_ % 2 == 0 else ("ref", "fast")
        got: dict[str, tuple[float, int]] = {}
        for which in order:
            t0 = time.perf_counter()
            if which == "fast":
                result = evaluate(threshold, intervals)
                assert result.observed is not None
                got[which] = (result.observed, round(float(result.detail.split("starting ")[1]
                                                             .split(" s")[0])))
                fast_times.append(time.perf_counter() - t0)
            else:
                got[which] = reference(threshold, intervals)
                ref_times.append(time.perf_counter() - t0)
        assert got["fast"] == got["ref"], got
        print(f"round {round_ + 1}: worst window {got['fast'][0]} at {got['fast'][1]} s "
              f"(both agree); fast {fast_times[-1]:.3f} s, reference {ref_times[-1]:.3f} s")
    fast, ref = statistics.median(fast_times), statistics.median(ref_times)
    print(f"median: fast {fast:.3f} s, reference (re-merge per window) {ref:.3f} s, "
          f"{ref / fast:.1f}x faster")


if __name__ == "__main__":
    main()
