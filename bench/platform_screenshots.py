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
import tempfile
from pathlib import Path

from _browser import VIEWPORT, browsing, chromium_path, picture, serving
from shopfront.server import GunicornServer
from swarmdeck.demo import seed
from swarmdeck.store import Store
from swarmdeck.store.platform import Accounts

REPO = Path(__file__).resolve().parents[1]
PEOPLE = (("ada", "admin"), ("tess", "tester"), ("vic", "viewer"))
PASSWORD = "screenshots-password"
HEIGHT = 1400  # pixels a picture is clipped to (the short pages' to less)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-u", "--users", type=int, default=10)
    parser.add_argument("--live", type=float, default=20.0,
                        help="seconds of load before the picture of the live page")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "img")
    args = parser.parse_args()
    chromium = chromium_path()
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
            with serving(results, clean, work, stop_s=30) as url:
                photograph(url, shop.url, chromium, args)


def photograph(url: str, shop: str, chromium: str, args: argparse.Namespace) -> None:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with browsing(chromium) as (browser, page):
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
        picture(page, out / "platform-live-run.png", HEIGHT)
        page.click("#sd-stop button")
        page.wait_for_function("""() => document.querySelector('#sd-report')
            .dataset.status !== 'running'""")
        for _ in range(30):  # until the process has exited and its launch says so
            page.goto(test_url)
            if "ended (exit" in page.locator("table.sd-launches").inner_text():
                break
            page.wait_for_timeout(500)
        picture(page, out / "platform-test.png", HEIGHT)
        page.goto(url + "/tests")
        picture(page, out / "platform-tests.png", 500)
        context = browser.new_context(viewport=VIEWPORT)
        admin = context.new_page()
        admin.goto(url + "/login")
        admin.fill("input[name=account-name]", "ada")
        admin.fill("input[name=account-password]", PASSWORD)
        admin.click("#sd-login-account button[type=submit]")
        admin.goto(url + "/audit")
        picture(admin, out / "platform-audit.png", 600)


if __name__ == "__main__":
    main()
