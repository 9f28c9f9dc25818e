"""``swarmdeck capacity``'s settings: the SLO, how the search over arrival rates goes, and
the plan of the open-model run that holds its steps (docs/capacity.md)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from swarmdeck.analysis.thresholds import Threshold
from swarmdeck.plan.model import Plan

DEFAULT_MAX_USERS = 2000  # the pool grows only when its users are busy: a high ceiling is free
CHECK_S = 3.0  # after a step, at most this long until its last second is measured
PAUSE_S = 30.0  # after a failed step, the longest wait for the target to be quiet
MAX_HOLD = 3  # a step with too few requests is held up to this many times its length, and
# at least long enough for its rate to start --min-requests iterations and have them measured


@dataclass(frozen=True)
class CapacitySettings:
    plan: Plan  # the open-model run holding the steps (no thresholds: the SLO is judged per step)
    slo: tuple[Threshold, ...]
    start_rate: float  # iterations/s
    max_rate: float
    step_s: float
    settle_s: float
    min_requests: int
    precision: float  # a fraction: 0.1 for 10%
    confirm_s: float
    debug: bool = False

    def hold_s(self, rate: float, length: float) -> float:
        """The longest a step of ``rate`` and ``length`` is held while it has too few
        requests to judge: ``MAX_HOLD`` times its length, and never less than the time its
        rate takes to start ``min_requests`` iterations after the settle, plus the time the
        last of them takes to reach the collector."""
        return max(MAX_HOLD * length,
                   self.settle_s + self.min_requests / max(rate, 1e-9) + CHECK_S)

    @property
    def bound_s(self) -> float:
        """The longest the search may take (its run's hard stop)."""
        doublings = math.ceil(math.log2(max(self.max_rate / self.start_rate, 1.0))) + 1
        halvings = math.ceil(math.log2(1 / self.precision)) + 2
        per_step = self.hold_s(self.start_rate, self.step_s) + CHECK_S + PAUSE_S
        return (doublings + halvings) * per_step + 2 * (self.confirm_s + CHECK_S) + 30


def capacity_settings(values: Mapping[str, Any], fields: Mapping[str, str],
                      sources: Mapping[str, str]) -> CapacitySettings:
    """From the resolved settings of the command (``values`` by setting name; ``fields``:
    each setting's field)."""
    given = {fields[name]: value for name, value in values.items()}
    shared = {key: given[key] for key in (
        "locustfile", "host", "users", "max_users", "max_lag_s", "plan_path", "db_url",
        "json_path", "classes", "quiet", "interval_s", "max_names", "group_names", "debug",
        "stop_timeout_s", "html_path", "monitor_required", "workers", "expect_workers",
        "expect_workers_timeout_s", "master_bind", "token", "region")}
    shared["tags"] = given["tags"] or {}
    shared["classes"] = given["classes"] or ()
    shared["monitors"] = given["monitors"] or ()
    shared["max_users"] = given["max_users"] or DEFAULT_MAX_USERS
    settings = CapacitySettings(
        # failed requests do not fail the search's run (it overloads the target on purpose):
        # the SLO decides each step
        plan=Plan(**shared, spawn_rate=1.0, run_time_s=None, shape=None,
                  arrival_rate=float(given["start_rate"]), exit_code_on_error=0,
                  sources=dict(sources)),
        slo=tuple(given["slo"]), start_rate=float(given["start_rate"]),
        max_rate=float(given["max_rate"]), step_s=float(given["step_s"]),
        settle_s=float(given["settle_s"]), min_requests=int(given["min_requests"]),
        precision=float(given["precision"]), confirm_s=float(given["confirm_s"]),
        debug=bool(given["debug"]))
    return replace(settings, plan=replace(settings.plan, run_time_s=settings.bound_s))
