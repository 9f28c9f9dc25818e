"""The thresholds of a run in the terminal summary (rich renderables from the stored JSON):
one "Thresholds" table, a row per threshold with its observed value and PASS or FAIL."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text


def renderables(data: Any) -> list[RenderableType]:
    if not isinstance(data, list) or not data:
        return []
    table = Table(title="Thresholds", title_justify="left", box=box.SIMPLE_HEAD,
                  title_style="bold")
    table.add_column("threshold")
    table.add_column("endpoint")
    table.add_column("observed", justify="right")
    table.add_column("result")
    for row in data:
        if not isinstance(row, dict):
            continue
        passed = bool(row.get("passed"))
        verdict = Text("PASS", style="bold green") if passed else Text("FAIL", style="bold red")
        if row.get("abort"):
            verdict.append(" (abort)", style="dim")
        table.add_row(Text(str(row.get("expr", ""))), Text(str(row.get("endpoint") or "all")),
                      Text(str(row.get("observed_text", ""))), verdict)
    return [table]
