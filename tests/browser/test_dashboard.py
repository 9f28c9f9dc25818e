"""The dashboard in headless Chromium: pages load without console errors, charts draw,
picking an endpoint redraws, the run page updates live during a real run, the compare
page shows both runs, and the XSS payloads stored in a run never execute."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.conftest import SCENARIOS, shop  # noqa: F401 - the fixture
from tests.web.conftest import HOST_A, Seeded, seeded  # noqa: F401 - the fixture
from tests.web.liveserver import LiveDashboard

from swarmdeck.store import Store
from swarmdeck.web import Auth

pytestmark = pytest.mark.browser

# every canvas of the given charts has at least one painted pixel
PAINTED = """(selector) => Array.from(document.querySelectorAll(selector)).map((canvas) => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) return true; }
  return false;
})"""


@pytest.fixture(scope="module")
def dashboard(seeded: Seeded) -> Iterator[LiveDashboard]:  # noqa: F811
    with Store.open(seeded.url) as store:
        store.heartbeat(seeded.ids["running"])
    with LiveDashboard(seeded.url) as live:
        yield live


def _no_xss(page: Any) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined"


def _canvas_fingerprint(page: Any, chart: str) -> str:
    return str(page.evaluate(f"""() => document.querySelector(
        '[data-chart="{chart}"] canvas').toDataURL()"""))


def test_runs_list_loads_and_links_to_runs(page: Any, dashboard: LiveDashboard,
                                           seeded: Seeded) -> None:  # noqa: F811
    page.goto(dashboard.url + "/")
    rows = page.locator("table.sd-runs tbody tr")
    assert rows.count() == 25
    page.select_option("select[name=status]", "failed")
    page.click("form.sd-filters button[type=submit]")
    page.wait_for_url("**/?*status=failed*")
    assert page.locator("table.sd-runs tbody tr").count() == 1
    page.click(f"a[href='/runs/{seeded.ids['dev']}'] >> nth=0")
    page.wait_for_selector("#sd-report[data-rendered=true]")
    assert page.console_errors == [] and page.requests_off_host == []


def test_run_page_draws_and_picking_an_endpoint_redraws(page: Any, dashboard: LiveDashboard,
                                                        seeded: Seeded) -> None:  # noqa: F811
    page.goto(f"{dashboard.url}/runs/{seeded.ids['dev']}")
    page.wait_for_selector("#sd-report[data-rendered=true] .sd-chart canvas")
    assert all(page.evaluate(PAINTED, ".sd-chart canvas"))
    assert "Run " + str(seeded.ids["dev"]) in page.locator("h1").first.inner_text()
    assert page.locator(".sd-tile-value").first.inner_text() == "200"
    before = _canvas_fingerprint(page, "latency")
    page.select_option("select.sd-endpoint-select", "GET /products")
    page.wait_for_function("""() => document.querySelector('[data-chart="latency"]')
        .textContent.includes('/products')""")
    assert _canvas_fingerprint(page, "latency") != before
    assert all(page.evaluate(PAINTED, ".sd-chart canvas"))
    assert page.locator("select.sd-endpoint-select").input_value() == "GET /products"
    assert page.console_errors == []


def test_compare_page_shows_both_runs(page: Any, dashboard: LiveDashboard,
                                      seeded: Seeded) -> None:  # noqa: F811
    base, candidate = seeded.ids["old"], seeded.ids["dev"]
    page.goto(dashboard.url + "/compare")
    page.select_option("select[name=base]", str(base))
    page.select_option("select[name=candidate]", str(candidate))
    page.click("form.sd-filters button[type=submit]")
    page.wait_for_selector("#sd-report[data-rendered=true] .sd-chart canvas")
    text = page.locator("#sd-report").inner_text()
    assert f"{base}" in text and f"{candidate}" in text
    assert "slower" in text  # the candidate's /products was slower
    assert all(page.evaluate(PAINTED, ".sd-chart canvas"))
    assert page.console_errors == []


def test_trends_page_draws_a_line_per_endpoint(page: Any, dashboard: LiveDashboard) -> None:
    page.goto(f"{dashboard.url}/trends?host={HOST_A}")
    page.wait_for_selector("#sd-trends[data-drawn='1'] canvas")
    assert page.evaluate(PAINTED, "#sd-trends canvas") == [True, True]
    assert "release-1" in page.locator("table.sd-trend-runs").inner_text()
    page.select_option("select[name=endpoint]", "GET /products")
    page.wait_for_selector("#sd-trends[data-drawn='2'] canvas")
    assert page.evaluate(PAINTED, "#sd-trends canvas") == [True, True]
    assert page.console_errors == []


def test_xss_payloads_do_not_execute(page: Any, dashboard: LiveDashboard,
                                     seeded: Seeded) -> None:  # noqa: F811
    xss = seeded.ids["xss"]
    for path in (f"/?host={HOST_A}", f"/runs/{xss}", f"/compare?base={seeded.ids['old']}&candidate={xss}",
                 f"/trends?host={HOST_A}"):
        page.goto(dashboard.url + path)
        page.wait_for_load_state("networkidle")
        _no_xss(page)
        assert "window.__xss" in page.locator("body").inner_text(), path  # shown as text
    page.goto(f"{dashboard.url}/runs/{xss}")
    page.wait_for_selector("#sd-report[data-rendered=true]")
    for option in page.locator("select.sd-endpoint-select option").all_inner_texts()[1:]:
        page.select_option("select.sd-endpoint-select", label=option)
        _no_xss(page)
    page.locator("table.sd-endpoint-table tbody tr").first.click()
    _no_xss(page)
    assert page.console_errors == []


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return json.load(answer)


@pytest.mark.integration
def test_run_page_updates_live_during_a_real_run(page: Any, shop: Any,  # noqa: F811
                                                 tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'live.db'}"
    with Store.open(db):
        pass
    with LiveDashboard(db) as live:
        env = {**os.environ, "SWARMDECK_DB": db}
        process = subprocess.Popen(
            [sys.executable, "-m", "swarmdeck", "run", "-f", str(SCENARIOS / "public_pages.py"),
             "--host", shop.url, "-u", "3", "-r", "3", "-t", "12s", "-q", "--db", db],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 20
            runs: list[dict[str, Any]] = []
            while not runs or runs[0]["requests"] == 0:
                assert time.monotonic() < deadline, "the run never showed up in the store"
                assert process.poll() is None, process.communicate()
                time.sleep(0.5)
                runs = _get_json(live.url + "/api/runs")["runs"]
            run_id = runs[0]["id"]
            page.goto(f"{live.url}/runs/{run_id}")
            page.wait_for_selector("#sd-report[data-rendered=true]")
            assert page.locator("#sd-report").get_attribute("data-status") == "running"
            assert page.locator("#sd-live").is_visible()
            first = int(page.locator(".sd-tile-value").first.inner_text().replace(",", ""))
            page.wait_for_function(
                """(first) => parseInt(document.querySelector('.sd-tile-value')
                   .textContent.replace(/,/g, '')) > first""", arg=first, timeout=10_000)
            assert int(page.locator("#sd-report").get_attribute("data-updates") or 0) >= 1
            _, err = process.communicate(timeout=60)
            assert process.returncode == 0, err[-2000:]
            page.wait_for_function("""() => document.querySelector('#sd-report')
                .dataset.status !== 'running'""", timeout=10_000)
            final = int(page.locator(".sd-tile-value").first.inner_text().replace(",", ""))
            assert final == _get_json(f"{live.url}/api/runs/{run_id}")["requests"]
            assert not page.locator("#sd-live").is_visible()
            assert all(page.evaluate(PAINTED, ".sd-chart canvas"))
            assert page.console_errors == []
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()


def test_login_with_the_token(page: Any, seeded: Seeded) -> None:  # noqa: F811
    token = "browser-test-token-0123456789"
    with LiveDashboard(seeded.url, AUTH=Auth(token=token)) as live:
        page.goto(f"{live.url}/runs/{seeded.ids['dev']}")
        page.wait_for_url(lambda url: "/login?next=" in url)
        page.fill("input[name=token]", "not the token at all")
        page.click("form.sd-login button[type=submit]")
        assert "not the dashboard's token" in page.locator("main").inner_text()
        page.fill("input[name=token]", token)
        page.click("form.sd-login button[type=submit]")
        page.wait_for_selector("#sd-report[data-rendered=true] .sd-chart canvas")
        assert page.url.endswith(f"/runs/{seeded.ids['dev']}")
        page.click("form.sd-logout button")
        page.wait_for_url(lambda url: url.endswith("/login"))
        assert page.context.request.get(f"{live.url}/api/runs").status == 401
    assert [e for e in page.console_errors if "401" not in e] == []
