"""The demo: shopfront under Gunicorn in its ``naive`` and then its ``tuned`` profile, each
loaded by ``swarmdeck run`` with the corrected scenarios under the ``step`` shape; live view,
summaries with thresholds and findings, the server's side sampled on the same clock (a
process and a StatsD monitor of Gunicorn), the tuned run compared with the naive one, the
HTML report of both overlaid, and the command that opens the dashboard.
``make demo`` runs ``python -m swarmdeck.demo``.
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
from collections.abc import Sequence
from pathlib import Path

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
    run_ids: dict[str, int] = {}
    for profile in args.profile or PROFILES:
        database = workdir / f"{profile}.db"
        shutil.copy(workdir / "seed.db", database)  # each profile starts from the same data
        statsd = f"127.0.0.1:{free_udp_port()}"  # Gunicorn sends its metrics there
        env = {"SECRET_KEY": secret, "DATABASE_URL": f"sqlite:///{database}",
               "UPLOAD_FOLDER": str(workdir / "uploads"), "SHOPFRONT_PROFILE": profile,
               "GUNICORN_STATSD_HOST": statsd,
               # every response says where its time went (docs/server-timing.md)
               "SWARMDECK_SERVER_TIMING": "1"}
        try:
            with GunicornServer(env, workers=args.workers) as server:
                say(f"shopfront, profile {profile}, under Gunicorn ({args.workers} sync workers) "
                    f"at {server.url}")
                gates = [a for t in THRESHOLDS for a in ("--threshold", t)]
                compare = (["--compare-to", str(run_ids["naive"])]
                           if profile == "tuned" and "naive" in run_ids else [])
                result = workdir / f"{profile}.json"
                # the server's side on the same clock: Gunicorn's process tree and its own
                # StatsD metrics (worker utilization)
                assert server.process is not None
                monitors = ["--monitor", f"process:{server.process.pid}",
                            "--monitor", f"statsd://{statsd}"]
                say(f"swarmdeck run -f {args.locustfile} --shape step -u {args.users} "
                    f"-t {args.run_time} --tag profile={profile} "
                    + " ".join(f"--threshold '{t}'" for t in THRESHOLDS)
                    + f" --monitor process:{server.process.pid} --monitor statsd://{statsd}"
                    + (f" --compare-to {compare[1]}" if compare else ""))
                run = subprocess.run(
                    [sys.executable, "-m", "swarmdeck", "run", "-f", args.locustfile,
                     "--host", server.url, "--shape", "step", "-u", str(args.users),
                     "-t", args.run_time, "--tag", f"profile={profile}", "--tag", "demo=1",
                     *gates, *monitors, *compare, "--json", str(result), *db_args],
                    check=False, env={**os.environ})
                codes[profile] = run.returncode
                if result.is_file():
                    run_ids[profile] = int(json.loads(result.read_text())["run_id"])
        except ServerError as exc:
            print(f"demo: shopfront did not start: {exc}", file=sys.stderr)
            return 3
    swarmdeck = [sys.executable, "-m", "swarmdeck"]
    say("stored runs (swarmdeck runs)")
    subprocess.run([*swarmdeck, "runs", "-n", "5", *db_args], check=False)
    if {"naive", "tuned"} <= run_ids.keys():
        naive, tuned = run_ids["naive"], run_ids["tuned"]
        # the median: a one-minute run has too few requests per endpoint for p95 verdicts
        # (at least 100 each; see docs/compare.md), the run's own --compare-to shows p95
        say(f"swarmdeck compare {naive} {tuned} --metric p50   (naive -> tuned: is the "
            "change real? on the median)")
        subprocess.run([*swarmdeck, "compare", str(naive), str(tuned), "--metric", "p50",
                        *db_args], check=False)
        report = workdir / "report.html"
        say(f"swarmdeck report {tuned} --compare-to {naive} -o {report}")
        subprocess.run([*swarmdeck, "report", str(tuned), "--compare-to", str(naive),
                        "-o", str(report), *db_args], check=False)
        print(f"\nOpen the report: file://{report}")
    print("Browse every run: swarmdeck serve" + (f" --db {args.db}" if args.db else "")
          + "   (then http://127.0.0.1:8089)")
    print("`swarmdeck show RUN` prints a run again; `swarmdeck show RUN --json` as JSON.")
    # exit 1 from a threshold is the demo's point for the naive profile, not a failure
    bad = {p: c for p, c in codes.items() if c not in (0, 1)}
    return next(iter(bad.values()), 0)


if __name__ == "__main__":
    sys.exit(main())
