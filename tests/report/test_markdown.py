"""The pull-request comment: short, and what a reviewer looks for."""

from __future__ import annotations

import dataclasses
from typing import Any

from tests.report.reports import REPORT, row

from swarmdeck.records import Finding, codec
from swarmdeck.report.markdown import cell, markdown_summary
from swarmdeck.report.model import RunReport


def side(p95: float) -> dict[str, Any]:
    return {"requests": 1000, "rps": 16.7, "p50_ms": p95 / 2, "p95_ms": p95, "p99_ms": p95 * 2,
            "error_rate": 0.0}


def change(pct: float, low: float, high: float, significant: bool) -> dict[str, Any]:
    return {"change_pct": pct, "ci_low_pct": low, "ci_high_pct": high,
            "significant": significant}


def with_extras() -> RunReport:
    endpoints = [*REPORT.endpoints,
                 *(row("GET", f"/p/{i}", 10 - i, rps=0.1, p50_ms=5.0, p95_ms=9.0, p99_ms=9.5)
                   for i in range(12)),
                 row("GET", "/a|b`c`", 5000, 50, rps=80.0, p50_ms=1.0, p95_ms=2.0, p99_ms=3.0)]
    comparison = codec.comparison_from_json({
        "base": {"run_id": 9, "ref": "baseline:main", "started_at": "2024-04-30T12:00:00+00:00",
                 "host": "http://127.0.0.1:8000", "tags": {}},
        "candidate": {"run_id": 17, "ref": "17", "started_at": "2024-05-01T12:00:00+00:00",
                      "host": "http://127.0.0.1:8000", "tags": {}},
        "metric": "p95", "confidence": 0.95, "min_change": 0.1, "rows": [
            {"method": "GET", "name": "/api/products", "overall": False,
             "base": side(40.0), "candidate": side(50.0),
             "changes": {"p50": change(1.0, -2.0, 4.0, False),
                         "p95": change(25.04, 12.0, 40.0, True),
                         "error_rate": {"change_pp": 0.0, "ci_low_pp": 0.0, "ci_high_pp": 0.0,
                                        "significant": False}},
             "verdict": "slower"},
            {"method": "GET", "name": "/quiet", "overall": False,
             "base": side(10.0), "candidate": side(10.2),
             "changes": {"p95": change(2.0, -5.0, 9.0, False)},
             "verdict": "no significant change"}],
        "budgets": ["p95=+10%"], "budget_failures": ["GET /api/products: p95 +25.0% > +10%"],
        "passed": False})
    findings = (Finding(code="csrf-missing", severity="error", endpoint="POST /login",
                        message="400 naming csrf_token", fix="send csrf_token"),)
    return dataclasses.replace(REPORT, endpoints=tuple(endpoints), comparison=comparison,
                               findings=findings)


def test_status_totals_and_thresholds() -> None:
    text = markdown_summary(REPORT)
    assert text.startswith("### ❌ swarmdeck run 17: **failed**")
    assert "1,200 requests · 12 failures (1.00%)" in text
    assert "**Thresholds**: 1 of 2 passed" in text
    assert "| ❌ fail | error_rate &lt; 1% | POST /api/orders &lt;&&gt; | 6% |" in text
    assert "| ✅ pass | p95 &lt; 300ms | all | 80 ms |" in text
    assert "Performance comparison" not in text and "Findings" not in text


def test_top_endpoints_by_requests_with_names_escaped() -> None:
    text = markdown_summary(with_extras(), top=5)
    assert "**Endpoints** (top 5 of 15 by requests)" in text
    rows = [line for line in text.splitlines() if line.startswith(("| GET /", "| POST /"))]
    assert rows[0].startswith("| GET /a\\|b\\`c\\` | 5,000 | 1.00% |")
    assert "/p/11" not in text


def test_comparison_shows_only_significant_rows_and_counts() -> None:
    text = markdown_summary(with_extras())
    assert "#### Performance comparison: run 9 (baseline:main) → run 17" in text
    assert "2 endpoints: 1 slower, 1 no significant change." in text
    assert "| `GET /api/products` | 40.0 ms | 50.0 ms | +25.0% [+12.0, +40.0] |" in text
    assert "/quiet" not in text
    assert "**Budget failures:**\n\n- GET /api/products: p95 +25.0% &gt; +10%" in text


def test_findings_list_code_severity_and_message() -> None:
    text = markdown_summary(with_extras())
    assert "- 🔴 **csrf-missing** (error) on POST /login: 400 naming csrf_token" in text


def test_cell_escapes_what_breaks_a_table() -> None:
    assert cell("a|b`c\nd") == "a\\|b\\`c d"
    assert cell("<script>") == "&lt;script&gt;"
    assert cell(None) == ""
