"""Thresholds with ``abort=true``, checked once a second while the run goes on: the first
one breached (after its grace period) stops the run, which then ends ``failed``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from swarmdeck.engine.collector import Collector


class Gate:
    def __init__(self, thresholds: Sequence[Any] = ()) -> None:
        self.thresholds = [t for t in thresholds if getattr(t, "abort", False)]

    @classmethod
    def from_plan(cls, plan: Any) -> Gate:
        return cls(getattr(plan, "thresholds", ()))

    def check(self, collector: Collector, elapsed_s: float) -> str | None:
        """The reason to stop the run now, or None. (Filled in by the gates work.)"""
        return None
