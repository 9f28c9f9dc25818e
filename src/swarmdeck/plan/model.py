"""The resolved settings of each command: plain, frozen data handed from the CLI to the core.

`Plan` is ``swarmdeck run``'s (the test plan); the other commands have a few settings each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from swarmdeck.analysis.budgets import Budget
from swarmdeck.analysis.thresholds import Threshold
from swarmdeck.errors import PlanError
from swarmdeck.masking import mask_url
from swarmdeck.plan.arrival import ArrivalSchedule, schedule_of
from swarmdeck.plan.shape_spec import ShapeSpec
from swarmdeck.plan.values import HostPort

if TYPE_CHECKING:
    from swarmdeck.monitors.spec import MonitorSpec

LOOPBACK_MASTER = HostPort("127.0.0.1", 5557)


@dataclass(frozen=True)
class Plan:
    locustfile: Path
    host: str | None  # None: the User classes' own ``host``
    users: int
    spawn_rate: float
    run_time_s: float | None  # the hard stop; None: the shape's end (see ensure_bounded)
    shape: ShapeSpec | None
    db_url: str  # a SQLAlchemy URL; may hold a password (to_dict masks it)
    json_path: Path | None  # Path("-"): standard output
    tags: dict[str, str]
    classes: tuple[str, ...]  # empty: every User class of the locustfile
    quiet: bool
    interval_s: float
    max_names: int
    debug: bool
    stop_timeout_s: float
    plan_path: Path | None  # the plan file read, if any
    workers: int = 0  # local worker processes under a master; 0: one process
    expect_workers: int = 0  # remote workers to wait for
    expect_workers_timeout_s: float = 60.0
    master_bind: HostPort = LOOPBACK_MASTER
    token: str | None = None  # shared master/worker secret; never stored
    region: str = "local"
    thresholds: tuple[Threshold, ...] = ()
    junit_path: Path | None = None
    markdown_path: Path | None = None
    html_path: Path | None = None
    compare_to: str | None = None  # a run id, "last" or "baseline:NAME" (syntax checked only)
    max_regression: tuple[Budget, ...] = ()
    exit_code_on_error: int = 1  # Locust's --exit-code-on-error: a run with failures
    locust_config: Path | None = None  # the Locust config file read (--config), if any
    group_names: bool = True  # ids in request names grouped into templates (engine/naming.py)
    monitors: tuple[MonitorSpec, ...] = ()  # the target side's sources (swarmdeck.monitors)
    monitor_required: bool = False  # an unreachable or lost monitor stops the run
    store_grace_s: float = 10.0  # at the end, retry an unanswering store this long
    # the open model (plan/arrival.py): a constant rate (iterations/s) for run_time, or an
    # arrival shape; the pool's largest size (None: twice the peak rate), the longest wait
    arrival_rate: float | None = None
    max_users: int | None = None
    max_lag_s: float = 1.0
    sources: dict[str, str] = field(default_factory=dict, compare=False)
    """Where each setting's value came from, by setting name: ``default``, ``--users``,
    ``SWARMDECK_USERS``, ``swarmdeck.toml:3``, or one of Locust's sources: ``locust.conf:2``,
    ``~/.locust.conf:1``, ``pyproject.toml:9``, ``LOCUST_HOST``, ``-u after `--```."""
    warnings: tuple[str, ...] = field(default=(), compare=False)
    """Locust options found in Locust's configuration that swarmdeck does not use, one line
    each; the CLI prints them before the run."""

    @property
    def distributed(self) -> bool:
        return self.workers > 0 or self.expect_workers > 0

    @property
    def schedule(self) -> ArrivalSchedule | None:
        """The open model's schedule: an arrival shape's, or ``--arrival-rate`` over the run
        time; None in a closed-model run (users)."""
        if self.shape is not None and self.shape.arrival:
            return schedule_of(self.shape.params)
        if self.arrival_rate is not None and self.run_time_s:
            return ArrivalSchedule.constant(self.arrival_rate, self.run_time_s)
        return None

    @property
    def open_model(self) -> bool:
        return self.arrival_rate is not None or (self.shape is not None and self.shape.arrival)

    def pool(self) -> tuple[int, int]:
        """The open model's pool: (users started before the first iteration, the most it
        may hold). ``-u`` when given, else a tenth of the peak rate per second (at least 1);
        ``--max-users`` when given, else twice the peak rate per second."""
        schedule = self.schedule
        peak = schedule.peak_rate if schedule is not None else 1.0
        given = self.sources.get("users", "default") != "default"
        first = self.users if given else max(1, math.ceil(peak / 10))
        if self.max_users is not None:
            return min(first, self.max_users), self.max_users
        return first, max(first, math.ceil(2 * peak), 1)

    @property
    def end_s(self) -> float | None:
        """When the run ends by itself: the earlier of run_time and the shape's end."""
        ends = [s for s in (self.run_time_s, self.shape and self.shape.total_duration_s) if s]
        return min(ends) if ends else None

    def ensure_bounded(self, locustfile_has_shape: bool = False) -> None:
        """Refuse a run that would never end: no run time, no built-in shape and no
        LoadTestShape in the locustfile (which only the engine knows, after loading it)."""
        if self.run_time_s is None and self.shape is None and not locustfile_has_shape:
            raise PlanError(
                "the run has no end: no -t/--run-time, no --shape and no LoadTestShape in "
                f"{self.locustfile.name}",
                "bound it, e.g. -t 5m, run_time = \"5m\" in swarmdeck.toml, or --shape step",
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able, for storing with the run; the database password is masked."""
        return {
            "locustfile": str(self.locustfile),
            "host": self.host,
            "users": self.users,
            "spawn_rate": self.spawn_rate,
            "run_time_s": self.run_time_s,
            "shape": self.shape.to_dict() if self.shape else None,
            "db_url": mask_url(self.db_url),
            "json_path": str(self.json_path) if self.json_path else None,
            "tags": dict(self.tags),
            "classes": list(self.classes),
            "quiet": self.quiet,
            "interval_s": self.interval_s,
            "max_names": self.max_names,
            "debug": self.debug,
            "stop_timeout_s": self.stop_timeout_s,
            "plan_path": str(self.plan_path) if self.plan_path else None,
            "workers": self.workers,
            "expect_workers": self.expect_workers,
            "master_bind": str(self.master_bind),
            "token": "***" if self.token else None,
            "region": self.region,
            "thresholds": [threshold_dict(t) for t in self.thresholds],
            "junit_path": str(self.junit_path) if self.junit_path else None,
            "markdown_path": str(self.markdown_path) if self.markdown_path else None,
            "html_path": str(self.html_path) if self.html_path else None,
            "compare_to": self.compare_to,
            "max_regression": [str(b) for b in self.max_regression],
            "exit_code_on_error": self.exit_code_on_error,
            "locust_config": str(self.locust_config) if self.locust_config else None,
            "group_names": self.group_names,
            "monitors": [m.to_dict() for m in self.monitors],
            "monitor_required": self.monitor_required,
            "store_grace_s": self.store_grace_s,
            "arrival_rate": self.arrival_rate,
            "max_users": self.max_users,
            "max_lag_s": self.max_lag_s,
            "sources": dict(self.sources),
            "warnings": list(self.warnings),
        }


def threshold_dict(threshold: Threshold) -> dict[str, Any]:
    """A threshold as stored with the run's plan."""
    return {"expr": str(threshold), "endpoint": threshold.endpoint, "abort": threshold.abort,
            "grace_s": threshold.grace_s}


@dataclass(frozen=True)
class WorkerSettings:
    """``swarmdeck worker``'s settings (it reads no plan file)."""

    master: HostPort
    locustfile: Path  # Path("-"): receive it from the master
    region: str = "local"
    token: str | None = None  # never stored
    debug: bool = False
    master_timeout_s: float = 60.0  # no heartbeat from the master this long: stop and exit


@dataclass(frozen=True)
class AgentSettings:
    """``swarmdeck agent``'s settings (it reads no plan file)."""

    bind: HostPort
    token: str | None = None  # never stored or shown
    monitors: tuple[MonitorSpec, ...] = ()
    debug: bool = False


@dataclass(frozen=True)
class NodeSettings:
    """``swarmdeck node``'s settings (it reads no plan file)."""

    server: str
    token: str  # a personal API token: never shown
    region: str = "local"
    name: str | None = None
    debug: bool = False


@dataclass(frozen=True)
class ServeSettings:
    """``swarmdeck serve``'s settings; who may look comes from web.config.Auth."""

    bind: HostPort
    db_url: str  # may hold a password: show it with mask_url
    debug: bool = False
    locustfile_dir: Path | None = None
    max_runs: int = 2  # runs started from the platform at once, overall
    max_runs_per_user: int = 1
    max_users: int = 1000
    max_run_time_s: float = 3600.0


@dataclass(frozen=True)
class StoreSettings:
    """The settings of the commands that only read the store: runs, show, compare, report,
    baseline (their other flags are options of one invocation, read by argparse)."""

    db_url: str  # may hold a password: show it with mask_url
    debug: bool = False
