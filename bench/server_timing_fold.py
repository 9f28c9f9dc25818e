"""Benchmark: the CPU time the fold spends reading Server-Timing headers, per header, in a
real ``swarmdeck run``: this tree's against another source tree's (``--against SRC``, e.g.
the last release: ``git archive BASE src | tar -x -C /tmp/base``), in alternating rounds.

The same FastHttpUser script (bench/fast_user.py) against nginx (pinned to core 0)
answering every request with the extension's five-metric header (generator.SERVER_TIMING),
the run pinned to core 1. bench/fold_hook/sitecustomize.py times each
``ServerTiming.add_headers`` call (the thread's CPU time): an exact measure of the fold's own
cost, where CPU per request over the whole process (bench/generator.py --server-timing)
drowns a few µs in the noise of a shared machine. Run:

    .venv/bin/python bench/server_timing_fold.py --against /tmp/base/src --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from generator import SERVER_TIMING
from nginx_target import NginxTarget

HERE = Path(__file__).resolve().parent


def fold_us(src: Path, url: str, users: int, seconds: int) -> tuple[float, int]:
    """(µs of fold CPU time per header, headers read) of one run of the tree ``src``."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-fold-"))
    log = tmp / "fold.log"
    result = subprocess.run(
        ["taskset", "-c", "1", sys.executable, "-m", "swarmdeck", "run", "-f",
         str(HERE / "fast_user.py"), "--host", url, "-u", str(users), "-r", str(users), "-t",
         f"{seconds}s", "-q", "--db", f"sqlite:///{tmp / 'bench.db'}"],
        env={**os.environ, "PYTHONPATH": f"{HERE / 'fold_hook'}{os.pathsep}{src}",
             "FOLD_LOG": str(log)}, capture_output=True, text=True, timeout=seconds + 120,
        check=False)
    if result.returncode != 0 or not log.exists():
        raise SystemExit(f"bench: swarmdeck run failed: {result.stderr[-2000:]}")
    rows = [line.split() for line in log.read_text().splitlines()]
    cpu, headers = sum(float(t) for t, _ in rows), sum(int(n) for _, n in rows)
    return 1e6 * cpu / max(headers, 1), headers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", metavar="SRC", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=12)
    parser.add_argument("--users", type=int, default=50)
    args = parser.parse_args()
    sides = {"this": HERE.parent / "src", "reference": Path(args.against).resolve()}
    us: dict[str, list[float]] = {name: [] for name in sides}
    with NginxTarget(cpu=0, headers={"Server-Timing": SERVER_TIMING}) as target:
        for rnd in range(args.rounds):
            for name in (list(sides) if rnd % 2 == 0 else list(sides)[::-1]):
                per, headers = fold_us(sides[name], target.url, args.users, args.seconds)
                us[name].append(per)
                print(f"round {rnd + 1} {name:9} {per:6.2f} µs a header ({headers:,} headers)",
                      flush=True)
    this, ref = statistics.median(us["this"]), statistics.median(us["reference"])
    print(f"\nfold CPU per header (medians): this {this:.2f} µs, reference {ref:.2f} µs, "
          f"this / reference {this / ref:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
