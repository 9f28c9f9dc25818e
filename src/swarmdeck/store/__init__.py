"""The results store: runs, their intervals and rollups, in SQLite or PostgreSQL."""

from __future__ import annotations

from swarmdeck.store import accounts as _accounts  # noqa: F401  (its tables, on the metadata)
from swarmdeck.store import launches as _launches  # noqa: F401  (likewise)
from swarmdeck.store import nodes as _nodes  # noqa: F401  (likewise)
from swarmdeck.store import saved_tests as _saved_tests  # noqa: F401  (likewise)
from swarmdeck.store import schedules as _schedules  # noqa: F401  (likewise)
from swarmdeck.store import webhooks as _webhooks  # noqa: F401  (likewise)
from swarmdeck.store.api import Store
from swarmdeck.store.connect import DEFAULT_URL
from swarmdeck.store.liveness import STALE_AFTER_S
from swarmdeck.store.records import (
    RUN_STATUSES,
    Baseline,
    Batch,
    RunMeta,
    RunRecord,
    RunRow,
    TimelinePoint,
)

__all__ = [
    "DEFAULT_URL",
    "RUN_STATUSES",
    "STALE_AFTER_S",
    "Baseline",
    "Batch",
    "RunMeta",
    "RunRecord",
    "RunRow",
    "Store",
    "TimelinePoint",
]
