"""The comparison's JSON (``compare --json``, the run summary's ``"comparison"``, stored with
a run) is the same as before the typed record, and reads back into the same record.

``comparisons_v1.json`` was written by swarmdeck before the typed comparison (commit
353139e, ``verdict.comparison``): two runs compared with budgets broken (every verdict:
slower, no significant change, not enough data, only in base, only in candidate), a
``--compare-to`` whose baseline did not exist, with and without budgets, and a base run
without a single request compared on rps.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from swarmdeck.records.codec import (
    comparison_from_json,
    comparison_to_json,
    details_from_json,
    details_to_json,
)
from swarmdeck.records.comparison import (
    Change,
    Comparison,
    ComparisonRow,
    RowVerdict,
    RunRef,
    SideStats,
)

STORED: list[dict[str, Any]] = json.loads(
    Path(__file__).with_name("comparisons_v1.json").read_text())


@pytest.mark.parametrize("data", STORED, ids=["budgets", "error", "error-no-budget", "empty"])
def test_stored_comparisons_read_and_write_back_identically(data: dict[str, Any]) -> None:
    again = comparison_to_json(comparison_from_json(data))
    assert json.dumps(again, indent=2) == json.dumps(data, indent=2)  # keys in order too


def test_what_a_stored_comparison_reads_as() -> None:
    compared = comparison_from_json(STORED[0])
    assert compared.base is not None and compared.base.label == "run 1 (baseline:main)"
    assert compared.base.started_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert compared.candidate.label == "run 2" and compared.candidate.tags == {"branch": "b2"}
    assert not compared.passed and len(compared.budget_failures) == 4
    overall, *endpoints = compared.rows
    assert overall.overall and overall.label == "overall"
    assert overall.verdict is RowVerdict.SLOWER
    assert overall.changes["p95"].unit == "pct" and overall.changes["p95"].significant
    errors = overall.changes["error_rate"]
    assert errors.unit == "pp" and errors.change == 7.48 and errors.suffix == " pp"
    by_label = {row.label: row for row in endpoints}
    assert by_label["GET /new"].base is None and by_label["GET /new"].changes == {}
    assert by_label["GET /new"].verdict is RowVerdict.ONLY_IN_CANDIDATE
    assert by_label["GET /rare"].verdict is RowVerdict.NOT_ENOUGH_DATA


def test_an_error_comparison_reads_back() -> None:
    """``run --compare-to baseline:nope`` stored why it could not compare; with a budget
    given, the gate fails."""
    failed, quiet = comparison_from_json(STORED[1]), comparison_from_json(STORED[2])
    assert failed.base is None and failed.rows == () and failed.error is not None
    assert failed.error.startswith("cannot compare with baseline:nope: no baseline 'nope'")
    assert failed.budget_failures == (failed.error,) and not failed.passed
    assert quiet.error == failed.error and quiet.budget_failures == () and quiet.passed


def test_a_typed_comparison_round_trips() -> None:
    started = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    stats = SideStats(requests=250, rps=4.167, p50_ms=10.5, p95_ms=40.25, p99_ms=80.0,
                      error_rate=0.012)
    comparison = Comparison(
        base=RunRef(3, "baseline:main", started, "http://127.0.0.1:1", {"branch": "main"}),
        candidate=RunRef(7, "7", started, "http://127.0.0.1:2"), metric="p99",
        confidence=0.9, min_change=0.2,
        rows=(ComparisonRow("", "Aggregated", True, stats, stats, {
                  "p50": Change(None, None, None, False),  # a base of 0: no change
                  "p99": Change(25.0, 10.0, 40.0, True),
                  "error_rate": Change(1.5, 0.6, 2.5, True, unit="pp")},
                  RowVerdict.SLOWER),
              ComparisonRow("GET", "/gone", False, stats, None, {}, RowVerdict.ONLY_IN_BASE)),
        budgets=("p99=+10%",), budget_failures=("overall: p99 changed by +25.0%",))
    data = comparison_to_json(comparison)
    assert json.loads(json.dumps(data)) == data  # plain JSON
    assert comparison_from_json(data) == comparison
    assert data["passed"] is False and data["rows"][0]["changes"]["error_rate"] == {
        "change_pp": 1.5, "ci_low_pp": 0.6, "ci_high_pp": 2.5, "significant": True}
    assert data["rows"][0]["changes"]["p50"]["change_pct"] is None
    error = Comparison(base=None, candidate=comparison.candidate, error="no base")
    assert comparison_from_json(comparison_to_json(error)) == error
    assert "confidence" not in comparison_to_json(error)


def test_a_runs_details_keep_its_comparison_and_its_budget_failures() -> None:
    stored = {"warnings": [], "thresholds": [], "findings": [], "comparison": STORED[0]}
    details = details_from_json(stored)  # a run stored before the typed records (version 1)
    assert details.comparison == comparison_from_json(STORED[0])
    assert details_to_json(details)["comparison"] == STORED[0]
    assert details.gates_failed == list(STORED[0]["budget_failures"])
