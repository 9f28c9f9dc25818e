"""Benchmark: what swarmdeck's Flask extension (``swarmdeck.flask.ServerTiming``) costs the
app, per request, in CPU.

shopfront (tuned profile, scale 1, SQLite) with the extension off and on, each in its own
process (the extension's engine listeners are process-wide: an "off" app beside an "on" one
would pay for them too), called as a WSGI app directly (no server, no network: the CPU of the
app itself), route by route. Rounds alternate which side goes first; each side reports the
CPU seconds (``time.process_time``) of a fixed number of requests after a warm-up, and the
figure per route is the median over rounds of on − off (µs per request) and on / off.

Routes: ``/pricing`` (a template, no database), ``/blog`` (2 statements),
``/api/products/103`` (3 statements), ``/`` (a cached page: a Flask-Caching read), and the
naive ``/blog`` (30 statements: the cost per statement).

    python bench/server_timing.py --rounds 3 --requests 2000
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROUTES = [  # (label, profile, path)
    ("GET /pricing (template, no db)", "tuned", "/pricing"),
    ("GET / (cached)", "tuned", "/"),
    ("GET /api/products/103 (3 statements)", "tuned", "/api/products/103"),
    ("GET /blog (2 statements)", "tuned", "/blog"),
    ("GET /blog naive (30 statements)", "naive", "/blog"),
]
WARMUP = 200


def seed(path: Path) -> None:
    from shopfront import create_app
    from shopfront.extensions import db
    from shopfront.seed import init_db

    app = create_app({"SECRET_KEY": secrets.token_hex(32), "SHOPFRONT_PROFILE": "naive",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "UPLOAD_FOLDER": str(path.parent / "up")})
    with app.app_context():
        init_db(1)
        db.engine.dispose()


def side(database: Path, profile: str, on: bool, paths: list[str], requests: int
         ) -> dict[str, float]:
    """In this process: the app, CPU seconds per request for each path."""
    from werkzeug.test import EnvironBuilder

    from shopfront import create_app
    from swarmdeck.flask import ServerTiming

    app = create_app({"SECRET_KEY": "x" * 40, "SHOPFRONT_PROFILE": profile,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                      "UPLOAD_FOLDER": str(database.parent / "up"),
                      "SWARMDECK_SERVER_TIMING": on, "CACHE_TYPE": "SimpleCache"})
    if "swarmdeck_server_timing" not in app.extensions:  # a shopfront that does not wire it
        ServerTiming(app)
    token = _api_token(app)
    result = {}
    for path in paths:
        headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
        environ = EnvironBuilder(path=path, headers=headers).get_environ()
        for _ in range(WARMUP):
            _call(app, environ, path)
        started = time.process_time()
        for _ in range(requests):
            _call(app, environ, path)
        result[path] = (time.process_time() - started) / requests
    return result


def _call(app: Any, environ: dict[str, Any], path: str) -> None:
    status: list[str] = []
    body = app(dict(environ), lambda s, h, e=None: status.append(s))
    for _ in body:
        pass
    if hasattr(body, "close"):
        body.close()
    if not status or not status[0].startswith("200"):
        raise SystemExit(f"bench: {path} answered {status}")


def _api_token(app: Any) -> str:
    client = app.test_client()
    response = client.post("/api/auth/login", json={"email": "api.loadtest@example.com",
                                                   "password": "StrongPassword456!"})
    return str(response.get_json()["access_token"])


def run_side(database: Path, profile: str, on: bool, paths: list[str], requests: int
             ) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--side", json.dumps(
            {"database": str(database), "profile": profile, "on": on, "paths": paths,
             "requests": requests})],
        capture_output=True, text=True, check=False, env={**os.environ})
    if out.returncode != 0:
        raise SystemExit(f"bench: a side failed:\n{out.stderr[-3000:]}")
    return {k: float(v) for k, v in json.loads(out.stdout.splitlines()[-1]).items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=3000, help="per route, side, round")
    parser.add_argument("--side", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        spec = json.loads(args.side)
        print(json.dumps(side(Path(spec["database"]), spec["profile"], spec["on"],
                              spec["paths"], spec["requests"])))
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="bench-server-timing-"))
    try:
        seed(tmp / "seed.db")
        by_profile: dict[str, list[str]] = {}
        for _, profile, path in ROUTES:
            by_profile.setdefault(profile, []).append(path)
        cpu: dict[tuple[str, str, bool], list[float]] = {}
        for round_ in range(args.rounds):
            order = (False, True) if round_ % 2 == 0 else (True, False)
            for profile, paths in by_profile.items():
                for on in order:
                    database = tmp / f"{profile}-{on}.db"
                    if not database.exists():
                        shutil.copy(tmp / "seed.db", database)
                    for path, seconds in run_side(database, profile, on, paths,
                                                  args.requests).items():
                        cpu.setdefault((profile, path, on), []).append(seconds)
            print(f"round {round_ + 1}/{args.rounds} done", file=sys.stderr, flush=True)
        print(f"\nCPU per request, median of {args.rounds} alternating rounds of "
              f"{args.requests} requests (WSGI calls in-process, one core)\n")
        print(f"{'route':40} {'off µs':>8} {'on µs':>8} {'on-off µs':>10} {'on/off':>7}")
        figures = {}
        for label, profile, path in ROUTES:
            off = [s * 1e6 for s in cpu[(profile, path, False)]]
            on = [s * 1e6 for s in cpu[(profile, path, True)]]
            delta = statistics.median(b - a for a, b in zip(off, on))
            ratio = statistics.median(b / a for a, b in zip(off, on))
            figures[label] = {"off_us": statistics.median(off), "on_us": statistics.median(on),
                              "overhead_us": delta, "ratio": ratio}
            print(f"{label:40} {statistics.median(off):8.0f} {statistics.median(on):8.0f} "
                  f"{delta:10.1f} {ratio:7.3f}")
        print(json.dumps(figures, indent=1), file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
