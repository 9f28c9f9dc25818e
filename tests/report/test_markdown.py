"""The pull-request comment: short, and what a reviewer looks for."""

from __future__ import annotations

import dataclasses

from tests.report.reports import REPORT, row

from swarmdeck.records import Finding, codec
from swarmdeck.report.markdown import cell, markdown_summary
from swarmdeck.report.model import RunReport


def with_extras() -> RunReport:
    endpoints = [*REPORT.endpoints,
                 *(row("GET", f"/p/{i}", 10 - i, rps=0.1, p50_ms=5.0, p95_ms=9.0, p99_ms=9.5)
                   for i in range(12)),
                 row("GET", "/a|b`c`", 5000, 50, rps=80.0, p50_ms=1.0, p95_ms=2.0, p99_ms=3.0)]
    comparison = codec.comparison_from_json({
        "base": {"run_id": 9, "ref": "baseline:main"}, "confidence": 0.95, "rows": [
            {"method": "GET", "name": "/api/products", "overall": False,
             "changes": {"p95": {"change_pct": 25.04, "significant": True},
                         "p50": {"change_pct": 1.0, "significant": False},
                         "error_rate": {"change_pp": 0.0, "significant": False}},
             "verdict": "slower"},
            {"method": "GET", "name": "/quiet", "overall": False,
             "changes": {"p95": {"change_pct": 2.0, "significant": False}},
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
    assert "Compared with" not in text and "Findings" not in text


def test_top_endpoints_by_requests_with_names_escaped() -> None:
    text = markdown_summary(with_extras(), top=5)
    assert "**Endpoints** (top 5 of 15 by requests)" in text
    rows = [line for line in text.splitlines() if line.startswith(("| GET /", "| POST /"))]
    assert rows[0].startswith("| GET /a\\|b\\`c\\` | 5,000 | 1.00% |")
    assert "/p/11" not in text


def test_comparison_shows_only_significant_rows_and_counts() -> None:
    text = markdown_summary(with_extras())
    assert "**Compared with run 9** (baseline:main): 1 no significant change, 1 slower" in text
    assert "| GET /api/products | slower | +1.0% | +25.0% * |" in text
    assert "/quiet" not in text
    assert "- ❌ budget: GET /api/products: p95 +25.0% &gt; +10%" in text


def test_findings_list_code_severity_and_message() -> None:
    text = markdown_summary(with_extras())
    assert "- 🔴 **csrf-missing** (error) on POST /login: 400 naming csrf_token" in text


def test_cell_escapes_what_breaks_a_table() -> None:
    assert cell("a|b`c\nd") == "a\\|b\\`c d"
    assert cell("<script>") == "&lt;script&gt;"
    assert cell(None) == ""
