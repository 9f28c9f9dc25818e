"""The StatsD wire format as data: what Gunicorn sends becomes its series, whatever else
arrives is skipped, never fatal."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from swarmdeck.monitors.statsd_proto import (
    Metric,
    fold,
    gunicorn_series,
    parse_line,
    parse_packet,
)

names = st.from_regex(r"[a-z][a-z0-9_.]{0,30}", fullmatch=True)
values = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda v: round(v, 3))
types = st.sampled_from(["c", "g", "ms", "h", "d", "s"])


@given(names, values, types)
def test_a_line_reads_back_as_written(name: str, value: float, kind: str) -> None:
    metric = parse_line(f"{name}:{value!r}|{kind}")
    assert metric is not None
    assert (metric.name, metric.value, metric.type) == (name, value, kind)


@given(st.binary(max_size=300))
def test_any_bytes_parse_without_raising(data: bytes) -> None:
    for metric in parse_packet(data):
        assert math.isfinite(metric.value) and metric.type in {"c", "g", "ms", "h", "d", "s"}


@given(st.lists(st.tuples(st.integers(1, 50), st.sampled_from([1.0, 0.5, 0.1])),
                max_size=30))
def test_counters_add_up_scaled_by_their_sample_rate(increments: list[tuple[int, float]]
                                                     ) -> None:
    packet = "\n".join(f"gunicorn.requests:{n}|c|@{rate}" for n, rate in increments)
    second = fold([packet.encode()])
    expected = sum(n / rate for n, rate in increments)
    assert math.isclose(second.counters.get("gunicorn.requests", 0.0), expected)


@given(st.lists(st.floats(min_value=0, max_value=5000, allow_nan=False), min_size=1,
                max_size=40), st.integers(1, 16))
def test_utilization_is_the_busy_time_over_the_workers(durations: list[float],
                                                       workers: int) -> None:
    packets = [f"gunicorn.request.duration:{d}|ms\ngunicorn.requests:1|c|@1.0".encode()
               for d in durations]
    found, carried = gunicorn_series(fold(packets), workers)
    series = {name: value for name, value, _ in found}
    assert series["gunicorn.requests"] == len(durations)
    busy = sum(durations) / 1000
    # never above every worker busy all second; the rest is carried to the next seconds
    assert math.isclose(series["gunicorn.busy"], min(busy, workers), rel_tol=1e-9,
                        abs_tol=1e-9)
    assert math.isclose(series["gunicorn.utilization"], 100 * min(busy, workers) / workers,
                        rel_tol=1e-9, abs_tol=1e-9)
    assert math.isclose(carried, max(0.0, busy - workers), abs_tol=1e-9)
    drained, left = 0.0, carried
    while left > 0:  # idle seconds after: the carried work is all shown, none lost
        more, left = gunicorn_series(fold([]), workers, left)
        drained += {n: v for n, v, _ in more}["gunicorn.busy"]
    assert math.isclose(series["gunicorn.busy"] + drained, busy, rel_tol=1e-9, abs_tol=1e-9)


def test_what_gunicorn_sends_becomes_its_series() -> None:
    # exactly as gunicorn/instrument/statsd.py writes them (with a --statsd-prefix)
    packets = [b"app.gunicorn.request.duration:120.5|ms", b"app.gunicorn.requests:1|c|@1.0",
               b"app.gunicorn.request.status.200:1|c|@1.0",
               b"app.gunicorn.request.duration:79.5|ms", b"app.gunicorn.requests:1|c|@1.0",
               b"app.gunicorn.request.status.503:1|c|@1.0",
               b"app.gunicorn.log.critical:1|c|@1.0", b"app.gunicorn.workers:4|g",
               b"other.app.queue:7|g\nother.app.jobs:3|c"]
    series = {name: (value, unit)
              for name, value, unit in gunicorn_series(fold(packets), None)[0]}
    assert series["gunicorn.requests"] == (2, "/s")
    assert series["gunicorn.duration"] == (100.0, "ms")
    assert series["gunicorn.status.2xx"][0] == 1 and series["gunicorn.status.5xx"][0] == 1
    assert series["gunicorn.workers"][0] == 4
    assert series["gunicorn.utilization"] == (100 * 0.2 / 4, "%")
    assert series["gunicorn.errors"][0] == 1
    assert series["other.app.queue"] == (7, "") and series["other.app.jobs"] == (3, "/s")


def test_an_idle_second_has_zero_requests_and_no_utilization_without_workers() -> None:
    series = {name: value for name, value, _ in gunicorn_series(fold([]), None)[0]}
    assert series["gunicorn.requests"] == 0 and "gunicorn.utilization" not in series
    idle = {name: value for name, value, _ in gunicorn_series(fold([]), 3)[0]}
    assert idle["gunicorn.utilization"] == 0


def test_relative_gauges_change_the_gauge_across_seconds() -> None:
    gauges: dict[str, float] = {}
    fold([b"q:10|g"], gauges)
    second = fold([b"q:+5|g\nq:-2|g"], gauges)
    assert second.gauges["q"] == 13
    assert parse_line("q:-2|g") == Metric("q", -2.0, "g", 1.0, True)


def test_bad_lines_are_skipped() -> None:
    assert parse_packet(b"nocolon|c\nx:1|zz\nx:abc|c\nx:1|c|@2\nx:inf|g\ngood:1|c") == [
        Metric("good", 1.0, "c")]
