"""Benchmark: what swarmdeck's recording and storing cost the load generator.

The same FastHttpUser script (bench/fast_user.py) against a fast local target (Debian's
nginx, pinned to core 0) is run by two sides in alternating rounds, each pinned to core 1:
plain ``locust --headless`` and ``swarmdeck run`` (or, with ``--against SRC``, this tree's
``swarmdeck run`` and the one in another source tree, e.g. the last release:
``git archive BASE src | tar -x -C /tmp/base``, then ``--against /tmp/base/src``).

Two measures per run, and per round the ratio of the two sides (neighbours in time, so
their ratio cancels the machine's slow drifts); the figures are medians over rounds:

- requests/s: the requests the side counted over the configured run time;
- CPU time per 1,000 requests over the measured window only: the generator process's
  user + system time, sampled every 0.25 s together with nginx's own count of requests
  served (stub_status), from WARMUP_S after the first request to COOLDOWN_S before the
  last one, so start-up (imports, spawning) and finish (the final flush, the summary) are
  left out. Far steadier than requests/s on a shared machine.

With ``--server-timing``, instead: four sides against two nginx targets, one answering
with a ``Server-Timing`` header like the one swarmdeck's Flask extension sends
(SERVER_TIMING: five metrics, four quoted descs, 330 characters) and one without: plain
``locust --headless`` and this tree's ``swarmdeck run``, each without and with the header.
Plain Locust's own ratio (with / without) is the floor: what the bigger responses cost
geventhttpclient and Locust, which swarmdeck cannot save; swarmdeck's ratio over that floor
(per round) is what reading and recording the header costs swarmdeck itself.

Then (vs locust, unless --skip-memory) the peak RSS of one process running 5,000 HttpUsers
with ``wait_time = between(1, 3)`` (bench/many_users.py), for both. Run:

    .venv/bin/python bench/generator.py --rounds 10 --seconds 20 --users 50
    .venv/bin/python bench/generator.py --against /tmp/base/src --rounds 8 --skip-memory
    .venv/bin/python bench/generator.py --scaling --rounds 4 --seconds 20 --users 50

With ``--monitor SPEC`` (repeatable) the two sides are ``swarmdeck run`` without and with
those monitors (what sampling the target's side costs the generator); ``{target_pid}`` in a
SPEC is nginx's master pid, e.g.:

    .venv/bin/python bench/generator.py --rounds 8 --skip-memory \
        --monitor 'process:{target_pid}' --monitor statsd://127.0.0.1:8125 \
        --monitor postgresql://postgres@127.0.0.1/postgres

With ``--server-timing`` the four sides are plain Locust and this tree's ``swarmdeck run``,
each against nginx answering without and with a Server-Timing header:

    .venv/bin/python bench/generator.py --server-timing --rounds 6 --seconds 12 --skip-memory

(``--against SRC`` too: the swarmdeck sides run the one in that source tree, e.g. the last
release's, to compare with this tree's figures.)
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
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import psutil

from nginx_target import NginxTarget

HERE = Path(__file__).resolve().parent
GEN_CPU = "1"
SAMPLE_EVERY_S = 0.25
WARMUP_S = 3.0  # after the first request served: users spawned, caches warm
COOLDOWN_S = 1.0  # before the last request served: users stopping
# what the Flask extension sends for shopfront's naive home page (docs/server-timing.md)
SERVER_TIMING = ('app;dur=23.787, db;dur=0.362;desc="17 queries", tpl;dur=2.38;'
                 'desc="1 template", sql-slow;dur=0.125;desc="#a11ca08a SELECT products.id, '
                 'products.category_id, ... FROM products WHERE products.featured IS ?", '
                 'sql-repeat;dur=0.15;desc="8x #07c790bc SELECT reviews.id, '
                 'reviews.product_id, ... FROM reviews WHERE ? = reviews.product_id"')


@dataclass(frozen=True)
class Sample:
    at: float  # monotonic seconds
    cpu_s: float  # the process's user + system time so far
    served: int  # nginx's requests so far


@dataclass(frozen=True)
class Measured:
    requests: int  # as the side counted them
    seconds: int
    peak_rss: int
    cpu_per_1000: float | None  # CPU seconds per 1,000 requests in the measured window

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def window_cpu_per_1000(samples: list[Sample]) -> float | None:
    """CPU seconds per 1,000 requests from WARMUP_S after the first request served to
    COOLDOWN_S before the last one (None when the run was too short for a window)."""
    moving = [s for prev, s in pairwise(samples) if s.served > prev.served]
    if len(moving) < 2:
        return None
    lo, hi = moving[0].at + WARMUP_S, moving[-1].at - COOLDOWN_S
    inside = [s for s in samples if lo <= s.at <= hi]
    if len(inside) < 2 or inside[-1].served <= inside[0].served:
        return None
    return 1000 * (inside[-1].cpu_s - inside[0].cpu_s) / (inside[-1].served - inside[0].served)


def _run(command: list[str], cwd: Path, timeout: float, target: NginxTarget | None = None,
         env: dict[str, str] | None = None
         ) -> tuple[subprocess.CompletedProcess[str], int, list[Sample]]:
    """Run a command, sampling its resident memory and (with a target) its CPU time and the
    target's served requests; returns (result, peak RSS in bytes, samples)."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)
    peak, samples = 0, []
    handle = psutil.Process(process.pid)
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        try:
            peak = max(peak, handle.memory_info().rss)
            if target is not None:
                times = handle.cpu_times()
                samples.append(Sample(time.monotonic(), times.user + times.system,
                                      target.served()))
        except psutil.Error:
            pass
        time.sleep(SAMPLE_EVERY_S)
    out, err = process.communicate(timeout=max(deadline - time.monotonic(), 1))
    return subprocess.CompletedProcess(command, process.returncode, out, err), peak, samples


Side = Callable[[NginxTarget, Path, int, int, int, Path], Measured]


def plain_locust(target: NginxTarget, script: Path, users: int, rate: int, seconds: int,
                 tmp: Path) -> Measured:
    result, peak, samples = _run(
        ["taskset", "-c", GEN_CPU, sys.executable, "-m", "locust", "-f", str(script),
         "--headless", "--host", target.url, "-u", str(users), "-r", str(rate), "-t",
         f"{seconds}s", "--json", "--loglevel", "ERROR"], tmp, seconds + 120, target)
    stats = json.loads(result.stdout)
    _check_served(sum(s["num_requests"] for s in stats), sum(s["num_failures"] for s in stats))
    return Measured(sum(s["num_requests"] for s in stats), seconds, peak,
                    window_cpu_per_1000(samples))


def _check_served(requests: int, failures: int) -> None:
    """A benchmark of failed requests measures nothing: stop."""
    if not requests or failures > requests / 100:
        raise SystemExit(f"bench: {failures:,} of {requests:,} requests failed: check the target")


def swarmdeck_side(src: Path | None = None, monitors: list[str] | None = None) -> Side:
    """``swarmdeck run`` of this tree, or of the source tree ``src``; with ``monitors``
    (SPECs; ``{target_pid}``: nginx's master)."""
    env = None if src is None else {**os.environ, "PYTHONPATH": str(src)}
    db = "bench.db" if src is None else "bench-reference.db"  # each tree its own schema

    def run(target: NginxTarget, script: Path, users: int, rate: int, seconds: int,
            tmp: Path) -> Measured:
        pid = str(target.process.pid) if target.process is not None else "0"
        specs = [a for spec in monitors or []
                 for a in ("--monitor", spec.replace("{target_pid}", pid))]
        result, peak, samples = _run(
            ["taskset", "-c", GEN_CPU, sys.executable, "-m", "swarmdeck", "run", "-f",
             str(script), "--host", target.url, "-u", str(users), "-r", str(rate), "-t",
             f"{seconds}s", "-q", "--db", f"sqlite:///{tmp / db}", "--json",
             str(tmp / "summary.json"), *specs], tmp, seconds + 120, target, env)
        if result.returncode != 0:
            raise SystemExit(f"swarmdeck run failed ({result.returncode}): "
                             f"{result.stderr[-2000:]}")
        summary = json.loads((tmp / "summary.json").read_text())
        _check_served(summary["totals"]["requests"], summary["totals"]["failures"])
        return Measured(int(summary["totals"]["requests"]), seconds, peak,
                        window_cpu_per_1000(samples))

    return run


def alternate(sides: dict[str, Side], args: argparse.Namespace, target: NginxTarget,
              tmp: Path) -> dict[str, list[Measured]]:
    """``args.rounds`` rounds, the sides' order alternating from one round to the next."""
    names = list(sides)
    results: dict[str, list[Measured]] = {name: [] for name in names}
    for rnd in range(args.rounds):
        for name in (names if rnd % 2 == 0 else names[::-1]):
            measured = sides[name](target, HERE / "fast_user.py", args.users, args.users,
                                   args.seconds, tmp)
            results[name].append(measured)
            cpu = measured.cpu_per_1000
            print(f"round {rnd + 1} {name:12} {measured.rps:9.1f} req/s  "
                  f"{'-' if cpu is None else f'{cpu:.4f}'} CPU s per 1,000 requests",
                  flush=True)
    return results


def report(results: dict[str, list[Measured]], reference: str | dict[str, str],
           args: argparse.Namespace, what: str) -> dict[str, object]:
    """Medians of each side, and each measure's per-round ratio to its reference side
    (``reference``: one side for all, or side -> its reference)."""
    print(f"\n{args.users} FastHttpUsers, {args.rounds} alternating rounds x {args.seconds}s, "
          f"nginx on core 0, generator on core 1; {what} (medians)")
    summary: dict[str, object] = {}
    for name, runs in results.items():
        cpus = [m.cpu_per_1000 for m in runs if m.cpu_per_1000 is not None]
        print(f"{name:12} {statistics.median(m.rps for m in runs):9.1f} req/s  "
              f"{statistics.median(cpus) if cpus else float('nan'):.4f} CPU s per 1,000 requests")
        summary[name] = {"rps": [m.rps for m in runs], "cpu_s_per_1000": [
            m.cpu_per_1000 for m in runs]}
    references = reference if isinstance(reference, dict) else {
        name: reference for name in results if name != reference}
    for name, ref in references.items():
        rps, cpu = ratios(results[name], results[ref])
        print(f"{name} / {ref}: req/s ratio {statistics.median(rps):.3f} (rounds: "
              f"{', '.join(f'{x:.3f}' for x in rps)})")
        if any(x is not None for x in cpu):
            print(f"{name} / {ref}: CPU per request ratio "
                  f"{statistics.median(x for x in cpu if x is not None):.3f} "
                  f"(rounds: {', '.join('-' if x is None else f'{x:.3f}' for x in cpu)})")
        summary[f"{name}/{ref}"] = {"rps_ratios": rps, "cpu_ratios": cpu}
    return summary


def ratios(runs: list[Measured], reference: list[Measured]
           ) -> tuple[list[float], list[float | None]]:
    """Per round: requests/s and CPU per request of ``runs`` over ``reference``'s."""
    pairs = list(zip(runs, reference))
    return ([m.rps / r.rps for m, r in pairs],
            [m.cpu_per_1000 / r.cpu_per_1000 if m.cpu_per_1000 is not None and r.cpu_per_1000
             else None for m, r in pairs])


def server_timing(args: argparse.Namespace, tmp: Path) -> int:
    """Plain Locust and this tree's swarmdeck run (or, with --against, the one in that
    source tree), each against nginx without and with a Server-Timing header; swarmdeck's
    ratio over Locust's, round by round."""
    run = swarmdeck_side(Path(args.against).resolve() if args.against else None)
    with NginxTarget(cpu=0) as plain, \
            NginxTarget(cpu=0, headers={"Server-Timing": SERVER_TIMING}) as timed:
        sides: dict[str, Side] = {
            "locust": lambda _, *rest: plain_locust(plain, *rest),
            "locust+st": lambda _, *rest: plain_locust(timed, *rest),
            "swarmdeck": lambda _, *rest: run(plain, *rest),
            "swarmdeck+st": lambda _, *rest: run(timed, *rest)}
        results = alternate(sides, args, plain, tmp)
    summary = report(results, {"locust+st": "locust", "swarmdeck+st": "swarmdeck"}, args,
                     "responses without and with a Server-Timing header")
    (rps_l, cpu_l), (rps_s, cpu_s) = (ratios(results[f"{side}+st"], results[side])
                                      for side in ("locust", "swarmdeck"))
    rps = [s / lo for s, lo in zip(rps_s, rps_l)]
    cpu = [s / lo for s, lo in zip(cpu_s, cpu_l) if s is not None and lo is not None]
    print(f"swarmdeck's loss over Locust's own (per round, (swarmdeck+st / swarmdeck) / "
          f"(locust+st / locust)): req/s {statistics.median(rps):.3f} "
          f"(rounds: {', '.join(f'{x:.3f}' for x in rps)})")
    if cpu:
        print(f"  CPU per request {statistics.median(cpu):.3f} "
              f"(rounds: {', '.join(f'{x:.3f}' for x in cpu)})")
    _save("generator-server-timing.json", {"args": vars(args), **summary,
                                           "over_locust": {"rps": rps, "cpu": cpu}})
    return 0


def swarmdeck_workers(url: str, script: Path, users: int, seconds: int, workers: int,
                      tmp: Path) -> int:
    """A distributed run: a master and ``workers`` local worker processes, not pinned."""
    result, _, _ = _run([sys.executable, "-m", "swarmdeck", "run", "-f", str(script),
                         "--host", url, "-u", str(users), "-r", str(users), "-t",
                         f"{seconds}s", "-q", "--workers", str(workers), "--db",
                         f"sqlite:///{tmp / 'bench.db'}", "--json", str(tmp / "summary.json")],
                        tmp, seconds + 180)
    if result.returncode != 0:
        raise SystemExit(f"swarmdeck run --workers failed: {result.stderr[-2000:]}")
    return int(json.loads((tmp / "summary.json").read_text())["totals"]["requests"])


def scaling(args: argparse.Namespace, tmp: Path) -> int:
    """Requests/s with 1 and 2 worker processes, alternating; nginx stays on core 0."""
    rps: dict[int, list[float]] = {1: [], 2: []}
    with NginxTarget(cpu=0) as target:
        for rnd in range(args.rounds):
            for n in ((1, 2) if rnd % 2 == 0 else (2, 1)):
                requests = swarmdeck_workers(target.url, HERE / "fast_user.py", args.users,
                                             args.seconds, n, tmp)
                rps[n].append(requests / args.seconds)
                print(f"round {rnd + 1} {n} worker(s) {requests / args.seconds:9.1f} req/s",
                      flush=True)
    one, two = statistics.median(rps[1]), statistics.median(rps[2])
    print(f"\n{args.users} FastHttpUsers, {args.rounds} alternating rounds x {args.seconds}s; "
          "nginx pinned to core 0, master and workers free to use both cores (medians)")
    print(f"1 worker   {one:9.1f} req/s")
    print(f"2 workers  {two:9.1f} req/s")
    print(f"efficiency {two / (2 * one):9.3f}  (2-worker rps / (2 x 1-worker rps))")
    _save("scaling.json", {"args": vars(args), "rps": rps})
    return 0


def _save(name: str, data: dict[str, object]) -> None:
    out = HERE / "results" / name
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(data, indent=2))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--memory-users", type=int, default=5000)
    parser.add_argument("--memory-seconds", type=int, default=40)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-rps", action="store_true")
    parser.add_argument("--scaling", action="store_true",
                        help="instead: swarmdeck with 1 and 2 worker processes")
    parser.add_argument("--monitor", metavar="SPEC", action="append",
                        help="instead: swarmdeck run without and with these monitors "
                             "(repeatable; {target_pid} is nginx's master pid)")
    parser.add_argument("--server-timing", action="store_true",
                        help="instead: responses without and with a Server-Timing header")
    parser.add_argument("--against", metavar="SRC",
                        help="this tree's swarmdeck against the one in the source tree SRC "
                             "(instead of against plain locust)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-generator-"))
    if args.scaling:
        return scaling(args, tmp)
    if args.monitor:
        sides = {"plain": swarmdeck_side(), "monitored": swarmdeck_side(monitors=args.monitor)}
        with NginxTarget(cpu=0) as target:
            results = alternate(sides, args, target, tmp)
        _save("generator-monitors.json", {"args": vars(args), **report(
            results, "plain", args, f"swarmdeck run without and with {len(args.monitor)} "
            "monitors")})
        return 0
    if args.server_timing:
        return server_timing(args, tmp)
    if args.against:
        reference = Path(args.against).resolve()
        if not (reference / "swarmdeck" / "__init__.py").exists():
            raise SystemExit(f"--against {reference}: no swarmdeck package there "
                             "(give its src folder)")
        sides = {"this": swarmdeck_side(), "reference": swarmdeck_side(reference)}
        with NginxTarget(cpu=0) as target:
            results = alternate(sides, args, target, tmp)
        _save("generator-against.json", {"args": vars(args), **report(
            results, "reference", args, f"reference: {reference}")})
        return 0
    sides = {"locust": plain_locust, "swarmdeck": swarmdeck_side()}
    memory: dict[str, int] = {}
    summary: dict[str, object] = {}
    with NginxTarget(cpu=0) as target:
        if not args.skip_rps:
            summary = report(alternate(sides, args, target, tmp), "locust", args,
                             "plain locust against swarmdeck run")
        if not args.skip_memory:
            for name, side in sides.items():
                memory[name] = side(target, HERE / "many_users.py", args.memory_users, 500,
                                    args.memory_seconds, tmp).peak_rss
                print(f"peak RSS, {args.memory_users} HttpUsers, {name:9} "
                      f"{memory[name] / 2**20:7.0f} MiB", flush=True)
    _save("generator.json", {"args": vars(args), **summary, "memory_bytes": memory})
    return 0


if __name__ == "__main__":
    sys.exit(main())
