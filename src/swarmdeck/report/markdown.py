"""A short Markdown summary of a run for a pull-request comment, from the JSON summary
(`RunReport.to_json()`): status, totals, the busiest endpoints, thresholds, significant
changes against the compared run, and findings. Pure: dict in, text out."""

from __future__ import annotations

from typing import Any

from swarmdeck.records.codec import comparison_from_json
from swarmdeck.records.comparison import Comparison

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


def _status(summary: dict[str, Any]) -> list[str]:
    status = str(summary.get("status"))
    head = (f"### {STATUS_EMOJI.get(status, '❔')} swarmdeck run {summary.get('run_id')}: "
            f"**{status}**")
    lines = [head, ""]
    if summary.get("message"):
        lines += [f"> {cell(summary['message'])}", ""]
    t = summary.get("totals") or {}
    requests, failures = int(t.get("requests") or 0), int(t.get("failures") or 0)
    lines.append(f"{cell(summary.get('host'))} · {float(summary.get('duration_s') or 0):.0f} s "
                 f"· {requests:,} requests · {failures:,} failures "
                 f"({_pct(failures, requests)}) · {float(t.get('rps') or 0):,.1f} req/s · "
                 f"p50 {_ms(t.get('p50_ms'))} ms · p95 {_ms(t.get('p95_ms'))} ms · "
                 f"p99 {_ms(t.get('p99_ms'))} ms")
    return lines


def _endpoints(summary: dict[str, Any], top: int) -> list[str]:
    endpoints = sorted(summary.get("endpoints") or [], key=lambda e: -int(e.get("requests") or 0))
    if not endpoints:
        return []
    rows = [[cell(f"{e.get('method', '')} {e.get('name', '')}".strip()),
             f"{int(e.get('requests') or 0):,}", _pct(int(e.get("failures") or 0),
                                                     int(e.get("requests") or 0)),
             f"{float(e.get('rps') or 0):,.1f}", _ms(e.get("p50_ms")), _ms(e.get("p95_ms")),
             _ms(e.get("p99_ms"))] for e in endpoints[:top]]
    lines = ["", "**Endpoints**" + (f" (top {top} of {len(endpoints)} by requests)"
                                    if len(endpoints) > top else ""), ""]
    return lines + _table(["endpoint", "requests", "errors", "req/s", "p50 ms", "p95 ms",
                           "p99 ms"], rows, frozenset({1, 2, 3, 4, 5, 6}))


def _thresholds(summary: dict[str, Any]) -> list[str]:
    results = summary.get("thresholds") or []
    if not results:
        return []
    failed = sum(1 for r in results if not r.get("passed"))
    rows = [["✅ pass" if r.get("passed") else "❌ fail", cell(r.get("expr")),
             cell(r.get("endpoint") or "all"), cell(r.get("observed_text"))]
            for r in results]
    title = f"**Thresholds**: {len(results) - failed} of {len(results)} passed"
    return ["", title, ""] + _table(["", "threshold", "endpoint", "observed"], rows)


def _comparison(comparison: Comparison | None) -> list[str]:
    """The comparison with the run it was compared to, its significant rows only."""
    if comparison is None:
        return []
    from swarmdeck.report.comparison_view import comparison_markdown  # it uses cell()

    return ["", comparison_markdown(comparison, only_significant=True, level=4).rstrip("\n")]


def _findings(summary: dict[str, Any]) -> list[str]:
    findings = summary.get("findings") or []
    if not findings:
        return []
    lines = ["", "**Findings**", ""]
    for f in findings:
        severity = str(f.get("severity"))
        where = f" on {cell(f['endpoint'])}" if f.get("endpoint") else ""
        lines.append(f"- {SEVERITY_EMOJI.get(severity, '')} **{cell(f.get('code'))}** "
                     f"({severity}){where}: {cell(f.get('message'))}")
    return lines


def markdown_summary(summary: dict[str, Any], top: int = TOP_ENDPOINTS) -> str:
    lines = [*_status(summary), *_endpoints(summary, top), *_thresholds(summary),
             *_comparison(comparison_from_json(summary["comparison"])
                          if summary.get("comparison") else None), *_findings(summary)]
    return "\n".join(lines) + "\n"
