"""The comparison of a run with another (--compare-to), budgets applied (compare work fills
this)."""

from __future__ import annotations

from typing import Any

from swarmdeck.plan import Plan
from swarmdeck.store import Store
from swarmdeck.store.records import RunRecord


def compare_for_run(store: Store, record: RunRecord, plan: Plan) -> dict[str, Any] | None:
    """None without --compare-to; otherwise the comparison's JSON, with
    ``budget_failures``: one sentence per significant regression beyond --max-regression."""
    return None
