"""Screenshots of the dashboard's main pages from real runs: docs/img/dashboard-*.png.

    .venv/bin/python bench/screenshots_dashboard.py [--run-time 20s] [--users 12]
        [--out docs/img]

Seeds shopfront (scale 1, SQLite) and serves it under Gunicorn in its ``naive`` and then
its ``tuned`` profile; stores three real runs of scenarios/locustfile.py in a fresh results
database (naive, tuned, tuned again; thresholds and tags as the demo sets them) and makes
the first tuned run the baseline ``release``. Then starts ``swarmdeck serve`` on a free
port over that database and photographs, in headless Chromium (Debian's, via
Playwright): the runs list, the tuned run's page, the comparison naive -> tuned and the
host's trends. Bounded: about a minute of load on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from shopfront import create_app
from shopfront.extensions import db
from shopfront.seed import init_db
from shopfront.server import GunicornServer

REPO = Path(__file__).resolve().parents[1]
THRESHOLDS = ("p95 < 1s", "error_rate < 1%")


def seed(path: Path, secret: str, uploads: Path) -> None:
    app = create_app({"SECRET_KEY": secret, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "UPLOAD_FOLDER": str(uploads), "SHOPFRONT_PROFILE": "naive"})
    with app.app_context():
        init_db(1)
        db.engine.dispose()


def swarmdeck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "swarmdeck", *args], text=True,
                          capture_output=True, check=False, cwd=REPO)


def record_runs(work: Path, results: str, run_time: str, users: int) -> tuple[list[int], str]:
    secret = secrets.token_hex(32)
    seed(work / "seed.db", secret, work / "uploads")
    run_ids: list[int] = []
    host = ""
    with socket.socket() as probe:  # one port for all three: the trends are per host
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for i, profile in enumerate(("naive", "tuned", "tuned")):
        database = work / f"shop-{i}.db"
        shutil.copy(work / "seed.db", database)
        env = {"SECRET_KEY": secret, "DATABASE_URL": f"sqlite:///{database}",
               "UPLOAD_FOLDER": str(work / "uploads"), "SHOPFRONT_PROFILE": profile}
        with GunicornServer(env, workers=2, port=port) as server:
            host = host or server.url
            summary = work / f"run-{i}.json"
            gates = [a for t in THRESHOLDS for a in ("--threshold", t)]
            done = swarmdeck("run", "-f", "scenarios/locustfile.py", "--host", server.url,
                             "-u", str(users), "-r", str(users), "-t", run_time, "-q",
                             "--tag", f"profile={profile}", "--tag", f"build={100 + i}",
                             *gates, "--db", results, "--json", str(summary))
            if not summary.is_file():
                raise SystemExit(f"run {i} stored nothing: {done.stderr[-2000:]}")
            run_ids.append(int(json.loads(summary.read_text())["run_id"]))
            print(f"run {run_ids[-1]}: {profile} ({done.stdout.strip()})", flush=True)
    swarmdeck("baseline", "set", "release", str(run_ids[1]), "--db", results)
    return run_ids, host


def photograph(url: str, run_ids: list[int], out: Path) -> None:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("SWARMDECK_CHROMIUM") or shutil.which("chromium")
    if chromium is None:
        raise SystemExit("no Chromium: apt-get install chromium (or set SWARMDECK_CHROMIUM)")
    naive, tuned, _ = run_ids
    pages = [
        ("runs", "/", "table.sd-runs"),
        ("run", f"/runs/{tuned}", "#sd-report[data-rendered=true] .sd-chart canvas"),
        ("compare", f"/compare?base={naive}&candidate={tuned}",
         "#sd-report[data-rendered=true] .sd-chart canvas"),
        ("trends", "/trends", "#sd-trends[data-drawn] canvas"),
    ]
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium,
                                             args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for name, path, ready in pages:
            page.goto(url.rstrip("/") + path)
            page.wait_for_selector(ready)
            page.wait_for_timeout(300)  # let uPlot finish its first paint
            target = out / f"dashboard-{name}.png"
            page.screenshot(path=str(target), full_page=name != "run")
            print(f"wrote {target.relative_to(REPO) if target.is_relative_to(REPO) else target}")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-time", default="20s")
    parser.add_argument("--users", type=int, default=12)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "img")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="swarmdeck-shots-") as folder:
        work = Path(folder)
        results = f"sqlite:///{work / 'results.db'}"
        run_ids, _ = record_runs(work, results, args.run_time, args.users)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SWARMDECK_DASHBOARD")}
        server = subprocess.Popen(
            [sys.executable, "-m", "swarmdeck", "serve", "--db", results, "--bind",
             "127.0.0.1:0"], stdout=subprocess.PIPE, text=True, env=env, cwd=REPO,
            start_new_session=True)
        try:
            assert server.stdout is not None
            match = re.search(r"on (http://\S+) ", server.stdout.readline())
            if match is None:
                raise SystemExit("swarmdeck serve did not start")
            photograph(match[1], run_ids, args.out)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=20)
            server.stdout.close() if server.stdout else None


if __name__ == "__main__":
    main()
