"""Benchmark: `swarmdeck compare` of two 1-hour, 30-endpoint runs.

    .venv/bin/python bench/compare.py [--seconds 3600] [--endpoints 30] [--rounds 3]

Builds two synthetic runs (bench/synthetic.py) through the store API in a temp SQLite file
(one ``add_intervals`` of 30 one-second intervals per second, as the collector writes them,
then ``finish_run`` with its rollups), from the same histogram pool; in the candidate, the
first three endpoints are 20 % slower. Then times, in rounds that alternate their order:
reading both runs' series from the store at the default block (``block_seconds``: 60 s for
an hour), the pure analysis (``analysis.compare.compare``, 1000 resamples per run) on them,
the same analysis on 10-s blocks, and the whole ``verdict.comparison.compare_runs``. Prints
medians. The target: the whole comparison under ~3 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from swarmdeck.analysis.compare import RunSeries, compare
from swarmdeck.store import Store
from swarmdeck.verdict.comparison import block_seconds, compare_runs
from synthetic import T0, write_run

SLOWER = 3  # endpoints made slower in the candidate


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
        base = write_run(store, start=T0, seconds=args.seconds, endpoints=args.endpoints,
                         seed=1, progress=False, tag="compare").run_id
        candidate = write_run(store, start=T0 + args.seconds + 60, seconds=args.seconds,
                              endpoints=args.endpoints, seed=2, slow=1.2, slowed=SLOWER,
                              progress=False, tag="compare").run_id
        print(f"built two {args.seconds} s x {args.endpoints}-endpoint runs in "
              f"{time.perf_counter() - began:.0f} s", flush=True)
        records = [store.get_run(base), store.get_run(candidate)]

        def read(step: int | None = None) -> list[RunSeries]:
            return [RunSeries(list(store.iter_series(
                r.id, step or block_seconds(r.duration_s()))), r.duration_s()) for r in records]

        series, series_10 = read(), read(10)
        print(f"blocks: {block_seconds(records[0].duration_s())} s", flush=True)
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
        verdicts = Counter(str(row.verdict) for row in result.rows if not row.overall)
        print(f"verdicts: {dict(verdicts)} (expected {SLOWER} slower)")
        for name, values in times.items():
            print(f"  {name:8s} median {statistics.median(values):.2f} s")
        whole = statistics.median(times["whole"])
        print(f"whole comparison: {whole:.2f} s ({'OK' if whole < 3 else 'OVER'} the ~3 s "
              "budget)")


if __name__ == "__main__":
    main()
