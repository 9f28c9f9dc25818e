"""The terminal's Server table: mean and peak of each series over the run and per stage,
per-worker series folded out (counted), top statements."""

from __future__ import annotations

from rich.console import Console

from swarmdeck.analysis.summary import summarize_endpoint
from swarmdeck.metrics.interval import EndpointInterval
from swarmdeck.records.monitors import MonitorSeries, MonitorSource, TopQuery
from swarmdeck.report.model import StageReport
from swarmdeck.report.monitors_view import server_table, top_queries

TOTALS = summarize_endpoint(EndpointInterval(start=0, method="", name="x"), 1.0)
STAGES = (StageReport("baseline", 0, 10, 10, TOTALS), StageReport("peak", 10, 20, 40, TOTALS))
UTIL = MonitorSeries("gunicorn.utilization", "statsd://127.0.0.1:8125", "%",
                     tuple((float(t), 10.0 if t < 10 else 90.0) for t in range(20)))
RSS = MonitorSeries("rss", "process:1", "B", ((0.0, 1e8), (15.0, 3e8)))
WORKER = MonitorSeries("worker.77.cpu", "process:1", "%", ((0.0, 50.0),))


def text(renderable: object) -> str:
    console = Console(width=160, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_the_run_and_each_stage_have_mean_and_peak() -> None:
    shown = text(server_table([UTIL, RSS, WORKER], STAGES))
    row = next(line for line in shown.splitlines() if "gunicorn.utilization" in line)
    cells = [c.strip() for c in row.split("│")]
    assert cells[1:] == ["50% / 90%", "10% / 10%", "90% / 90%"]
    assert "baseline" in shown and "peak" in shown
    assert "100 MB / 100 MB" in shown and "300 MB / 300 MB" in shown  # each in its stage
    assert "worker.77" not in shown and "1 per-worker series" in shown


def test_without_a_shape_only_the_run() -> None:
    shown = text(server_table([UTIL]))
    assert "50% / 90%" in shown and "per stage" not in shown


def test_top_statements_of_a_postgresql_monitor() -> None:
    source = MonitorSource("postgresql://u:***@h/db", "postgresql",
                           top_queries=(TopQuery("SELECT * FROM orders WHERE id = $1", 1200,
                                                 3456.7, 2.88, 1200),))
    (table,) = top_queries([source])
    shown = text(table)
    assert "postgresql://u:***@h/db" in shown and "SELECT * FROM orders" in shown
    assert "3,457" in shown and "1,200" in shown
