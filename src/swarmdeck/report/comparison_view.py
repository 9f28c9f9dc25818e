"""A comparison of two runs in the terminal (rich) and as Markdown.

    console.print(*renderables(comparison))     # also under a run's summary (--compare-to)
    path.write_text(comparison_markdown(comparison))   # compare --markdown
    comparison_markdown(comparison, only_significant=True, level=4)   # in a run's summary
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from swarmdeck.analysis.monitor_thresholds import show_value
from swarmdeck.records.comparison import (
    Change,
    Comparison,
    ComparisonRow,
    RowVerdict,
    ServerChange,
    SideStats,
)
from swarmdeck.report import format as fmt
from swarmdeck.report.format import cell

VERDICT_STYLE = {RowVerdict.SLOWER: "bold red", RowVerdict.FASTER: "bold green",
                 RowVerdict.NO_SIGNIFICANT_CHANGE: "", RowVerdict.NOT_ENOUGH_DATA: "dim",
                 RowVerdict.ONLY_IN_BASE: "yellow", RowVerdict.ONLY_IN_CANDIDATE: "yellow"}
METRIC_LABEL = {"p50": "p50", "p95": "p95", "p99": "p99", "rps": "req/s",
                "error_rate": "errors"}


def _value(stats: SideStats | None, metric: str) -> str:
    if stats is None:
        return "-"
    if metric == "rps":
        return fmt.rate(stats.rps)
    value = stats.value(metric)
    return "–" if value is None else f"{fmt.ms(value)} ms"  # None: no successful request


def _rate(stats: SideStats | None) -> str:
    return fmt.rate(stats.rps) if stats else "-"


def _err(stats: SideStats | None) -> str:
    return fmt.pct(stats.error_rate * 100) if stats else "-"


def _signed(value: float) -> str:
    return f"{value:+.0f}" if abs(value) >= 100 else f"{value:+.1f}"


def change_text(change: Change | None, *, ci: bool = True) -> str:
    """``+12.3% [+8.1, +16.0]`` (the change and its confidence interval), ``+1.5 pp``."""
    if change is None or change.change is None:
        return "-"
    low, high = change.ci_low, change.ci_high
    interval = f" [{_signed(low)}, {_signed(high)}]" if (
        ci and low is not None and high is not None) else ""
    return f"{_signed(change.change)}{change.suffix}{interval}"


def _both(row: ComparisonRow, show: Callable[[SideStats | None], str]) -> str:
    """``base → candidate``."""
    return f"{show(row.base)} → {show(row.candidate)}"


def _title(comparison: Comparison) -> str:
    if comparison.base is None:
        return "Performance comparison"
    return (f"Performance comparison: {comparison.base.label} → "
            f"{comparison.candidate.label}")


def summary_line(comparison: Comparison) -> str:
    """``7 endpoints: 5 slower, 2 not enough data`` (the overall row is not counted)."""
    counts = Counter(row.verdict for row in comparison.rows if not row.overall)
    parts = [f"{counts[v]} {v}" for v in RowVerdict if counts[v]]
    return (f"{sum(counts.values())} endpoints: " + ", ".join(parts)) if parts else \
        "no endpoints"


SERVER_TITLE = "Server side (medians of what the server said, Server-Timing: base → candidate)"


def _server_value(change: ServerChange, value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:g}" if change.unit == "queries" else fmt.ms(value)


def server_lines(comparison: Comparison) -> list[str]:
    """One line per endpoint: ``GET /blog: 30 → 2 queries · app 8.12 → 3.20 ms · ...``."""
    by_endpoint: dict[str, list[str]] = {}
    for change in comparison.server:
        both = (f"{_server_value(change, change.base)} → "
                f"{_server_value(change, change.candidate)}")
        by_endpoint.setdefault(change.label, []).append(
            f"{both} queries" if change.unit == "queries" else f"{change.metric} {both} ms")
    return [f"{label}: " + " · ".join(parts) for label, parts in by_endpoint.items()]


def _also(row: ComparisonRow, metric: str) -> str:
    """The row's other significant changes: ``p50 +12.0%, errors +1.5 pp``."""
    return ", ".join(f"{METRIC_LABEL.get(m, m)} {change_text(c, ci=False)}"
                     for m, c in row.changes.items() if m != metric and c.significant)


def latency_note(comparison: Comparison) -> str:
    """What the compared latency counts from, when it is not the send (open-model runs)."""
    if comparison.latency == "from_due":
        return "; latency from when each iteration was due (open model)"
    if comparison.latency == "mixed":
        return ("; one run is open-model (latency from the due time), the other closed "
                "(from the send): their latencies measure different things")
    return ""


def renderables(comparison: Comparison | None) -> list[RenderableType]:
    """The table of a comparison, a line of counts, and any budget failure (in red)."""
    if comparison is None:
        return []
    if comparison.error is not None:
        return [Text(f"comparison: {comparison.error}",
                     style="red" if comparison.budget_failures else "yellow")]
    metric = comparison.metric
    confidence = round(comparison.confidence * 100)
    base = comparison.base.label if comparison.base else "?"
    # the runs' labels hold the user's baseline names: Text, never read as rich markup
    table = Table(title=Text(f"Comparison: {base} → {comparison.candidate.label} (each "
                             f"cell: base → candidate); verdicts on {metric}, change with "
                             f"its {confidence}% CI{latency_note(comparison)}",
                             style="table.title"),
                  title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    # a narrow terminal (80 columns, a CI log) wraps the cells rather than losing a column
    table.add_column("Endpoint", overflow="fold", min_width=12)
    table.add_column(metric, justify="right")
    table.add_column("Change [CI]", justify="right")
    table.add_column("req/s", justify="right")
    table.add_column("Errors", justify="right")
    table.add_column("Verdict")
    for row in comparison.rows:
        table.add_row(
            Text(row.label, style="bold" if row.overall else ""),
            _both(row, lambda stats: _value(stats, metric)),
            change_text(row.changes.get(metric)),
            _both(row, _rate), _both(row, _err),
            Text(str(row.verdict), style=VERDICT_STYLE.get(row.verdict, "")))
    parts: list[RenderableType] = [table, Text(summary_line(comparison))]
    lines = server_lines(comparison)
    if lines:  # the user's request names: Text, never read as rich markup
        parts += [Text(SERVER_TITLE, style="bold")] + [Text(f"  {line}") for line in lines]
    for failure in comparison.budget_failures:
        parts.append(Text(f"budget failed: {failure}", style="bold red"))
    if comparison.budgets and not comparison.budget_failures:
        parts.append(Text("budgets held: " + ", ".join(comparison.budgets), style="green"))
    if comparison.monitors:
        parts.append(monitor_table(comparison))
    return parts


def _mean(value: float | None, unit: str) -> str:
    return "–" if value is None else show_value(value, unit)


def monitor_table(comparison: Comparison) -> Table:
    """The monitor series' means side by side (no verdict: context for the table above)."""
    base = comparison.base.label if comparison.base else "base"
    table = Table(title=Text(f"Server means: {base} → {comparison.candidate.label}"),
                  title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("Series", overflow="fold", min_width=12)
    for header in ("Base", "Candidate", "Change"):
        table.add_column(header, justify="right")
    for m in comparison.monitors:
        change = m.change_pct
        table.add_row(Text(m.name), _mean(m.base, m.unit), _mean(m.candidate, m.unit),
                      "–" if change is None else f"{change:+.0f}%")
    return table


def comparison_markdown(comparison: Comparison, *, only_significant: bool = False,
                        level: int = 3) -> str:
    """The comparison as Markdown for a pull-request comment: a heading of ``level``, the
    verdicts counted, a table of every row (``only_significant``: of the rows with a
    significant change, as a run's summary shows it), then the budgets."""
    lines = ["#" * level + " " + _title(comparison), ""]
    if comparison.error is not None:
        lines.append(cell(comparison.error))
        if comparison.budgets:
            lines += ["", "Budgets not checked, so they fail: "
                      + ", ".join(f"`{b}`" for b in comparison.budgets)]
        return "\n".join(lines) + "\n"
    metric = comparison.metric
    rows = [r for r in comparison.rows if r.significant or not only_significant]
    shown = (" Only the rows with a significant change are shown."
             if len(rows) < len(comparison.rows) else "")
    lines.append(f"{summary_line(comparison)}. Change of {metric} with its "
                 f"{round(comparison.confidence * 100)}% confidence interval; a change counts "
                 "when the interval excludes 0 and it is at least "
                 f"{comparison.min_change * 100:g}%{latency_note(comparison)}.{shown}")
    if rows:
        header = (f"| Endpoint | Base {metric} | Cand. {metric} | Change [CI] | Base req/s | "
                  "Cand. req/s | Base err | Cand. err | Verdict | Also significant |")
        lines += ["", header, "|---|--:|--:|--:|--:|--:|--:|--:|---|---|"]
    for row in rows:
        verdict = f"**{row.verdict}**" if row.verdict in (
            RowVerdict.SLOWER, RowVerdict.FASTER) else str(row.verdict)
        label = "**overall**" if row.overall else "`" + row.label.replace("|", "\\|") + "`"
        lines.append(
            f"| {label} | {_value(row.base, metric)} | {_value(row.candidate, metric)} "
            f"| {change_text(row.changes.get(metric))} "
            f"| {_rate(row.base)} | {_rate(row.candidate)} "
            f"| {_err(row.base)} | {_err(row.candidate)} | {verdict} | {_also(row, metric)} |")
    server = server_lines(comparison)
    if server and not only_significant:
        lines += ["", SERVER_TITLE + ":", ""] + [f"- {cell(line)}" for line in server]
    if comparison.budget_failures:
        lines += ["", "**Budget failures:**", ""] + [
            f"- {cell(f)}" for f in comparison.budget_failures]
    elif comparison.budgets:
        lines += ["", "Budgets held: " + ", ".join(f"`{b}`" for b in comparison.budgets)]
    if comparison.monitors:
        lines += ["", "Server means (base → candidate):", "",
                  "| Series | Base | Candidate | Change |", "|---|--:|--:|--:|"]
        lines += [f"| `{cell(m.name)}` | {_mean(m.base, m.unit)} | "
                  f"{_mean(m.candidate, m.unit)} | "
                  f"{'–' if m.change_pct is None else f'{m.change_pct:+.0f}%'} |"
                  for m in comparison.monitors]
    return "\n".join(lines) + "\n"
