"""The comparison of a run in the terminal summary (rich renderables from the stored JSON)."""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType


def renderables(data: Any) -> list[RenderableType]:
    return []
