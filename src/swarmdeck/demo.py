"""The demo: how much load does shopfront take, naive and tuned, and what does the
difference look like? shopfront's ``naive`` and ``tuned`` profiles under Gunicorn side by
side (each its own copy of the data, its own port); ``swarmdeck capacity`` searches each for
the highest arrival rate that keeps p95 < 500 ms, with Gunicorn's process tree and StatsD
metrics monitored (what saturated first); then one fixed-rate open-model ``swarmdeck run``
of each at a rate between the two capacities, with thresholds, the live view, findings and
Server-Timing's split, the tuned run compared with the naive one; then the guide's heavy
endpoint, three admins asking for the monthly report of each profile (closed model); the
HTML report of both and the command that opens the dashboard. ``make demo`` runs ``python -m swarmdeck.demo``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from swarmdeck.plan.arrival import parse_rate
from swarmdeck.plan.durations import DurationError, parse_duration
from swarmdeck.plan.values import Invalid

try:
    from shopfront import create_app
    from shopfront.extensions import db
    from shopfront.seed import init_db
    from shopfront.server import GunicornServer, ServerError
except ModuleNotFoundError as missing:  # swarmdeck installed without the `shopfront` extra
    raise SystemExit(f"the demo needs shopfront's dependencies ({missing.name} is missing): "
                     "pip install 'swarmdeck[shopfront]', or run `make demo`") from None

PROFILES = ("naive", "tuned")
# The SLO of the capacity search, and the fixed-rate runs' gates: the naive profile is
# expected to miss the home page's p95 at a rate past its capacity, the tuned one to hold.
SLO = ("p95 < 500ms", "error_rate < 1%")
THRESHOLDS = ("GET /: p95 < 500ms", "error_rate < 1%")
# The search's short steps: the demo's whole budget is 5 minutes (docs/capacity.md says
# why a figure to decide on wants longer ones).
SEARCH = ("--settle", "0.5s", "--confirm", "0", "--min-requests", "30")
FALLBACK_RATE = 120.0  # the fixed rate when no capacity says better (--no-capacity)
# A few requests to each public page before the search: a Gunicorn worker's first
# requests (imports, templates, SQLite's page cache) would otherwise fail its first step.
WARM_UP = ("/", "/blog", "/pricing", "/api/health")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m swarmdeck.demo", description=__doc__)
    parser.add_argument("-f", "--locustfile", default="scenarios/public_pages.py",
                        help="the load of the searches and the runs: the public pages, one "
                        "request per iteration, no logins (scenarios/public_pages.py)")
    parser.add_argument("--scale", type=int, default=10, help="shopfront seed scale (10)")
    parser.add_argument("--workers", type=int, default=4, help="Gunicorn workers (4)")
    parser.add_argument("--no-capacity", action="store_true",
                        help="skip the capacity searches: the runs go at --rate "
                        f"(default {FALLBACK_RATE:g}/s)")
    parser.add_argument("--start-rate", default="40/s", help="the searches' first rate (40/s)")
    parser.add_argument("--max-rate", default="640/s",
                        help="the searches' top rate (640/s): the generator shares the same "
                        "2 cores with both servers; the fixed rate is at most half of it, "
                        "or the rate at which naive broke")
    parser.add_argument("--step", default="2s", help="how long the searches hold a rate (2s)")
    parser.add_argument("--precision", default="25%", help="the searches' precision (25%%)")
    parser.add_argument("--rate", default=None,
                        help="the fixed-rate runs' rate (default: halfway between the "
                        "capacities, at most half --max-rate, rounded to 10/s)")
    parser.add_argument("-t", "--rate-time", default="15s",
                        help="how long each fixed-rate run lasts (15s)")
    parser.add_argument("--admin-time", default="25s",
                        help="how long the admins' monthly-report run of each profile lasts "
                        "(25s; 0 skips it)")
    parser.add_argument("--workdir", default=".swarmdeck/demo",
                        help="where shopfront's demo databases live")
    parser.add_argument("--db", default=None, help="swarmdeck's results database "
                        "(default: SWARMDECK_DB or .swarmdeck/swarmdeck.db)")
    parser.add_argument("--profile", choices=PROFILES, action="append",
                        help="run only this profile (repeatable; default both)")
    return parser.parse_args(argv)


STARTED = time.monotonic()


def say(text: str) -> None:
    """A step of the demo, with the time since it started (its budget is 5 minutes)."""
    elapsed = int(time.monotonic() - STARTED)
    print(f"\n==> [{elapsed // 60}:{elapsed % 60:02d}] {text}", flush=True)


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


class Shop:
    """One profile's Gunicorn, its StatsD address and the monitors that read both."""

    def __init__(self, profile: str, server: GunicornServer, statsd: str) -> None:
        self.profile, self.server, self.statsd = profile, server, statsd
        assert server.process is not None
        self.pid = server.process.pid

    @property
    def monitors(self) -> list[str]:
        return ["--monitor", f"process:{self.pid}", "--monitor", f"statsd://{self.statsd}"]

    def warm_up(self) -> None:
        for _ in range(3):
            for path in WARM_UP:
                with urllib.request.urlopen(self.server.url + path, timeout=30):  # nosec B310
                    pass


def start_shop(stack: ExitStack, profile: str, workdir: Path, secret: str,
               workers: int) -> Shop:
    database = workdir / f"{profile}.db"
    shutil.copy(workdir / "seed.db", database)  # each profile starts from the same data
    statsd = f"127.0.0.1:{free_udp_port()}"  # Gunicorn sends its metrics there
    env = {"SECRET_KEY": secret, "DATABASE_URL": f"sqlite:///{database}",
           "UPLOAD_FOLDER": str(workdir / "uploads"), "SHOPFRONT_PROFILE": profile,
           "GUNICORN_STATSD_HOST": statsd,
           # every response says where its time went (docs/server-timing.md)
           "SWARMDECK_SERVER_TIMING": "1"}
    server = stack.enter_context(GunicornServer(env, workers=workers))
    print(f"    {profile}: {server.url} ({workers} sync workers, StatsD to {statsd})",
          flush=True)
    return Shop(profile, server, statsd)


def swarmdeck(args: Sequence[str], shown: str) -> int:
    """Run a swarmdeck command in a child process (as a user would), printing it first."""
    say(shown)
    return subprocess.run([sys.executable, "-m", "swarmdeck", *args], check=False,
                          env={**os.environ}).returncode


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return found


def search(shop: Shop, args: argparse.Namespace, workdir: Path,
           db_args: list[str]) -> tuple[int, dict[str, Any] | None]:
    """``swarmdeck capacity`` of one profile: its exit code and its JSON's ``capacity``
    (None: no result)."""
    out = workdir / f"{shop.profile}-capacity.json"
    out.unlink(missing_ok=True)
    slo = [a for s in SLO for a in ("--slo", s)]
    rates = ["--start-rate", args.start_rate, "--max-rate", args.max_rate,
             "--step", args.step, "--precision", args.precision]
    code = swarmdeck(
        ["capacity", "-f", args.locustfile, "--host", shop.server.url, *slo, *rates,
         *SEARCH, *shop.monitors, "--tag", f"profile={shop.profile}", "--tag", "demo=1",
         "--json", str(out), *db_args],
        f"swarmdeck capacity -f {args.locustfile} --host {shop.server.url} "
        + " ".join(f"--slo '{s}'" for s in SLO) + " " + " ".join(rates) + " "
        + " ".join(SEARCH) + f" --monitor process:{shop.pid} --monitor statsd://{shop.statsd}"
        f"   ({shop.profile})")
    found = read_json(out)
    if code not in (0, 1, 3) or found is None:  # 1: fails even at the start; 3: generator
        print(f"demo: the capacity search of {shop.profile} ended with exit {code}",
              file=sys.stderr)
        return code, None
    capacity: dict[str, Any] = found["capacity"]
    return 0, capacity  # 1 and 3 are results here: "under N", "at least N"


def sustains(capacity: dict[str, Any] | None, start_rate: str) -> str:
    """``320 req/s``, ``at least 320 req/s`` or ``under 40 req/s`` (one request per
    iteration in the public pages: an iteration is a request)."""
    if capacity is None:
        return "? req/s (no result)"
    if capacity.get("rate") is None:  # the SLO failed at the start rate
        return f"under {start_rate.removesuffix('/s')} req/s"
    rate = f"{capacity['rate']:g} req/s"
    if not capacity.get("found"):  # the generator could not start a higher rate
        return f"at least {rate} (then the generator's limit)"
    return rate if capacity.get("upper") is not None else f"at least {rate}"


def capacity_line(capacities: dict[str, dict[str, Any] | None], start_rate: str) -> str:
    """``naive sustains 50 req/s, tuned at least 320 req/s within p95 < 500 ms``."""
    parts = [f"{p} {'sustains ' if i == 0 else ''}{sustains(c, start_rate)}"
             for i, (p, c) in enumerate(capacities.items())]
    return ", ".join(parts) + " within p95 < 500 ms"


def rate_between(capacities: dict[str, dict[str, Any] | None], given: str | None,
                 ceiling: float) -> str:
    """The fixed rate: --rate, or halfway between the two capacities (the naive one's
    start rate when it failed even there), at most ``ceiling`` and the tuned one's, at
    least the rate at which the naive one broke, rounded to 10/s. Halfway, not nearer the
    naive one: short steps on a shared machine can find it well below what it takes in a
    longer run. The ceiling (half the searches' top rate): a 15-s run holds its rate
    longer than a 2-s step, and the generator sharing the target's cores stalls sooner."""
    if given:
        return given
    naive, tuned = capacities.get("naive"), capacities.get("tuned")
    low = (naive.get("rate") or naive.get("upper")) if naive else None
    high = tuned.get("rate") if tuned else None
    if not (low and high):
        return f"{FALLBACK_RATE:g}/s"
    assert naive is not None
    rate = min((float(low) + float(high)) / 2, ceiling, float(high))
    rate = max(rate, float(naive.get("upper") or 0))
    return f"{max(10, round(rate / 10) * 10):g}/s"


def fixed_rate_run(shop: Shop, args: argparse.Namespace, rate: str, workdir: Path,
                   db_args: list[str], compare_to: int | None) -> tuple[int, int | None]:
    """One open-model run at ``rate``: its exit code and stored run id."""
    result = workdir / f"{shop.profile}.json"
    result.unlink(missing_ok=True)
    gates = [a for t in THRESHOLDS for a in ("--threshold", t)]
    compare = ["--compare-to", str(compare_to)] if compare_to is not None else []
    code = swarmdeck(
        ["run", "-f", args.locustfile, "--host", shop.server.url, "--arrival-rate", rate,
         "-t", args.rate_time, "--tag", f"profile={shop.profile}", "--tag", "demo=1",
         *gates, *shop.monitors, *compare, "--json", str(result), *db_args],
        f"swarmdeck run -f {args.locustfile} --arrival-rate {rate} -t {args.rate_time} "
        f"--tag profile={shop.profile} " + " ".join(f"--threshold '{t}'" for t in THRESHOLDS)
        + f" --monitor process:{shop.pid} --monitor statsd://{shop.statsd}"
        + (f" --compare-to {compare_to}" if compare else ""))
    run = read_json(result)
    return code, (int(run["run_id"]) if run else None)


ADMIN_LOCUSTFILE = "scenarios/monthly_report.py"
# admins at once: naive's report takes seconds of CPU at scale 10, and its findings need
# at least 5 timed responses (analysis/server_findings.py's MIN_TIMED)
ADMIN_USERS = 3


def admin_runs(shops: Sequence[Shop], args: argparse.Namespace, workdir: Path,
               db_args: list[str]) -> dict[str, int]:
    """The guide's heavy endpoint: admins asking for the monthly report, on each
    profile at once (closed model: the report holds a worker for seconds on naive), each
    run's summary printed after both ended. Their exit codes by profile."""
    runs = {}
    for shop in shops:
        result = workdir / f"{shop.profile}-admin.json"
        result.unlink(missing_ok=True)
        runs[shop.profile] = subprocess.Popen(
            [sys.executable, "-m", "swarmdeck", "run", "-f", ADMIN_LOCUSTFILE, "--host",
             shop.server.url, "-u", str(ADMIN_USERS), "-r", str(ADMIN_USERS), "-t",
             args.admin_time, "--tag",
             f"profile={shop.profile}", "--tag", "demo=admin", *shop.monitors, "--json",
             str(result), *db_args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ})
    codes = {}
    for shop in shops:
        output, _ = runs[shop.profile].communicate()
        codes[shop.profile] = runs[shop.profile].returncode
        say(f"swarmdeck run -f {ADMIN_LOCUSTFILE} -u {ADMIN_USERS} -t {args.admin_time} "
            f"--tag profile={shop.profile} --monitor process:{shop.pid} --monitor "
            f"statsd://{shop.statsd}   (the admin's monthly report, {shop.profile})")
        print(output, end="", flush=True)
    return codes


def ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def story(capacities: dict[str, dict[str, Any] | None], start_rate: str, rate: str,
          tuned: dict[str, Any] | None) -> list[str]:
    """The summary's lines: the capacities, the verdicts at the fixed rate, the queries."""
    lines = [capacity_line(capacities, start_rate)] if capacities else []
    comparison = (tuned or {}).get("comparison")
    if comparison:
        lines.append(f"at {rate}, naive -> tuned, p95 from the due time:")
        for row in comparison["rows"]:
            base, cand = row["base"], row["candidate"]
            if base and cand and None not in (base.get("p95_ms"), cand.get("p95_ms")):
                name = "overall" if row.get("overall") else row["name"]
                lines.append(f"  {name}: {ms(base['p95_ms'])} -> {ms(cand['p95_ms'])} ms  "
                             f"{row['verdict']}")
        queries = [s for s in comparison.get("server", []) if s["metric"] == "queries"
                   and s["base"] is not None and s["candidate"] is not None
                   and (s["base"] or s["candidate"])]
        if queries:
            lines.append("queries per request (median, Server-Timing), naive -> tuned: "
                         + ", ".join(f"{s['name']} {s['base']:g} -> {s['candidate']:g}"
                                     for s in queries))
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        parse_rate(args.max_rate)
    except Invalid as exc:
        print(f"demo: --max-rate {exc}", file=sys.stderr)
        return 2
    try:
        parse_duration(args.admin_time)
    except DurationError as exc:
        print(f"demo: --admin-time {exc}", file=sys.stderr)
        return 2
    if not Path(args.locustfile).is_file():
        print(f"demo: locustfile {args.locustfile} not found; run from the repository root",
              file=sys.stderr)
        return 2
    workdir = Path(args.workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    profiles = [p for p in PROFILES if p in (args.profile or PROFILES)]
    say(f"seeding shopfront at scale {args.scale} (SQLite, {workdir})")
    seed(workdir / "seed.db", args.scale, secret, workdir / "uploads")
    db_args = ["--db", args.db] if args.db else []
    codes: dict[str, int] = {}
    run_ids: dict[str, int] = {}
    capacities: dict[str, dict[str, Any] | None] = {}
    with ExitStack() as stack:
        say(f"shopfront under Gunicorn, {' and '.join(profiles)} side by side")
        try:
            shops = [start_shop(stack, p, workdir, secret, args.workers) for p in profiles]
            for shop in shops:
                shop.warm_up()
        except (ServerError, OSError) as exc:
            print(f"demo: shopfront did not start: {exc}", file=sys.stderr)
            return 3
        if not args.no_capacity:
            for shop in shops:
                code, capacities[shop.profile] = search(shop, args, workdir, db_args)
                if code:
                    codes[f"{shop.profile} capacity"] = code
        rate = rate_between(capacities, args.rate, parse_rate(args.max_rate) / 2)
        if capacities:
            say(capacity_line(capacities, args.start_rate) + f"; now each at {rate} for "
                f"{args.rate_time}, the open model (iterations at a rate whatever the "
                "responses do, latency from when each was due)")
        for shop in shops:
            compare_to = run_ids.get("naive") if shop.profile == "tuned" else None
            codes[shop.profile], run_id = fixed_rate_run(shop, args, rate, workdir, db_args,
                                                         compare_to)
            if run_id is not None:
                run_ids[shop.profile] = run_id
        if parse_duration(args.admin_time) > 0:
            say(f"the guide's heavy endpoint: {ADMIN_USERS} admins asking for the monthly "
                f"report, on each profile at once, for {args.admin_time}")
            for profile, code in admin_runs(shops, args, workdir, db_args).items():
                codes[f"{profile} admin"] = code
    swarmdeck(["runs", "-n", str(3 * len(profiles)), *db_args], "stored runs (swarmdeck runs)")
    if {"naive", "tuned"} <= run_ids.keys():
        naive, tuned = run_ids["naive"], run_ids["tuned"]
        report = workdir / "report.html"
        swarmdeck(["report", str(tuned), "--compare-to", str(naive), "-o", str(report),
                   *db_args], f"swarmdeck report {tuned} --compare-to {naive} -o {report}")
        print(f"\nOpen the report: file://{report}")
    print("Browse every run: swarmdeck serve" + (f" --db {args.db}" if args.db else "")
          + "   (then http://127.0.0.1:8089)")
    print("`swarmdeck show RUN` prints a run again; `swarmdeck show RUN --json` as JSON.")
    lines = story(capacities, args.start_rate, rate, read_json(workdir / "tuned.json")
                  if "tuned" in run_ids else None)
    if lines:
        say("in short")
        print("\n".join(lines), flush=True)
    # exit 1 from a threshold is the demo's point for the naive profile, not a failure
    bad = {p: c for p, c in codes.items() if c not in (0, 1)}
    return next(iter(bad.values()), 0)


if __name__ == "__main__":
    sys.exit(main())
