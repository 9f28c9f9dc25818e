"""A comparison of two runs in the terminal (rich) and as Markdown, from its stored JSON.

    console.print(*renderables(comparison))     # also under a run's summary (--compare-to)
    path.write_text(comparison_markdown(comparison))
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from swarmdeck.report import format as fmt

VERDICT_STYLE = {"slower": "bold red", "faster": "bold green",
                 "no significant change": "", "not enough data": "dim",
                 "only in base": "yellow", "only in candidate": "yellow"}
VERDICT_ORDER = ("slower", "faster", "no significant change", "not enough data",
                 "only in base", "only in candidate")


def _label(row: Mapping[str, Any]) -> str:
    return "overall" if row.get("overall") else f"{row['method']} {row['name']}".strip()


def _ms(stats: Mapping[str, Any] | None, metric: str) -> str:
    if not stats:
        return "-"
    if metric == "rps":
        return fmt.rate(stats["rps"])
    return f"{fmt.ms(stats[f'{metric}_ms'])} ms"


def _rate(stats: Mapping[str, Any] | None) -> str:
    return fmt.rate(stats["rps"]) if stats else "-"


def _err(stats: Mapping[str, Any] | None) -> str:
    return fmt.pct(stats["error_rate"] * 100) if stats else "-"


def _pct(value: float) -> str:
    return f"{value:+.0f}" if abs(value) >= 100 else f"{value:+.1f}"


def change_text(change: Mapping[str, Any] | None) -> str:
    """``+12.3% [+8.1, +16.0]`` (the change and its confidence interval)."""
    if not change or change.get("change_pct") is None:
        return "-"
    low, high = change.get("ci_low_pct"), change.get("ci_high_pct")
    ci = f" [{_pct(low)}, {_pct(high)}]" if low is not None and high is not None else ""
    return f"{_pct(change['change_pct'])}%{ci}"


def _both(row: Mapping[str, Any], cell: Callable[[Mapping[str, Any] | None], str]) -> str:
    """``base → candidate``."""
    return f"{cell(row['base'])} → {cell(row['candidate'])}"


def _who(side: Mapping[str, Any] | None) -> str:
    if not side:
        return "?"
    ref = str(side.get("ref", side["run_id"]))
    extra = f" ({ref})" if ref != str(side["run_id"]) else ""
    return f"run {side['run_id']}{extra}"


def summary_line(data: Mapping[str, Any]) -> str:
    counts = Counter(row["verdict"] for row in data.get("rows", []) if not row.get("overall"))
    parts = [f"{counts[v]} {v}" for v in VERDICT_ORDER if counts[v]]
    return (f"{sum(counts.values())} endpoints: " + ", ".join(parts)) if parts else \
        "no endpoints"


def renderables(data: Any) -> list[RenderableType]:
    """The table of a comparison, a line of counts, and any budget failure (in red)."""
    if not data:
        return []
    if data.get("error"):
        return [Text(f"comparison: {data['error']}", style="red" if data.get(
            "budget_failures") else "yellow")]
    metric = data.get("metric", "p95")
    confidence = round(float(data.get("confidence", 0.95)) * 100)
    table = Table(title=f"Comparison: {_who(data.get('base'))} → "
                        f"{_who(data.get('candidate'))} (each cell: base → candidate); "
                        f"verdicts on {metric}, change with its {confidence}% CI",
                  title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    # a narrow terminal (80 columns, a CI log) wraps the cells rather than losing a column
    table.add_column("Endpoint", overflow="fold", min_width=12)
    table.add_column(metric, justify="right")
    table.add_column("Change [CI]", justify="right")
    table.add_column("req/s", justify="right")
    table.add_column("Errors", justify="right")
    table.add_column("Verdict")
    for row in data.get("rows", []):
        table.add_row(
            Text(_label(row), style="bold" if row.get("overall") else ""),
            _both(row, lambda stats: _ms(stats, metric)),
            change_text(row.get("changes", {}).get(metric)),
            _both(row, _rate), _both(row, _err),
            Text(row["verdict"], style=VERDICT_STYLE.get(row["verdict"], "")))
    parts: list[RenderableType] = [table, Text(summary_line(data))]
    for failure in data.get("budget_failures", []):
        parts.append(Text(f"budget failed: {failure}", style="bold red"))
    if data.get("budgets") and not data.get("budget_failures"):
        parts.append(Text("budgets held: " + ", ".join(data["budgets"]), style="green"))
    return parts


def comparison_markdown(data: Mapping[str, Any]) -> str:
    """The comparison as a Markdown table, for a pull-request comment."""
    metric = data.get("metric", "p95")
    if data.get("error"):
        return f"### Performance comparison\n\n{data['error']}\n"
    confidence = round(float(data.get("confidence", 0.95)) * 100)
    title = (f"### Performance comparison: {_who(data.get('base'))} → "
             f"{_who(data.get('candidate'))}")
    method = (f"{summary_line(data)}. Change of {metric} with its {confidence}% confidence "
              "interval; a change counts when the interval excludes 0 and it is at least "
              f"{float(data.get('min_change', 0.10)) * 100:g}%.")
    header = (f"| Endpoint | Base {metric} | Cand. {metric} | Change [CI] | Base req/s | "
              "Cand. req/s | Base err | Cand. err | Verdict |")
    lines = [title, "", method, "", header, "|---|--:|--:|--:|--:|--:|--:|--:|---|"]
    for row in data.get("rows", []):
        verdict = row["verdict"]
        if verdict in ("slower", "faster"):
            verdict = f"**{verdict}**"
        label = _label(row).replace("|", "\\|")
        lines.append(
            f"| {'**overall**' if row.get('overall') else f'`{label}`'} "
            f"| {_ms(row['base'], metric)} | {_ms(row['candidate'], metric)} "
            f"| {change_text(row.get('changes', {}).get(metric))} "
            f"| {_rate(row['base'])} | {_rate(row['candidate'])} "
            f"| {_err(row['base'])} | {_err(row['candidate'])} | {verdict} |")
    failures = data.get("budget_failures", [])
    if failures:
        lines += ["", "**Budget failures:**", ""] + [f"- {f}" for f in failures]
    elif data.get("budgets"):
        lines += ["", "Budgets held: " + ", ".join(f"`{b}`" for b in data["budgets"])]
    return "\n".join(lines) + "\n"
