"""The per-process recorder: intervals, failure reasons, and the request-name cap."""

from __future__ import annotations

from swarmdeck.engine.endpoints import EndpointNames
from swarmdeck.engine.recorder import Recorder
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
