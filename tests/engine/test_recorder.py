"""The per-process recorder: intervals, failure reasons, and the request-name cap."""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from swarmdeck.engine.endpoints import EndpointNames
from swarmdeck.engine.evidence import Evidence
from swarmdeck.engine.recorder import Recorder
from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.metrics.interval import OTHER_NAME


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_requests_land_in_the_interval_of_their_end_time() -> None:
    clock = Clock(1000.2)
    recorder = Recorder(interval_s=1, clock=clock)
    recorder.on_request("GET", "/a", 12.5, 100)
    clock.now = 1000.9
    recorder.on_request("GET", "/a", 30.0, 50)
    clock.now = 1001.1
    recorder.on_request("GET", "/a", 7.0, 10, exception=ValueError("boom"))
    closed = recorder.take_closed()
    assert [(i.start, i.requests, i.failures, i.bytes) for i in closed] == [(1000, 2, 0, 150)]
    assert closed[0].histogram.max_us == 30_000
    rest = recorder.take_all()
    assert [(i.start, i.requests, i.failures) for i in rest] == [(1001, 1, 1)]
    assert rest[0].errors == {"ValueError('boom')": 1}
    assert recorder.take_all() == []


def test_longer_intervals_align_to_their_length() -> None:
    clock = Clock(1007.5)
    recorder = Recorder(interval_s=5, clock=clock)
    recorder.on_request("POST", "/b", 1.0, 0)
    assert recorder.take_all()[0].start == 1005


def test_names_beyond_the_cap_fold_into_other() -> None:
    recorder = Recorder(names=EndpointNames(max_names=3, group=False), clock=Clock(50.0))
    for i in range(10):
        recorder.on_request("GET", f"/item/{i}", 1.0, 0)
    recorder.on_request("GET", "/item/0", 1.0, 0)  # a known name keeps its own row
    recorder.on_request("GET", "/item/9", 1.0, 0)  # a folded name is not counted twice
    by_name = {i.name: i.requests for i in recorder.take_all()}
    assert by_name == {"/item/0": 2, "/item/1": 1, "/item/2": 1, OTHER_NAME: 8}
    assert recorder.names.folded == 7


def test_every_request_is_counted_once() -> None:
    clock = Clock(0.0)
    recorder = Recorder(clock=clock)
    total = 0
    for step in range(300):
        clock.now = step * 0.037
        recorder.on_request("GET", f"/r{step % 4}", float(step % 50), 1,
                            exception=None if step % 7 else RuntimeError("x"))
        total += 1
    intervals = recorder.take_closed() + recorder.take_all()
    assert sum(i.requests for i in intervals) == total
    assert sum(i.failures for i in intervals) == len([s for s in range(300) if s % 7 == 0])
    # each request's response time is in exactly one of the interval's two histograms
    for i in intervals:
        assert i.histogram.count == i.requests - i.failures
        failed = i.failed_histogram
        assert (failed.count if failed is not None else 0) == i.failures
        assert not i.unsplit


def test_failed_requests_have_their_own_histogram() -> None:
    """A refused connection answers in 1 ms, a timeout in 30 s: neither is in the
    successes' percentiles; each is in the failed histogram."""
    recorder = Recorder(clock=Clock(10.0))
    for _ in range(90):
        recorder.on_request("GET", "/a", 20.0, 100)
    for _ in range(5):
        recorder.on_request("GET", "/a", 1.0, 0, exception=ConnectionRefusedError("refused"))
    for _ in range(5):
        recorder.on_request("GET", "/a", 30_000.0, 0, exception=TimeoutError("timed out"))
    recorder.on_request("GET", "/b", 5.0, 10)
    by_name = {i.name: i for i in recorder.take_all()}
    a, b = by_name["/a"], by_name["/b"]
    assert (a.requests, a.failures) == (100, 10)
    assert (a.histogram.count, a.histogram.min_us, a.histogram.max_us) == (90, 20_000, 20_000)
    assert a.failed_histogram is not None
    assert (a.failed_histogram.count, a.failed_histogram.min_us,
            a.failed_histogram.max_us) == (10, 1_000, 30_000_000)
    assert b.failed_histogram is None  # no failure, no second histogram


# -- the hot path (plain 200s batched, folded once a second) gives the same intervals -----


class Plain:
    """A response as FastHttpUser's: a status code, no redirect history."""

    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        self.headers = {"Server": "nginx/1.26"}


class Followed(Plain):
    """A response as requests' (HttpUser): with the redirects it followed."""

    def __init__(self, status_code: int, history: list[str]) -> None:
        super().__init__(status_code)
        self.history = history
        self.url = "http://t/login" if history else "http://t/page"


class NotHttp:
    """A custom client's response: no status code at all."""


def _response(kind: str, status: int) -> Any:
    if kind == "plain":
        return Plain(status)
    if kind in ("followed", "redirected"):
        return Followed(status, ["302"] if kind == "redirected" else [])
    return NotHttp() if kind == "nothttp" else None


request = st.tuples(
    st.floats(min_value=0.0, max_value=0.7),  # clock advance before it, s
    st.sampled_from(["/a", "/b", "/items/1", "/items/2"]),
    st.sampled_from([200, 200, 200, 201, 302, 404, 500]),
    st.sampled_from(["plain", "plain", "followed", "redirected", "none", "nothttp"]),
    st.booleans(),  # failed with an exception
    st.floats(min_value=0.0, max_value=5000.0),  # response time, ms
    st.integers(min_value=0, max_value=3),  # take_closed() after it: 0
)


@given(st.lists(request, max_size=120))
@settings(max_examples=150, deadline=None)
def test_batched_and_direct_recording_give_the_same_intervals(steps: list[Any]) -> None:
    """Whatever mix of plain 200s (the batched hot path), other statuses, failures,
    responses with redirects or without status codes, and interval ends: every request is
    in the interval of its clock time, with its exact response time in the right
    histogram, and the evidence counts its status once."""
    clock = Clock(1000.0)
    names = EndpointNames()
    evidence = Evidence(names=names)
    recorder = Recorder(names=names, clock=clock, describe_error=str, observer=evidence)
    expected: dict[tuple[int, str], dict[str, Any]] = {}
    statuses: Counter[tuple[str, int | None]] = Counter()
    intervals = []
    for advance, name, status, kind, failed, ms, take in steps:
        clock.now += advance
        response = _response(kind, status)
        recorder.on_request("GET", name, ms, 10, response=response,
                            exception=RuntimeError("x") if failed else None)
        endpoint = names.endpoint("GET", name)
        row = expected.setdefault((int(clock.now), endpoint), {
            "requests": 0, "failures": 0, "bytes": 0, "ok": LatencyHistogram(),
            "failed": LatencyHistogram()})
        row["requests"] += 1
        row["bytes"] += 10
        row["failed" if failed else "ok"].record(int(ms * 1000 + 0.5))
        row["failures"] += failed
        code = getattr(response, "status_code", None)
        statuses[(endpoint, code)] += 1
        if not take:
            intervals += recorder.take_closed()
    intervals += recorder.take_all()
    got = {(i.start, i.name): i for i in intervals}
    assert set(got) == set(expected)  # each (slice, endpoint) once: nothing split or lost
    for key, row in expected.items():
        interval = got[key]
        assert (interval.requests, interval.failures, interval.bytes) == (
            row["requests"], row["failures"], row["bytes"])
        assert interval.histogram == row["ok"]
        assert (interval.failed_histogram or LatencyHistogram()) == row["failed"]
    seen = {(e.name, code): n for e in evidence.local().endpoints
            for code, n in e.status.items()}
    assert seen == dict(statuses)


def test_a_name_grouped_later_leaves_the_hot_path_for_its_template() -> None:
    """Once a path position is learned as variable, a name already on the hot path is
    recorded under its template from the next request on."""
    clock = Clock(50.0)
    recorder = Recorder(clock=clock)
    for _ in range(3):
        recorder.on_request("GET", "/shop/apples", 1.0, 0, response=Plain(200))
    for i in range(40):  # enough distinct values under /shop/ to learn the position
        recorder.on_request("GET", f"/shop/item-{i}-x", 1.0, 0, response=Plain(200))
    template = recorder.names.endpoint("GET", "/shop/apples")
    recorder.on_request("GET", "/shop/apples", 1.0, 0, response=Plain(200))
    rows = {i.name: i.requests for i in recorder.take_all()}
    assert template == "/shop/{id}"
    assert rows["/shop/apples"] == 3  # the three before the position was learned, not the 4th
    assert rows[template] >= 1 and sum(rows.values()) == 44
