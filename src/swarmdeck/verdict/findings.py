"""Findings for a stored run: its evidence and timeline through analysis.findings
(findings work fills this)."""

from __future__ import annotations

from typing import Any

from swarmdeck.store import Store
from swarmdeck.store.records import RunRecord


def find_for_run(store: Store, record: RunRecord) -> list[dict[str, Any]]:
    """JSON-able findings: code, severity, endpoint, message, evidence, fix."""
    return []
