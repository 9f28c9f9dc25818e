"""Benchmark: a long run at a steady rate, watched from outside (issue 13).

``swarmdeck run`` of bench/soak_user.py (FastHttpUsers at a constant throughput, together
about ``--rps`` requests/s) against the fast local target of bench/generator.py (Debian's
nginx on core 0; the generator on core 1), for ``--minutes`` (default 60). Every
``--sample-every`` seconds (default 60): the run process's resident memory and open file
descriptors, the store's size on disk and its rows (intervals, rollups, user counts,
applied batches), and the requests nginx served in between. At the end: how long finishing
took (from the last request served to the process's exit: the final flush, the rollups,
the verdict, the summary), and whether the store holds exactly what nginx served.

The budget (the issue's): resident memory grows less than 10 % from minute 10 to minute 60,
and finishing takes less than 5 s. A shorter run scales the first mark: memory at a sixth
of the run against the end. Exit 1 when a budget (or the exact count) fails. Run:

    .venv/bin/python bench/soak.py                      # 1 hour at ~1,000 req/s
    .venv/bin/python bench/soak.py --minutes 3          # a quick look
    .venv/bin/python bench/soak.py --minutes 1 --rps 300 --users 6 --sample-every 5 \\
        --json soak.json                                # what tests/integration/test_soak.py runs

``--db URL`` stores in another database (a PostgreSQL); by default a fresh SQLite file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from generator import GEN_CPU, _save
from nginx_target import NginxTarget

HERE = Path(__file__).resolve().parent
RSS_GROWTH_BUDGET = 0.10
FINISH_BUDGET_S = 5.0
FD_SLACK = 8  # open files may come and go by a few (connections, the journal)
TABLES = ("intervals", "rollups", "user_counts", "applied_batches")


@dataclass(frozen=True)
class Sample:
    at_s: float  # since the run process started
    rss_mib: float
    fds: int
    store_mib: float
    rows: dict[str, int]
    rps: float  # nginx's requests/s since the previous sample


class Served:
    """nginx's served count, polled every 0.25 s in a thread: when the load stopped, and
    how many of the requests were these probes."""

    def __init__(self, target: NginxTarget) -> None:
        self.target = target
        self.probes = 0
        self.count = 0
        self.last_change = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def start(self) -> None:
        self.read()
        self._thread.start()

    def read(self) -> int:
        count = self.target.served()
        self.probes += 1
        if count - self.count > 1:  # more than this probe: the load still flows
            self.last_change = time.monotonic()
        self.count = count
        return count

    def _poll(self) -> None:
        while not self._stop.wait(0.25):
            self.read()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def store_size_mib(url: str) -> float:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        base = Path(str(parsed.database))
        files = [base, Path(f"{base}-wal"), Path(f"{base}-shm")]
        return sum(f.stat().st_size for f in files if f.exists()) / 2**20
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            size = connection.execute(
                text("SELECT pg_database_size(current_database())")).scalar_one()
        return int(size) / 2**20
    finally:
        engine.dispose()


def store_rows(url: str) -> dict[str, int]:
    engine = create_engine(url)
    rows = {}
    try:
        for table in TABLES:
            try:
                with engine.connect() as connection:
                    rows[table] = int(connection.execute(
                        text(f"SELECT count(*) FROM {table}")).scalar_one())
            except Exception:  # noqa: BLE001, S112 - not created yet (an older store), busy
                continue
    finally:
        engine.dispose()
    return rows


def sample(process: psutil.Process, started: float, db: str, served: Served,
           previous: tuple[float, int]) -> Sample:
    now, count = time.monotonic(), served.count
    with process.oneshot():
        rss, fds = process.memory_info().rss, process.num_fds()
    return Sample(at_s=round(now - started, 1), rss_mib=round(rss / 2**20, 1), fds=fds,
                  store_mib=round(store_size_mib(db), 1), rows=store_rows(db),
                  rps=round((count - previous[1]) / max(now - previous[0], 1e-9), 1))


def soak(args: argparse.Namespace, tmp: Path) -> dict[str, object]:
    db = args.db or f"sqlite:///{tmp / 'soak.db'}"
    seconds = round(args.minutes * 60)
    every = args.sample_every or (60.0 if args.minutes >= 10 else max(5.0, seconds / 12))
    env = {**os.environ, "SOAK_USER_RPS": str(args.rps / args.users)}
    with NginxTarget(cpu=0) as target:
        served = Served(target)
        served.start()
        before = served.count
        started = time.monotonic()
        command = ["taskset", "-c", GEN_CPU, sys.executable, "-m", "swarmdeck", "run", "-f",
                   str(HERE / "soak_user.py"), "--host", target.url, "-u", str(args.users),
                   "-r", str(args.users), "-t", f"{seconds}s", "-q", "--db", db, "--json",
                   str(tmp / "summary.json")]
        with (tmp / "out.txt").open("w") as out_file, (tmp / "err.txt").open("w") as err_file:
            run = psutil.Popen(command, cwd=tmp, env=env, stdout=out_file, stderr=err_file)
        samples: list[Sample] = []
        previous = (started, served.count)
        next_at = started + every
        while run.poll() is None:
            time.sleep(min(0.25, max(next_at - time.monotonic(), 0)))
            if time.monotonic() >= next_at and run.poll() is None:
                try:
                    samples.append(sample(run, started, db, served, previous))
                except psutil.Error:
                    break
                previous = (time.monotonic(), served.count)
                next_at += every
                s = samples[-1]
                print(f"{s.at_s:7.0f}s  rss {s.rss_mib:7.1f} MiB  fds {s.fds:4d}  store "
                      f"{s.store_mib:7.1f} MiB  rows {s.rows}  {s.rps:7.1f} req/s", flush=True)
        run.wait()
        exited = time.monotonic()
        served.stop()
        final = served.read()
    finish_s = exited - served.last_change
    out, err = (tmp / "out.txt").read_text(), (tmp / "err.txt").read_text()
    if run.returncode != 0 or not (tmp / "summary.json").exists():
        raise SystemExit(f"swarmdeck run failed ({run.returncode}): {out[-1000:]}{err[-2000:]}")
    summary = json.loads((tmp / "summary.json").read_text())
    stored = int(summary["totals"]["requests"])
    load = final - before - (served.probes - 1)  # the probes after the first one
    return judge(args, samples, finish_s, stored, load, summary)


def judge(args: argparse.Namespace, samples: list[Sample], finish_s: float, stored: int,
          served: int, summary: dict[str, object]) -> dict[str, object]:
    if len(samples) < 2:
        raise SystemExit("bench: fewer than two samples; run longer")
    end = samples[-1]
    mark = samples[-1].at_s / 6  # minute 10 of 60
    early = min(samples, key=lambda s: abs(s.at_s - mark))
    growth = (end.rss_mib - early.rss_mib) / early.rss_mib
    rss_said = (f"RSS {early.rss_mib:.1f} MiB at {early.at_s:.0f}s -> {end.rss_mib:.1f} MiB "
                f"at {end.at_s:.0f}s: {growth:+.1%} (budget < {RSS_GROWTH_BUDGET:.0%})")
    finish_said = (f"finish {finish_s:.2f} s from the last request served to the exit "
                   f"(budget < {FINISH_BUDGET_S:g} s)")
    checks = {
        "rss_growth": (growth < RSS_GROWTH_BUDGET, rss_said),
        "finish": (finish_s < FINISH_BUDGET_S, finish_said),
        "fds": (end.fds <= early.fds + FD_SLACK,
                f"open files {early.fds} at {early.at_s:.0f}s -> {end.fds} at the end"),
        "exact": (stored == served, f"stored {stored:,} requests, nginx served {served:,}"),
    }
    rps = summary["totals"]["rps"] if isinstance(summary["totals"], dict) else None
    print(f"\n{args.minutes:g} min at ~{args.rps:g} req/s ({rps} measured) with {args.users} "
          f"users; store {args.db or 'SQLite'}; {end.rows}, {end.store_mib:.1f} MiB")
    for name, (ok, said) in checks.items():
        print(f"{'ok  ' if ok else 'FAIL'} {name:11} {said}")
    return {"args": vars(args), "samples": [asdict(s) for s in samples],
            "finish_s": finish_s, "stored": stored, "served": served, "rss_growth": growth,
            "passed": all(ok for ok, _ in checks.values()),
            "checks": {name: {"ok": ok, "said": said} for name, (ok, said) in checks.items()}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--rps", type=float, default=1000.0, help="about this many req/s")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--sample-every", type=float, default=None, metavar="SECONDS",
                        help="default: 60 s, or a twelfth of a run shorter than 10 minutes")
    parser.add_argument("--db", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--json", default=None, metavar="PATH", help="also write the figures")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    result = soak(args, tmp)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    elif args.minutes >= 10:
        _save("soak.json", result)
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
