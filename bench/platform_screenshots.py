"""The platform's pictures in docs/img/ (platform-*.png), from a real run: a tester logs
in to ``swarmdeck serve`` (Gunicorn), saves a test of scenarios/public_pages.py against
shopfront under Gunicorn, starts it, and the live run page, the stopped run's test page,
the tests list and the Users page are photographed in headless Chromium.

    .venv/bin/python bench/platform_screenshots.py [-u 10] [--live 20] [--out docs/img]

Bounded: one run, stopped after ``--live`` seconds, on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from shopfront.server import GunicornServer
from swarmdeck.demo import seed
from swarmdeck.store import Store
from swarmdeck.store.platform import Accounts

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]
PEOPLE = (("ada", "admin"), ("tess", "tester"), ("vic", "viewer"))
PASSWORD = "screenshots-password"


def shoot(page: Any, target: Path, height: int = 1400) -> None:
    page.wait_for_timeout(300)
    full = page.evaluate("document.documentElement.scrollHeight")
    page.screenshot(path=str(target), full_page=True,
                    clip={"x": 0, "y": 0, "width": 1280, "height": min(height, full)})
    print(f"wrote {target}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-u", "--users", type=int, default=10)
    parser.add_argument("--live", type=float, default=20.0,
                        help="seconds of load before the picture of the live page")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "img")
    args = parser.parse_args()
    chromium = os.environ.get("SWARMDECK_CHROMIUM") or shutil.which("chromium")
    if chromium is None:
        raise SystemExit("no Chromium: apt-get install chromium (or set SWARMDECK_CHROMIUM)")
    with tempfile.TemporaryDirectory(prefix="swarmdeck-platform-shots-") as folder:
        work = Path(folder)
        results = f"sqlite:///{work / 'results.db'}"
        with Store.open(results) as store:
            for name, role in PEOPLE:
                Accounts(store).add_user(name, PASSWORD, role, actor="screenshots")
        secret = "screenshots-" + "0" * 32
        seed(work / "shop.db", 1, secret, work / "uploads")
        env = {"SECRET_KEY": secret, "DATABASE_URL": f"sqlite:///{work / 'shop.db'}",
               "UPLOAD_FOLDER": str(work / "uploads"), "SHOPFRONT_PROFILE": "tuned"}
        with GunicornServer(env, workers=2) as shop:
            clean = {k: v for k, v in os.environ.items() if not k.startswith("SWARMDECK_")}
            server = subprocess.Popen(
                [sys.executable, "-m", "swarmdeck", "serve", "--db", results, "--bind",
                 "127.0.0.1:0"], stdout=subprocess.PIPE, text=True, env=clean, cwd=work,
                start_new_session=True)
            try:
                assert server.stdout is not None
                match = re.search(r"on (http://\S+) ", server.stdout.readline())
                if match is None:
                    raise SystemExit("swarmdeck serve did not start")
                photograph(match[1].rstrip("/"), shop.url, chromium, args)
            finally:
                server.send_signal(signal.SIGINT)
                server.wait(timeout=30)
                if server.stdout:
                    server.stdout.close()


def photograph(url: str, shop: str, chromium: str, args: argparse.Namespace) -> None:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(30_000)
        page.goto(url + "/login")
        page.fill("input[name=account-name]", "tess")
        page.fill("input[name=account-password]", PASSWORD)
        page.click("#sd-login-account button[type=submit]")
        page.goto(url + "/tests/new")
        page.fill("input[name=name]", "public pages")
        page.fill("input[name=host]", shop)
        page.fill("input[name=users]", str(args.users))
        page.fill("input[name=spawn_rate]", str(args.users))
        page.fill("input[name=run_time]", "5m")
        page.fill("textarea[name=thresholds]", "p95 < 300ms\nerror_rate < 1%")
        page.fill("textarea[name=tags]", "team=shop")
        page.set_input_files("input[name=locustfile]",
                             str(REPO / "scenarios" / "public_pages.py"))
        page.click("#sd-test-form button[type=submit]")
        page.wait_for_selector("#sd-test-name")
        test_url = page.url
        page.click("#sd-start button")
        page.wait_for_url("**/runs/*")
        page.wait_for_selector("#sd-report[data-rendered=true] .sd-chart canvas")
        page.wait_for_timeout(int(args.live * 1000))
        shoot(page, out / "platform-live-run.png")
        page.click("#sd-stop button")
        page.wait_for_function("""() => document.querySelector('#sd-report')
            .dataset.status !== 'running'""")
        for _ in range(30):  # until the process has exited and its launch says so
            page.goto(test_url)
            if "ended (exit" in page.locator("table.sd-launches").inner_text():
                break
            page.wait_for_timeout(500)
        shoot(page, out / "platform-test.png")
        page.goto(url + "/tests")
        shoot(page, out / "platform-tests.png", 500)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        admin = context.new_page()
        admin.goto(url + "/login")
        admin.fill("input[name=account-name]", "ada")
        admin.fill("input[name=account-password]", PASSWORD)
        admin.click("#sd-login-account button[type=submit]")
        admin.goto(url + "/audit")
        shoot(admin, out / "platform-audit.png", 600)
        browser.close()


if __name__ == "__main__":
    main()
