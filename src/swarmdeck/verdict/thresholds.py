"""The plan's thresholds, evaluated on the run's stored intervals (gates work fills this)."""

from __future__ import annotations

from typing import Any

from swarmdeck.plan import Plan
from swarmdeck.store import Store
from swarmdeck.store.records import RunRecord


def evaluate_run(store: Store, record: RunRecord, plan: Plan) -> list[dict[str, Any]]:
    """One JSON-able result per threshold: expr, endpoint, observed, observed_text, passed,
    abort."""
    return []
