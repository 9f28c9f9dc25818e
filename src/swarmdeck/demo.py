"""The demo: shopfront under Gunicorn in its ``naive`` and then its ``tuned`` profile, each
loaded by ``swarmdeck run`` with the corrected scenarios under the ``step`` shape; live view,
summaries with thresholds and findings, the server's side sampled on the same clock (a
process and a StatsD monitor of Gunicorn), the tuned run compared with the naive one, the
HTML report of both overlaid. Then the capacity of each (``swarmdeck capacity`` on the
public pages within ``p95 < 500ms``, a short bounded search), "naive sustains X req/s, tuned
Y req/s", and one open-model run of each at a rate between the two, compared; and the
command that opens the dashboard. ``make demo`` runs ``python -m swarmdeck.demo``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import shutil
import socket
import subprocess
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

try:
    from shopfront import create_app
    from shopfront.extensions import db
    from shopfront.seed import init_db
    from shopfront.server import GunicornServer, ServerError
except ModuleNotFoundError as missing:  # swarmdeck installed without the `shopfront` extra
    raise SystemExit(f"the demo needs shopfront's dependencies ({missing.name} is missing): "
                     "pip install 'swarmdeck[shopfront]', or run `make demo`") from None

PROFILES = ("naive", "tuned")
# The SLO the demo gates on: the home page's p95 (the naive profile is expected to miss it,
# the tuned one to hold), and no errors anywhere. (Logins take ~0.5 s by design: scrypt.)
THRESHOLDS = ("GET /: p95 < 500ms", "error_rate < 1%")
# The capacity story: the public pages (the home page's and the blog's listings, pricing,
# health; no login), whose every iteration is one request, searched within this SLO
CAPACITY_SLO = ("p95 < 500ms", "error_rate < 1%")
CAPACITY_LOCUSTFILE = "public_pages.py"  # beside the demo's locustfile


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m swarmdeck.demo", description=__doc__)
    parser.add_argument("-f", "--locustfile", default="scenarios/locustfile.py")
    parser.add_argument("--scale", type=int, default=10, help="shopfront seed scale (10)")
    parser.add_argument("-u", "--users", type=int, default=40,
                        help="the step shape's peak users (40)")
    parser.add_argument("-t", "--run-time", default="60s", help="per profile (60s)")
    parser.add_argument("--workers", type=int, default=4, help="Gunicorn workers (4)")
    parser.add_argument("--workdir", default=".swarmdeck/demo",
                        help="where shopfront's demo databases live")
    parser.add_argument("--db", default=None, help="swarmdeck's results database "
                        "(default: SWARMDECK_DB or .swarmdeck/swarmdeck.db)")
    parser.add_argument("--profile", choices=PROFILES, action="append",
                        help="run only this profile (repeatable; default both)")
    parser.add_argument("--max-rate", default="640/s",
                        help="the capacity searches' highest rate (640/s)")
    parser.add_argument("--step", default="2s", help="each rate of the searches (2s)")
    parser.add_argument("--rate-time", default="12s",
                        help="the open-model run of each profile at a rate between their "
                             "capacities (12s)")
    parser.add_argument("--no-capacity", action="store_true",
                        help="skip the capacity searches and the open-model runs")
    return parser.parse_args(argv)


def say(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def seed(path: Path, scale: int, secret: str, uploads: Path) -> None:
    app = create_app({"SECRET_KEY": secret, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "UPLOAD_FOLDER": str(uploads), "SHOPFRONT_PROFILE": "naive"})
    with app.app_context():
        counts = init_db(scale)
        db.engine.dispose()
    print("    " + ", ".join(f"{n:,} {name}" for name, n in counts.items()), flush=True)


def free_udp_port() -> int:
    """A UDP port free on 127.0.0.1 now, for Gunicorn's StatsD and swarmdeck's listener."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def swarmdeck(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "swarmdeck", *args], check=False,
                          env={**os.environ})


def monitors(server: GunicornServer, statsd: str) -> list[str]:
    """The server's side on the same clock: Gunicorn's process tree and its own StatsD
    metrics (worker utilization)."""
    assert server.process is not None
    return ["--monitor", f"process:{server.process.pid}", "--monitor", f"statsd://{statsd}"]


def closed_runs(args: argparse.Namespace, servers: dict[str, tuple[GunicornServer, str]],
                workdir: Path, db_args: list[str], codes: dict[str, int]) -> dict[str, int]:
    """Each profile under the step shape, gated; the tuned one compared with the naive."""
    run_ids: dict[str, int] = {}
    for profile, (server, statsd) in servers.items():
        say(f"shopfront, profile {profile}, under Gunicorn ({args.workers} sync workers) "
            f"at {server.url}")
        gates = [a for t in THRESHOLDS for a in ("--threshold", t)]
        compare = (["--compare-to", str(run_ids["naive"])]
                   if profile == "tuned" and "naive" in run_ids else [])
        result = workdir / f"{profile}.json"
        watch = monitors(server, statsd)
        say(f"swarmdeck run -f {args.locustfile} --shape step -u {args.users} "
            f"-t {args.run_time} --tag profile={profile} "
            + " ".join(f"--threshold '{t}'" for t in THRESHOLDS) + " " + " ".join(watch)
            + (f" --compare-to {compare[1]}" if compare else ""))
        run = swarmdeck("run", "-f", args.locustfile, "--host", server.url, "--shape", "step",
                        "-u", str(args.users), "-t", args.run_time, "--tag",
                        f"profile={profile}", "--tag", "demo=1", *gates, *watch, *compare,
                        "--json", str(result), *db_args)
        codes[profile] = run.returncode
        if result.is_file():
            run_ids[profile] = int(json.loads(result.read_text())["run_id"])
    return run_ids


def capacity_story(args: argparse.Namespace, servers: dict[str, tuple[GunicornServer, str]],
                   workdir: Path, db_args: list[str], codes: dict[str, int]) -> None:
    """The capacity of each profile, then one open-model run of each at a rate between the
    two, compared on p95."""
    pages = str(Path(args.locustfile).parent / CAPACITY_LOCUSTFILE)
    slo = [a for t in CAPACITY_SLO for a in ("--slo", t)]
    search = ["--start-rate", "20/s", "--max-rate", args.max_rate, "--step", args.step,
              "--settle", "0.5s", "--precision", "25%", "--confirm", "0",
              "--min-requests", "30"]
    found: dict[str, dict[str, Any]] = {}
    for profile, (server, statsd) in servers.items():
        result = workdir / f"{profile}-capacity.json"
        watch = monitors(server, statsd)
        say(f"swarmdeck capacity -f {pages} " + " ".join(f"--slo '{t}'" for t in CAPACITY_SLO)
            + " " + " ".join(search) + f" {' '.join(watch)} -q   (profile {profile}: how "
            "much can it take? a short bounded search: steps of seconds, no confirmation)")
        run = swarmdeck("capacity", "-f", pages, "--host", server.url, *slo, *search, *watch,
                        "--tag", f"profile={profile}", "--tag", "demo=1", "-q",
                        "--json", str(result), *db_args)
        codes[f"{profile} capacity"] = run.returncode
        if result.is_file():
            capacity = json.loads(result.read_text())["capacity"]
            if capacity and capacity["found"]:
                found[profile] = capacity
    if set(found) != set(PROFILES):
        print("\nThe capacity of both profiles is needed for the comparison at one rate; "
              "see the searches above.")
        return
    naive, tuned = (found[p] for p in PROFILES)
    say(f"naive sustains {_sustains(naive)} req/s, tuned {_sustains(tuned)} req/s within "
        f"{CAPACITY_SLO[0].replace('ms', ' ms')}")
    rate, which = between(naive, tuned)
    runs: dict[str, int] = {}
    for profile, (server, _) in servers.items():
        result = workdir / f"{profile}-rate.json"
        say(f"swarmdeck run -f {pages} --arrival-rate {rate}/s -t {args.rate_time} -q   "
            f"(profile {profile}: the open model at {which})")
        run = swarmdeck("run", "-f", pages, "--host", server.url, "--arrival-rate",
                        f"{rate}/s", "-t", args.rate_time, "--tag", f"profile={profile}",
                        "--tag", "demo=1", "-q", "--json", str(result), *db_args)
        codes[f"{profile} at {rate}/s"] = run.returncode
        if result.is_file():
            runs[profile] = int(json.loads(result.read_text())["run_id"])
    if set(runs) == set(PROFILES):
        say(f"swarmdeck compare {runs['naive']} {runs['tuned']}   (naive -> tuned at "
            f"{rate}/s: p95 from when each request was due)")
        swarmdeck("compare", str(runs["naive"]), str(runs["tuned"]), *db_args)


def between(naive: dict[str, Any], tuned: dict[str, Any]) -> tuple[int, str]:
    """A rate between the two capacities, and what it is: the rate at which the naive profile
    broke when the tuned one held it (a short search's steps pass rates that a longer run
    fails just below the tuned profile's), else their geometric mean."""
    low, high = round(naive["rate"]), round(tuned["rate"])
    upper = naive["upper"]
    if upper is not None and low < round(upper) <= high:
        return round(upper), "the rate at which the naive profile broke"
    return round(math.sqrt(low * high)), "a rate between the two capacities"


def _sustains(capacity: dict[str, Any]) -> str:
    rate = f"{capacity['rate']:.0f}"
    return rate if capacity["upper"] is not None else f"at least {rate}"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not Path(args.locustfile).is_file():
        print(f"demo: locustfile {args.locustfile} not found; run from the repository root",
              file=sys.stderr)
        return 2
    workdir = Path(args.workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    say(f"seeding shopfront at scale {args.scale} (SQLite, {workdir})")
    seed(workdir / "seed.db", args.scale, secret, workdir / "uploads")
    db_args = ["--db", args.db] if args.db else []
    codes: dict[str, int] = {}
    with ExitStack() as stack:
        servers: dict[str, tuple[GunicornServer, str]] = {}
        for profile in args.profile or PROFILES:  # both up at once: the idle one costs nothing
            database = workdir / f"{profile}.db"
            shutil.copy(workdir / "seed.db", database)  # each profile starts from the same data
            statsd = f"127.0.0.1:{free_udp_port()}"  # Gunicorn sends its metrics there
            env = {"SECRET_KEY": secret, "DATABASE_URL": f"sqlite:///{database}",
                   "UPLOAD_FOLDER": str(workdir / "uploads"), "SHOPFRONT_PROFILE": profile,
                   "GUNICORN_STATSD_HOST": statsd,
                   # every response says where its time went (docs/server-timing.md)
                   "SWARMDECK_SERVER_TIMING": "1"}
            try:
                server = stack.enter_context(GunicornServer(env, workers=args.workers))
            except ServerError as exc:
                print(f"demo: shopfront did not start: {exc}", file=sys.stderr)
                return 3
            servers[profile] = (server, statsd)
        run_ids = closed_runs(args, servers, workdir, db_args, codes)
        say("stored runs (swarmdeck runs)")
        swarmdeck("runs", "-n", "5", *db_args)
        if {"naive", "tuned"} <= run_ids.keys():
            naive, tuned = run_ids["naive"], run_ids["tuned"]
            # the median: a one-minute run has too few requests per endpoint for p95 verdicts
            # (at least 100 each; see docs/compare.md), the run's own --compare-to shows p95
            say(f"swarmdeck compare {naive} {tuned} --metric p50   (naive -> tuned: is the "
                "change real? on the median)")
            swarmdeck("compare", str(naive), str(tuned), "--metric", "p50", *db_args)
            report = workdir / "report.html"
            say(f"swarmdeck report {tuned} --compare-to {naive} -o {report}")
            swarmdeck("report", str(tuned), "--compare-to", str(naive), "-o", str(report),
                      *db_args)
            print(f"\nOpen the report: file://{report}")
        if set(servers) == set(PROFILES) and not args.no_capacity:
            capacity_story(args, servers, workdir, db_args, codes)
    print("\nBrowse every run: swarmdeck serve" + (f" --db {args.db}" if args.db else "")
          + "   (then http://127.0.0.1:8089)")
    print("`swarmdeck show RUN` prints a run again; `swarmdeck show RUN --json` as JSON.")
    # exit 1 from a threshold (or a search's SLO) is the demo's point for the naive profile,
    # not a failure
    bad = {p: c for p, c in codes.items() if c not in (0, 1)}
    return next(iter(bad.values()), 0)


if __name__ == "__main__":
    sys.exit(main())
