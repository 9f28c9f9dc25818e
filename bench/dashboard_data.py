"""Benchmark: the dashboard's page data for a 1-hour, 30-endpoint run (issue 6: < 500 ms).

    .venv/bin/python bench/dashboard_data.py [--seconds 3600] [--endpoints 30] [--rounds 5]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres | --no-postgres]
        [--no-sqlite]

Builds the synthetic run of bench/synthetic.py through the store API (one
``add_intervals`` per second of 30 one-second intervals) in a temp SQLite file (and a temp
PostgreSQL database when reachable), first leaving it *running* with its rollups written
during the run as the engine writes them (``roll_forward`` every 30 s, 20 s settling: what
the live run page polls every 2 s), then finished (rolled up). Each time it requests,
through the dashboard app's WSGI interface (Flask test client: routing, store reads,
document, JSON), ``/api/runs/<id>/document`` (the run page's data) with the app's document
cache emptied first (as each poll of a running run finds it, new intervals having
arrived) and again cached, and also ``/api/runs``, the runs page and ``/api/trends``, in
rounds alternating their order. Prints medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from swarmdeck.store import Store
from swarmdeck.web import close_app, create_app
from synthetic import DEFAULT_POSTGRES, databases, write_run

TARGET_S = 0.5


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
    document = f"/api/runs/{run_id}/document"
    cache = app.extensions["swarmdeck_documents"]

    def uncached() -> tuple[float, int]:
        cache.entries.clear()  # as after new intervals: each poll of a running run
        return _timed_get(client, document)

    jobs: dict[str, Callable[[], tuple[float, int]]] = {
        "document": uncached,
        "document (cached)": partial(_timed_get, client, document),
        **{name: partial(_timed_get, client, path) for name, path in (
            ("runs api", "/api/runs"), ("runs page", "/"),
            ("trends", "/api/trends?host=http://127.0.0.1:8000"))}}
    times: dict[str, list[float]] = {name: [] for name in jobs}
    sizes: dict[str, int] = {}
    try:
        first, _ = _timed_get(client, document)
        print(f"  {state}: first request of the document {first * 1000:.0f} ms", flush=True)
        for round_ in range(rounds):
            names = list(jobs) if round_ % 2 == 0 else list(reversed(jobs))
            for name in names:
                elapsed, size = jobs[name]()
                times[name].append(elapsed)
                sizes[name] = size
            print(f"  {state} round {round_ + 1}: " + ", ".join(
                f"{name} {times[name][-1] * 1000:.0f} ms" for name in jobs), flush=True)
    finally:
        close_app(app)
    median = statistics.median(times["document"])
    print(f"  {state}: run page data ({document}, not cached) median "
          f"{median * 1000:.0f} ms ({'OK' if median < TARGET_S else 'OVER'} < "
          f"{TARGET_S * 1000:.0f} ms), {sizes['document'] / 1e3:.0f} kB; " + ", ".join(
              f"{name} median {statistics.median(times[name]) * 1000:.0f} ms"
              for name in jobs if name != "document"), flush=True)
    return median


def _heartbeat(url: str, run_id: int, stop: threading.Event) -> None:
    with Store.open(url) as store:
        while not stop.wait(5.0):
            store.heartbeat(run_id)


def bench(label: str, url: str, seconds: int, endpoints: int, rounds: int) -> None:
    print(f"\n== {label}: {seconds} s x {endpoints} endpoints", flush=True)
    # a run that started `seconds` ago, as a running run being watched would have
    t0 = int(time.time()) - seconds
    with Store.open(url) as store:
        run = write_run(store, start=t0, seconds=seconds, endpoints=endpoints, finish=False,
                        roll_every_s=30, tag="dashboard_data")  # as the engine rolls up
        run_id = run.run_id
        print(f"  built in {run.write_s:.0f} s", flush=True)
    alive = threading.Event()
    beating = threading.Thread(target=_heartbeat, args=(url, run_id, alive), daemon=True)
    beating.start()  # the run stays "running" (not crashed) however long the reads
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
        for label, url in databases(Path(folder), args.postgres, sqlite=not args.no_sqlite,
                                    postgres=not args.no_postgres):
            bench(label, url, args.seconds, args.endpoints, args.rounds)


if __name__ == "__main__":
    main()
