"""The pictures in docs/img/, from real runs: the HTML report (report.png,
report-compare.png) and the dashboard's pages (dashboard-runs/run/compare/trends.png).

    .venv/bin/python bench/screenshots.py [-t 60s] [-u 40] [--scale 10] [--out docs/img]

With the demo's defaults (seed scale, users, duration, 4 Gunicorn workers): seeds
shopfront (SQLite) in a temp folder and serves it under Gunicorn, on one port (the trends
are per host), in its ``naive``, then ``tuned``, then ``tuned`` profile again; loads each
with ``swarmdeck run`` as the demo does (corrected scenarios, step shape, the demo's
thresholds; the tuned runs ``--compare-to`` the naive one) into a temp results database,
makes the first tuned run the baseline ``release``, writes the reports with ``swarmdeck
report`` and photographs them and the pages of ``swarmdeck serve`` in headless Chromium
(Debian's, via Playwright). Bounded: three runs of ``-t`` each (3 minutes by default), on
127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _browser import browsing, chromium_path, picture, serving
from shopfront.server import GunicornServer
from swarmdeck.demo import THRESHOLDS, seed

REPO = Path(__file__).resolve().parents[1]
CHART_READY = "#sd-report[data-rendered=true] .sd-chart canvas"


def swarmdeck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "swarmdeck", *args], check=False, text=True,
                          capture_output=True, cwd=REPO, timeout=300)


def record_runs(work: Path, results: str, run_time: str, users: int, scale: int
                ) -> list[int]:
    secret = "screenshots-" + "0" * 32
    seed(work / "seed.db", scale, secret, work / "uploads")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    run_ids: list[int] = []
    for i, profile in enumerate(("naive", "tuned", "tuned")):
        database = work / f"shop-{i}.db"
        shutil.copy(work / "seed.db", database)
        env = {"SECRET_KEY": secret, "DATABASE_URL": f"sqlite:///{database}",
               "UPLOAD_FOLDER": str(work / "uploads"), "SHOPFRONT_PROFILE": profile}
        summary = work / f"run-{i}.json"
        gates = [a for t in THRESHOLDS for a in ("--threshold", t)]
        compare = ["--compare-to", str(run_ids[0])] if run_ids else []
        with GunicornServer(env, workers=4, port=port) as server:
            done = swarmdeck("run", "-f", "scenarios/locustfile.py", "--host", server.url,
                             "--shape", "step", "-u", str(users), "-t", run_time, "-q",
                             "--tag", f"profile={profile}", "--tag", f"build={100 + i}",
                             *gates, *compare, "--db", results, "--json", str(summary))
        if not summary.is_file() or done.returncode not in (0, 1):
            raise SystemExit(f"run {i} ({profile}) exited {done.returncode}: "
                             f"{done.stderr[-2000:]}")
        run_ids.append(int(json.loads(summary.read_text())["run_id"]))
        print(f"run {run_ids[-1]}: {profile} ({done.stdout.strip()})", flush=True)
    swarmdeck("baseline", "set", "release", str(run_ids[1]), "--db", results)
    return run_ids


def shoot(page: Any, url: str, ready: str, target: Path, height: int | None) -> None:
    page.goto(url)
    page.wait_for_selector(ready)
    picture(page, target, height)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-t", "--run-time", default="60s")
    parser.add_argument("-u", "--users", type=int, default=40)
    parser.add_argument("--scale", type=int, default=10, help="shopfront's seed scale")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "img")
    parser.add_argument("--height", type=int, default=2200,
                        help="clip the screenshots to this many pixels (0: full page)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    chromium = chromium_path()
    height = args.height or None
    with tempfile.TemporaryDirectory(prefix="swarmdeck-shots-") as folder:
        work = Path(folder)
        results = f"sqlite:///{work / 'results.db'}"
        naive, tuned, _ = record_runs(work, results, args.run_time, args.users, args.scale)
        reports = {"report": swarmdeck("report", str(tuned), "-o", str(work / "r.html"),
                                       "--db", results),
                   "report-compare": swarmdeck("report", str(tuned), "--compare-to",
                                               str(naive), "-o", str(work / "c.html"),
                                               "--db", results)}
        for name, done in reports.items():
            if done.returncode:
                raise SystemExit(f"swarmdeck report ({name}): {done.stderr}")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SWARMDECK_DASHBOARD")}
        with serving(results, env, REPO, stop_s=20) as url:
            pictures = [
                ("report", (work / "r.html").as_uri(), "[data-chart=latency] canvas"),
                ("report-compare", (work / "c.html").as_uri(), "[data-chart=latency] canvas"),
                ("dashboard-runs", f"{url}/", "table.sd-runs"),
                ("dashboard-run", f"{url}/runs/{tuned}", CHART_READY),
                ("dashboard-compare", f"{url}/compare?base={naive}&candidate={tuned}",
                 CHART_READY),
                ("dashboard-trends", f"{url}/trends", "#sd-trends[data-drawn] canvas"),
            ]
            with browsing(chromium) as (_, page):
                for name, target, ready in pictures:
                    shoot(page, target, ready, args.out / f"{name}.png", height)


if __name__ == "__main__":
    main()
