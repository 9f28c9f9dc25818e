"""An open-model run's iterations charted in headless Chromium, in the HTML report and on
the dashboard's run page: scheduled, started and dropped iterations per second and the start
lag's p95 under the response times, on the same time axis; a closed-model run has neither."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.report.runs import OPEN_SECONDS, T0, make_open_run, make_run
from tests.web.liveserver import LiveDashboard

from swarmdeck.report.html import write_html
from swarmdeck.store import Store

pytestmark = pytest.mark.browser
INKED = """(name) => {
  const canvas = document.querySelector(`[data-chart="${name}"] canvas`);
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++;
  return n;
}"""
SCALES = """() => {
  const charts = SwarmdeckReport.last.charts;
  return ["latency", "iterations", "start-lag"].map(
    (k) => [charts[k].scales.x.min, charts[k].scales.x.max, charts[k].data[0].length]);
}"""


@dataclass(frozen=True)
class Runs:
    url: str
    folder: Path
    open_id: int
    closed_id: int


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    folder = tmp_path_factory.mktemp("iteration-charts")
    url = f"sqlite:///{folder / 'runs.db'}"
    with Store.open(url) as store:
        open_id = make_open_run(store)
        closed_id = make_run(store, seconds=OPEN_SECONDS, start=T0 + 3600)
        write_html(store, open_id, folder / "open.html")
        write_html(store, closed_id, folder / "closed.html")
    return Runs(url, folder, open_id, closed_id)


@pytest.fixture(scope="module")
def dashboard(runs: Runs) -> Iterator[LiveDashboard]:
    with LiveDashboard(runs.url) as live:
        yield live


def _assert_iteration_charts(page: Any) -> None:
    page.wait_for_selector("[data-chart=start-lag] canvas")
    scales = page.evaluate(SCALES)
    assert scales[0] == scales[1] == scales[2]  # one time axis
    assert scales[0][1] >= OPEN_SECONDS - 1
    assert page.evaluate(INKED, "iterations") > 300
    assert page.evaluate(INKED, "start-lag") > 300
    legend = page.inner_text("[data-chart=iterations]")
    assert "scheduled/s" in legend and "started/s" in legend and "dropped/s" in legend
    assert "start lag p95" in page.inner_text("[data-chart=start-lag]")
    # second 11: 105 due, 100 started, 5 dropped; the lag's p95 ~300 ms (the stall)
    values = page.evaluate("""() => {
      const it = SwarmdeckReport.last.charts.iterations.data;
      const lag = SwarmdeckReport.last.charts["start-lag"].data;
      return [it[1][11], it[2][11], it[3][11], lag[1][11]];
    }""")
    assert values[:3] == [105, 100, 5] and 250 < values[3] < 320
    assert page.console_errors == []


def _assert_none(page: Any) -> None:
    page.wait_for_selector("[data-chart=latency] canvas")
    assert page.locator("[data-chart=iterations]").count() == 0
    assert page.locator("[data-chart=start-lag]").count() == 0
    assert page.console_errors == []


def test_the_report_charts_an_open_model_run_s_iterations(page: Any, runs: Runs) -> None:
    page.goto((runs.folder / "open.html").as_uri())
    _assert_iteration_charts(page)


def test_the_report_of_a_closed_model_run_has_no_iteration_charts(page: Any,
                                                                  runs: Runs) -> None:
    page.goto((runs.folder / "closed.html").as_uri())
    _assert_none(page)


def test_the_dashboard_charts_an_open_model_run_s_iterations(
        page: Any, runs: Runs, dashboard: LiveDashboard) -> None:
    page.goto(f"{dashboard.url}/runs/{runs.open_id}")
    page.wait_for_selector("#sd-report[data-rendered=true]")
    _assert_iteration_charts(page)
    page.goto(f"{dashboard.url}/runs/{runs.closed_id}")
    page.wait_for_selector("#sd-report[data-rendered=true]")
    _assert_none(page)
