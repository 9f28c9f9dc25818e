"""What an open-model run keeps besides its measurements (docs/open-model.md): its pool,
and for a capacity search (``swarmdeck capacity``) every step and the result."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CapacityStep:
    """One rate the search tried: a stage of the run (``start_s`` to ``end_s``), judged on
    the whole seconds from ``judged_from_s`` (after the settle time) to ``judged_to_s``."""

    rate: float  # iterations/s asked for
    start_s: float  # seconds from the run's start
    end_s: float
    judged_from_s: float
    passed: bool
    requests: int
    achieved_rate: float  # iterations/s started
    p50_ms: float | None
    p95_ms: float | None
    error_rate: float | None
    dropped: int = 0
    why: str = ""  # the thresholds that failed, or why the step could not be judged
    confirm: bool = False  # the confirmation stage at the rate found
    generator_limited: bool = False  # the generator could not start the rate
    judged_to_s: float = 0.0


@dataclass(frozen=True)
class Saturation:
    """A monitored series of the target side against its limit over a capacity search
    (analysis/saturation.py): the lowest rate whose judged seconds had it at or past the
    limit on average, or, when it never got there, the step where it came closest."""

    series: str  # e.g. "gunicorn.utilization", "cpu", "pg.connections"
    source: str  # the monitor's spec
    what: str  # what the series is, in words ("Gunicorn's workers busy")
    reached: bool  # at or past ``limit`` at ``rate``
    rate: float  # the step's rate (iterations/s)
    step: int  # the step's index in the search's steps
    value: float  # the series' mean over that step's judged seconds
    limit: float  # the saturation level, in the series' unit
    unit: str


@dataclass(frozen=True)
class CapacityResult:
    """The highest rate that kept the SLO (confirmed), and what bounds it."""

    found: bool
    rate: float | None  # the highest passing rate, iterations/s
    upper: float | None  # the lowest failing rate above it (None: never failed)
    confirmed: bool
    first_broken: str | None  # the endpoint whose thresholds failed first
    message: str
    exit_code: int
    # the monitored series against their limits: those that reached it first (lowest rate),
    # then the others, closest first; empty without monitors (or without such series)
    saturation: tuple[Saturation, ...] = ()

    @property
    def saturated_first(self) -> Saturation | None:
        first = self.saturation[0] if self.saturation else None
        return first if first is not None and first.reached else None


@dataclass(frozen=True)
class OpenModelRecord:
    first_users: int  # users started before the first iteration
    max_users: int
    max_lag_s: float
    generators: int = 1
    steps: tuple[CapacityStep, ...] = ()
    capacity: CapacityResult | None = None
