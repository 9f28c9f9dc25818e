"""What the run makes of its monitors' messages (pure: no I/O): points to store, each
source's state (fine, never reached, lost for a while), its gaps, and the one-line events
the live view prints when a source is lost or comes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from swarmdeck.monitors.spec import MonitorSpec
from swarmdeck.records.monitors import Batch, MonitorPoint, MonitorSource, TopQuery


@dataclass
class _State:
    spec: MonitorSpec
    ever_ok: bool = False
    failing: bool = False
    message: str | None = None
    samples: int = 0
    gaps: list[list[int]] = field(default_factory=list)  # [first, last] epoch seconds
    top_queries: tuple[TopQuery, ...] = ()


class Tracker:
    def __init__(self, specs: Sequence[MonitorSpec]) -> None:
        self.states = [_State(spec) for spec in specs]
        self._last_at: dict[str, int] = {}

    def opened(self, index: int, error: str | None) -> str | None:
        """The source's first connection; a warning line when it failed."""
        state = self.states[index]
        if error is None:
            state.ever_ok = True
            return None
        state.failing, state.message = True, error
        return f"monitor {state.spec.shown} could not be reached: {error} (its series will " \
               "have a gap until it answers; the run goes on)"

    def batch(self, batch: Batch) -> tuple[list[MonitorPoint], str | None]:
        """The points of a batch (a series' second already stored is dropped) and an
        event line when the source was lost or came back."""
        if not 0 <= batch.monitor < len(self.states):
            return [], None
        state = self.states[batch.monitor]
        if batch.error is not None:
            state.message = batch.error
            if state.failing and state.gaps:
                state.gaps[-1][1] = batch.at
            else:
                state.gaps.append([batch.at, batch.at])
            if not state.failing:
                state.failing = True
                return [], (f"monitor {state.spec.shown} lost: {batch.error} (a gap in "
                            "its series; the run goes on)")
            return [], None
        event = None
        if state.failing:
            state.failing = False
            event = (f"monitor {state.spec.shown} is back" if state.ever_ok
                     else f"monitor {state.spec.shown} answered")
        state.ever_ok = True
        state.samples += 1
        shown = state.spec.shown
        points = []
        for reading in batch.readings:
            if self._last_at.get(reading.name, batch.at - 1) >= batch.at:
                continue
            self._last_at[reading.name] = batch.at
            points.append(MonitorPoint(reading.name, batch.at, reading.value, reading.unit,
                                       shown))
        return points, event

    def final(self, index: int, top_queries: tuple[TopQuery, ...]) -> None:
        if 0 <= index < len(self.states):
            self.states[index].top_queries = top_queries

    def failing(self) -> list[str]:
        """The specs (shown) of the sources failing now."""
        return [s.spec.shown for s in self.states if s.failing]

    def sources(self, t0: float) -> tuple[MonitorSource, ...]:
        """Each source as the run keeps it; gaps in seconds since ``t0`` (a gap's end is
        the end of its last second)."""
        result = []
        for s in self.states:
            status = "ok" if not s.gaps and s.ever_ok else (
                "lost" if s.ever_ok else "unreachable")
            gaps = tuple((max(0.0, round(a - t0, 3)), max(0.0, round(b + 1 - t0, 3)))
                         for a, b in s.gaps)
            result.append(MonitorSource(
                spec=s.spec.shown, kind=s.spec.kind, status=status,
                message=s.message if status != "ok" else None, samples=s.samples,
                gaps=gaps, top_queries=s.top_queries))
        return tuple(result)
