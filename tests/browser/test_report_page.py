"""The HTML report opened from file:// in headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.report.runs import (
    CLOSING_NAME,
    FINDINGS,
    HOSTILE_REASON,
    HOSTILE_TAG,
    IMG_NAME,
    OUTAGE,
    SCRIPT_NAME,
    T0,
    THRESHOLDS,
    make_run,
)
from tests.store.factories import make_meta

from swarmdeck.records.comparison import Comparison
from swarmdeck.report.html import write_html
from swarmdeck.store import Store
from swarmdeck.verdict.comparison import run_ref

pytestmark = pytest.mark.browser
COMPARE_ERROR = f"cannot compare with baseline:{IMG_NAME}: no such baseline"
GUIDE_NAME = "GET /pricing"  # the guide's way: the method in the name (Locust's method: GET)

# Set before any script of the page runs: an executed payload would leave a trace here.
TRAP = """
window.__alerts = [];
window.alert = function (m) { window.__alerts.push(String(m)); };
window.__pwned = undefined;
"""

# Non-blank pixels of a chart's canvas (uPlot draws into one canvas per chart).
INKED = """(name) => {
  const canvas = document.querySelector(`[data-chart="${name}"] canvas`);
  if (!canvas || !canvas.width || !canvas.height) return 0;
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++;
  return n;
}"""


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    folder = tmp_path_factory.mktemp("reports")
    with Store.open(f"sqlite:///{folder / 'runs.db'}") as store:
        run = make_run(store, seconds=90, names=("/a", "/b", "/c"), queries=23,
                       verdict={"thresholds": THRESHOLDS, "findings": FINDINGS})
        hostile = make_run(store, seconds=20, names=("/a", SCRIPT_NAME, IMG_NAME, CLOSING_NAME,
                                                     GUIDE_NAME),
                           tags={"note": HOSTILE_TAG}, shape=False, start=T0 + 600,
                           verdict={"findings": FINDINGS}, details={"script_errors": [
                               {"type": "KeyError", "file": "pages/<b>x</b>.py", "line": 7,
                                "count": 3, "first_at": T0 + 601.5, "last_at": T0 + 610.0,
                                "message": HOSTILE_REASON}],
                               "script_errors_log": "/runs/logs/run-2-script-errors.log"})
        store.record_verdict(hostile, findings=store.get_run(hostile).details.findings,
                             comparison=Comparison(base=None, candidate=run_ref(
                                 store.get_run(hostile)), error=COMPARE_ERROR))
        base = make_run(store, seconds=60, seed=3, start=T0 + 1200, queries=41)
        candidate = make_run(store, seconds=60, seed=4, scale_us=8_000, start=T0 + 1800,
                             queries=3)
        outage = make_run(store, seconds=30, names=("/a",), shape=False, start=T0 + 2400,
                          verdict={"findings": [OUTAGE]})
        empty = store.create_run(make_meta(started_at=datetime.fromtimestamp(T0, UTC)))
        store.finish_run(empty, "crashed", datetime.fromtimestamp(T0 + 3, UTC),
                         message="target unreachable")
        yield {"run": write_html(store, run, folder / "run.html"),
               "empty": write_html(store, empty, folder / "empty.html"),
               "outage": write_html(store, outage, folder / "outage.html"),
               "hostile": write_html(store, hostile, folder / "hostile.html"),
               "compare": write_html(store, candidate, folder / "compare.html",
                                     compare_to=base)}


def open_report(page: Any, path: Path) -> None:
    page.add_init_script(TRAP)
    page.goto(path.as_uri())
    page.wait_for_selector("[data-chart=latency] canvas")


def assert_clean(page: Any) -> None:
    assert page.console_errors == []
    assert page.requests_off_host == []
    assert page.evaluate("window.__alerts") == []
    assert page.evaluate("window.__pwned") is None


def test_the_report_draws_its_charts_offline(page: Any, reports: dict[str, Path]) -> None:
    open_report(page, reports["run"])
    for name in ("users", "rps", "latency", "distribution"):
        box = page.locator(f"[data-chart={name}] canvas").bounding_box()
        assert box["width"] > 200 and box["height"] > 100, name
        assert page.evaluate(INKED, name) > 500, f"{name} chart is blank"
    assert page.locator("h1").inner_text().startswith("Run ")
    assert page.locator("#sd-thresholds .sd-badge").all_inner_texts() == ["pass", "FAIL"]
    assert page.locator(".sd-finding").count() == 2
    assert page.locator(".sd-finding").first.locator(".sd-badge").inner_text() == "error"
    assert "HTTP 500" in page.locator("#sd-failures").inner_text()
    assert page.locator("#sd-script-errors").count() == 0  # none in this run
    assert page.locator("#sd-stages tbody tr").count() == 4
    assert_clean(page)


# Pixels of a chart's canvas in the outage band's colour (rgba(214,48,49,0.14)), and where.
OUTAGE_PIXELS = """(name) => {
  const canvas = document.querySelector(`[data-chart="${name}"] canvas`);
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0, left = canvas.width, right = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
    if (a > 25 && a < 50 && Math.abs(r - 214) < 12 && Math.abs(g - 48) < 12 &&
        Math.abs(b - 49) < 12) {
      n++;
      const x = (i / 4) % canvas.width;
      left = Math.min(left, x); right = Math.max(right, x);
    }
  }
  return {n: n, left: left, right: right, width: canvas.width};
}"""


def test_outages_are_shaded_on_the_charts(page: Any, reports: dict[str, Path]) -> None:
    open_report(page, reports["outage"])
    for name in ("users", "rps", "latency"):
        band = page.evaluate(OUTAGE_PIXELS, name)
        assert band["n"] > 1000, name
        # 0:08 to 0:18 of a 30-s run: a third of the plot, left of its middle
        assert 0.15 < band["left"] / band["width"] < 0.4, band
        assert 0.4 < band["right"] / band["width"] < 0.7, band
    assert "red bands mark outages" in page.locator("#sd-over-time").inner_text()
    open_report(page, reports["run"])
    assert page.evaluate(OUTAGE_PIXELS, "rps")["n"] == 0
    assert_clean(page)


def test_picking_an_endpoint_redraws_the_charts(page: Any, reports: dict[str, Path]) -> None:
    open_report(page, reports["run"])
    before = page.evaluate("SwarmdeckReport.last.charts.latency.data[2]")
    pixels = page.evaluate("document.querySelector('[data-chart=latency] canvas').toDataURL()")
    page.select_option(".sd-endpoint-select", "GET /a")
    page.wait_for_function("SwarmdeckReport.last.state.endpoint === 'GET /a'")
    after = page.evaluate("SwarmdeckReport.last.charts.latency.data[2]")
    assert after != before and len(after) == len(before)
    assert page.evaluate(
        "document.querySelector('[data-chart=latency] canvas').toDataURL()") != pixels
    assert "GET /a" in page.locator("[data-chart=latency] .u-title").inner_text()
    assert page.evaluate(INKED, "latency") > 500
    # a row click picks too, and the table marks it
    page.locator(".sd-endpoint-table tbody tr[data-key='POST /b']").click()
    assert page.locator(".sd-endpoint-select").input_value() == "POST /b"
    assert page.locator(".sd-endpoint-table tr.sd-selected").get_attribute("data-key") == "POST /b"
    assert_clean(page)


def test_the_table_sorts_by_a_clicked_column(page: Any, reports: dict[str, Path]) -> None:
    open_report(page, reports["run"])

    def keys() -> list[str]:
        return page.locator(".sd-endpoint-table tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.key)")

    def p95s() -> list[float]:
        return [float(t.replace(",", "")) for t in page.locator(
            ".sd-endpoint-table tbody tr td:nth-child(9)").all_inner_texts()]

    assert keys() == ["GET /a", "POST /b", "GET /c"]
    p95 = page.locator(".sd-endpoint-table th[data-key='p95_ms']")  # not "Failed p95 ms"
    p95.click()
    assert p95s() == sorted(p95s(), reverse=True) and len(set(p95s())) == 3
    p95.click()
    assert p95s() == sorted(p95s())
    assert page.locator(".sd-endpoint-table th.sd-asc").inner_text().startswith("p95")
    page.keyboard.press("Shift+Tab")  # to the p90 header; Enter sorts by it (keyboard)
    page.keyboard.press("Enter")
    assert page.locator(".sd-endpoint-table th.sd-desc").inner_text().startswith("p90")
    assert_clean(page)


def test_the_failed_requests_latency_has_its_own_column(page: Any,
                                                        reports: dict[str, Path]) -> None:
    """The percentiles are of the successes; the failed requests' p95 is apart, sortable,
    "–" for an endpoint without failures (GET /a)."""
    open_report(page, reports["run"])
    header = page.locator(".sd-endpoint-table th[data-key='failed_latency.p95_ms']")
    assert header.inner_text() == "Failed p95 ms"
    header.click()
    keys = page.locator(".sd-endpoint-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.key)")
    cells = page.locator(".sd-endpoint-table tbody tr td:nth-child(13)").all_inner_texts()
    assert keys[-1] == "GET /a" and cells[-1] == "–"
    assert all(float(text.replace(",", "")) > 0 for text in cells[:-1])
    assert_clean(page)


def test_update_keeps_the_pick_and_the_sort(page: Any, reports: dict[str, Path]) -> None:
    open_report(page, reports["run"])
    page.select_option(".sd-endpoint-select", "GET /c")
    page.locator(".sd-endpoint-table th", has_text="Requests").click()
    page.evaluate("SwarmdeckReport.last.charts.latency.setScale('x', {min: 20, max: 40})")
    page.evaluate("""() => {
      const doc = JSON.parse(document.getElementById('swarmdeck-data').textContent);
      doc.endpoint_timelines.series['GET /c'].p95 =
        doc.endpoint_timelines.series['GET /c'].p95.map(v => v === null ? v : v * 3);
      SwarmdeckReport.update(doc);
    }""")
    assert page.locator(".sd-endpoint-select").input_value() == "GET /c"
    assert page.locator(".sd-endpoint-table th.sd-desc").inner_text().startswith("Requests")
    assert "GET /c" in page.locator("[data-chart=latency] .u-title").inner_text()
    assert page.evaluate(INKED, "latency") > 500
    assert page.evaluate("[SwarmdeckReport.last.charts.latency.scales.x.min,"
                         " SwarmdeckReport.last.charts.latency.scales.x.max]") == [20, 40]
    assert page.evaluate("SwarmdeckReport.last.charts.rps.scales.x.min") == 0  # not zoomed
    assert_clean(page)


def test_hostile_names_stay_text(page: Any, reports: dict[str, Path]) -> None:
    open_report(page, reports["hostile"])
    table = page.locator(".sd-endpoint-table").inner_text()
    for name in (SCRIPT_NAME, IMG_NAME, CLOSING_NAME):
        assert name in table  # shown as the text it is
    assert page.locator(".sd-report img").count() == 0
    assert page.locator("main script").count() == 0
    assert HOSTILE_TAG in page.locator(".sd-tags").inner_text()
    assert COMPARE_ERROR in page.locator("#sd-comparison").inner_text()
    assert IMG_NAME in page.locator("#sd-findings").inner_text()
    script_errors = page.locator("#sd-script-errors").inner_text()
    assert HOSTILE_REASON in script_errors and "pages/<b>x</b>.py:7" in script_errors
    assert "run-2-script-errors.log" in script_errors
    page.select_option(".sd-endpoint-select", f"GET {IMG_NAME}")
    assert IMG_NAME in page.locator("[data-chart=latency] .u-title").inner_text()
    page.locator(".sd-endpoint-table th", has_text="Endpoint").click()
    assert_clean(page)


def test_a_name_with_its_method_shows_the_method_once(page: Any,
                                                      reports: dict[str, Path]) -> None:
    open_report(page, reports["hostile"])
    key = f"GET {GUIDE_NAME}"  # the document's key; the page shows the label
    row = page.locator(f".sd-endpoint-table tbody tr[data-key='{key}'] .sd-endpoint")
    assert row.inner_text().strip() == GUIDE_NAME
    options = page.locator(".sd-endpoint-select option")
    assert GUIDE_NAME in options.all_inner_texts()
    page.select_option(".sd-endpoint-select", key)
    assert page.locator(".sd-endpoint-select").input_value() == key
    for chart in ("rps", "latency", "distribution"):
        title = page.locator(f"[data-chart={chart}] .u-title").inner_text()
        assert title.endswith(f"— {GUIDE_NAME}"), title
    assert GUIDE_NAME in page.locator("#sd-failures").inner_text()
    assert "GET GET" not in page.locator(".sd-report").inner_text()
    assert_clean(page)


def test_a_compare_report_overlays_both_runs(page: Any, reports: dict[str, Path]) -> None:
    open_report(page, reports["compare"])
    heads = page.locator(".sd-compare-side h1").all_inner_texts()
    assert heads[0].startswith("Base: run ") and heads[1].startswith("Candidate: run ")
    rows = page.locator(".sd-comparison-table tbody tr")
    assert rows.count() == 3  # all endpoints, GET /a, POST /b
    assert "All endpoints" in rows.first.inner_text()
    verdicts = page.locator(".sd-comparison-table .sd-badge").all_inner_texts()
    assert "slower" in verdicts
    labels = page.evaluate("SwarmdeckReport.last.charts.latency.series.map(s => s.label)")
    assert len([x for x in labels if "run" in x]) == 4  # p95 and p50 of both runs
    for name in ("users", "rps", "latency"):
        assert page.evaluate(INKED, name) > 500, name
    page.select_option(".sd-endpoint-select", "POST /b")
    assert "POST /b" in page.locator("[data-chart=latency] .u-title").inner_text()
    assert_clean(page)


SPLIT_WIDTHS = """() => Array.from(document.querySelectorAll("#sd-server .sd-split span"))
  .map((s) => s.getBoundingClientRect().width)"""


def test_where_the_time_went(page: Any, reports: dict[str, Path]) -> None:
    """/a's server said (Server-Timing): app 80% of the latency, db 60%; the others did
    not. The bar splits db, templates, other app time and the rest in those shares."""
    open_report(page, reports["run"])
    rows = page.locator("#sd-server tbody tr")
    assert rows.count() == 1 and rows.first.locator("td").first.inner_text().endswith("/a")
    db, tpl, app, rest = page.evaluate(SPLIT_WIDTHS)
    total = db + tpl + app + rest
    assert abs(db / total - 0.6) < 0.02 and tpl == 0
    assert abs(app / total - 0.2) < 0.02 and abs(rest / total - 0.2) < 0.02
    assert rows.first.locator("td").nth(-3).inner_text() == "23"  # queries p50
    assert_clean(page)
    open_report(page, reports["compare"])
    assert "GET /a: 41 → 3 queries" in page.locator("#sd-comparison").inner_text()
    assert_clean(page)


def test_a_run_without_requests_says_so(page: Any, reports: dict[str, Path]) -> None:
    open_report(page, reports["empty"])
    assert "crashed" in page.locator("h1").inner_text()
    assert page.locator(".sd-message").inner_text() == "target unreachable"
    assert "No requests recorded." in page.locator("#sd-distribution").inner_text()
    assert "No failures." in page.locator("#sd-failures").inner_text()
    assert page.locator(".sd-endpoint-table tbody tr").count() == 0
    assert_clean(page)
