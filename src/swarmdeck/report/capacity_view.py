"""A capacity search as the terminal and ``--json`` show it: the rate of each step with
what it measured and its verdict, then the rate found with its uncertainty and what broke
first (docs/capacity.md)."""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from swarmdeck.analysis.thresholds import Threshold
from swarmdeck.plan.arrival import format_rate
from swarmdeck.records import CapacityResult, CapacityStep, Saturation
from swarmdeck.records.openmodel_codec import capacity_step_to_json, capacity_to_json
from swarmdeck.report import format as fmt


def _verdict(step: CapacityStep) -> Text:
    if step.generator_limited:
        return Text("generator limit", style="yellow")
    word = ("confirmed" if step.confirm else "pass") if step.passed else "FAIL"
    return Text(word, style="green" if step.passed else "red")


def steps_table(steps: tuple[CapacityStep, ...]) -> Table:
    table = Table(title="Capacity search: one stage of the run per rate", title_justify="left",
                  show_edge=False, pad_edge=False)
    for header in ("Rate", "Started/s", "Time", "Requests", "p50 ms", "p95 ms", "Errors",
                   "Dropped", "Verdict"):
        table.add_column(header, justify="left" if header in ("Time", "Verdict") else "right")
    table.add_column("Why", overflow="fold")
    for step in steps:
        table.add_row(
            format_rate(step.rate), fmt.rate(step.achieved_rate),
            f"{fmt.duration(step.start_s)}-{fmt.duration(step.end_s)}",
            fmt.count(step.requests), fmt.ms(step.p50_ms), fmt.ms(step.p95_ms),
            "–" if step.error_rate is None else fmt.pct(100 * step.error_rate),
            fmt.count(step.dropped), _verdict(step), Text(step.why))
    return table


def result_lines(result: CapacityResult) -> list[RenderableType]:
    lines: list[RenderableType] = []
    style = "bold green" if result.found else "bold red"
    if result.found and result.rate is not None:
        upper = (f" (the SLO broke at {format_rate(result.upper)}: the capacity is within "
                 f"+{(result.upper - result.rate) / result.rate:.0%} of it)"
                 if result.upper is not None else "")
        lines.append(Text(f"Maximum sustainable rate: {format_rate(result.rate)}{upper}"
                          + ("; confirmed" if result.confirmed else ""), style=style))
    else:
        lines.append(Text(f"No capacity found: {result.message}", style=style))
    if result.found:
        lines.append(Text(result.message))
    if result.first_broken:
        lines.append(Text(f"Broke first: {result.first_broken}"))
    saturated = saturation_line(result.saturation)
    if saturated:
        lines.append(Text(saturated))
    return lines


def _value(s: Saturation) -> str:
    unit = s.unit if s.unit == "%" else (f" {s.unit}" if s.unit else "")
    return f"{s.value:g}{unit} (limit {s.limit:g}{unit})"


def saturation_line(saturation: tuple[Saturation, ...]) -> str | None:
    """"Saturated first: ..." from the monitored series (None: no series with a limit)."""
    if not saturation:
        return None
    first = saturation[0]
    where = f"at {format_rate(first.rate)}"
    if not first.reached:
        return (f"Saturated first: no monitored series reached its limit; closest: "
                f"{first.series} ({first.what}) {_value(first)} {where}")
    then = [s for s in saturation[1:] if s.reached]
    more = ("; then " + ", ".join(f"{s.series} at {format_rate(s.rate)}" for s in then)
            if then else "")
    return f"Saturated first: {first.series} ({first.what}) {_value(first)} {where}{more}"


def capacity_json(run_id: int, slo: tuple[Threshold, ...], steps: tuple[CapacityStep, ...],
                  result: CapacityResult | None) -> dict[str, Any]:
    """``swarmdeck capacity --json``: the steps and the result."""
    return {"run_id": run_id, "slo": [str(t) if t.endpoint is None else t.label for t in slo],
            "steps": [capacity_step_to_json(s) for s in steps],
            "capacity": capacity_to_json(result) if result is not None else None}
