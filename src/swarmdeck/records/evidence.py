"""What the load generators saw of the target and of themselves (engine/evidence.py),
merged over every generator and kept with the run for the findings (analysis/findings.py).

Its stored form (the run's details under ``"evidence"``, and what a worker sends the master
with its reports) is written and read by ``records.codec``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

CPU_EVERY_S = 5.0  # one generator CPU sample per this many seconds (and for older runs)


@dataclass(frozen=True)
class EndpointEvidence:
    """One endpoint (method and request name) as the generators saw its responses."""

    method: str
    name: str
    # responses per status code (None: no response)
    status: Mapping[int | None, int] = field(default_factory=dict)
    csrf_400: int = 0  # 400 responses whose body names the CSRF token
    csrf_sample: str | None = None  # the text naming it, from the first of them
    login_redirects: int = 0  # responses that were (or followed) a redirect to a login page

    @property
    def responses(self) -> int:
        return sum(self.status.values())

    def count(self, code: int) -> int:
        """Responses with this status code."""
        return self.status.get(code, 0)


@dataclass(frozen=True)
class UserClassEvidence:
    """A user class and what its ``wait_time`` returned, called a few times at test_start."""

    weight: int = 1
    fixed_count: int = 0
    # "none" | "constant" | "varies" | "unknown" (it raised) | "arrival" (the open model:
    # iterations start on a schedule, not after a wait)
    wait: str = "unknown"
    wait_s: tuple[float, ...] = ()  # the sampled waits, in seconds
    error: str | None = None  # why it is unknown


@dataclass(frozen=True)
class CpuSample:
    """A generator's CPU over the time since its previous sample."""

    at_s: float  # seconds since the generator started measuring
    cpu_pct: float  # time on a CPU (100 = one core)
    busy_pct: float | None = None  # on a CPU or waiting for one (None: not measured)

    @property
    def busy(self) -> float:
        """Busy %, or CPU % where busy was not measured."""
        return self.cpu_pct if self.busy_pct is None else self.busy_pct


@dataclass(frozen=True)
class CpuSeries:
    role: str  # "local" | "master" | "worker"
    samples: tuple[CpuSample, ...] = ()


@dataclass(frozen=True)
class EvidenceRecord:
    endpoints: tuple[EndpointEvidence, ...] = ()
    names_folded: int = 0  # distinct names beyond the generators' cap, counted as (other)
    servers: tuple[str, ...] = ()  # the first distinct Server headers
    debugger_pages: int = 0  # 5xx bodies that were Werkzeug's interactive debugger
    debugger_endpoint: str | None = None  # "GET /boom": the first endpoint that showed it
    user_classes: Mapping[str, UserClassEvidence] = field(default_factory=dict)
    # per load-generating process: "local", "master", "worker <its client id>"
    cpu: Mapping[str, CpuSeries] = field(default_factory=dict)
    cpu_every_s: float = CPU_EVERY_S
