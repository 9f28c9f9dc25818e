"""``generator-cannot-keep-up``: an open-model run whose iterations were dropped (or waited
for a user), and why (pure; docs/findings.md).

An iteration is dropped when no pooled user took it within ``--max-lag``: the users were
all busy. Either there are too few of them for the rate — the drops start early and the
latency stays where it was, so more users (``--max-users``) would keep up — or the target
slowed down: each iteration took longer, the same users were busy longer, and the drops
grew with the latency. Then more users only queue more requests at a target that is past
its capacity; the rate is too high for it (``swarmdeck capacity`` finds the one it takes).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from swarmdeck.analysis.iterations import count_below
from swarmdeck.analysis.summary import EndpointSummary
from swarmdeck.metrics.iterations import IterationInterval
from swarmdeck.records.openmodel import OpenModelRecord
from swarmdeck.records.verdict import Finding

if TYPE_CHECKING:
    from swarmdeck.analysis.findings import FindingInputs

CODE = "generator-cannot-keep-up"
LATE_SHARE = 0.05  # without drops: at least this share of iterations started late...
LATE_MS = 10.0  # ...(a user was free only this long or more after it was due)
ERROR_SHARE = 0.05  # dropped: error at this share of the iterations due, else warning
BASELINE_SHARE = 0.2  # without a second before the trouble: the median over this first share
DEGRADED = 3.0  # the target degraded: the latency while dropping is this many times higher
EARLY_SHARE = 0.1  # drops that start within this first share of the run start "early"
HEADROOM = 1.5  # users suggested: the concurrency measured times this


def cannot_keep_up(inputs: FindingInputs) -> list[Finding]:
    """The finding from a run's inputs (analysis/findings.py): open-model runs only."""
    if not inputs.open_model:
        return []
    return generator_cannot_keep_up(inputs.iterations, inputs.service_p50, inputs.totals,
                                    inputs.pool)


def generator_cannot_keep_up(iterations: Sequence[IterationInterval],
                             service_p50: Mapping[int, float],
                             totals: EndpointSummary | None,
                             pool: OpenModelRecord | None) -> list[Finding]:
    """``service_p50``: per second (epoch start), the p50 of the time from the send (what
    the target took, without the wait for a user)."""
    seconds = sorted(iterations, key=lambda i: i.start)
    scheduled = sum(i.scheduled for i in seconds)
    dropped = sum(i.dropped for i in seconds)
    started = sum(i.started for i in seconds)
    late = sum(i.lag.count - _below(i, LATE_MS) for i in seconds)
    if not scheduled or (not dropped and late < LATE_SHARE * max(started, 1)):
        return []
    first, last = seconds[0].start, seconds[-1].start
    span = max(last - first + 1, 1)
    latency = dict(service_p50)
    ordered = [latency[t] for t in sorted(latency)]
    troubled = [i for i in seconds if i.dropped] or [i for i in seconds if _late(i)]
    # the latency before: its lowest second before the trouble began (a target past its
    # capacity from the first second has a queue by the end of the run's first fifth), or,
    # trouble from the first second, the median over the first fifth
    before = [latency[t] for t in sorted(latency) if t < troubled[0].start]
    head = ordered[:max(1, math.ceil(len(ordered) * BASELINE_SHARE))]
    baseline = min(before) if before else statistics.median(head) if head else None
    during = [latency[i.start] for i in troubled if i.start in latency]
    stressed = statistics.median(during) if during else None
    onset = troubled[0].start - first
    rate = started / span
    per_iteration = (totals.requests / started) if totals is not None and started else 1.0
    busy_s = ((totals.avg_ms or 0.0) / 1000.0 * per_iteration) if totals is not None else 0.0
    needed = math.ceil(rate * busy_s * HEADROOM) if busy_s else None
    evidence: dict[str, object] = {
        "scheduled": scheduled, "started": started, "dropped": dropped, "late": late,
        "first_trouble_s": onset, "dropped_max_per_s": max(i.dropped for i in seconds),
        "latency_before_ms": _round(baseline), "latency_while_dropping_ms": _round(stressed),
        "max_users": pool.max_users if pool is not None else None,
        "users_needed": needed}
    what = (f"{dropped:,} of {scheduled:,} iterations ({dropped / scheduled:.1%}) were dropped"
            if dropped else f"{late:,} of {started:,} iterations started {LATE_MS:g} ms or "
            "more late")
    severity = "error" if dropped >= ERROR_SHARE * scheduled else (
        "warning" if dropped else "info")
    users = f"{pool.max_users} users" if pool is not None else "the pool's users"
    if baseline and stressed and stressed >= DEGRADED * baseline:
        evidence["cause"] = "target"
        return [Finding(
            CODE, severity, None,
            f"{what}: the target slowed down (its p50 from the send went from {baseline:.0f} "
            f"ms to {stressed:.0f} ms while it happened), so {users} were busy longer and could not start the rate: "
            "the target cannot keep up with it, not the generator",
            evidence,
            "lower the rate to what the target sustains (swarmdeck capacity finds it); more "
            "users would only queue more requests at it")]
    early = onset <= max(EARLY_SHARE * span, 2)
    when = "from the start" if early else f"from {onset} s into the run"
    if not dropped and pool is not None and needed is not None and needed <= pool.max_users:
        # late, none dropped, and more users than the latency kept busy: a user was free,
        # the generator's own loop started the iteration late
        evidence["cause"] = "generator"
        return [Finding(
            CODE, severity, None,
            f"{what} {when} while the target's latency held (p50 from the send "
            f"{_show(baseline)} → {_show(stressed)}) and {users} were more than the "
            f"{needed} the rate kept busy: the generator itself started them late (its CPU, "
            "or other processes on its cores)",
            evidence,
            "give the generator cores of its own (run it on another machine than the "
            "target), or split the load over more processes (--workers)")]
    evidence["cause"] = "users"
    more = f" (about {needed} for {rate:.0f}/s)" if needed else ""
    return [Finding(
        CODE, severity, None,
        f"{what} {when} while the target's latency held (p50 from the send "
        f"{_show(baseline)} → {_show(stressed)}): "
        f"{users} are too few for the rate, not a slower target",
        evidence,
        f"raise --max-users{more}, or split the load over more workers (--workers) if the "
        "generator's CPU is the limit")]


def _below(interval: IterationInterval, ms: float) -> int:
    return count_below(interval.lag, int(ms * 1000))


def _late(interval: IterationInterval) -> bool:
    return interval.lag.count - _below(interval, LATE_MS) > LATE_SHARE * interval.lag.count


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _show(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} ms"
