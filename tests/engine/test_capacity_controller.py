"""The capacity controller's clock: how long a step is held before it is judged. A slow
first second (a generator still starting) must not fail a low rate for "too few requests"
when its rate would have given enough had it been held a little longer."""

from __future__ import annotations

import pytest
from tests.engine.capacity_steps import T0, Clock, second, settings

from swarmdeck.engine.openmodel.capacity import Controller
from swarmdeck.metrics.iterations import IterationInterval


def drive(controller: Controller, clock: Clock, per_second: list[int]) -> float:
    """Feeds each second's requests as the collector would (two seconds late) and asks for
    schedules every half second until the step is judged; returns when it was judged."""
    assert controller.next_schedule() is not None  # the first step begins at T0
    while not controller.steps:
        clock.now += 0.5
        for s, requests in enumerate(per_second):
            if T0 + s + 2 <= clock.now and (T0 + s) not in controller.window.intervals:
                controller.window.add(second(T0 + s, requests))
                controller.window.add_iterations([IterationInterval(
                    start=int(T0 + s), scheduled=requests, started=requests)])
        controller.next_schedule()
        assert clock.now < T0 + 60, "the step was never judged"
    return clock.now - T0


def test_a_low_rate_is_held_until_it_has_enough_requests_to_judge() -> None:
    clock = Clock()
    # 50/s judged on whole seconds after the settle: three times a 1.5-s step (4.5 s) is
    # not enough for 100 requests to be measured when the generator's first seconds are slow
    capacity = settings(start_rate=50.0, step_s=1.5, settle_s=0.5, min_requests=100)
    controller = Controller(capacity, interval_s=1.0, clock=clock)
    judged_at = drive(controller, clock, [20, 40, 45] + [50] * 20)
    step = controller.steps[0]
    assert step.passed, step.why
    assert step.requests >= 100
    assert judged_at <= capacity.hold_s(50.0, 1.5) + 0.5


def test_a_step_that_never_gets_enough_requests_fails_when_the_hold_runs_out() -> None:
    clock = Clock()
    capacity = settings(start_rate=50.0, step_s=1.5, settle_s=0.5, min_requests=100)
    controller = Controller(capacity, interval_s=1.0, clock=clock)
    judged_at = drive(controller, clock, [10] * 30)  # a target answering 10/s
    step = controller.steps[0]
    assert not step.passed and "too few requests to judge" in step.why
    assert judged_at == pytest.approx(capacity.hold_s(50.0, 1.5), abs=0.5)


def test_the_hold_is_three_steps_at_high_rates_and_longer_at_low_ones() -> None:
    capacity = settings(step_s=10.0, settle_s=2.0, min_requests=100)
    assert capacity.hold_s(1000.0, 10.0) == 30.0
    assert capacity.hold_s(2.0, 10.0) == pytest.approx(2.0 + 50.0 + 3.0)
    assert capacity.bound_s >= capacity.hold_s(capacity.start_rate, 10.0)
