"""The findings of a run in the terminal summary (rich renderables from the run's
``RunReport.findings``): a "Findings" title, then per finding its severity (coloured),
code, endpoint and message, and an indented "fix:" line; one dim "No findings." line when
the analysis found nothing."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import RenderableType
from rich.text import Text

from swarmdeck.records import Finding

STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def renderables(findings: Sequence[Finding]) -> list[RenderableType]:
    if not findings:
        return [Text("No findings.", style="dim")]
    parts: list[RenderableType] = [Text("Findings", style="bold")]
    for f in findings:
        line = Text.assemble(
            (f"{f.severity:<8}", STYLE.get(f.severity, "")), " ", (f.code, "bold"),
            (f"  {f.endpoint}" if f.endpoint else ""), "  ", f.message)
        parts.append(line)
        if f.fix:
            parts.append(Text(f"         fix: {f.fix}", style="dim"))
    return parts
