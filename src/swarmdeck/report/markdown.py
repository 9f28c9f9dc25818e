"""A short Markdown summary of a run for a pull-request comment, from its ``RunReport``:
status, totals, the busiest endpoints, thresholds, significant changes against the
compared run, and findings. Pure: report in, text out."""

from __future__ import annotations

from typing import Any

from swarmdeck.records import codec
from swarmdeck.report.model import RunReport

TOP_ENDPOINTS = 10
STATUS_EMOJI = {"passed": "✅", "failed": "❌", "aborted": "⏹️", "crashed": "💥",
                "degraded": "⚠️", "running": "⏳"}
SEVERITY_EMOJI = {"error": "🔴", "warning": "🟡", "info": "🔵"}


def cell(value: object) -> str:
    """Text safe inside a table cell: pipes, backticks and HTML brackets escaped, one line."""
    text = "" if value is None else str(value)
    return (text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")
            .replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", " ").replace("\n", " "))


def _ms(value: object) -> str:
    return "–" if not isinstance(value, int | float) else f"{float(value):,.1f}"


def _pct(part: float, whole: float) -> str:
    return f"{part / whole * 100:.2f}%" if whole else "–"


def _table(header: list[str], rows: list[list[str]],
           right: frozenset[int] = frozenset()) -> list[str]:
    align = ["---:" if i in right else "---" for i in range(len(header))]
    return ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |",
            *("| " + " | ".join(r) + " |" for r in rows)]


def _status(report: RunReport) -> list[str]:
    status = report.status.value
    head = (f"### {STATUS_EMOJI.get(status, '❔')} swarmdeck run {report.run_id}: "
            f"**{status}**")
    lines = [head, ""]
    if report.message:
        lines += [f"> {cell(report.message)}", ""]
    t = report.totals
    lines.append(f"{cell(report.host)} · {report.duration_s:.0f} s "
                 f"· {t.requests:,} requests · {t.failures:,} failures "
                 f"({_pct(t.failures, t.requests)}) · {t.rps:,.1f} req/s · "
                 f"p50 {_ms(t.p50_ms)} ms · p95 {_ms(t.p95_ms)} ms · "
                 f"p99 {_ms(t.p99_ms)} ms")
    return lines


def _endpoints(report: RunReport, top: int) -> list[str]:
    endpoints = sorted(report.endpoints, key=lambda e: -e.requests)
    if not endpoints:
        return []
    rows = [[cell(f"{e.method} {e.name}".strip()), f"{e.requests:,}",
             _pct(e.failures, e.requests), f"{e.rps:,.1f}", _ms(e.p50_ms), _ms(e.p95_ms),
             _ms(e.p99_ms)] for e in endpoints[:top]]
    lines = ["", "**Endpoints**" + (f" (top {top} of {len(endpoints)} by requests)"
                                    if len(endpoints) > top else ""), ""]
    return lines + _table(["endpoint", "requests", "errors", "req/s", "p50 ms", "p95 ms",
                           "p99 ms"], rows, frozenset({1, 2, 3, 4, 5, 6}))


def _thresholds(report: RunReport) -> list[str]:
    results = report.thresholds
    if not results:
        return []
    failed = sum(1 for r in results if not r.passed)
    rows = [["✅ pass" if r.passed else "❌ fail", cell(r.expr), cell(r.endpoint or "all"),
             cell(r.observed_text)] for r in results]
    title = f"**Thresholds**: {len(results) - failed} of {len(results)} passed"
    return ["", title, ""] + _table(["", "threshold", "endpoint", "observed"], rows)


def _change(change: dict[str, Any] | None, unit: str) -> str:
    if not change:
        return "–"
    key = "change_pp" if unit == "pp" else "change_pct"
    value = change.get(key)
    if value is None:
        return "–"
    mark = " *" if change.get("significant") else ""
    return f"{float(value):+.1f}{'pp' if unit == 'pp' else '%'}{mark}"


def _comparison(summary: dict[str, Any]) -> list[str]:
    comparison = summary.get("comparison")
    if not isinstance(comparison, dict):
        return []
    rows = comparison.get("rows") or []
    counts: dict[str, int] = {}
    for r in rows:
        counts[str(r.get("verdict"))] = counts.get(str(r.get("verdict")), 0) + 1
    base = comparison.get("base") or {}
    lines = ["", f"**Compared with run {base.get('run_id')}**"
             + (f" ({cell(base.get('ref'))})" if base.get("ref") else "") + ": "
             + (", ".join(f"{n} {v}" for v, n in sorted(counts.items())) or "no endpoints")]
    significant = [r for r in rows if any(
        (c or {}).get("significant") for c in (r.get("changes") or {}).values())]
    if significant:
        table_rows = []
        for r in significant:
            changes = r.get("changes") or {}
            name = "overall" if r.get("overall") else f"{r.get('method', '')} {r.get('name', '')}"
            table_rows.append([cell(name.strip()), cell(r.get("verdict")),
                               _change(changes.get("p50"), "%"), _change(changes.get("p95"), "%"),
                               _change(changes.get("p99"), "%"), _change(changes.get("rps"), "%"),
                               _change(changes.get("error_rate"), "pp")])
        lines += [""] + _table(["endpoint", "verdict", "p50", "p95", "p99", "req/s",
                                "errors"], table_rows, frozenset({2, 3, 4, 5, 6}))
        confidence = float(comparison.get("confidence") or 0.95) * 100
        lines += ["", f"_* significant at {confidence:.0f}% confidence_"]
    for failure in comparison.get("budget_failures") or []:
        lines.append(f"- ❌ budget: {cell(failure)}")
    return lines


def _findings(report: RunReport) -> list[str]:
    if not report.findings:
        return []
    lines = ["", "**Findings**", ""]
    for f in report.findings:
        where = f" on {cell(f.endpoint)}" if f.endpoint else ""
        lines.append(f"- {SEVERITY_EMOJI.get(f.severity, '')} **{cell(f.code)}** "
                     f"({f.severity}){where}: {cell(f.message)}")
    return lines


def markdown_summary(report: RunReport, top: int = TOP_ENDPOINTS) -> str:
    # _comparison reads the comparison's JSON form until it takes the typed Comparison
    compared = ({"comparison": codec.comparison_to_json(report.comparison)}
                if report.comparison is not None else {})
    lines = [*_status(report), *_endpoints(report, top), *_thresholds(report),
             *_comparison(compared), *_findings(report)]
    return "\n".join(lines) + "\n"
