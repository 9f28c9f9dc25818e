"""The synthetic run the store benchmarks share: a 1-hour, 30-endpoint run written through
the store API as the collector writes it (one ``add_intervals`` of the last second's, or
``flush_s`` seconds', one-second intervals per endpoint), from a small pool of realistic
per-second HDR histograms (10-60 requests, lognormal, 2 ms to 14 ms medians), about 2 %
of intervals with one failure. Also a temp PostgreSQL database for the benches that time
both back ends.

Imported by bench/store_queries.py, compare.py, rollup_progress.py, dashboard_data.py and
report_render.py (run as scripts from bench/, so ``import synthetic`` finds it).
"""

from __future__ import annotations

import random
import socket
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from swarmdeck.metrics import EndpointInterval, LatencyHistogram
from swarmdeck.store import RunMeta, Store

T0 = 1_700_000_003  # the default run start: not aligned to 10 s or to a minute
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
POOL_SEED = 1  # every run draws from the same pool: unchanged endpoints, same distribution
PROGRESS_EVERY_S = 600


def meta(start: int, tag: str) -> RunMeta:
    """The run's metadata: a 500-user, 1-hour plan started at ``start`` (epoch s), tagged
    ``bench=<tag>``."""
    return RunMeta(
        host="http://127.0.0.1:8000", locustfile="bench.py", locustfile_sha256="0" * 64,
        plan={}, tags={"bench": tag}, users=500, spawn_rate=50.0, run_time_s=3600.0,
        shape=None, swarmdeck_version="bench", locust_version="bench",
        python_version=sys.version.split()[0], git_commit=None,
        started_at=datetime.fromtimestamp(start, UTC), pid=0, hostname="bench")


def histogram_pool(endpoints: int, rng: random.Random, slow: float = 1.0,
                   slowed: int = 0) -> list[list[LatencyHistogram]]:
    """Eight realistic per-second histograms per endpoint (10-60 requests, lognormal; the
    endpoints' medians range over 2 ms to 14 ms); the first ``slowed`` endpoints' latencies
    are scaled by ``slow``. The draws from ``rng`` do not depend on ``slow``."""
    pool = []
    for index in range(endpoints):
        scale = 2_000 * (1 + index % 7) * (slow if index < slowed else 1.0)
        variants = []
        for _ in range(8):
            histogram = LatencyHistogram()
            for _ in range(rng.randint(10, 60)):
                histogram.record(int(rng.lognormvariate(0, 0.6) * scale))
            variants.append(histogram)
        pool.append(variants)
    return pool


@dataclass(frozen=True)
class Written:
    """What ``write_run`` did and how long it took."""

    run_id: int
    write_s: float  # the intervals' writes (and the roll_forward calls, if any)
    finish_s: float | None  # finish_run with its rollups; None when the run is left running
    roll_s: list[float] = field(default_factory=list)  # each roll_forward that rolled a minute
    # of each of those: the longest stretch between its pauses (what a load generator's
    # event loop waits at most while it runs; see Store.roll_forward's pause)
    roll_block_s: list[float] = field(default_factory=list)


class _Pauses:
    """A roll_forward pause callback that notes the longest stretch without one."""

    def __init__(self) -> None:
        self.last = self.longest = 0.0

    def start(self) -> None:
        self.last, self.longest = time.perf_counter(), 0.0

    def __call__(self) -> None:
        now = time.perf_counter()
        self.longest, self.last = max(self.longest, now - self.last), now


def write_run(store: Store, *, start: int, seconds: int, endpoints: int, seed: int = 1,
              slow: float = 1.0, slowed: int = 0, finish: bool = True,
              roll_every_s: int | None = None, settle_s: int = 20, unrolled_tail_s: int = 0,
              flush_s: int = 1, progress: bool = True, tag: str = "synthetic") -> Written:
    """Write a run of ``seconds`` x ``endpoints`` one-second intervals starting at ``start``
    (epoch s): one ``add_intervals`` every ``flush_s`` seconds of simulated time; intervals
    drawn with ``random.Random(seed)`` from ``histogram_pool`` (see there for ``slow`` and
    ``slowed``). With ``roll_every_s``, calls ``roll_forward(run, settled_before=now -
    settle_s)`` that often, as ``engine/run.py`` does, except in the last
    ``unrolled_tail_s`` seconds. Then ``finish_run`` ("passed", ended at ``start +
    seconds``), unless ``finish`` is false: the run is left *running*. ``progress`` prints a
    line every 600 s of intervals written."""
    pool = histogram_pool(endpoints, random.Random(POOL_SEED), slow, slowed)
    rng = random.Random(seed)
    run_id = store.create_run(meta(start, tag))
    roll_s: list[float] = []
    roll_block_s: list[float] = []
    pauses = _Pauses()
    batch: list[EndpointInterval] = []
    began = time.perf_counter()
    for second in range(seconds):
        for index in range(endpoints):
            histogram = rng.choice(pool[index])
            failures = 1 if rng.random() < 0.02 else 0
            batch.append(EndpointInterval(
                start=start + second, method="POST" if index % 5 == 0 else "GET",
                name=f"/api/endpoint/{index:02d}", region="local",
                requests=histogram.count, failures=failures, bytes=512 * histogram.count,
                histogram=histogram, errors=Counter({"HTTP 500": failures} if failures else {})))
        now = start + second + 1  # the simulated clock: interval `second` just closed
        if (second + 1) % flush_s == 0:
            store.add_intervals(run_id, batch)
            batch = []
        if (roll_every_s and (second + 1) % roll_every_s == 0
                and second + 1 <= seconds - unrolled_tail_s):
            before = store.get_run(run_id).rolled_until
            rolling = time.perf_counter()
            pauses.start()
            store.roll_forward(run_id, settled_before=now - settle_s, pause=pauses)
            pauses()
            elapsed = time.perf_counter() - rolling
            if store.get_run(run_id).rolled_until != before:
                roll_s.append(elapsed)
                roll_block_s.append(pauses.longest)
        if progress and (second + 1) % PROGRESS_EVERY_S == 0:
            print(f"  wrote {second + 1} s of intervals", flush=True)
    if batch:
        store.add_intervals(run_id, batch)
    write_s = time.perf_counter() - began
    if not finish:
        return Written(run_id, write_s, None, roll_s, roll_block_s)
    began = time.perf_counter()
    store.finish_run(run_id, "passed", datetime.fromtimestamp(start + seconds, UTC))
    return Written(run_id, write_s, time.perf_counter() - began, roll_s, roll_block_s)


def databases(folder: Path, postgres_admin: str, *, sqlite: bool = True,
              postgres: bool = True) -> Iterator[tuple[str, str]]:
    """(label, URL) of each back end a bench times: a SQLite file in ``folder``
    (``bench.db``), then a temp PostgreSQL database when reachable (dropped after)."""
    if sqlite:
        yield "SQLite", f"sqlite:///{folder / 'bench.db'}"
    if postgres:
        with postgres_database(postgres_admin) as url:
            if url:
                yield "PostgreSQL", url


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str | None]:
    """A temp database on the server of ``admin_url`` (dropped after): its URL, or None
    (and a note printed) when the server is not reachable."""
    parts = urlsplit(admin_url.replace("+psycopg", ""))
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432),
                                 timeout=2).close()
    except OSError:
        print(f"\n(PostgreSQL not reachable at {parts.hostname}:{parts.port}; skipped)")
        yield None
        return
    name = f"swarmdeck_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
