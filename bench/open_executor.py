"""Benchmark: the open model's executor against Locust's closed model, per generator core.

The issue's question: the arrival-rate executor's highest sustained rate on one generator
core against plain ``locust --headless`` running the same FastHttpUser script
(bench/fast_user.py: no think time, one small page) as fast as it can, on the same fast
target (Debian's nginx, pinned to core 0); both sides are pinned to core 1 and have the
same users (``--users``; the open side: ``-u N --max-users N``, its default ``--max-lag``).

1. **search**: for each factor f (``--factors``, rising: by default 0.5, 0.7, 0.8, 0.9,
   0.95, 1.0), one plain locust run
   (its rate C) and then ``swarmdeck run --arrival-rate f*C``: f is *sustained* when at most
   0.1 % of the iterations were dropped, started >= 99.9 % of scheduled and the start lag's
   p95 stays under ``--max-lag-p95`` (a quarter of the default ``--max-lag``: the backlog is
   not growing towards drops). f* is the highest sustained factor, searched upwards until
   one is not: the open model's highest sustained rate is f* times the closed model's, each
   open rate set from the closed run just before it (the machine's slow drifts cancel).
2. **rounds**: plain locust (closed, max rate), the open model at f* times the last closed
   rate, and plain locust *paced* to that same rate (bench/paced_user.py: Locust's own
   ``constant_throughput`` timers), the order rotating, ``--rounds`` times: requests/s,
   CPU time per 1,000 requests over the measured window (as bench/generator.py measures
   it), and per round the ratios to the closed run and of the open to the paced run (the
   executor's own cost at one rate: both send on a schedule); medians over rounds.

3. **together** (the executor's own throughput per core, steady on a noisy machine): plain
   locust (closed, max rate) and the open model offered more than it can start
   (``--overload`` times the last closed rate, with half the core) run *at once*, both
   pinned to core 1, ``--together`` times. Each counts its requests and its CPU time in the
   same wall-clock window (bench/window_user.py), so a drift of the machine's speed hits
   both alike: the ratio of their requests is the ratio of what one request costs each at
   full load (the open model starting every iteration it can, dropping the rest).
4. **paced together**: the same, at one rate: plain locust paced to ``--paced-share`` times
   the last closed rate (``constant_throughput``) and the open model at that same rate, at
   once on core 1, ``--paced-together`` times: what holding a schedule costs each, per
   request, in the same window.

Run (hold the machine's bench lock):

    flock /work/bench.lock .venv/bin/python bench/open_executor.py --rounds 4 --seconds 15 --users 50
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import (
    GEN_CPU,
    HERE,
    Measured,
    _check_served,
    _run,
    _save,
    plain_locust,
    window_cpu_per_1000,
)
from nginx_target import NginxTarget

SCRIPT = HERE / "fast_user.py"
PACED = HERE / "paced_user.py"
WINDOW = HERE / "window_user.py"
SETTLE_S = 8.0  # both sides started (users spawned, ready) before the window opens


@dataclass(frozen=True)
class OpenMeasured:
    rate: float  # iterations/s scheduled
    measured: Measured
    scheduled: int
    started: int
    dropped: int
    lag_p95_ms: float
    lag_p99_ms: float

    def sustained(self, max_lag_p95_ms: float) -> bool:
        return (self.dropped <= self.scheduled / 1000
                and self.started >= 0.999 * self.scheduled
                and self.lag_p95_ms <= max_lag_p95_ms)

    def line(self) -> str:
        cpu = self.measured.cpu_per_1000
        return (f"open {self.rate:7.0f}/s  {self.measured.rps:8.1f} req/s  "
                f"{'-' if cpu is None else f'{cpu:.4f}'} CPU s per 1,000  "
                f"scheduled {self.scheduled:,} started {self.started:,} dropped "
                f"{self.dropped:,}  lag p95 {self.lag_p95_ms:.2f} ms p99 {self.lag_p99_ms:.2f} ms")


def open_model(target: NginxTarget, users: int, rate: float, seconds: int,
               tmp: Path) -> OpenMeasured:
    """``swarmdeck run --arrival-rate RATE -u USERS --max-users USERS``, pinned to core 1."""
    result, peak, samples = _run(
        ["taskset", "-c", GEN_CPU, sys.executable, "-m", "swarmdeck", "run", "-f",
         str(SCRIPT), "--host", target.url, "--arrival-rate", f"{rate:g}/s", "-u", str(users),
         "--max-users", str(users), "-t", f"{seconds}s", "-q", "--db",
         f"sqlite:///{tmp / 'bench.db'}", "--json", str(tmp / "summary.json")],
        tmp, seconds + 120, target)
    if result.returncode != 0:
        raise SystemExit(f"swarmdeck run failed ({result.returncode}): {result.stderr[-2000:]}")
    summary = json.loads((tmp / "summary.json").read_text())
    _check_served(summary["totals"]["requests"], summary["totals"]["failures"])
    its = summary["open_model"]["iterations"]
    return OpenMeasured(rate, Measured(int(summary["totals"]["requests"]), seconds, peak,
                                       window_cpu_per_1000(samples)),
                        its["scheduled"], its["started"], its["dropped"],
                        its["lag_p95_ms"] or 0.0, its["lag_p99_ms"] or 0.0)


@dataclass(frozen=True)
class Counted:
    """One side of a shared-core round: its requests and CPU time in the window."""
    requests: int
    cpu_s: float
    seconds: float

    @property
    def cpu_per_1000(self) -> float:
        return 1000 * self.cpu_s / self.requests


def together(target: NginxTarget, users: int, rate: float, seconds: int, tmp: Path,
             paced: float | None = None) -> tuple[Counted, Counted, dict[str, Any]]:
    """Plain locust (closed; with ``paced``, paced to that rate) and ``swarmdeck run
    --arrival-rate RATE`` at once, both on core 1, counted in the same window: (locust,
    open, the open side's iterations as its JSON summary gives them)."""
    start = time.time() + SETTLE_S
    run_s = f"{int(SETTLE_S + seconds + 3)}s"
    commands = {
        "closed": ["taskset", "-c", GEN_CPU, sys.executable, "-m", "locust", "-f", str(WINDOW),
                   "--headless", "--host", target.url, "-u", str(users), "-r", str(users),
                   "-t", run_s, "--loglevel", "ERROR"],
        "open": ["taskset", "-c", GEN_CPU, sys.executable, "-m", "swarmdeck", "run", "-f",
                 str(WINDOW), "--host", target.url, "--arrival-rate", f"{rate:g}/s", "-u",
                 str(users), "--max-users", str(users), "-t", run_s, "-q", "--db",
                 f"sqlite:///{tmp / 'together.db'}", "--json", str(tmp / "together.json")]}
    processes = {}
    for side, command in commands.items():
        (tmp / f"{side}.count").unlink(missing_ok=True)
        env = {**os.environ, "BENCH_WINDOW": f"{start},{start + seconds}",
               "BENCH_COUNT_OUT": str(tmp / f"{side}.count")}
        if side == "closed" and paced is not None:
            env["PACED_PER_USER"] = f"{paced / users:g}"
        processes[side] = subprocess.Popen(command, cwd=tmp, env=env, text=True,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for side, process in processes.items():
        _, err = process.communicate(timeout=SETTLE_S + seconds + 120)
        if process.returncode != 0 or not (tmp / f"{side}.count").exists():
            raise SystemExit(f"{side} side failed ({process.returncode}): {err[-2000:]}")
    closed, opened = (Counted(**json.loads((tmp / f"{side}.count").read_text()))
                      for side in commands)
    iterations = json.loads((tmp / "together.json").read_text())["open_model"]["iterations"]
    return closed, opened, iterations


def closed_line(measured: Measured) -> str:
    cpu = measured.cpu_per_1000
    return (f"closed          {measured.rps:8.1f} req/s  "
            f"{'-' if cpu is None else f'{cpu:.4f}'} CPU s per 1,000")


def search(target: NginxTarget, args: argparse.Namespace, tmp: Path
           ) -> tuple[float, list[tuple[Measured, OpenMeasured]]]:
    """The highest sustained factor, upwards until one is not (0 when even the first is
    not), with each (closed, open) pair run."""
    best, tried = 0.0, []
    for factor in args.factors:
        closed = plain_locust(target, SCRIPT, args.users, args.users, args.seconds, tmp)
        run = open_model(target, args.users, round(closed.rps * factor, -1), args.seconds, tmp)
        tried.append((closed, run))
        ok = run.sustained(args.max_lag_p95)
        print(f"search x{factor:<4} {closed_line(closed)}\n          {run.line()}  "
              f"{'sustained' if ok else 'NOT sustained'}", flush=True)
        if not ok:
            break
        best = factor
    return best, tried


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--factors", type=float, nargs="+",
                        default=[0.5, 0.7, 0.8, 0.9, 0.95, 1.0],
                        help="the search's rates, times the closed model's rate")
    parser.add_argument("--max-lag-p95", type=float, default=250.0, metavar="MS",
                        help="a sustained rate's start lag p95 at most (ms)")
    parser.add_argument("--factor", type=float,
                        help="skip the search: the rounds' open-model rate, times the closed")
    parser.add_argument("--together", type=int, default=4, metavar="ROUNDS",
                        help="shared-core rounds (closed and open at once; 0: none)")
    parser.add_argument("--together-seconds", type=int, default=20)
    parser.add_argument("--paced-together", type=int, default=4, metavar="ROUNDS",
                        help="shared-core rounds at one rate (locust paced and open at once)")
    parser.add_argument("--paced-share", type=float, default=0.35,
                        help="each side's rate in those, times the last closed rate")
    parser.add_argument("--overload", type=float, default=0.75,
                        help="the shared-core open side's rate, times the last closed rate "
                             "(it has half the core: 0.75 offers it 1.5 times what it can)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-open-executor-"))
    closed: list[Measured] = []
    opened: list[OpenMeasured] = []
    paced: list[Measured] = []
    with NginxTarget(cpu=0) as target:
        tried: list[tuple[Measured, OpenMeasured]] = []
        factor = args.factor
        if factor is None:
            factor, tried = search(target, args, tmp)
            if not factor:
                print("the open model sustained none of the rates tried", flush=True)
                factor = args.factors[0]
        latest = (tried[-1][0] if tried else plain_locust(
            target, SCRIPT, args.users, args.users, args.seconds, tmp)).rps
        sides = ("closed", "open", "paced")
        for rnd in range(args.rounds):
            order = sides[rnd % 3:] + sides[:rnd % 3]
            for side in order:
                if side == "closed":
                    closed.append(plain_locust(target, SCRIPT, args.users, args.users,
                                               args.seconds, tmp))
                    latest = closed[-1].rps
                    print(f"round {rnd + 1} {closed_line(closed[-1])}", flush=True)
                    continue
                rate = round(latest * factor, -1)
                if side == "open":
                    opened.append(open_model(target, args.users, rate, args.seconds, tmp))
                    print(f"round {rnd + 1} {opened[-1].line()}", flush=True)
                else:
                    os.environ["PACED_PER_USER"] = f"{rate / args.users:g}"
                    paced.append(plain_locust(target, PACED, args.users, args.users,
                                              args.seconds, tmp))
                    cpu = paced[-1].cpu_per_1000
                    print(f"round {rnd + 1} paced {rate:7.0f}/s  {paced[-1].rps:8.1f} req/s  "
                          f"{'-' if cpu is None else f'{cpu:.4f}'} CPU s per 1,000", flush=True)
        shared: list[tuple[Counted, Counted, dict[str, Any]]] = []
        for rnd in range(args.together):
            rate = round(latest * args.overload, -1)
            shared.append(together(target, args.users, rate, args.together_seconds, tmp))
            c, o, its = shared[-1]
            print(f"together {rnd + 1}: closed {c.requests / c.seconds:8.1f} req/s "
                  f"{c.cpu_per_1000:.4f} CPU s per 1,000 | open ({rate:g}/s offered) "
                  f"{o.requests / o.seconds:8.1f} req/s {o.cpu_per_1000:.4f} CPU s per 1,000, "
                  f"{its['dropped']:,} dropped | open/closed requests "
                  f"{o.requests / c.requests:.3f}", flush=True)
        at_one_rate: list[tuple[Counted, Counted, dict[str, Any]]] = []
        for rnd in range(args.paced_together):
            rate = round(latest * args.paced_share, -1)
            at_one_rate.append(together(target, args.users, rate, args.together_seconds, tmp,
                                        paced=rate))
            p, o, its = at_one_rate[-1]
            print(f"paced together {rnd + 1} ({rate:g}/s each): locust paced "
                  f"{p.requests / p.seconds:8.1f} req/s {p.cpu_per_1000:.4f} CPU s per 1,000 | "
                  f"open {o.requests / o.seconds:8.1f} req/s {o.cpu_per_1000:.4f} CPU s per "
                  f"1,000, {its['dropped']:,} dropped, lag p95 {its['lag_p95_ms'] or 0:.1f} ms "
                  f"| open/paced CPU per request {o.cpu_per_1000 / p.cpu_per_1000:.3f}",
                  flush=True)
    rps = [o.measured.rps / c.rps for o, c in zip(opened, closed)]
    cpu = [o.measured.cpu_per_1000 / c.cpu_per_1000 for o, c in zip(opened, closed)
           if o.measured.cpu_per_1000 is not None and c.cpu_per_1000]
    closed_cpu = [c.cpu_per_1000 for c in closed if c.cpu_per_1000 is not None]
    open_cpu = [o.measured.cpu_per_1000 for o in opened if o.measured.cpu_per_1000 is not None]
    paced_cpu = [p.cpu_per_1000 for p in paced if p.cpu_per_1000 is not None]
    at_rate = [o.measured.cpu_per_1000 / p.cpu_per_1000 for o, p in zip(opened, paced)
               if o.measured.cpu_per_1000 is not None and p.cpu_per_1000]
    if closed and opened and paced:  # the alternating rounds ran
        print(f"\n{args.users} FastHttpUsers (open: -u {args.users} --max-users {args.users}), "
              f"{args.rounds} alternating rounds x {args.seconds}s, nginx on core 0, generator on "
              f"core 1 (medians)")
        print(f"closed (locust, max rate)  {statistics.median(c.rps for c in closed):8.1f} req/s  "
              f"{statistics.median(closed_cpu):.4f} CPU s per 1,000 requests")
        print(f"open (x{factor:g}: {opened[0].rate:g}/s...) "
              f"{statistics.median(o.measured.rps for o in opened):8.1f}"
              f" req/s  {statistics.median(open_cpu):.4f} CPU s per 1,000 requests; dropped "
              f"{sum(o.dropped for o in opened):,} of {sum(o.scheduled for o in opened):,}, lag p95 "
              f"median {statistics.median(o.lag_p95_ms for o in opened):.2f} ms")
        print(f"open / closed: req/s ratio {statistics.median(rps):.3f} (rounds: "
              f"{', '.join(f'{x:.3f}' for x in rps)})")
        if cpu:
            print(f"open / closed: CPU per request ratio {statistics.median(cpu):.3f} (rounds: "
                  f"{', '.join(f'{x:.3f}' for x in cpu)})")
        print(f"paced (locust, constant_throughput, same rate) "
              f"{statistics.median(p.rps for p in paced):8.1f} req/s  "
              f"{statistics.median(paced_cpu):.4f} CPU s per 1,000 requests")
        if at_rate:
            print(f"open / paced: CPU per request ratio {statistics.median(at_rate):.3f} (rounds: "
                  f"{', '.join(f'{x:.3f}' for x in at_rate)})")
    if shared:
        ratios = [o.requests / c.requests for c, o, _ in shared]
        cpu_ratios = [o.cpu_per_1000 / c.cpu_per_1000 for c, o, _ in shared]
        print(f"together (one core shared, same window, open offered more than it can "
              f"start): open/closed requests {statistics.median(ratios):.3f} (rounds: "
              f"{', '.join(f'{x:.3f}' for x in ratios)}); CPU per request "
              f"{statistics.median(cpu_ratios):.3f} (rounds: "
              f"{', '.join(f'{x:.3f}' for x in cpu_ratios)})")
    if at_one_rate:
        ratios = [o.cpu_per_1000 / p.cpu_per_1000 for p, o, _ in at_one_rate]
        rates = [(o.requests / p.requests) for p, o, _ in at_one_rate]
        print(f"paced together (one core shared, the same rate asked of both): open/paced "
              f"CPU per request {statistics.median(ratios):.3f} (rounds: "
              f"{', '.join(f'{x:.3f}' for x in ratios)}); open/paced requests "
              f"{statistics.median(rates):.3f} (rounds: {', '.join(f'{x:.3f}' for x in rates)})")
    _save("open-executor.json", {
        "args": vars(args), "factor": factor,
        "search": [{"closed_rps": c.rps, "closed_cpu_s_per_1000": c.cpu_per_1000,
                    "rate": t.rate, "rps": t.measured.rps, "dropped": t.dropped,
                    "scheduled": t.scheduled, "started": t.started,
                    "lag_p95_ms": t.lag_p95_ms, "cpu_s_per_1000": t.measured.cpu_per_1000}
                   for c, t in tried],
        "closed": {"rps": [c.rps for c in closed], "cpu_s_per_1000": closed_cpu},
        "open": {"rps": [o.measured.rps for o in opened], "cpu_s_per_1000": open_cpu,
                 "dropped": [o.dropped for o in opened],
                 "lag_p95_ms": [o.lag_p95_ms for o in opened]},
        "paced": {"rps": [p.rps for p in paced], "cpu_s_per_1000": paced_cpu},
        "rps_ratios": rps, "cpu_ratios": cpu, "open_paced_cpu_ratios": at_rate,
        "together": [{"closed": vars(c), "open": vars(o), "iterations": i}
                     for c, o, i in shared],
        "paced_together": [{"paced": vars(p), "open": vars(o), "iterations": i}
                           for p, o, i in at_one_rate]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
