"""A capacity search over workers, the parts without processes: the chunks' wire form and
how they are dealt, a worker's feed of them, and what the master's part tells the
controller (which seconds every worker has reported, whether they are all quiet, that a
worker was lost)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from tests.engine.capacity_steps import T0, Clock, second
from tests.engine.capacity_steps import settings as shared_settings

from swarmdeck.engine.openmodel import chunks
from swarmdeck.engine.openmodel.capacity import Controller
from swarmdeck.engine.openmodel.capacity_master import MasterCapacity
from swarmdeck.metrics.iterations import IterationInterval
from swarmdeck.plan.arrival import ArrivalSchedule
from swarmdeck.plan.capacity import CapacitySettings


def settings(**changes: object) -> CapacitySettings:
    return shared_settings(workers=2, **changes)


def test_a_chunk_travels_as_plain_types_and_comes_back_equal() -> None:
    chunk = chunks.Chunk(ArrivalSchedule.constant(120.0, 0.5), T0 + 0.5, 1, 2)
    assert chunks.Chunk.from_wire(chunk.to_wire()) == chunk


@pytest.mark.parametrize("change", [{"v": 99}, {"index": 2}, {"count": 0}])
def test_a_chunk_of_another_version_or_share_is_refused(change: dict[str, Any]) -> None:
    wire = {**chunks.Chunk(ArrivalSchedule.constant(1.0, 0.5), T0, 0, 2).to_wire(), **change}
    with pytest.raises(ValueError):
        chunks.Chunk.from_wire(wire)


def test_every_chunk_is_dealt_whole_and_the_remainder_rotates() -> None:
    schedule = ArrivalSchedule.constant(50.0, 0.5)  # 25 iterations: one more for someone
    whole = [k for k, _ in schedule.times()]
    taken = {"a": 0, "b": 0}
    for number in range(4):
        shares = chunks.deal(["a", "b"], number)
        assert sorted(shares.values()) == [(0, 2), (1, 2)]
        dealt = sorted(k for index, count in shares.values()
                       for k, _ in schedule.times(index, count))
        assert dealt == whole
        for cid, (index, count) in shares.items():
            taken[cid] += len(list(schedule.times(index, count)))
    assert taken == {"a": 50, "b": 50}
    assert chunks.deal(["b"], 7) == {"b": (0, 1)}  # a worker lost: the other takes it all


class Feed:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []
        self.share = (0, 1)
        self.is_quiet = False
        self.clock = Clock()
        self.feed = chunks.ChunkFeed(lambda kind, data: self.sent.append((kind, data)),
                                     assign=self._assign, quiet=lambda: self.is_quiet,
                                     clock=self.clock, wait_s=0.05)

    def _assign(self, index: int, count: int) -> None:
        self.share = (index, count)


def test_a_worker_runs_the_chunks_in_order_with_their_start_and_share() -> None:
    worker = Feed()
    feed = worker.feed
    first = chunks.Chunk(ArrivalSchedule.constant(40.0, 0.5), T0 + 0.5, 1, 2)
    feed.on_chunk(first.to_wire())
    feed.on_chunk(chunks.Chunk(ArrivalSchedule.constant(0.0, 0.5), T0 + 1.0, 0, 2).to_wire())
    feed.on_end()
    assert feed.next_schedule() == first.schedule
    assert worker.sent == [(chunks.READY, None)]  # its first users are ready
    assert (feed.start_of(), worker.share) == (T0 + 0.5, (1, 2))
    assert feed.next_schedule() == ArrivalSchedule.constant(0.0, 0.5)
    assert (feed.start_of(), worker.share) == (T0 + 1.0, (0, 2))
    worker.is_quiet = True  # after a chunk without load, nothing under way: says so
    assert feed.next_schedule() is None
    assert worker.sent[-1] == (chunks.QUIET, {"start": T0 + 1.0})


def test_a_chunk_that_arrives_after_its_end_is_skipped_and_silence_ends_the_part() -> None:
    worker = Feed()
    worker.clock.now = T0 + 5
    late = chunks.Chunk(ArrivalSchedule.constant(40.0, 0.5), T0, 0, 1)
    worker.feed.on_chunk(late.to_wire())
    worker.feed.on_chunk({"v": 1, "schedule": "garbage"})  # logged and ignored
    assert worker.feed.next_schedule() is None  # nothing else came within wait_s
    assert worker.feed.skipped == 1


def master(live: list[str]) -> tuple[MasterCapacity, Controller, Clock, list[Any]]:
    clock = Clock()
    capacity = settings(start_rate=50.0, step_s=1.5, settle_s=0.5, min_requests=100)
    controller = Controller(capacity, interval_s=1.0, clock=clock)
    sent: list[Any] = []
    part = MasterCapacity(capacity.plan, controller,
                          send=lambda kind, data, cid: sent.append((kind, data, cid)),
                          live=lambda: live, clock=clock)
    return part, controller, clock, sent


def test_a_second_counts_as_measured_once_every_live_worker_reported_after_it() -> None:
    live = ["a", "b"]
    part, _, clock, _ = master(live)
    clock.now = T0 + 3.3
    part.receive("a", {})
    assert part.measured_before(clock.now) < T0  # not handed to the collector yet
    part.hand_over()
    assert part.measured_before(clock.now) < T0  # b has not reported
    clock.now = T0 + 4.1
    part.receive("b", {})
    part.hand_over()
    assert part.measured_before(clock.now) == T0 + 3  # a's report: seconds before T0 + 3
    live.remove("a")  # lost: no longer waited for
    assert part.measured_before(clock.now) == T0 + 3  # floor(T0 + 4.1 - 0.2)
    live.clear()
    assert part.measured_before(clock.now) == math.floor(clock.now) - 1


def test_a_workers_measured_message_says_exactly_which_seconds_it_holds() -> None:
    part, _, clock, _ = master(["a", "b"])
    clock.now = T0 + 6.06
    part.receive("a", {"until": T0 + 6})  # sent at T0 + 6.05: seconds before T0 + 6
    part.receive("b", {"until": T0 + 6})
    part.receive("b", {"until": T0 + 4})  # a late one does not take it back
    part.hand_over()
    assert part.measured_before(clock.now) == T0 + 6


def test_the_reports_iteration_counts_are_kept_per_worker() -> None:
    part, _, _, _ = master(["a", "b"])
    wire = [IterationInterval(start=int(T0), scheduled=5, started=4, dropped=1).to_wire()]
    part.receive("a", {"swarmdeck_iterations": wire})
    part.receive("a", {"swarmdeck_iterations": wire})
    assert part.by_worker == {"a": (10, 8, 2)}


def test_the_pause_after_a_failed_step_ends_when_every_live_worker_is_quiet() -> None:
    live = ["a", "b"]
    part, controller, _, _ = master(live)
    controller.paused_at = T0 + 5
    part.on_quiet("a", {"start": T0 + 5.0})
    part.on_quiet("b", {"start": T0 + 4.5})  # quiet before the pause: does not count
    assert not part.quiet()
    part.on_quiet("b", {"start": T0 + 5.5})
    assert part.quiet()
    controller.paused_at = T0 + 9  # the next pause
    assert not part.quiet()
    live.remove("b")
    part.on_quiet("a", {"start": T0 + 9.0})
    assert part.quiet()


def test_a_worker_lost_mid_step_starts_the_step_again_on_the_others() -> None:
    live = ["a", "b"]
    part, controller, clock, _ = master(live)
    part.ready, part.known, part.started = {"a", "b"}, {"a", "b"}, True
    assert controller.next_schedule() is not None
    assert controller.step is not None and controller.step.start == T0
    clock.now = T0 + 2.5
    live.remove("b")  # the master declared it lost
    part.check({"a"})
    assert controller.step.start == T0 + 2.5
    clock.now = T0 + 3.0
    part.check({"a"})  # told again: nothing new
    assert controller.step.start == T0 + 2.5


def test_a_step_over_workers_waits_for_their_late_reports_before_too_few_requests() -> None:
    # reports every 3 s: a 50/s step's seconds arrive up to 4 s late, and it must not fail
    # "too few requests" for seconds still on their way
    clock = Clock()
    capacity = settings(start_rate=50.0, step_s=1.5, settle_s=0.5, min_requests=100)
    controller = Controller(capacity, interval_s=1.0, clock=clock)
    controller.measured_before = lambda now: math.floor(now) - 4
    controller.late_s = 3.0
    assert controller.next_schedule() is not None
    while not controller.steps:
        clock.now += 0.5
        for s in range(40):
            if T0 + s + 4 <= clock.now and (T0 + s) not in controller.window.intervals:
                controller.window.add(second(T0 + s, 40))
                controller.window.add_iterations([IterationInterval(
                    start=int(T0 + s), scheduled=40, started=40)])
        controller.next_schedule()
        assert clock.now < T0 + 60
    assert controller.steps[0].passed, controller.steps[0].why


def test_only_the_workers_ready_when_the_search_started_and_still_running_take_part() -> None:
    live = ["a", "b", "c"]
    part, controller, clock, _ = master(live)
    part.on_ready("a")
    part.on_ready("b")
    assert part.taking_part() == ["a", "b", "c"]  # before the start: all are waited for
    part.started, part.known = True, {"a", "b"}
    assert part.taking_part() == ["a", "b"]  # c joined late: Locust gave it no users
    assert controller.next_schedule() is not None
    clock.now = T0 + 1.0
    part.worker_done("b", set(live))  # b's executor ended mid-search
    assert part.taking_part() == ["a"]
    assert controller.step is not None and controller.step.start == T0 + 1.0
