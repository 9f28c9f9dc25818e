"""The report's monitor charts in headless Chromium: drawn under the latency chart on the
same time axis (the same x range, one cursor), the Server table, names kept as text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.report.runs import T0, make_run

from swarmdeck.records import RunDetails, RunStatus
from swarmdeck.records.monitors import MonitorPoint, MonitorSource
from swarmdeck.report.html import write_html
from swarmdeck.store import Store

pytestmark = pytest.mark.browser
HOSTILE = '<img src=x onerror="window.__pwned = 9">'
INKED = """(name) => {
  const canvas = document.querySelector(`[data-chart="${name}"] canvas`);
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++;
  return n;
}"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("monitor-report")
    with Store.open(f"sqlite:///{folder / 'runs.db'}") as store:
        run_id = make_run(store, seconds=60)
        points = []
        for s in range(2, 58):  # a gap of 2 s at either end
            points += [MonitorPoint("cpu", T0 + s, 10 + s, "%", "process:1"),
                       MonitorPoint("gunicorn.utilization", T0 + s, min(100.0, 2.0 * s), "%",
                                    "statsd://127.0.0.1:8125"),
                       MonitorPoint("rss", T0 + s, 1e8 + s * 1e6, "B", "process:1"),
                       MonitorPoint(HOSTILE, T0 + s, 1.0, "", "process:1")]
        store.add_monitor_points(run_id, points)
        store.finish_run(run_id, RunStatus.PASSED, store.get_run(run_id).ended_at,
                         details=RunDetails(monitors=(
                             MonitorSource("process:1", "process", samples=56),
                             MonitorSource("statsd://127.0.0.1:8125", "statsd", "lost",
                                           "gone", 50, ((30.0, 36.0),)))))
        yield write_html(store, run_id, folder / "report.html")


def test_monitor_charts_share_the_latency_chart_s_time_axis(page: Any, report: Path) -> None:
    page.add_init_script("window.__pwned = undefined;")
    page.goto(report.as_uri())
    page.wait_for_selector("[data-chart=monitor-pct] canvas")
    scales = page.evaluate("""() => {
      const charts = SwarmdeckReport.last.charts;
      return ["latency", "monitor-pct", "monitor-bytes"].map(
        (k) => [charts[k].scales.x.min, charts[k].scales.x.max, charts[k].data[0].length]);
    }""")
    assert scales[0] == scales[1] == scales[2]
    assert scales[0][1] >= 55  # the whole run
    assert page.evaluate(INKED, "monitor-pct") > 500
    # one cursor: moving it over the latency chart moves it on the monitor chart
    box = page.query_selector("[data-chart=latency] .u-over").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    cursors = page.evaluate("""() => {
      const charts = SwarmdeckReport.last.charts;
      return [charts.latency.cursor.idx, charts["monitor-pct"].cursor.idx];
    }""")
    assert cursors[0] is not None and cursors[0] == cursors[1]
    legend = page.inner_text("[data-chart=monitor-pct]")
    assert "cpu" in legend and "gunicorn.utilization" in legend
    server = page.inner_text("#sd-server")
    assert "gunicorn.utilization" in server and "lost" in server and "0:30" in server
    assert HOSTILE in server  # shown as text
    assert page.evaluate("window.__pwned") is None
    assert page.console_errors == []
