"""Benchmark: rollups written during a run (``Store.roll_forward``) against none until the end.

    .venv/bin/python bench/rollup_progress.py [--seconds 3600] [--endpoints 30] [--rounds 3]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres | --no-postgres]

Per round, writes two synthetic runs (bench/synthetic.py) through the store API as the
engine does (one ``add_intervals`` of 2 s x 30 one-second intervals every 2 s of simulated
time): run A the old way, run B calling ``roll_forward(run, settled_before=now - 20)``
every 30 s, as ``engine/run.py`` does, but for the last minute. Then, with both still
running (B's watermark about a minute behind the last interval), times ``endpoint_data``
(whole run), ``timeline(run, 60)`` and ``iter_series(run, 60)`` on each, alternating which
goes first, and checks both give the same numbers. Then finishes both (alternating) and
times ``finish_run``. Also reports the cost of each ``roll_forward`` call that rolled a
minute, and the longest stretch it ran between two calls of its ``pause`` (what the engine's
event loop, which passes ``gevent.sleep``, waits at most). SQLite (temp file) and
PostgreSQL (a temp database, when reachable). Prints medians
over the rounds.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from swarmdeck.metrics import EndpointInterval
from swarmdeck.store import Store
from synthetic import DEFAULT_POSTGRES, T0, databases, write_run

FLUSH_S = 2  # the engine's FLUSH_EVERY_S
ROLL_EVERY_S = 30  # the engine's ROLL_EVERY_S
SETTLE_S = 20  # the engine's SETTLE_S
UNROLLED_TAIL_S = 60  # the last minute is not rolled: reads see a watermark 83 s behind
# (the engine's cadence leaves it 20-110 s behind)
QUERIES = ("endpoint_data", "timeline_60", "iter_series_60")


def numbers(data: Any) -> Any:
    """What must be equal between the two runs' answers."""
    if isinstance(data, dict):
        return {str(k): (v.requests, v.failures, v.bytes, dict(v.errors), v.histogram.encode())
                for k, v in data.items()}
    if data and isinstance(data[0], EndpointInterval):
        return [(v.start, v.method, v.name, v.requests, v.histogram.encode()) for v in data]
    return [(p.start, p.requests, p.failures, p.p50_ms, p.p95_ms, p.p99_ms) for p in data]


def queries(store: Store, run_id: int) -> list[tuple[str, Callable[[], Any]]]:
    return [("endpoint_data", lambda: store.endpoint_data(run_id)),
            ("timeline_60", lambda: store.timeline(run_id, 60)),
            ("iter_series_60", lambda: list(store.iter_series(run_id, 60)))]


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = call()
    return time.perf_counter() - began, result


def bench(label: str, url: str, seconds: int, endpoints: int, rounds: int) -> None:
    print(f"\n== {label}: {seconds} s x {endpoints} endpoints, {rounds} rounds", flush=True)
    times: dict[str, list[float]] = {}
    rolls: list[float] = []
    blocks: list[float] = []

    def note(name: str, value: float) -> None:
        times.setdefault(name, []).append(value)

    with Store.open(url) as store:
        for round_ in range(rounds):
            order = [False, True] if round_ % 2 == 0 else [True, False]
            runs: dict[bool, int] = {}
            for roll in order:
                began = time.perf_counter()
                run = write_run(  # both runs get the same data; left running
                    store, start=T0, seconds=seconds, endpoints=endpoints, finish=False,
                    roll_every_s=ROLL_EVERY_S if roll else None, settle_s=SETTLE_S,
                    unrolled_tail_s=UNROLLED_TAIL_S, flush_s=FLUSH_S, progress=False,
                    tag="rollup_progress")
                note(f"write_{'rolled' if roll else 'old'}", time.perf_counter() - began)
                runs[roll] = run.run_id
                rolls.extend(run.roll_s)
                blocks.extend(run.roll_block_s)
            record = store.get_run(runs[True])
            behind = (record.last_interval or 0) + 1 - (record.rolled_until or 0)
            answers: dict[tuple[str, bool], Any] = {}
            for name, _ in queries(store, 0):
                for roll in order:
                    call = dict(queries(store, runs[roll]))[name]
                    elapsed, answers[name, roll] = timed(call)
                    note(f"{name}_{'rolled' if roll else 'old'}", elapsed)
                assert numbers(answers[name, True]) == numbers(answers[name, False]), name
            for roll in order:
                ended = datetime.fromtimestamp(T0 + seconds, UTC)
                elapsed, _ = timed(partial(store.finish_run, runs[roll], "passed", ended))
                note(f"finish_{'rolled' if roll else 'old'}", elapsed)
            a, b = store.endpoint_data(runs[False]), store.endpoint_data(runs[True])
            assert numbers(a) == numbers(b), "finished runs differ"
            print(f"  round {round_ + 1}: watermark {behind} s behind the last interval; "
                  + ", ".join(f"{name} {times[name][-1]:.3f} s" for name in sorted(times)),
                  flush=True)
    median = {name: statistics.median(values) for name, values in times.items()}
    for name in ("finish", "write", *QUERIES):
        old, new = median[f"{name}_old"], median[f"{name}_rolled"]
        print(f"  {label} {name:15s}: no rollups during the run {old * 1000:9.1f} ms | "
              f"roll_forward every {ROLL_EVERY_S} s {new * 1000:9.1f} ms | "
              f"ratio {old / new:6.1f}x")
    print(f"  {label} roll_forward of one minute: median {statistics.median(rolls) * 1000:.1f}"
          f" ms, max {max(rolls) * 1000:.1f} ms over {len(rolls)} calls; longest stretch "
          f"between its pauses (the event loop's wait): median "
          f"{statistics.median(blocks) * 1000:.1f} ms, max {max(blocks) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
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


if __name__ == "__main__":
    main()
