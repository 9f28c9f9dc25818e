"""The thresholds of a run in the terminal summary (rich renderables from the run's
``RunReport.thresholds``): one "Thresholds" table, a row per threshold with its observed
value and PASS or FAIL."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from swarmdeck.records import ThresholdOutcome


def renderables(thresholds: Sequence[ThresholdOutcome]) -> list[RenderableType]:
    if not thresholds:
        return []
    table = Table(title="Thresholds", title_justify="left", box=box.SIMPLE_HEAD,
                  title_style="bold")
    table.add_column("threshold")
    table.add_column("endpoint")
    table.add_column("observed", justify="right")
    table.add_column("result")
    for t in thresholds:
        verdict = Text("PASS", style="bold green") if t.passed else Text("FAIL", style="bold red")
        if t.abort:
            verdict.append(" (abort)", style="dim")
        table.add_row(Text(t.expr), Text(t.endpoint or "all"), Text(t.observed_text), verdict)
    return [table]
