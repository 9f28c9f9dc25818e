"""Outage windows and recovery on synthetic per-second series (analysis/outages.py)."""

from __future__ import annotations

import pytest

from swarmdeck.analysis import outages as O
from swarmdeck.analysis.outages import (
    Second,
    SecondSeries,
    failure_kind,
    find_outages,
    is_outage_kind,
    status_of,
)

T0 = 1_714_564_800  # 2024-05-01 12:00:00 UTC
REFUSED = "ConnectionRefusedError(111, 'Connection refused')"
READ_TIMEOUT = ("ReadTimeout(ReadTimeoutError(\"HTTPConnectionPool(host='127.0.0.1', port=1): "
                "Read timed out. (read timeout=1)\"))")


@pytest.mark.parametrize(("reason", "kind"), [
    (REFUSED, "refused"),
    ("RemoteDisconnected('Remote end closed connection without response')", "reset"),
    ("HTTPConnectionClosed('connection closed.')", "reset"),
    ("ConnectionResetError(104, 'Connection reset by peer')", "reset"),
    (READ_TIMEOUT, "timeout"),
    ("RetriesExceeded('http://127.0.0.1:1/slow', 3, original=timed out)", "timeout"),
    ("HTTPError('503 Server Error: Service Unavailable for url: /x')", "503"),
    ("LocustBadStatusCode(code=502)", "502"),
    ("HTTPError('404 Client Error: Not Found for url: /x')", "404"),
    ("CatchResponseError('Got wrong response')", None),
])
def test_failure_kind_reads_locusts_reasons(reason: str, kind: str | None) -> None:
    assert failure_kind(reason) == kind


def test_outage_kinds_are_no_response_and_502_503_504() -> None:
    assert [is_outage_kind(k) for k in ("refused", "reset", "timeout", "connection", "502",
                                        "503", "504", "500", "404", "429", None)] == \
        [True] * 7 + [False] * 4
    assert status_of("HTTPError('429 Client Error: Too Many Requests for url: /x')") == 429


def ok(t: int, requests: int = 50, p50: float = 20.0) -> Second:
    return Second(T0 + t, requests, 0, 0, p50)


def down(t: int, requests: int = 100, failed: int | None = None,
         reason: str = REFUSED) -> Second:
    failed = requests if failed is None else failed
    return Second(T0 + t, requests, failed, failed, 1.0, {reason: failed},
                  {("GET", "/"): failed})


def series(*seconds: Second) -> SecondSeries:
    return SecondSeries(started_at=T0 + 0.4, seconds=seconds)


def test_a_ten_second_outage_is_one_window_with_its_recovery() -> None:
    run = [ok(t) for t in range(8)] + [down(t) for t in range(8, 18)] + [
        ok(t) for t in range(18, 30)]
    (outage,) = find_outages(series(*run))
    assert (outage.start, outage.end, outage.seconds) == (T0 + 8, T0 + 18, 10)
    assert (outage.requests, outage.outage_failures) == (1000, 1000)
    assert outage.kinds == {"refused": 1000}
    assert outage.recovery_s == 0 and outage.baseline_failure_share == 0.0
    assert outage.baseline_p50_ms == 20.0


def test_a_short_blip_is_no_outage() -> None:
    run = [ok(t) for t in range(5)] + [down(5), down(6)] + [ok(t) for t in range(7, 12)]
    assert O.OUTAGE_MIN_S == 3
    assert find_outages(series(*run)) == []
    run = [ok(t) for t in range(5)] + [down(5), down(6), down(7)] + [
        ok(t) for t in range(8, 12)]
    assert len(find_outages(series(*run))) == 1


def test_half_failed_seconds_are_no_outage_but_extend_one_at_its_edges() -> None:
    half = [down(t, failed=60) for t in range(10)]
    assert find_outages(series(*half)) == []
    run = [ok(0), down(1, failed=60), down(2), down(3), down(4), down(5, failed=55), ok(6)]
    (outage,) = find_outages(series(*run))
    assert (outage.start - T0, outage.end - T0) == (1, 6)


def test_seconds_without_requests_do_not_break_a_window() -> None:
    run = [ok(0), down(1), down(2), down(5), down(6), ok(7), ok(8), ok(9)]  # 3, 4: none
    (outage,) = find_outages(series(*run))
    assert (outage.start - T0, outage.end - T0) == (1, 7)


def test_500s_and_404s_are_no_outage() -> None:
    run = [Second(T0 + t, 10, 10, 0, 1.0) for t in range(10)]
    assert find_outages(series(*run)) == []


def test_recovery_waits_for_failures_and_latency_to_come_back() -> None:
    slow = [Second(T0 + t, 50, 0, 0, 200.0) for t in range(13, 16)]
    failing = [Second(T0 + 12, 50, 20, 0, 20.0)]
    run = ([ok(t) for t in range(5)] + [down(t) for t in range(5, 12)] + failing + slow
           + [ok(16), ok(17), Second(T0 + 18, 50, 0, 0, 25.0), ok(19)])
    (outage,) = find_outages(series(*run))
    assert outage.end == T0 + 12
    assert outage.recovered_at == T0 + 16 and outage.recovery_s == 4


def test_an_outage_until_the_end_has_no_recovery() -> None:
    run = [ok(t) for t in range(5)] + [down(t) for t in range(5, 10)]
    (outage,) = find_outages(series(*run))
    assert outage.recovery_s is None and outage.seconds_after == 0
    run.append(ok(10))  # one healthy second is not yet recovered (RECOVERY_HOLD_S)
    (outage,) = find_outages(series(*run))
    assert outage.recovery_s is None and outage.seconds_after == 1


def test_an_outage_at_the_start_recovers_on_failures_alone() -> None:
    run = [down(t) for t in range(4)] + [ok(t, p50=500.0) for t in range(4, 10)]
    (outage,) = find_outages(series(*run))
    assert outage.baseline_failure_share is None and outage.recovery_s == 0


def test_two_outages_are_two_windows() -> None:
    run = ([ok(t) for t in range(3)] + [down(t, reason="LocustBadStatusCode(code=503)")
                                        for t in range(3, 7)]
           + [ok(t) for t in range(7, 12)] + [down(t) for t in range(12, 16)] + [ok(16)])
    first, second = find_outages(series(*run))
    assert first.kinds == {"503": 400} and second.kinds == {"refused": 400}
    assert (first.start - T0, second.start - T0) == (3, 12)


def test_longer_intervals_give_windows_in_whole_intervals() -> None:
    run = [Second(T0 + 5 * i, 50, 0, 0, 20.0) for i in range(3)] + [
        Second(T0 + 5 * i, 100, 100, 100, 1.0, {REFUSED: 100}) for i in range(3, 5)] + [
        Second(T0 + 5 * i, 50, 0, 0, 20.0) for i in range(5, 8)]
    (outage,) = find_outages(SecondSeries(T0, tuple(run), step_s=5))
    assert (outage.start - T0, outage.end - T0, outage.recovery_s) == (15, 25, 0)
