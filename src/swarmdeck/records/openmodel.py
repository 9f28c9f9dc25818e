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
class CapacityResult:
    """The highest rate that kept the SLO (confirmed), and what bounds it."""

    found: bool
    rate: float | None  # the highest passing rate, iterations/s
    upper: float | None  # the lowest failing rate above it (None: never failed)
    confirmed: bool
    first_broken: str | None  # the endpoint whose thresholds failed first
    message: str
    exit_code: int


@dataclass(frozen=True)
class OpenModelRecord:
    first_users: int  # users started before the first iteration
    max_users: int
    max_lag_s: float
    generators: int = 1
    steps: tuple[CapacityStep, ...] = ()
    capacity: CapacityResult | None = None
