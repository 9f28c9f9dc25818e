"""Benchmark: requests/s per route of shopfront's ``naive`` vs ``tuned`` profile under load.

Both profiles serve copies of one seeded database under real Gunicorn; Locust (FastHttpUser,
no think time, a fixed number of users) loads one route at a time. Rounds alternate the
order of the profiles, and each route's figure is the median over rounds, so drift on a
shared machine hits both sides alike. Run: ``make bench`` or
``python bench/profiles.py --scale 20 --rounds 3 --seconds 6``.
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

from shopfront import create_app
from shopfront.extensions import db
from shopfront.seed import init_db
from shopfront.server import GunicornServer

HERE = Path(__file__).resolve().parent
ROUTES = [  # (label, path, login)
    ("GET /", "/", ""),
    ("GET /blog", "/blog", ""),
    ("GET /api/products?category=python", "/api/products?category=python&limit=20&page=3", "api"),
    ("GET /api/products (all)", "/api/products?limit=20&page=50", "api"),
    ("GET /api/products/:id", "/api/products/103", "api"),
    ("GET /reports/monthly-summary", "/reports/monthly-summary?month=2025-01&format=json", "admin"),
    ("GET /pricing (control)", "/pricing", ""),
]


def seed(path: Path, scale: int, secret: str) -> None:
    app = create_app({"SECRET_KEY": secret, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "SHOPFRONT_PROFILE": "naive", "UPLOAD_FOLDER": str(path.parent / "up")})
    with app.app_context():
        init_db(scale)
        db.engine.dispose()


def load(url: str, path: str, login: str, users: int, seconds: int, tmp: Path) -> dict[str, float]:
    env = {**os.environ, "BENCH_PATH": path, "BENCH_LOGIN": login}
    out = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(HERE / "route_user.py"), "--headless",
         "--host", url, "-u", str(users), "-r", str(users), "-t", f"{seconds}s",
         "--json", "--loglevel", "ERROR", "--stop-timeout", "5"],
        capture_output=True, text=True, env=env, timeout=seconds + 60, cwd=tmp, check=False,
    )
    stats = {s["name"]: s for s in json.loads(out.stdout)}["route"]
    elapsed = stats["last_request_timestamp"] - stats["start_time"]
    return {
        "rps": stats["num_requests"] / elapsed if elapsed > 0 else 0.0,
        "failures": stats["num_failures"],
        "avg_ms": stats["total_response_time"] / max(stats["num_requests"], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="Gunicorn workers per profile")
    parser.add_argument("--out", default=str(HERE / "results" / "profiles.json"))
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-profiles-"))
    secret = secrets.token_hex(32)
    print(f"seeding scale {args.scale} ...", flush=True)
    seed(tmp / "seed.db", args.scale, secret)
    servers = {}
    for profile in ("naive", "tuned"):
        shutil.copy(tmp / "seed.db", tmp / f"{profile}.db")
        servers[profile] = GunicornServer({
            "SECRET_KEY": secret, "DATABASE_URL": f"sqlite:///{tmp / f'{profile}.db'}",
            "SHOPFRONT_PROFILE": profile, "UPLOAD_FOLDER": str(tmp / "up"),
        }, workers=args.workers).start()
    samples: dict[str, dict[str, list[dict[str, float]]]] = {
        label: {"naive": [], "tuned": []} for label, _, _ in ROUTES}
    try:
        for rnd in range(args.rounds):
            order = ("naive", "tuned") if rnd % 2 == 0 else ("tuned", "naive")
            for label, path, login in ROUTES:
                for profile in order:
                    result = load(servers[profile].url, path, login, args.users, args.seconds, tmp)
                    samples[label][profile].append(result)
                    print(f"round {rnd + 1} {profile:5} {label:36} {result['rps']:8.1f} req/s "
                          f"avg {result['avg_ms']:7.1f} ms  failures {result['failures']}",
                          flush=True)
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    rows = []
    print(f"\nscale {args.scale}, {args.users} users, {args.workers} Gunicorn workers per "
          f"profile, {args.rounds} rounds x {args.seconds}s; medians over rounds")
    print(f"{'route':36} {'naive req/s':>12} {'tuned req/s':>12} {'tuned/naive':>12}")
    for label, _, _ in ROUTES:
        naive = statistics.median(s["rps"] for s in samples[label]["naive"])
        tuned = statistics.median(s["rps"] for s in samples[label]["tuned"])
        failures = sum(s["failures"] for p in samples[label].values() for s in p)
        rows.append({"route": label, "naive_rps": naive, "tuned_rps": tuned,
                     "ratio": tuned / naive if naive else None, "failures": failures})
        print(f"{label:36} {naive:12.1f} {tuned:12.1f} {tuned / naive if naive else 0:11.2f}x"
              + (f"  ({failures} failures)" if failures else ""))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
                               "routes": rows, "samples": samples}, indent=2))
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
