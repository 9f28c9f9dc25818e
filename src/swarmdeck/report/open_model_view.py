"""An open-model run as the terminal, the live view and the Markdown summary show it: what
the latency counts from, the service time beside it, and the iterations (due, started,
dropped, start lag) with the pool."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from swarmdeck.analysis.iterations import IterationSummary
from swarmdeck.report import format as fmt
from swarmdeck.report.model import RunReport

FROM_DUE = ("latency counts from when each iteration was due, not from when its request "
            "was sent (coordinated omission corrected; docs/open-model.md)")


def iterations_text(it: IterationSummary, *, rates: bool = True) -> str:
    """``9,000 due (100.0/s), 8,990 started, 10 dropped (0.11%); start lag p50 0.80 ms,
    p95 5.35 ms, max 29.0 ms``."""
    due = f"{fmt.count(it.scheduled)} due"
    if rates and it.target_rate is not None:
        due += f" ({fmt.rate(it.target_rate)}/s)"
    started = f"{fmt.count(it.started)} started"
    if rates:
        started += f" ({fmt.rate(it.rate)}/s)"
    dropped = f"{fmt.count(it.dropped)} dropped ({fmt.pct(it.dropped_pct)})"
    lag = (f"start lag p50 {fmt.ms(it.lag_p50_ms)} ms, p95 {fmt.ms(it.lag_p95_ms)} ms, "
           f"max {fmt.ms(it.lag_max_ms)} ms")
    return f"{due}, {started}, {dropped}; {lag}"


def live_line(it: IterationSummary | None) -> Text | None:
    """The live view's line: the achieved rate against the target, drops, start lag."""
    if it is None:
        return None
    target = f" of {fmt.rate(it.target_rate)}/s" if it.target_rate is not None else ""
    style = "red" if it.dropped else ("yellow" if it.late else None)
    return Text(f"iterations/s {fmt.rate(it.rate)}{target}   dropped {fmt.count(it.dropped)}"
                f"   start lag p95 {fmt.ms(it.lag_p95_ms)} ms   (latency from the due time)",
                style=style or "")


def renderables(report: RunReport) -> list[RenderableType]:
    if not report.open:
        return []
    parts: list[RenderableType] = [Text(f"Open model: {FROM_DUE}.", style="bold")]
    if report.iterations is not None:
        pool = ""
        if report.open_model is not None:
            o = report.open_model
            pool = (f"; users: {o.first_users} first, up to {o.max_users}, an iteration "
                    f"waits at most {o.max_lag_s:g}s for one")
        parts.append(Text(f"Iterations: {iterations_text(report.iterations)}{pool}"))
    service = report.totals.service_latency
    if service is not None:
        parts.append(Text(
            f"Service time (from the send, as Locust measures it): p50 {fmt.ms(service.p50_ms)}"
            f"  p95 {fmt.ms(service.p95_ms)}  p99 {fmt.ms(service.p99_ms)}"
            f"  max {fmt.ms(service.max_ms)} ms (thresholds: service.p95)"))
    return parts
