"""Benchmark: the dashboard's page data for a 1-hour, 30-endpoint run (issue 6: < 500 ms).

    .venv/bin/python bench/dashboard_data.py [--seconds 3600] [--endpoints 30] [--rounds 5]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres | --no-postgres]
        [--no-sqlite]

Builds the synthetic run of bench/store_queries.py through the store API (one
``add_intervals`` per second of 30 one-second intervals) in a temp SQLite file (and a temp
PostgreSQL database when reachable), first leaving it *running* (no rollups: what the
live run page polls every 2 s; the first request folds the whole run into the app's live
cache, "cold", the later ones read only the unsettled tail), then finished (rolled up). Each time it requests, through
the dashboard app's WSGI interface (Flask test client: routing, store reads, document,
JSON), ``/api/runs/<id>/document`` (the run page's data), and also ``/api/runs``, the runs
page and ``/api/trends``, in rounds alternating their order. Prints medians.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import store_queries
from store_queries import DEFAULT_POSTGRES, build, postgres_database

from swarmdeck.store import Store
from swarmdeck.web import close_app, create_app

TARGET_S = 0.5
original_meta = store_queries.meta


def _timed_get(client: object, path: str) -> tuple[float, int]:
    began = time.perf_counter()
    response = client.get(path)  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - began
    assert response.status_code == 200, (path, response.status_code,
                                         response.get_data(as_text=True)[:300])
    return elapsed, len(response.get_data())


def measure(url: str, run_id: int, rounds: int, state: str) -> float:
    with Store.open(url) as store:
        store.heartbeat(run_id)  # a running run stays "running" for the app's open
    app = create_app({"SWARMDECK_DB": url})
    client = app.test_client()
    paths: dict[str, str] = {
        "document": f"/api/runs/{run_id}/document",
        "runs api": "/api/runs",
        "runs page": "/",
        "trends": "/api/trends?host=http://127.0.0.1:8000",
    }
    times: dict[str, list[float]] = {name: [] for name in paths}
    sizes: dict[str, int] = {}
    jobs: list[tuple[str, Callable[[], tuple[float, int]]]] = [
        (name, (lambda p=path: _timed_get(client, p))) for name, path in paths.items()]
    try:
        cold, _ = _timed_get(client, paths["document"])
        print(f"  {state}: first request of the document (cold) {cold * 1000:.0f} ms",
              flush=True)
        for round_ in range(rounds):
            order = jobs if round_ % 2 == 0 else list(reversed(jobs))
            for name, job in order:
                elapsed, size = job()
                times[name].append(elapsed)
                sizes[name] = size
            print(f"  {state} round {round_ + 1}: " + ", ".join(
                f"{name} {times[name][-1] * 1000:.0f} ms" for name in paths), flush=True)
    finally:
        close_app(app)
    median = statistics.median(times["document"])
    print(f"  {state}: run page data (/api/runs/{run_id}/document) median "
          f"{median * 1000:.0f} ms ({'OK' if median < TARGET_S else 'OVER'} < "
          f"{TARGET_S * 1000:.0f} ms), {sizes['document'] / 1e3:.0f} kB; " + ", ".join(
              f"{name} median {statistics.median(times[name]) * 1000:.0f} ms"
              for name in paths if name != "document"), flush=True)
    return median


def _heartbeat(url: str, run_id: int, stop: threading.Event) -> None:
    with Store.open(url) as store:
        while not stop.wait(5.0):
            store.heartbeat(run_id)


def bench(label: str, url: str, seconds: int, endpoints: int, rounds: int) -> None:
    print(f"\n== {label}: {seconds} s x {endpoints} endpoints", flush=True)
    # a run that started `seconds` ago, as a running run being watched would have
    t0 = store_queries.T0 = int(time.time()) - seconds
    started = datetime.fromtimestamp(t0, UTC)
    store_queries.meta = lambda: dataclasses.replace(original_meta(), started_at=started)
    with Store.open(url) as store:
        original_finish = store.finish_run
        store.finish_run = lambda *a, **k: None  # type: ignore[method-assign]
        run_id, written, _ = build(store, seconds, endpoints)
        store.finish_run = original_finish  # type: ignore[method-assign]
        print(f"  built in {written:.0f} s", flush=True)
    alive = threading.Event()
    beating = threading.Thread(target=_heartbeat, args=(url, run_id, alive), daemon=True)
    beating.start()  # the run stays "running" (not crashed) however long the cold read
    try:
        measure(url, run_id, rounds, "running")
    finally:
        alive.set()
        beating.join()
    with Store.open(url) as store:
        began = time.perf_counter()
        store.finish_run(run_id, "passed", datetime.fromtimestamp(t0 + seconds, UTC))
        print(f"  finished (rollups) in {time.perf_counter() - began:.1f} s", flush=True)
    measure(url, run_id, rounds, "finished")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3600)
    parser.add_argument("--endpoints", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if not args.no_sqlite:
            bench("SQLite", f"sqlite:///{Path(folder) / 'bench.db'}", args.seconds,
                  args.endpoints, args.rounds)
        if not args.no_postgres:
            with postgres_database(args.postgres) as pg_url:
                if pg_url:
                    bench("PostgreSQL", pg_url, args.seconds, args.endpoints, args.rounds)


if __name__ == "__main__":
    main()
