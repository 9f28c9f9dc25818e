"""``swarmdeck capacity``: one open-model run whose rate is decided step by step by the
search (analysis/capacity.py), every step a stage of the run, judged on what the run
measured in its window (docs/capacity.md).

The executor asks the controller for each next schedule (``next_schedule``), half a second
at a time. A step holds its rate until the whole seconds of ``[start + settle, ...)`` it is
judged on span ``--step`` minus the settle time and are measured (a slice reaches the
collector within two seconds of its end), and longer when they hold too few requests; the
search then gives the next rate, or ends, and the executor ends the run. After a failed
step no iteration starts until the ones under way have finished (at most 30 s): what the
overload queued at the target would otherwise be measured against the next rate.

Over workers (``--workers``, ``--expect-workers``) the same controller runs on the master
and its schedules go to the workers' executors in chunks (capacity_master.py, chunks.py);
``measured_before``, ``late_s`` and ``quiet`` are then the master's.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace

from swarmdeck.analysis.capacity import Judgement, Search, judge
from swarmdeck.analysis.saturation import saturation
from swarmdeck.analysis.server_saturation import StepTiming, step_timing
from swarmdeck.engine.collector import Subscriber
from swarmdeck.engine.openmodel.session import OpenModelRun
from swarmdeck.engine.run import LocalRun, RunView
from swarmdeck.errors import ExitCode, StoreError
from swarmdeck.metrics.interval import EndpointInterval
from swarmdeck.metrics.iterations import IterationInterval
from swarmdeck.metrics.server_timing import ServerTiming
from swarmdeck.plan.arrival import ArrivalSchedule, format_rate
from swarmdeck.plan.capacity import PAUSE_S, CapacitySettings
from swarmdeck.records import CapacityResult, CapacityStep, RunDetails
from swarmdeck.store import RunMeta, Store

EXTEND_S = 0.5  # while a step's last seconds are measured, the rate goes on this long at a time



class StepWindow:
    """A collector subscriber: the intervals measured, by their start, until judged."""

    def __init__(self) -> None:
        self.intervals: dict[int, list[EndpointInterval]] = defaultdict(list)
        self.iterations: dict[int, list[IterationInterval]] = defaultdict(list)

    def add(self, interval: EndpointInterval) -> None:
        self.intervals[interval.start].append(interval)

    def add_iterations(self, intervals: list[IterationInterval]) -> None:
        for interval in intervals:
            self.iterations[interval.start].append(interval)

    def take(self, lo: int, hi: int) -> tuple[list[EndpointInterval], list[IterationInterval]]:
        """What started in ``[lo, hi)``; everything before ``lo`` is forgotten."""
        for store in (self.intervals, self.iterations):
            for start in [s for s in store if s < lo]:
                del store[start]
        return ([i for s in range(lo, hi) for i in self.intervals.get(s, ())],
                [i for s in range(lo, hi) for i in self.iterations.get(s, ())])


@dataclass
class _Step:
    rate: float
    start: float  # epoch s
    end: float  # epoch s: when its rate was to stop (held longer: later)
    confirm: bool


class Controller:
    def __init__(self, settings: CapacitySettings, *, interval_s: float,
                 clock: Callable[[], float] = time.time,
                 say: Callable[[str], None] = lambda text: None) -> None:
        self.settings = settings
        self.interval_s = interval_s
        self.clock = clock
        self.say = say
        self.search = Search(settings.start_rate, settings.max_rate, settings.precision)
        self.window = StepWindow()
        self.run_started: float = clock()  # epoch s: the run's start (offsets are from it)
        self.step: _Step | None = None
        self.done = False
        self.paused_until: float | None = None  # after a failed step: the longest pause
        self.paused_at: float | None = None  # when that pause began
        self.quiet: Callable[[], bool] = lambda: True  # no iteration under way any more
        # the first second whose slices may still be on their way to the collector at a
        # time: here within 2 s of its end (the pump's tick); a master's: from its workers'
        # reports (capacity_master.py)
        self.measured_before: Callable[[float], int] = lambda now: math.floor(now) - 1
        self.late_s = 0.0  # how much later than that its seconds may arrive (a master's)
        self.steps: list[CapacityStep] = []
        self.judgements: list[Judgement] = []

    @property
    def rate(self) -> float:
        return self.step.rate if self.step is not None else 0.0

    def _begin(self, rate: float | None, now: float) -> ArrivalSchedule | None:
        if rate is None:
            self.step = None
            self.done = True
            return None
        length = self.settings.confirm_s if self.search.confirming else self.settings.step_s
        if length <= 0:  # no confirmation wanted: take the rate as found
            self.search.record(True)
            return self._begin(self.search.next_rate(), now)
        self.step = _Step(rate, now, now + length, self.search.confirming)
        return ArrivalSchedule.constant(rate, length)

    def next_schedule(self) -> ArrivalSchedule | None:
        now = self.clock()
        if self.paused_until is not None:  # after a failed step: until the target is quiet
            if now < self.paused_until and not self.quiet():
                return ArrivalSchedule.constant(0.0, EXTEND_S)
            self.paused_until = self.paused_at = None
            return self._begin(self.search.next_rate(), now)
        step = self.step
        if step is None:
            return None if self.done else self._begin(self.search.next_rate(), now)
        # the rate goes on until the seconds judged are all measured: a slice reaches the
        # collector within 2 s of its end (the pump's tick)
        lo = math.ceil(step.start + self.settings.settle_s)
        hi = self.measured_before(now)
        length = self.settings.confirm_s if step.confirm else self.settings.step_s
        wanted = max(1, round(length - self.settings.settle_s))
        if hi - lo < wanted:
            return ArrivalSchedule.constant(step.rate, EXTEND_S)
        intervals, iterations = self.window.take(lo, hi)
        requests = sum(i.requests for i in intervals)
        if (requests < self.settings.min_requests
                and now - step.start < self.settings.hold_s(step.rate, length) + self.late_s):
            return ArrivalSchedule.constant(step.rate, EXTEND_S)
        verdict = judge(self.settings.slo, intervals, iterations, self.interval_s)
        if requests < self.settings.min_requests and not verdict.generator_limited:
            verdict = replace(verdict, passed=False,
                              why=f"too few requests to judge ({requests} of "
                                  f"{self.settings.min_requests})")
        step.end = now
        self._record(step, lo, hi, verdict)
        self.step = None
        if not verdict.passed:  # let what the failed rate queued drain before the next
            self.paused_at, self.paused_until = now, now + PAUSE_S
            return ArrivalSchedule.constant(0.0, EXTEND_S)
        return self._begin(self.search.next_rate(), now)

    def restart_step(self, why: str) -> None:
        """The step under way starts again from now (a worker was lost: the seconds it
        measured are incomplete); nothing happens during a pause."""
        step = self.step
        if step is not None:
            step.start = self.clock()
            self.say(f"{format_rate(step.rate)}: {why}; the step starts again")

    def _record(self, step: _Step, lo: int, hi: int, verdict: Judgement) -> None:
        span = max(hi - lo, 1)
        self.steps.append(CapacityStep(
            rate=step.rate, start_s=round(step.start - self.run_started, 3),
            end_s=round(step.end - self.run_started, 3),
            judged_from_s=round(lo - self.run_started, 3),
            judged_to_s=round(hi - self.run_started, 3), passed=verdict.passed,
            requests=verdict.requests, achieved_rate=verdict.started / span,
            p50_ms=verdict.p50_ms, p95_ms=verdict.p95_ms, error_rate=verdict.error_rate,
            dropped=verdict.dropped, why=verdict.why, confirm=step.confirm,
            generator_limited=verdict.generator_limited))
        self.judgements.append(verdict)
        self.search.record(verdict.passed, verdict.generator_limited)
        word = "held" if verdict.passed else "broke"
        what = "confirming " if step.confirm else ""
        self.say(f"{what}{format_rate(step.rate)}: the SLO {word}"
                 + (f" ({verdict.why})" if verdict.why else ""))

    def result(self) -> CapacityResult:
        search = self.search
        broken = next((j.broken for j, s in zip(self.judgements, self.steps, strict=True)
                       if not s.passed and not s.confirm and j.broken), None)
        if search.generator_limited is not None:
            rate = format_rate(search.generator_limited)
            return CapacityResult(
                found=False, rate=search.good, upper=None, confirmed=False,
                first_broken=broken, exit_code=int(ExitCode.COULD_NOT_RUN),
                message=f"the generator could not start {rate} while the target kept the "
                        "SLO (its users were late, or iterations were dropped): raise "
                        "--max-users, or spread the load over more workers (--workers N, "
                        "--expect-workers N)")
        if search.good is None:
            return CapacityResult(
                found=False, rate=None, upper=search.bad, confirmed=False,
                first_broken=broken, exit_code=int(ExitCode.THRESHOLD_FAILED),
                message=f"the SLO fails even at {format_rate(self.settings.start_rate)}: "
                        "lower --start-rate, or look at what fails first")
        if not search.confirmed and self.settings.confirm_s > 0:
            return CapacityResult(
                found=False, rate=search.good, upper=search.bad, confirmed=False,
                first_broken=broken, exit_code=int(ExitCode.THRESHOLD_FAILED),
                message=f"the rate found ({format_rate(search.good)}) did not keep the SLO "
                        "when held again: the target's capacity varies (a longer --step "
                        "measures it steadier)")
        good = format_rate(search.good)
        if search.bad is None:
            message = (f"the SLO held up to --max-rate ({good}): the capacity is at least "
                       "that")
        else:
            message = (f"sustains {good} (the SLO broke at {format_rate(search.bad)}: the "
                       f"capacity is between the two)")
        return CapacityResult(found=True, rate=search.good, upper=search.bad,
                              confirmed=search.confirmed or self.settings.confirm_s <= 0,
                              first_broken=broken, exit_code=int(ExitCode.OK),
                              message=message)


class CapacityRun(LocalRun):
    """The search's run: an open-model run whose schedule the controller decides."""

    def __init__(self, settings: CapacitySettings, store: Store, view: RunView,
                 locust_args: list[str] | None = None) -> None:
        super().__init__(settings.plan, store, view, locust_args)
        self.settings = settings
        self.controller = Controller(settings, interval_s=settings.plan.interval_s,
                                     say=view.message)

    def _meta(self) -> RunMeta:
        meta = super()._meta()
        self.controller.run_started = meta.started_at.timestamp()
        return meta

    def _new_open_model(self) -> OpenModelRun:
        run = OpenModelRun.from_plan(self.plan, self.user_classes)
        run.executor.next_schedule = self.controller.next_schedule
        self.controller.quiet = run.executor.quiet
        run.log.on_add = self.controller.window.add_iterations
        run.log.rate_at = lambda t: self.controller.rate
        return run

    def _subscribers(self) -> list[Subscriber]:
        return [self.controller.window]

    def _more_details(self, details: RunDetails) -> RunDetails:
        details = super()._more_details(details)
        if details.open_model is None:
            return details
        steps = tuple(self.controller.steps)
        result = self.controller.result()
        if steps:  # what saturated first: the monitors' series (stored when the monitors
            try:  # stopped, before the run's details) and what the server said
                run_id = self.storing.run_id
                series = self.store.monitor_series(run_id) if self.plan.monitors else []
                timings = step_timings(self.store, run_id, self.controller.run_started,
                                       steps)
            except StoreError as exc:  # the store is down: the result without it
                self.view.message(f"what saturated first is not known: {exc}")
            else:
                result = replace(result, saturation=saturation(series, steps, timings))
        return replace(details, open_model=replace(details.open_model, steps=steps,
                                                   capacity=result))



def step_timings(store: Store, run_id: int, run_started: float,
                 steps: tuple[CapacityStep, ...]) -> list[StepTiming | None]:
    """Each step's Server-Timing over its judged seconds, every endpoint merged (None: no
    response in them carried the header)."""
    gathered: list[list[ServerTiming]] = [[] for _ in steps]
    for interval in store.iter_series(run_id, 1):
        timing = interval.server_timing
        if timing is None or not timing.responses:
            continue
        at = interval.start - run_started
        for i, step in enumerate(steps):
            if step.judged_from_s - 0.01 <= at < step.judged_to_s - 0.01:
                gathered[i].append(timing)
    return [step_timing(timings) for timings in gathered]
