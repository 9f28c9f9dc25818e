"""Benchmark: what swarmdeck's recording and storing cost the load generator.

The same FastHttpUser script (bench/fast_user.py) against a fast local target (Debian's
nginx, pinned to core 0) is run with plain ``locust --headless`` and with ``swarmdeck run``
(both pinned to core 1), in alternating rounds; each side's requests/s is its request
count over the configured run time, and the figure is the median over rounds. Then the
peak RSS of one process running 5,000 HttpUsers with ``wait_time = between(1, 3)``
(bench/many_users.py), for both. Run:

    .venv/bin/python bench/generator.py --rounds 5 --seconds 20 --users 50
    .venv/bin/python bench/generator.py --scaling --rounds 4 --seconds 20 --users 50
"""

from __future__ import annotations

import argparse
import json
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


def _run(command: list[str], cwd: Path, timeout: float) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run a command, sampling its resident memory; returns (result, peak RSS in bytes)."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
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
                  tmp: Path) -> tuple[int, int]:
    result, peak = _run(["taskset", "-c", GEN_CPU, sys.executable, "-m", "swarmdeck", "run",
                         "-f", str(script), "--host", url, "-u", str(users), "-r", str(rate),
                         "-t", f"{seconds}s", "-q", "--db", f"sqlite:///{tmp / 'bench.db'}",
                         "--json", str(tmp / "summary.json")], tmp, seconds + 120)
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
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-generator-"))
    if args.scaling:
        return scaling(args, tmp)
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
