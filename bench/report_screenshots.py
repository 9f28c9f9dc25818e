"""The report screenshots in docs/img/ (report.png, report-compare.png), from real runs.

    .venv/bin/python bench/report_screenshots.py [--out docs/img] [-t 15s] [-u 10]

Seeds shopfront (scale 2, SQLite) in a temp folder, serves it under Gunicorn in its
``naive`` and then its ``tuned`` profile, loads each with ``swarmdeck run`` (the step
shape, a few users, a few seconds; 127.0.0.1 only) into a temp results database, writes
the tuned run's report and the naive-vs-tuned compare report with ``swarmdeck report``,
and takes full-page screenshots of both in headless Chromium (Debian's, via Playwright).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from shopfront.server import GunicornServer
from swarmdeck.demo import seed

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking"]


def swarmdeck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "swarmdeck", *args], check=False, text=True,
                          capture_output=True, cwd=REPO, timeout=300)


def load(folder: Path, db: str, secret: str, profile: str, users: int, run_time: str,
         *extra: str) -> int:
    database = folder / f"{profile}.db"
    shutil.copy(folder / "seed.db", database)
    env = {"SECRET_KEY": secret, "DATABASE_URL": f"sqlite:///{database}",
           "UPLOAD_FOLDER": str(folder / "uploads"), "SHOPFRONT_PROFILE": profile}
    with GunicornServer(env, workers=2) as server:
        run = swarmdeck("run", "-f", "scenarios/locustfile.py", "--host", server.url,
                        "--shape", "step", "-u", str(users), "-t", run_time, "--quiet",
                        "--tag", f"profile={profile}", "--threshold", "p95 < 500ms",
                        "--threshold", "error_rate < 1%", "--db", db, *extra)
    print(run.stdout.strip(), run.stderr.strip()[-500:], sep="\n", flush=True)
    if run.returncode not in (0, 1):
        raise SystemExit(f"swarmdeck run ({profile}) exited {run.returncode}")
    listed = swarmdeck("runs", "-n", "1", "--json", "--db", db)
    return int(json.loads(listed.stdout)[0]["id"])


def shoot(html: Path, png: Path, height: int | None) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("SWARMDECK_CHROMIUM", "/usr/bin/chromium"),
            args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(html.as_uri())
            page.wait_for_selector("[data-chart=latency] canvas")
            full = page.evaluate("document.documentElement.scrollHeight")
            page.screenshot(path=str(png), full_page=True,
                            clip=None if height is None else
                            {"x": 0, "y": 0, "width": 1280, "height": min(height, full)})
        finally:
            browser.close()
    print(f"wrote {png}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "img")
    parser.add_argument("-t", "--run-time", default="20s")
    parser.add_argument("-u", "--users", type=int, default=20)
    parser.add_argument("--height", type=int, default=2200,
                        help="clip the screenshots to this many pixels (0: full page)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        secret = "screenshots-" + "0" * 32
        seed(folder / "seed.db", 2, secret, folder / "uploads")
        db = f"sqlite:///{folder / 'results.db'}"
        naive = load(folder, db, secret, "naive", args.users, args.run_time)
        run_html, compare_html = folder / "report.html", folder / "compare.html"
        # the compare report as `swarmdeck run --compare-to RUN --html PATH` writes it
        tuned = load(folder, db, secret, "tuned", args.users, args.run_time,
                     "--compare-to", str(naive), "--html", str(compare_html))
        done = swarmdeck("report", str(tuned), "-o", str(run_html), "--db", db)
        if done.returncode or not compare_html.is_file():
            raise SystemExit(f"swarmdeck report: {done.stderr}; or no {compare_html}")
        height = args.height or None
        shoot(run_html, args.out / "report.png", height)
        shoot(compare_html, args.out / "report-compare.png", height)


if __name__ == "__main__":
    main()
