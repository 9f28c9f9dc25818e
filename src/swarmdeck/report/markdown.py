"""A short Markdown summary of a run for a pull-request comment, from its ``RunReport``:
status, totals, the busiest endpoints, thresholds, significant changes against the
compared run, and findings. Pure: report in, text out."""

from __future__ import annotations

from swarmdeck.labels import endpoint_label
from swarmdeck.records.comparison import Comparison
from swarmdeck.report.comparison_view import comparison_markdown
from swarmdeck.report.format import cell
from swarmdeck.report.model import RunReport
from swarmdeck.report.open_model_view import FROM_DUE, iterations_text
from swarmdeck.report.script_errors_view import markdown as script_errors_markdown

TOP_ENDPOINTS = 10
STATUS_EMOJI = {"passed": "✅", "failed": "❌", "aborted": "⏹️", "crashed": "💥",
                "degraded": "⚠️", "running": "⏳"}
SEVERITY_EMOJI = {"error": "🔴", "warning": "🟡", "info": "🔵"}


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
    if report.open:  # the open model: say what the latency counts from, and the iterations
        lines += ["", f"Open model: {FROM_DUE}."]
        service = t.service_latency
        if service is not None:
            lines.append(f"Service time (from the send): p50 {_ms(service.p50_ms)} ms · "
                         f"p95 {_ms(service.p95_ms)} ms · p99 {_ms(service.p99_ms)} ms.")
        if report.iterations is not None:
            lines.append(f"Iterations: {iterations_text(report.iterations)}.")
    return lines


def _endpoints(report: RunReport, top: int) -> list[str]:
    endpoints = sorted(report.endpoints, key=lambda e: -e.requests)
    if not endpoints:
        return []
    rows = [[cell(endpoint_label(e.method, e.name)), f"{e.requests:,}",
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


def _comparison(comparison: Comparison | None) -> list[str]:
    """The comparison with the run it was compared to, its significant rows only."""
    if comparison is None:
        return []

    return ["", comparison_markdown(comparison, only_significant=True, level=4).rstrip("\n")]


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
    lines = [*_status(report), *_endpoints(report, top), *script_errors_markdown(report),
             *_thresholds(report),
             *_comparison(report.comparison), *_findings(report)]
    return "\n".join(lines) + "\n"
