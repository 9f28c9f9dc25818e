"""The findings of a run in the terminal summary (rich renderables from the stored JSON):
a "Findings" title, then per finding its severity (coloured), code, endpoint and message,
and an indented "fix:" line; one dim "No findings." line when the analysis found nothing."""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from rich.text import Text

STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def renderables(data: Any) -> list[RenderableType]:
    if not isinstance(data, list):
        return []
    if not data:
        return [Text("No findings.", style="dim")]
    parts: list[RenderableType] = [Text("Findings", style="bold")]
    for f in data:
        if not isinstance(f, dict):
            continue
        severity = str(f.get("severity", "info"))
        line = Text.assemble(
            (f"{severity:<8}", STYLE.get(severity, "")), " ", (str(f.get("code", "")), "bold"),
            (f"  {f['endpoint']}" if f.get("endpoint") else ""), "  ",
            str(f.get("message", "")))
        parts.append(line)
        if f.get("fix"):
            parts.append(Text(f"         fix: {f['fix']}", style="dim"))
    return parts
