"""Benchmark: `swarmdeck compare` of two 1-hour, 30-endpoint runs.

    .venv/bin/python bench/compare.py [--seconds 3600] [--endpoints 30] [--rounds 3]

Builds two synthetic runs through the store API in a temp SQLite file (one
``add_intervals`` of 30 one-second intervals per second, as the collector writes them,
then ``finish_run`` with its rollups); in the candidate, the first three endpoints are 20 %
slower. Then times, in rounds that alternate their order: reading both runs' series from
the store at the default block (``block_seconds``: 60 s for an hour), the pure analysis
(``analysis.compare.compare``, 1000 resamples per run) on them, the same analysis on 10-s
blocks, and the whole ``verdict.comparison.compare_runs``. Prints medians. The target: the
whole comparison under ~3 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from swarmdeck.analysis.compare import RunSeries, compare
from swarmdeck.metrics import EndpointInterval, LatencyHistogram
from swarmdeck.store import RunMeta, Store
from swarmdeck.verdict.comparison import block_seconds, compare_runs, duration_s

T0 = 1_700_000_003
SLOWER = 3  # endpoints made slower in the candidate


def meta(start: int) -> RunMeta:
    return RunMeta(
        host="http://127.0.0.1:8000", locustfile="bench.py", locustfile_sha256="0" * 64,
        plan={}, tags={"bench": "compare"}, users=500, spawn_rate=50.0, run_time_s=3600.0,
        shape=None, swarmdeck_version="bench", locust_version="bench",
        python_version=sys.version.split()[0], git_commit=None,
        started_at=datetime.fromtimestamp(start, UTC), pid=0, hostname="bench")


def pool(endpoints: int, slow: float) -> list[list[LatencyHistogram]]:
    """A few per-second histograms per endpoint, the same in both runs (but for the slowed
    endpoints, scaled): endpoints that did not change have the same distribution."""
    rng = random.Random(1)
    result = []
    for index in range(endpoints):
        scale = 2_000 * (1 + index % 7) * (slow if index < SLOWER else 1.0)
        variants = []
        for _ in range(8):
            histogram = LatencyHistogram()
            for _ in range(rng.randint(10, 60)):
                histogram.record(int(rng.lognormvariate(0, 0.6) * scale))
            variants.append(histogram)
        result.append(variants)
    return result


def build(store: Store, start: int, seconds: int, endpoints: int, slow: float,
          seed: int) -> int:
    rng = random.Random(seed)
    histograms = pool(endpoints, slow)
    run_id = store.create_run(meta(start))
    for second in range(seconds):
        batch = []
        for index in range(endpoints):
            histogram = rng.choice(histograms[index])
            failures = 1 if rng.random() < 0.02 else 0
            batch.append(EndpointInterval(
                start=start + second, method="GET", name=f"/api/endpoint/{index:02d}",
                requests=histogram.count, failures=failures, bytes=0, histogram=histogram,
                errors=Counter({"HTTP 500": failures} if failures else {})))
        store.add_intervals(run_id, batch)
    store.finish_run(run_id, "passed", datetime.fromtimestamp(start + seconds, UTC))
    return run_id


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = call()
    return time.perf_counter() - began, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3600)
    parser.add_argument("--endpoints", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, \
            Store.open(f"sqlite:///{Path(folder) / 'bench.db'}") as store:
        began = time.perf_counter()
        base = build(store, T0, args.seconds, args.endpoints, 1.0, 1)
        candidate = build(store, T0 + args.seconds + 60, args.seconds, args.endpoints, 1.2, 2)
        print(f"built two {args.seconds} s x {args.endpoints}-endpoint runs in "
              f"{time.perf_counter() - began:.0f} s", flush=True)
        records = [store.get_run(base), store.get_run(candidate)]

        def read(step: int | None = None) -> list[RunSeries]:
            return [RunSeries(store.series(r.id, step or block_seconds(duration_s(r))),
                              duration_s(r)) for r in records]

        series, series_10 = read(), read(10)
        print(f"blocks: {block_seconds(duration_s(records[0]))} s", flush=True)
        times: dict[str, list[float]] = {"read": [], "analysis": [], "analysis_10s": [],
                                         "whole": []}
        jobs: list[tuple[str, Callable[[], Any]]] = [
            ("read", read), ("analysis", lambda: compare(*series)),
            ("analysis_10s", lambda: compare(*series_10)),
            ("whole", lambda: compare_runs(store, base, candidate))]
        result: Any = None
        for round_ in range(args.rounds):
            for name, job in (jobs if round_ % 2 == 0 else jobs[::-1]):
                elapsed, value = timed(job)
                times[name].append(elapsed)
                if name == "whole":
                    result = value
            print(f"  round {round_ + 1}: " + ", ".join(
                f"{name} {values[-1]:.2f} s" for name, values in times.items()), flush=True)
        verdicts = Counter(row["verdict"] for row in result["rows"] if not row["overall"])
        print(f"verdicts: {dict(verdicts)} (expected {SLOWER} slower)")
        for name, values in times.items():
            print(f"  {name:8s} median {statistics.median(values):.2f} s")
        whole = statistics.median(times["whole"])
        print(f"whole comparison: {whole:.2f} s ({'OK' if whole < 3 else 'OVER'} the ~3 s "
              "budget)")


if __name__ == "__main__":
    main()
