"""Benchmark: what swarmdeck's recording and storing cost the load generator.

The same FastHttpUser script (bench/fast_user.py) against a fast local target (Debian's
nginx, pinned to core 0) is run with plain ``locust --headless`` and with ``swarmdeck run``
(both pinned to core 1), in alternating rounds; each side's requests/s is its request
count over the configured run time, and the figure is the median over rounds. Then the
peak RSS of one process running 5,000 HttpUsers with ``wait_time = between(1, 3)``
(bench/many_users.py), for both. Run:

    .venv/bin/python bench/generator.py --rounds 5 --seconds 20 --users 50
    .venv/bin/python bench/generator.py --scaling --rounds 4 --seconds 20 --users 50
    .venv/bin/python bench/generator.py --against /path/to/other/src --rounds 8

``--against SRC`` compares this tree's ``swarmdeck run`` with the one in another source
tree (e.g. ``git archive BASE src | tar -x -C /tmp/base``, then ``--against /tmp/base/src``)
in alternating rounds: requests/s and CPU seconds per 1,000 requests (the generator
process's user + system time, start-up included) of each, and their per-round ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from nginx_target import NginxTarget

HERE = Path(__file__).resolve().parent
GEN_CPU = "1"


def _run(command: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None
         ) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run a command, sampling its resident memory; returns (result, peak RSS in bytes)."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)
    peak = 0
    handle = psutil.Process(process.pid)
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        try:
            peak = max(peak, handle.memory_info().rss)
        except psutil.Error:
            pass
        time.sleep(0.25)
    out, err = process.communicate(timeout=max(deadline - time.monotonic(), 1))
    return subprocess.CompletedProcess(command, process.returncode, out, err), peak


def plain_locust(url: str, script: Path, users: int, rate: int, seconds: int,
                 tmp: Path) -> tuple[int, int]:
    result, peak = _run(["taskset", "-c", GEN_CPU, sys.executable, "-m", "locust", "-f",
                         str(script), "--headless", "--host", url, "-u", str(users), "-r",
                         str(rate), "-t", f"{seconds}s", "--json", "--loglevel", "ERROR"],
                        tmp, seconds + 120)
    stats = json.loads(result.stdout)
    return sum(s["num_requests"] for s in stats), peak


def swarmdeck_run(url: str, script: Path, users: int, rate: int, seconds: int,
                  tmp: Path, src: Path | None = None) -> tuple[int, int]:
    """``swarmdeck run`` of this tree, or of the source tree ``src``."""
    env = None if src is None else {**os.environ, "PYTHONPATH": str(src)}
    result, peak = _run(["taskset", "-c", GEN_CPU, sys.executable, "-m", "swarmdeck", "run",
                         "-f", str(script), "--host", url, "-u", str(users), "-r", str(rate),
                         "-t", f"{seconds}s", "-q", "--db", f"sqlite:///{tmp / 'bench.db'}",
                         "--json", str(tmp / "summary.json")], tmp, seconds + 120, env)
    if result.returncode != 0:
        raise SystemExit(f"swarmdeck run failed ({result.returncode}): {result.stderr[-2000:]}")
    summary = json.loads((tmp / "summary.json").read_text())
    return int(summary["totals"]["requests"]), peak


def swarmdeck_workers(url: str, script: Path, users: int, seconds: int, workers: int,
                      tmp: Path) -> int:
    """A distributed run: a master and ``workers`` local worker processes, not pinned."""
    result, _ = _run([sys.executable, "-m", "swarmdeck", "run", "-f", str(script), "--host", url,
                      "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "-q",
                      "--workers", str(workers), "--db", f"sqlite:///{tmp / 'bench.db'}",
                      "--json", str(tmp / "summary.json")], tmp, seconds + 180)
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
    out = HERE / "results" / "scaling.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "rps": rps}, indent=2))
    return 0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def against(args: argparse.Namespace, tmp: Path) -> int:
    """This tree's swarmdeck against another source tree's, in alternating rounds."""
    reference = Path(args.against).resolve()
    if not (reference / "swarmdeck" / "__init__.py").exists():
        raise SystemExit(f"--against {reference}: no swarmdeck package there (give a src dir)")
    rps: dict[str, list[float]] = {"this": [], "reference": []}
    cpu: dict[str, list[float]] = {"this": [], "reference": []}
    with NginxTarget(cpu=0) as target:
        for rnd in range(args.rounds):
            for side in (("this", "reference") if rnd % 2 == 0 else ("reference", "this")):
                before = _children_cpu()
                requests, _ = swarmdeck_run(target.url, HERE / "fast_user.py", args.users,
                                            args.users, args.seconds, tmp,
                                            reference if side == "reference" else None)
                used = _children_cpu() - before
                rps[side].append(requests / args.seconds)
                cpu[side].append(1000 * used / max(requests, 1))
                print(f"round {rnd + 1} {side:9} {requests / args.seconds:9.1f} req/s "
                      f"{cpu[side][-1]:7.3f} CPU s per 1,000 requests", flush=True)
    rps_ratios = [t / r for t, r in zip(rps["this"], rps["reference"])]
    cpu_ratios = [t / r for t, r in zip(cpu["this"], cpu["reference"])]
    print(f"\n{args.users} FastHttpUsers, {args.rounds} alternating rounds x {args.seconds}s, "
          f"nginx on core 0, generator on core 1; reference: {reference} (medians)")
    for side in ("this", "reference"):
        print(f"{side:9} {statistics.median(rps[side]):9.1f} req/s  "
              f"{statistics.median(cpu[side]):7.3f} CPU s per 1,000 requests")
    print(f"req/s ratio (this / reference), median of rounds {statistics.median(rps_ratios):.3f} "
          f"(rounds: {', '.join(f'{r:.3f}' for r in rps_ratios)})")
    print(f"CPU per request ratio, median of rounds {statistics.median(cpu_ratios):.3f} "
          f"(rounds: {', '.join(f'{r:.3f}' for r in cpu_ratios)})")
    out = HERE / "results" / "generator-against.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "rps": rps, "cpu_s_per_1000": cpu,
                               "rps_ratios": rps_ratios, "cpu_ratios": cpu_ratios}, indent=2))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--memory-users", type=int, default=5000)
    parser.add_argument("--memory-seconds", type=int, default=40)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-rps", action="store_true")
    parser.add_argument("--scaling", action="store_true",
                        help="instead: swarmdeck with 1 and 2 worker processes")
    parser.add_argument("--against", metavar="SRC",
                        help="instead: this tree's swarmdeck against the one in SRC")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-generator-"))
    if args.scaling:
        return scaling(args, tmp)
    if args.against:
        return against(args, tmp)
    rps: dict[str, list[float]] = {"locust": [], "swarmdeck": []}
    with NginxTarget(cpu=0) as target:
        for rnd in range(0 if args.skip_rps else args.rounds):
            order = ("locust", "swarmdeck") if rnd % 2 == 0 else ("swarmdeck", "locust")
            for side in order:
                run = plain_locust if side == "locust" else swarmdeck_run
                requests, _ = run(target.url, HERE / "fast_user.py", args.users, args.users,
                                  args.seconds, tmp)
                rps[side].append(requests / args.seconds)
                print(f"round {rnd + 1} {side:9} {requests / args.seconds:9.1f} req/s", flush=True)
        memory = {}
        if not args.skip_memory:
            for side, run in (("locust", plain_locust), ("swarmdeck", swarmdeck_run)):
                _, peak = run(target.url, HERE / "many_users.py", args.memory_users, 500,
                              args.memory_seconds, tmp)
                memory[side] = peak
                print(f"{side:9} {args.memory_users} HttpUsers: peak RSS {peak / 2**20:.0f} MiB",
                      flush=True)
    if args.skip_rps:
        for side, peak in memory.items():
            print(f"peak RSS, {args.memory_users} HttpUsers, {side:9} {peak / 2**20:7.0f} MiB")
        return 0
    locust_rps = statistics.median(rps["locust"])
    swarm_rps = statistics.median(rps["swarmdeck"])
    # Each round's two runs are neighbours in time: their ratio cancels slow drifts.
    pair_ratios = [s / l for s, l in zip(rps["swarmdeck"], rps["locust"])]
    print(f"\n{args.users} FastHttpUsers, {args.rounds} alternating rounds x {args.seconds}s, "
          "nginx on core 0, generator on core 1 (medians)")
    print(f"plain locust     {locust_rps:9.1f} req/s")
    print(f"swarmdeck run    {swarm_rps:9.1f} req/s")
    print(f"ratio of medians {swarm_rps / locust_rps:9.3f}  (cost {100 * (1 - swarm_rps / locust_rps):.1f}%)")
    print(f"median of round ratios {statistics.median(pair_ratios):.3f}  "
          f"(rounds: {', '.join(f'{r:.3f}' for r in pair_ratios)})")
    for side, peak in memory.items():
        print(f"peak RSS, {args.memory_users} HttpUsers, {side:9} {peak / 2**20:7.0f} MiB")
    out = HERE / "results" / "generator.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "rps": rps, "pair_ratios": pair_ratios,
                               "memory_bytes": memory}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
