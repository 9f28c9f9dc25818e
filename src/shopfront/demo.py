"""The demo: seed shopfront, serve it under Gunicorn, load it headless with Locust, show the
summary. ``python -m shopfront.demo`` (``make demo`` runs it with the corrected scenarios)."""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from shopfront import create_app
from shopfront.seed import init_db
from shopfront.server import GunicornServer, ServerError


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m shopfront.demo", description=__doc__)
    parser.add_argument("-f", "--locustfile", default="scenarios/locustfile.py")
    parser.add_argument("--profile", choices=("naive", "tuned"), default="tuned")
    parser.add_argument("--scale", type=int, default=10, help="seed scale (default 10)")
    parser.add_argument("-u", "--users", type=int, default=40)
    parser.add_argument("-r", "--spawn-rate", type=float, default=10)
    parser.add_argument("-t", "--run-time", default="30s")
    parser.add_argument("--workers", type=int, default=4, help="Gunicorn workers")
    parser.add_argument("--workdir", default=".swarmdeck/demo",
                        help="where the demo database and uploads live")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    locustfile = Path(args.locustfile)
    if not locustfile.is_file():
        print(f"demo: locustfile {locustfile} not found; run from the repository root",
              file=sys.stderr)
        return 2
    workdir = Path(args.workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{workdir / 'shopfront.db'}"),
        "UPLOAD_FOLDER": str(workdir / "uploads"),
        "SHOPFRONT_PROFILE": args.profile,
    }
    print(f"==> seeding shopfront at scale {args.scale} ({env['DATABASE_URL']})", flush=True)
    app = create_app({"SECRET_KEY": env["SECRET_KEY"], "SQLALCHEMY_DATABASE_URI":
                      env["DATABASE_URL"], "UPLOAD_FOLDER": env["UPLOAD_FOLDER"],
                      "SHOPFRONT_PROFILE": args.profile})
    with app.app_context():
        counts = init_db(args.scale)
    print("    " + ", ".join(f"{n:,} {name}" for name, n in counts.items()), flush=True)
    try:
        with GunicornServer(env, workers=args.workers) as server:
            print(f"==> shopfront ({args.profile}) under Gunicorn, {args.workers} workers, "
                  f"at {server.url}", flush=True)
            print(f"==> Locust: {locustfile}, {args.users} users at {args.spawn_rate}/s "
                  f"for {args.run_time}", flush=True)
            locust = subprocess.run([
                sys.executable, "-m", "locust", "-f", str(locustfile), "--headless",
                "--host", server.url, "-u", str(args.users), "-r", str(args.spawn_rate),
                "-t", args.run_time, "--only-summary", "--stop-timeout", "10",
            ], check=False)
    except ServerError as exc:
        print(f"demo: shopfront did not start: {exc}", file=sys.stderr)
        return 3
    print(f"==> Locust exited with {locust.returncode} "
          f"({'no failures' if locust.returncode == 0 else 'some requests failed'})")
    return locust.returncode


if __name__ == "__main__":
    sys.exit(main())
