"""The end-of-run summary and the run list, as rich tables. ``swarmdeck show`` prints the
same thing from the store as the run printed when it ended."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from swarmdeck.report import comparison_view, findings_view, thresholds_view
from swarmdeck.report import format as fmt
from swarmdeck.report.model import RunReport
from swarmdeck.store import RunRow

STATUS_STYLE = {"passed": "green", "failed": "red", "aborted": "yellow", "crashed": "red",
                "degraded": "yellow", "running": "cyan"}


def _latency_columns(table: Table) -> None:
    for header in ("Requests", "Fails", "Fail %", "req/s", "p50 ms", "p95 ms", "p99 ms",
                   "p99.9 ms", "max ms"):
        table.add_column(header, justify="right")


def by_region(report: RunReport) -> RenderableType:
    """Every endpoint broken down by region (``swarmdeck show RUN --by-region``)."""
    table = Table(title="Endpoints by region", title_justify="left", show_edge=False,
                  pad_edge=False)
    table.add_column("Method")
    table.add_column("Name", overflow="fold")
    table.add_column("Region")
    _latency_columns(table)
    for (method, name), regions in sorted(report.endpoint_regions.items(),
                                          key=lambda kv: (kv[0][1], kv[0][0])):
        for i, (region, r) in enumerate(sorted(regions.items())):
            table.add_row(method if i == 0 else "", name if i == 0 else "", region,
                          fmt.count(r.requests), fmt.count(r.failures), fmt.pct(r.failure_pct),
                          fmt.rate(r.rps), fmt.ms(r.p50_ms), fmt.ms(r.p95_ms), fmt.ms(r.p99_ms),
                          fmt.ms(r.p999_ms), fmt.ms(r.max_ms), end_section=i == len(regions) - 1)
    return table


def summary(report: RunReport) -> RenderableType:
    status = Text(report.status, style=STATUS_STYLE.get(report.status, ""))
    head = Text.assemble(
        (f"Run {report.run_id} ", "bold"), status,
        f"  {report.host}  {report.locustfile}  started {report.started_at:%Y-%m-%d %H:%M:%S}Z"
        f"  duration {fmt.duration(report.duration_s)}",
    )
    parts: list[RenderableType] = [head]
    if report.message:
        parts.append(Text(report.message, style="yellow"))
    table = Table(title=None, show_edge=False, pad_edge=False)
    table.add_column("Method")
    table.add_column("Name", overflow="fold")
    _latency_columns(table)
    rows = [*report.endpoints, report.totals]
    for i, e in enumerate(rows):
        table.add_row(
            e.method, e.name, fmt.count(e.requests), fmt.count(e.failures), fmt.pct(e.failure_pct),
            fmt.rate(e.rps), fmt.ms(e.p50_ms), fmt.ms(e.p95_ms), fmt.ms(e.p99_ms),
            fmt.ms(e.p999_ms), fmt.ms(e.max_ms),
            style="bold" if i == len(rows) - 1 else None,
            end_section=i == len(rows) - 2,
        )
    parts.append(table)
    errors = [(e, x) for e in report.endpoints for x in e.errors]
    if errors:
        failures = Table(title="Top failure reasons", title_justify="left", show_edge=False,
                         pad_edge=False)
        failures.add_column("Count", justify="right")
        failures.add_column("Endpoint")
        failures.add_column("Reason", overflow="fold")
        for endpoint, error in sorted(errors, key=lambda ex: -ex[1].count)[:10]:
            failures.add_row(fmt.count(error.count), f"{endpoint.method} {endpoint.name}",
                             error.reason)
        parts.append(failures)
    if report.stages:
        stages = Table(title="By stage", title_justify="left", show_edge=False, pad_edge=False)
        stages.add_column("Stage")
        stages.add_column("Time", justify="right")
        stages.add_column("Users", justify="right")
        _latency_columns(stages)
        for st in report.stages:
            t = st.totals
            stages.add_row(st.name, f"{fmt.duration(st.start_s)}-{fmt.duration(st.end_s)}",
                           str(st.users), fmt.count(t.requests), fmt.count(t.failures),
                           fmt.pct(t.failure_pct), fmt.rate(t.rps), fmt.ms(t.p50_ms),
                           fmt.ms(t.p95_ms), fmt.ms(t.p99_ms), fmt.ms(t.p999_ms), fmt.ms(t.max_ms))
        parts.append(stages)
    if len(report.regions) > 1:
        regions = Table(title="By region", title_justify="left", show_edge=False, pad_edge=False)
        regions.add_column("Region")
        _latency_columns(regions)
        for name, r in report.regions.items():
            regions.add_row(name, fmt.count(r.requests), fmt.count(r.failures),
                            fmt.pct(r.failure_pct), fmt.rate(r.rps), fmt.ms(r.p50_ms),
                            fmt.ms(r.p95_ms), fmt.ms(r.p99_ms), fmt.ms(r.p999_ms), fmt.ms(r.max_ms))
        parts.append(regions)
    for warning in report.warnings:
        parts.append(Text(f"warning: {warning}", style="yellow"))
    parts += thresholds_view.renderables(report.thresholds)
    parts += comparison_view.renderables(report.comparison)
    parts += findings_view.renderables(report.findings)
    return Group(*parts)


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
            "" if r.users is None else str(r.users), Path(r.locustfile).name,
            r.host.split("://", 1)[-1],
            Text(" ".join(f"{key}={value}" for key, value in sorted(r.tags.items()))),
        )
    return table


def print_summary(console: Console, report: RunReport) -> None:
    console.print(summary(report))
