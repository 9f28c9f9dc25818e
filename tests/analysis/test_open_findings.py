"""generator-cannot-keep-up: dropped (or late) iterations, told apart by their cause: too
few users (drops from the start, the target's latency flat), a target that slowed down
(drops growing with its latency), or the generator's own lateness (none dropped, users to
spare)."""

from __future__ import annotations

from swarmdeck.analysis.open_findings import generator_cannot_keep_up
from swarmdeck.analysis.summary import EndpointSummary
from swarmdeck.metrics.iterations import IterationInterval
from swarmdeck.records import OpenModelRecord

T0 = 1_700_000_000
POOL = OpenModelRecord(first_users=5, max_users=10, max_lag_s=1.0)


def second(t: int, *, dropped: int = 0, late: int = 0, rate: int = 100) -> IterationInterval:
    one = IterationInterval(start=T0 + t, scheduled=rate, started=rate - dropped,
                            dropped=dropped)
    for i in range(rate - dropped):
        one.lag.record(50_000 if i < late else 200)
    return one


def totals(avg_ms: float, requests: int) -> EndpointSummary:
    return EndpointSummary(name="Aggregated", method="", requests=requests, failures=0,
                           rps=0.0, avg_ms=avg_ms, p50_ms=avg_ms, p90_ms=None, p95_ms=None,
                           p99_ms=None, p999_ms=None, max_ms=None)


def test_too_few_users_drop_from_the_start_while_the_latency_holds() -> None:
    seconds = [second(t, dropped=50) for t in range(30)]
    latency = {T0 + t: 100.0 for t in range(30)}  # 10 users x 100 ms: 100/s at most
    (finding,) = generator_cannot_keep_up(seconds, latency, totals(100.0, 1500), POOL)
    assert finding.code == "generator-cannot-keep-up" and finding.severity == "error"
    assert finding.evidence["cause"] == "users"
    assert "from the start" in finding.message and "10 users are too few" in finding.message
    assert finding.evidence["users_needed"] == 8  # 50/s started x 100 ms x 1.5
    assert "--max-users" in finding.fix


def test_a_target_that_slows_down_drops_as_its_latency_grows() -> None:
    seconds = [second(t, dropped=0 if t < 20 else (t - 19) * 5) for t in range(30)]
    latency = {T0 + t: 5.0 if t < 15 else 5.0 + (t - 14) * 40 for t in range(30)}
    (finding,) = generator_cannot_keep_up(seconds, latency, totals(50.0, 2700), POOL)
    assert finding.evidence["cause"] == "target"
    assert finding.severity == "error"  # 275 of 3000 dropped: over 5%
    assert "the target slowed down" in finding.message
    assert "capacity" in finding.fix


def test_a_target_past_its_capacity_from_the_start_is_the_target() -> None:
    """The demo's naive run: 180/s at a target that takes about 120/s. Its queue grows from
    the first second, so by the end of the first fifth its latency is already 1.4 s; the
    drops start at 4 s, when the users are all waiting, at 3.3 s. Against its lowest second
    before the drops (40 ms), that is the target, not too few users."""
    seconds = [second(t, dropped=0 if t < 4 else 60, rate=180) for t in range(20)]
    latency = {T0 + t: 3300.0 for t in range(20)} | {T0: 40.0, T0 + 1: 1200.0,
                                                     T0 + 2: 1440.0, T0 + 3: 1700.0}
    (finding,) = generator_cannot_keep_up(seconds, latency, totals(3300.0, 2100), POOL)
    assert finding.evidence["cause"] == "target" and finding.evidence["latency_before_ms"] == 40
    assert "the target slowed down" in finding.message


def test_late_iterations_without_drops_are_said_too() -> None:
    seconds = [second(t, late=20 if t % 3 == 0 else 0) for t in range(9)]
    (finding,) = generator_cannot_keep_up(seconds, {T0 + t: 2.0 for t in range(9)},
                                          totals(2.0, 900), POOL)
    assert finding.severity == "info" and "started 10 ms or more late" in finding.message


def test_late_iterations_with_users_to_spare_are_the_generator_s_own() -> None:
    """None dropped, and 10 users where 100/s x 20 ms kept about 3 busy: a user was free
    when each was due, the generator's loop was late (a CPU shared with the target)."""
    seconds = [second(t, late=20) for t in range(10)]
    (finding,) = generator_cannot_keep_up(seconds, {T0 + t: 20.0 for t in range(10)},
                                          totals(20.0, 1000), POOL)
    assert finding.severity == "info" and finding.evidence["cause"] == "generator"
    assert "10 users were more than the 3 the rate kept busy" in finding.message
    assert "the generator itself started them late" in finding.message
    assert "--max-users" not in finding.fix


def test_a_run_that_kept_up_has_no_finding() -> None:
    seconds = [second(t, late=1) for t in range(10)]
    assert generator_cannot_keep_up(seconds, {}, totals(2.0, 1000), POOL) == []
    assert generator_cannot_keep_up([], {}, None, None) == []


def test_an_open_model_run_has_no_wait_time_or_knee_findings() -> None:
    """Its tasks start on the schedule, not after a wait; its users follow the latency."""
    from dataclasses import replace

    from swarmdeck.analysis.findings import FindingInputs, find
    from swarmdeck.records.evidence import EvidenceRecord, UserClassEvidence

    busy = UserClassEvidence(weight=1, fixed_count=0, wait="none", wait_s=(0.0,) * 5)
    closed = FindingInputs(EvidenceRecord(user_classes={"Busy": busy}))
    assert [f.code for f in find(closed)] == ["no-wait-time"]
    opened = replace(closed, open_model=True, iterations=[second(t) for t in range(5)])
    assert find(opened) == []
