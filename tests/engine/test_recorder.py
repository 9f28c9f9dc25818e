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
    assert sum(i.histogram.count for i in intervals) == total
