"""Findings about the target's answers: an endpoint that mostly fails (``failing-endpoint``)
and a stretch of the run in which the target was down (``outage``). Pure heuristics over
``FindingInputs`` (analysis/findings.py): the evidence's status codes per endpoint, the
endpoint summaries' failure reasons and the per-second series (analysis/outages.py).

Every threshold is a module constant, explained in docs/findings.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from swarmdeck.analysis.findings import FindingInputs
from swarmdeck.analysis.outages import (
    KIND_TEXT,
    Outage,
    SecondSeries,
    failure_kind,
    find_outages,
    in_outages,
    kind_text,
    status_of,
)
from swarmdeck.analysis.summary import EndpointSummary, ErrorCount
from swarmdeck.labels import endpoint_label as label
from swarmdeck.records.codec import outage_evidence_to_json
from swarmdeck.records.evidence import EndpointEvidence
from swarmdeck.records.verdict import Finding, OutageEvidence

# failing-endpoint: failures (other than 401/403 and CSRF 400s: auth-failing's and
# csrf-missing's) at least this share of the endpoint's requests...
FAILING_MIN_SHARE = 0.5
FAILING_MIN_FAILURES = 3  # ...and at least this many
FIX_MIN_SHARE = 0.2  # a kind of failure gets its fix when it is this share of them or more

NO_RESPONSE = "no response"
CHECK = "check"  # failed by the script's own check on a response it got (catch_response)
_ORDER = ("not-found", "server-error", "rate-limited", "connection", "client-error", CHECK)


def clock(offset_s: float) -> str:
    """Seconds since the run's start as the charts show them: 0:08, 1:02:03."""
    total = round(offset_s)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def utc(epoch: float) -> str:
    """The wall-clock time a server's logs show, in UTC: 12:00:03."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M:%S")


def _times(series: SecondSeries, first: int, last_end: int) -> str:
    """"between 12:00:03 and 12:00:29 UTC (0:03 to 0:29 into the run)"."""
    return (f"between {utc(first)} and {utc(last_end)} UTC ({clock(series.offset(first))} "
            f"to {clock(series.offset(last_end))} into the run)")


def _category(code: int | None) -> str:
    if code is None:
        return "connection"
    if code in (404, 405, 410):
        return "not-found"
    if code == 429:
        return "rate-limited"
    if code >= 500:
        return "server-error"
    return "client-error" if code >= 400 else CHECK


def _codes(summary: EndpointSummary, entry: EndpointEvidence | None) -> Counter[int | None]:
    """The status codes of the endpoint's own failures (None: no response): from the
    evidence where the run has it, else from the failure reasons' text; 401/403 and CSRF
    400s left out. Failures on a response below 400 are the script's checks (CHECK)."""
    codes: Counter[int | None] = Counter()
    if entry is not None:
        for code, n in entry.status.items():
            if code is None or (code >= 400 and code not in (401, 403)):
                codes[code] += n - (entry.csrf_400 if code == 400 else 0)
    else:
        for error in summary.errors:
            status = status_of(error.reason)
            if status is None and failure_kind(error.reason) is None:
                continue
            if status not in (401, 403):
                codes[status] += error.count
    return +codes


def _fix(category: str, reason: str, when: str | None) -> str:
    if category == "not-found":
        return ("not found: check --host and the path (and the method) the script requests "
                "against the app's routes")
    if category == "server-error":
        return ("the server fails under this load: see its logs "
                + (when or "for the run's time") + " for the exception behind the 5xx")
    if category == "rate-limited":
        return ("rate limited: raise the limit for the test or lower the rate (fewer users, "
                "a longer wait_time); or exempt the load generators' addresses from it")
    if category == "connection":
        kind = KIND_TEXT.get(failure_kind(reason) or "", "connection failed")
        return (f"the server or a proxy dropped connections ({kind}): check that the target "
                "is up at --host, its connection limits (listen backlog, workers, the proxy's "
                "timeouts and max connections) and its logs " + (when or "for the run's time"))
    if category == "client-error":
        return ("the server refused the requests as sent: check the body, headers and "
                "parameters the script sends against what the endpoint expects")
    return ("the script's own check failed (catch_response / response.failure) on responses "
            "it got: read the reason, and fix the check or the request")


def _reason_category(reason: str) -> str:
    kind = failure_kind(reason)
    if kind is None:
        return CHECK
    return _category(int(kind)) if kind.isdigit() else "connection"


def _top_reason(errors: Sequence[ErrorCount], category: str) -> tuple[str | None, int]:
    """The most frequent reason of this kind of failure (of any, if none is of it)."""
    of_it = [e for e in errors if _reason_category(e.reason) == category]
    top = max(of_it or errors, key=lambda e: e.count, default=None)
    return (top.reason, top.count) if top else (None, 0)


def _failure_span(series: SecondSeries, outages: Sequence[Outage], key: tuple[str, str]
                  ) -> tuple[int, int] | None:
    """The first second with a failure of the endpoint outside the outages, and the end of
    the last one."""
    seconds = [s.start for s in series.seconds
               if s.endpoint_failures.get(key) and not in_outages(outages, s.start)]
    return (seconds[0], seconds[-1] + series.step_s) if seconds else None


def _in_outages(series: SecondSeries, outages: Sequence[Outage], key: tuple[str, str]) -> int:
    """The endpoint's failures inside outage windows."""
    return sum(s.endpoint_failures.get(key, 0) for s in series.seconds
               if in_outages(outages, s.start)) if outages else 0


def _without_outages(codes: Counter[int | None], in_outage: int) -> Counter[int | None]:
    """The codes less the failures inside outage windows (no response first, then 503, 502,
    504: what an outage fails with)."""
    codes = Counter(codes)
    for code in (None, 503, 502, 504):
        taken = min(codes.get(code, 0), in_outage)
        codes[code] -= taken
        in_outage -= taken
    return +codes


def failing_endpoint(inputs: FindingInputs) -> list[Finding]:
    """Per endpoint: failures at least FAILING_MIN_SHARE of its requests, after leaving out
    what auth-failing and csrf-missing report (401, 403, CSRF 400s) and what failed inside
    an outage window (the outage finding's)."""
    evidence = {(e.method, e.name): e for e in inputs.evidence.endpoints}
    series = inputs.series
    outages = find_outages(series)
    found = []
    for summary in inputs.endpoints:
        key = (summary.method, summary.name)
        entry = evidence.get(key)
        left_out = (entry.count(401) + entry.count(403) + entry.csrf_400) if entry else sum(
            e.count for e in summary.errors if status_of(e.reason) in (401, 403))
        in_outage = _in_outages(series, outages, key)
        own = summary.failures - min(summary.failures, left_out + in_outage)
        requests = summary.requests - min(summary.requests, in_outage)
        if own < FAILING_MIN_FAILURES or own < FAILING_MIN_SHARE * requests:
            continue
        found.append(_failing(inputs, summary, entry, own, requests, in_outage, outages))
    return found


def _failing(inputs: FindingInputs, summary: EndpointSummary, entry: EndpointEvidence | None,
             own: int, requests: int, in_outage: int, outages: Sequence[Outage]) -> Finding:
    series = inputs.series
    codes = _without_outages(_codes(summary, entry), in_outage)
    checks = own - sum(codes.values())
    by_category: Counter[str] = Counter()
    for code, n in codes.items():
        by_category[_category(code)] += n
    if checks > 0:
        by_category[CHECK] += checks
    ordered = sorted(by_category, key=lambda c: (-by_category[c], _ORDER.index(c)))
    kinds = [c for c in ordered if by_category[c] >= FIX_MIN_SHARE * own] or ordered[:1]
    reason, reason_count = _top_reason(summary.errors, kinds[0] if kinds else CHECK)
    span = _failure_span(series, outages, (summary.method, summary.name))
    when = _times(series, *span) if span else None
    share = own / requests
    return Finding(
        "failing-endpoint", "error", label(summary.method, summary.name),
        f"{own:,} of {requests:,} requests ({100 * share:.0f}%) failed"
        + (f" outside the outage{'s' * (len(outages) > 1)} ({in_outage:,} more failed in "
           f"{'them' if len(outages) > 1 else 'it'})" if in_outage else "") + " ("
        + ", ".join(f"{n:,} × {code}" if code is not None else f"{n:,} {NO_RESPONSE}"
                    for code, n in codes.most_common())
        + (f"{', ' if codes else ''}{checks:,} failed by the script's check"
           if checks > 0 else "")
        + ")" + (f"; most often {reason} ({reason_count:,}×)" if reason else "")
        + ": this endpoint was measured as an error, not as the page it should serve",
        {"requests": requests, "failures": own, "share": round(share, 4),
         "status": {("none" if code is None else str(code)): n
                    for code, n in codes.most_common()},
         "script_checks": max(checks, 0), "kinds": dict(by_category.most_common()),
         "in_outages": in_outage, "reason": reason, "reason_count": reason_count,
         "first_failure_s": series.offset(span[0]) if span else None,
         "last_failure_s": series.offset(span[1]) if span else None,
         "first_failure_epoch": span[0] if span else None,
         "last_failure_epoch": span[1] if span else None},
        "; ".join(_fix(kind, _top_reason(summary.errors, kind)[0] or "", when)
                  for kind in kinds))


def _kinds_text(kinds: Mapping[str, int]) -> str:
    return ", ".join(f"{n:,} {kind_text(kind)}" for kind, n in kinds.items())


def outage(inputs: FindingInputs) -> list[Finding]:
    """Each window of analysis/outages.py, with the time the target took to recover."""
    series = inputs.series
    found = []
    for o in find_outages(series):
        start_s, end_s = series.offset(o.start), series.offset(o.end)
        if o.recovery_s is not None:
            after = ((f"it recovered {o.recovery_s} s after it" if o.recovery_s
                      else "it recovered as soon as it ended") + " (failures"
                     + (" and median response time" if o.baseline_p50_ms is not None else "")
                     + " back to " + ("before the outage" if o.baseline_failure_share
                                      is not None else "normal") + ")")
        elif o.seconds_after == 0:
            after = "it was still down when the run ended"
        else:
            after = "it had not recovered when the run ended"
        found.append(Finding(
            "outage", "error", None,
            f"the target was down from {clock(start_s)} to {clock(end_s)} ({o.seconds} s): "
            f"{o.outage_failures:,} of {o.requests:,} requests failed "
            f"({_kinds_text(o.kinds)}); {after}",
            outage_evidence_to_json(OutageEvidence(
                start_s=start_s, end_s=end_s, start_epoch=o.start, end_epoch=o.end,
                duration_s=o.seconds, requests=o.requests, failures=o.failures,
                outage_failures=o.outage_failures, kinds=dict(o.kinds),
                reasons=dict(o.reasons), recovery_s=o.recovery_s,
                recovered_at_s=None if o.recovered_at is None
                else series.offset(o.recovered_at),
                baseline_failure_share=None if o.baseline_failure_share is None
                else round(o.baseline_failure_share, 4),
                baseline_p50_ms=None if o.baseline_p50_ms is None
                else round(o.baseline_p50_ms, 2))),
            f"find what stopped the target {_times(series, o.start, o.end)}: its logs, "
            "restarts or crashes of its processes, a deploy, the proxy's or load balancer's "
            "errors; if the outage was deliberate (a failover test), the recovery time is the "
            "result. The window's failures count in the run's error rate"))
    return found
