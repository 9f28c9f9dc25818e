"""Benchmark: store queries on a 1-hour, 30-endpoint run, rollups against raw merging.

    .venv/bin/python bench/store_queries.py [--seconds 3600] [--endpoints 30] [--rounds 3]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres | --no-postgres]

Builds the synthetic run of bench/synthetic.py through the store API (one ``add_intervals`` per second of 30
one-second intervals, as the collector writes them: 108,000 histograms) in a temp SQLite
file, and in a temp PostgreSQL database when the server is reachable. Then, in alternating
rounds, times the whole-run summary and a random 10-minute window answered by the store
(rollups) against the reference: a brute-force merge of the raw interval rows of the same
window, read with plain SQL. Every round checks both give the same numbers. Prints medians
and the ratio. The target: each store query under 1 s.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, text

from swarmdeck.metrics import EndpointInterval, EndpointKey, LatencyHistogram
from swarmdeck.store import Store
from synthetic import DEFAULT_POSTGRES, T0, databases, write_run

T = TypeVar("T")
WINDOW_S = 600


def brute_force(url: str, run_id: int, start: int | None,
                end: int | None) -> dict[EndpointKey, EndpointInterval]:
    """The reference: read every raw row of the window and merge it, nothing else."""
    engine = create_engine(url)
    query = ("SELECT start, method, name, region, requests, failures, bytes, histogram, errors"
             " FROM intervals WHERE run_id = :run AND start >= :lo AND start < :hi")
    merged: dict[EndpointKey, EndpointInterval] = {}
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(query), {"run": run_id, "lo": start or 0,
                                                    "hi": end or 2**62})
            for row in rows:
                key = EndpointKey(row.method, row.name)
                errors = row.errors if isinstance(row.errors, dict) else _json(row.errors)
                interval = EndpointInterval(
                    start=row.start, method=row.method, name=row.name, region="*",
                    requests=row.requests, failures=row.failures, bytes=row.bytes,
                    histogram=LatencyHistogram.decode(bytes(row.histogram)),
                    errors=Counter(errors))
                if key in merged:
                    merged[key].merge(interval)
                else:
                    merged[key] = interval
    finally:
        engine.dispose()
    return merged


def _json(value: str) -> dict[str, int]:
    return dict(json.loads(value))


def same(a: dict[EndpointKey, EndpointInterval], b: dict[EndpointKey, EndpointInterval]) -> bool:
    def numbers(d: EndpointInterval) -> tuple[Any, ...]:
        return (d.requests, d.failures, d.bytes, dict(d.errors), d.histogram.encode())
    return sorted(a) == sorted(b) and all(numbers(a[k]) == numbers(b[k]) for k in a)


def timed(call: Callable[[], T]) -> tuple[float, T]:
    began = time.perf_counter()
    result = call()
    return time.perf_counter() - began, result


def bench(label: str, url: str, seconds: int, endpoints: int, rounds: int) -> None:
    print(f"\n== {label}: {seconds} s x {endpoints} endpoints "
          f"= {seconds * endpoints:,} interval histograms", flush=True)
    with Store.open(url) as store:
        run = write_run(store, start=T0, seconds=seconds, endpoints=endpoints,
                        tag="store_queries")
        run_id = run.run_id
        print(f"  write: {run.write_s:.1f} s ({run.write_s / seconds * 1000:.1f} ms per 1-s "
              f"flush of {endpoints} intervals); finish_run with rollups: {run.finish_s:.1f} s")
        rng = random.Random(7)
        times: dict[str, list[float]] = {name: [] for name in
                                         ("whole", "whole_ref", "window", "window_ref")}
        for round_ in range(rounds):
            lo = T0 + rng.randint(0, max(0, seconds - WINDOW_S))
            window = (lo, lo + WINDOW_S)
            jobs: list[tuple[str, Callable[[], Any]]] = [
                ("whole", lambda: store.endpoint_data(run_id)),
                ("whole_ref", lambda: brute_force(url, run_id, None, None)),
                ("window", partial(store.endpoint_data, run_id, *window)),
                ("window_ref", partial(brute_force, url, run_id, *window)),
            ]
            if round_ % 2:  # alternate which goes first
                jobs = [jobs[1], jobs[0], jobs[3], jobs[2]]
            results = {}
            for name, job in jobs:
                elapsed, results[name] = timed(job)
                times[name].append(elapsed)
            assert same(results["whole"], results["whole_ref"]), "whole run differs"
            assert same(results["window"], results["window_ref"]), f"window {window} differs"
            print(f"  round {round_ + 1}: whole {times['whole'][-1]:.3f} s "
                  f"(ref {times['whole_ref'][-1]:.2f} s), window {window[0] - T0}+600 s "
                  f"{times['window'][-1]:.3f} s (ref {times['window_ref'][-1]:.2f} s)",
                  flush=True)
        timeline_s, points = timed(lambda: store.timeline(run_id, 60))
        list_s, _ = timed(lambda: store.list_runs())
    for query in ("whole", "window"):
        fast, ref = statistics.median(times[query]), statistics.median(times[f"{query}_ref"])
        print(f"  {label} {query:6s}: rollups median {fast * 1000:8.1f} ms | raw merge "
              f"median {ref * 1000:8.1f} ms | {ref / fast:6.1f}x faster | "
              f"{'OK' if fast < 1.0 else 'OVER'} (< 1 s)")
    print(f"  {label} timeline(60 s, {len(points)} points): {timeline_s * 1000:.1f} ms; "
          f"list_runs: {list_s * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3600)
    parser.add_argument("--endpoints", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for label, url in databases(Path(folder), args.postgres,
                                    postgres=not args.no_postgres):
            bench(label, url, args.seconds, args.endpoints, args.rounds)
            if label == "SQLite":
                size = (Path(folder) / "bench.db").stat().st_size
                print(f"  SQLite file: {size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
