"""The terminal's "Server" table: each monitor series' mean and peak over the run and, for a
shape, per stage; PostgreSQL's top statements during the run. Per-worker series are left to
the charts and the JSON (their count is said under the table)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from swarmdeck.analysis.monitor_series import mean_peak
from swarmdeck.analysis.monitor_thresholds import show_value
from swarmdeck.records.monitors import MonitorSeries, MonitorSource, is_worker_series
from swarmdeck.report.model import RunReport, StageReport

MAX_STAGES = 6  # more stages than this: the run's columns only


def _cell(series: MonitorSeries, start: float | None = None,
          end: float | None = None) -> str:
    mean, peak = mean_peak(series, start, end)
    if mean is None or peak is None:
        return "–"
    return f"{show_value(mean, series.unit)} / {show_value(peak, series.unit)}"


def server_table(series: Sequence[MonitorSeries], stages: Sequence[StageReport] = ()
                 ) -> Table:
    shown = [s for s in series if not is_worker_series(s.name)]
    per_stage = list(stages) if 0 < len(stages) <= MAX_STAGES else []
    folded = len(series) - len(shown)
    title = "Server (mean / peak" + (" per stage" if per_stage else "") + ")" + (
        f"; {folded} per-worker series in the report and the JSON" if folded else "")
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("Series", overflow="fold", min_width=12)
    table.add_column("Run", justify="right")
    for stage in per_stage:
        table.add_column(stage.name, justify="right", overflow="fold")
    for s in shown:
        last = len(per_stage) - 1
        cells = [_cell(s, st.start_s if i else None, None if i == last else st.end_s)
                 for i, st in enumerate(per_stage)]
        table.add_row(Text(s.name), _cell(s), *cells)
    return table


def top_queries(sources: Sequence[MonitorSource]) -> list[RenderableType]:
    parts: list[RenderableType] = []
    for source in sources:
        if not source.top_queries:
            continue
        table = Table(title=f"Top statements during the run ({source.spec})",
                      title_justify="left", show_edge=False, pad_edge=False)
        for header in ("Total ms", "Calls", "Mean ms"):
            table.add_column(header, justify="right")
        table.add_column("Statement", overflow="fold")
        for q in source.top_queries:
            table.add_row(f"{q.total_ms:,.0f}", f"{q.calls:,}", f"{q.mean_ms:.3g}",
                          Text(q.query))
        parts.append(table)
    return parts


def renderables(report: RunReport) -> list[RenderableType]:
    if not report.monitors:
        return []
    return [server_table(report.monitors, report.stages), *top_queries(report.monitor_sources)]
