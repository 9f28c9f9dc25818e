"""The comparison in the terminal and in Markdown."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.console import Console

from swarmdeck.records.codec import comparison_from_json
from swarmdeck.records.comparison import Comparison, RunRef
from swarmdeck.report.comparison_view import comparison_markdown, renderables


def stats(p95: float, rps: float, error_rate: float = 0.0) -> dict[str, Any]:
    return {"requests": 1000, "rps": rps, "p50_ms": p95 / 2, "p95_ms": p95, "p99_ms": p95 * 2,
            "error_rate": error_rate}


def change(pct: float, low: float, high: float, significant: bool) -> dict[str, Any]:
    return {"change_pct": pct, "ci_low_pct": low, "ci_high_pct": high,
            "significant": significant}


COMPARISON: dict[str, Any] = {
    "base": {"run_id": 3, "ref": "baseline:main", "started_at": "2026-01-01T00:00:00+00:00",
             "host": "http://x", "tags": {}},
    "candidate": {"run_id": 7, "ref": "7", "started_at": "2026-01-02T00:00:00+00:00",
                  "host": "http://x", "tags": {}},
    "metric": "p95", "confidence": 0.95, "min_change": 0.1,
    "rows": [
        {"method": "", "name": "Aggregated", "overall": True, "base": stats(50, 100),
         "candidate": stats(60, 98), "changes": {"p95": change(20.0, 12.1, 28.3, True)},
         "verdict": "slower"},
        {"method": "GET", "name": "/blog", "overall": False, "base": stats(80, 20),
         "candidate": stats(120, 19, 0.012),
         "changes": {"p50": change(50.0, 20.0, 80.0, True),
                     "p95": change(50.0, 31.5, 70.2, True),
                     "error_rate": {"change_pp": 1.2, "ci_low_pp": 0.6, "ci_high_pp": 1.9,
                                    "significant": True}},
         "verdict": "slower"},
        {"method": "GET", "name": "/new", "overall": False, "base": None,
         "candidate": stats(5, 10), "changes": {}, "verdict": "only in candidate"},
    ],
    "budgets": ["p95=+10%"],
    "budget_failures": [("GET /blog: p95 changed by +50.0% (CI +31.5% to +70.2%), beyond "
                         "the budget p95=+10%")],
    "passed": False,
}


def typed(data: dict[str, Any]) -> Comparison:
    return comparison_from_json(data)


def render(comparison: Comparison | None, width: int = 200) -> str:
    console = Console(width=width, record=True, color_system=None)
    for part in renderables(comparison):
        console.print(part)
    return console.export_text()


def test_an_80_column_terminal_wraps_cells_and_keeps_every_endpoint() -> None:
    """A CI log is 80 columns wide: long endpoint names must not squeeze a column away."""
    rows = [*COMPARISON["rows"], *(
        {"method": "GET", "name": f"/api/reports/quarterly-summary/{i}", "overall": False,
         "base": stats(80, 20), "candidate": stats(90, 20),
         "changes": {"p95": change(12.5, -3.0, 30.1, False)},
         "verdict": "no significant change"} for i in range(3))]
    text = render(typed({**COMPARISON, "rows": rows}), width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "GET /blog" in text and "/api/reports" in text  # the endpoint column stays
    for i in range(3):  # a long name folds over the lines of its row
        assert f"ummary/{i}" in text
    assert "+12.5%" in text and "[-3.0," in text and "80.0 ms →" in text


def test_terminal_table() -> None:
    text = render(typed(COMPARISON))
    assert "Comparison: run 3 (baseline:main) → run 7" in text and "verdicts on p95" in text
    blog = next(line for line in text.splitlines() if "GET /blog" in line)
    for cell in ("80.0 ms → 120 ms", "+50.0% [+31.5, +70.2]", "20.0 → 19.0",
                 "0.00% → 1.20%", "slower"):
        assert cell in blog, cell
    lines = text.splitlines()
    assert "2 endpoints: 1 slower, 1 only in candidate" in lines
    assert lines[-1].startswith("budget failed: GET /blog: p95 changed by +50.0%")


def test_nothing_without_a_comparison_and_an_error_line_when_it_could_not_run() -> None:
    assert renderables(None) == []
    error = Comparison(base=None, candidate=RunRef(1, "1", datetime.now(UTC), "http://x"),
                       error="cannot compare with last: no finished run before run 1")
    assert "comparison: cannot compare with last" in render(error)
    text = comparison_markdown(error)
    assert text == ("### Performance comparison\n\n"
                    "cannot compare with last: no finished run before run 1\n")


def test_markdown() -> None:
    text = comparison_markdown(typed(COMPARISON))
    assert text.startswith("### Performance comparison: run 3 (baseline:main) → run 7\n")
    assert ("| `GET /blog` | 80.0 ms | 120 ms | +50.0% [+31.5, +70.2] | 20.0 | 19.0 | 0.00% "
            "| 1.20% | **slower** | p50 +50.0%, errors +1.2 pp |") in text
    assert "| **overall** |" in text and "at least 10%" in text
    assert "| `GET /new` | - | 5.00 ms |" in text  # every row, significant or not
    assert "- GET /blog: p95 changed by +50.0%" in text


def test_markdown_of_the_significant_rows_only() -> None:
    """A run's summary shows the rows with a significant change, under its own heading."""
    text = comparison_markdown(typed(COMPARISON), only_significant=True, level=4)
    assert text.startswith("#### Performance comparison: run 3 (baseline:main) → run 7\n")
    assert "2 endpoints: 1 slower, 1 only in candidate." in text
    assert "Only the rows with a significant change are shown." in text
    assert "| `GET /blog` |" in text and "| **overall** |" in text and "GET /new" not in text
    assert "- GET /blog: p95 changed by +50.0%" in text
