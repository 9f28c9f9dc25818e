"""The end-of-run summary and the run list, as rich tables. ``swarmdeck show`` prints the
same thing from the store as the run printed when it ended."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from swarmdeck.analysis.summary import EndpointSummary
from swarmdeck.labels import endpoint_label
from swarmdeck.report import (
    comparison_view,
    findings_view,
    monitors_view,
    open_model_view,
    script_errors_view,
    server_view,
    thresholds_view,
)
from swarmdeck.report import format as fmt
from swarmdeck.report.model import RunReport, StageReport
from swarmdeck.store import RunRow

STATUS_STYLE = {"passed": "green", "failed": "red", "aborted": "yellow", "crashed": "red",
                "degraded": "yellow", "running": "cyan"}


NARROW = 120  # below this many columns (80 in a CI log) the latency tables are trimmed

_LATENCY: tuple[tuple[str, Callable[[EndpointSummary], str]], ...] = (
    ("Requests", lambda e: fmt.count(e.requests)),
    ("Fails", lambda e: fmt.count(e.failures)),
    ("Fail %", lambda e: fmt.pct(e.failure_pct)),
    ("req/s", lambda e: fmt.rate(e.rps)),
    ("p50 ms", lambda e: fmt.ms(e.p50_ms)),
    ("p95 ms", lambda e: fmt.ms(e.p95_ms)),
    ("p99 ms", lambda e: fmt.ms(e.p99_ms)),
    ("p99.9 ms", lambda e: fmt.ms(e.p999_ms)),
    ("max ms", lambda e: fmt.ms(e.max_ms)))
_TRIMMED = frozenset({"Fails", "p99.9 ms", "max ms"})  # left out when narrow


def _latency_table(title: str | None, lead: Sequence[str],
                   rows: Sequence[tuple[Sequence[str], EndpointSummary, bool, bool]],
                   width: int | None) -> Table:
    """Leading columns (``lead``, the first one folding) then the latency columns; each
    row: (its leading cells, its summary, bold, ends a section). Narrower than ``NARROW``
    (a CI log), fewer latency columns, so that the names keep room to be read. The leading
    cells are the user's text (names, stages, regions): printed as written, never read
    as rich markup."""
    narrow = _narrow(width)
    columns = [(header, cell) for header, cell in _LATENCY
               if not (narrow and header in _TRIMMED)]
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for i, header in enumerate(lead):
        if i == 0:
            table.add_column(header, overflow="fold", min_width=12)
        else:
            table.add_column(header, no_wrap=True)
    for header, _ in columns:
        table.add_column(header, justify="right")
    for cells, summary_, bold, end in rows:
        table.add_row(*(Text(c) for c in cells), *(cell(summary_) for _, cell in columns),
                      style="bold" if bold else None, end_section=end)
    return table


def _narrow(width: int | None) -> bool:
    return width is not None and width < NARROW


def _endpoint(method: str, name: str) -> str:
    return endpoint_label(method, name)


def by_region(report: RunReport, width: int | None = None) -> RenderableType:
    """Every endpoint broken down by region (``swarmdeck show RUN --by-region``)."""
    rows = []
    for (method, name), regions in sorted(report.endpoint_regions.items(),
                                          key=lambda kv: (kv[0][1], kv[0][0])):
        for i, (region, r) in enumerate(sorted(regions.items())):
            rows.append(([_endpoint(method, name) if i == 0 else "", region], r, False,
                         i == len(regions) - 1))
    return _latency_table("Endpoints by region", ["Endpoint", "Region"], rows, width)


def summary(report: RunReport, width: int | None = None) -> RenderableType:
    """The run's summary; ``width``: the console's, to trim the tables when narrow."""
    status = Text(report.status.value, style=STATUS_STYLE.get(report.status, ""))
    head = Text.assemble(
        (f"Run {report.run_id} ", "bold"), status,
        f"  {report.host}  {report.locustfile}  started {report.started_at:%Y-%m-%d %H:%M:%S}Z"
        f"  duration {fmt.duration(report.duration_s)}",
    )
    parts: list[RenderableType] = [head]
    if report.message:
        parts.append(Text(report.message, style="yellow"))
    rows = [*report.endpoints, report.totals]
    parts.append(_latency_table(None, ["Endpoint"], [
        ([_endpoint(e.method, e.name)], e, i == len(rows) - 1, i == len(rows) - 2)
        for i, e in enumerate(rows)], width))
    parts += open_model_view.renderables(report)
    failed = failed_latency(report)
    if failed is not None:
        parts.append(failed)
    parts += server_view.renderables(report.endpoints)
    errors = [(e, x) for e in report.endpoints for x in e.errors]
    if errors:
        failures = Table(title="Top failure reasons", title_justify="left", show_edge=False,
                         pad_edge=False)
        failures.add_column("Count", justify="right")
        failures.add_column("Endpoint")
        failures.add_column("Reason", overflow="fold")
        for endpoint, error in sorted(errors, key=lambda ex: -ex[1].count)[:10]:
            failures.add_row(fmt.count(error.count),
                             Text(_endpoint(endpoint.method, endpoint.name)), Text(error.reason))
        parts.append(failures)
    parts += script_errors_view.renderables(report)
    if report.stages:
        def span(st: StageReport) -> str:
            return f"{fmt.duration(st.start_s)}-{fmt.duration(st.end_s)}"

        def load(st: StageReport) -> str:
            return str(st.users) if st.rate is None else f"{fmt.rate(st.rate)}/s"

        column = "Users" if all(st.rate is None for st in report.stages) else "Rate"
        if _narrow(width):  # the stage's time under its name
            stage_rows = [([f"{st.name}\n{span(st)}", load(st)], st.totals, False, False)
                          for st in report.stages]
            lead = ["Stage", column]
        else:
            stage_rows = [([st.name, span(st), load(st)], st.totals, False, False)
                          for st in report.stages]
            lead = ["Stage", "Time", column]
        parts.append(_latency_table("By stage", lead, stage_rows, width))
    if len(report.regions) > 1:
        parts.append(_latency_table("By region", ["Region"], [
            ([name], r, False, False) for name, r in report.regions.items()], width))
    parts += monitors_view.renderables(report)
    for warning in report.warnings:
        parts.append(Text(f"warning: {warning}", style="yellow"))
    parts += thresholds_view.renderables(report.thresholds)
    parts += comparison_view.renderables(report.comparison)
    parts += findings_view.renderables(report.findings)
    return Group(*parts)


def failed_latency(report: RunReport) -> Table | None:
    """The failed requests' response times, apart from the percentiles (of successes) above:
    a row per endpoint with failures, and the total when several have some; None when no
    request failed."""
    rows = [(e, e.failed_latency) for e in report.endpoints if e.failed_latency is not None]
    if not rows:
        return None
    if len(rows) > 1 and report.totals.failed_latency is not None:
        rows.append((report.totals, report.totals.failed_latency))
    title = "Failed requests' response times (not in the percentiles above)"
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False,
                  min_width=len(title))
    table.add_column("Endpoint", overflow="fold", min_width=12)
    for header in ("Fails", "p50 ms", "p95 ms", "max ms"):
        table.add_column(header, justify="right")
    for e, f in rows:
        table.add_row(_endpoint(e.method, e.name), fmt.count(e.failures), fmt.ms(f.p50_ms),
                      fmt.ms(f.p95_ms), fmt.ms(f.max_ms),
                      style="bold" if e is report.totals else None)
    return table


def run_list(rows: Sequence[RunRow]) -> RenderableType:
    """One line per run, the columns a reader scans first on the left."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    for header, justify, width in (
            ("Run", "right", 4), ("UTC", "left", 11), ("Status", "left", 8),
            ("Requests", "right", 9), ("Fail %", "right", 7), ("p95 ms", "right", 7),
            ("Users", "right", 5), ("Locustfile", "left", None), ("Host", "left", None),
            ("Tags", "left", None)):
        table.add_column(header, justify=justify, no_wrap=True,  # type: ignore[arg-type]
                         overflow="ellipsis", min_width=width)
    for r in rows:
        table.add_row(
            str(r.id), f"{r.started_at:%m-%d %H:%M}",
            Text(r.status, style=STATUS_STYLE.get(r.status, "")), fmt.count(r.requests),
            fmt.pct(100.0 * r.failures / r.requests if r.requests else 0.0),
            "" if r.p95_ms is None else fmt.ms(r.p95_ms),
            "" if r.users is None else str(r.users), Text(Path(r.locustfile).name),
            Text(r.host.split("://", 1)[-1]),
            Text(" ".join(f"{key}={value}" for key, value in sorted(r.tags.items()))),
        )
    return table


def print_summary(console: Console, report: RunReport) -> None:
    console.print(summary(report, console.width))
