"""Sampling: every monitor in its own OS thread, once a second, aligned to the epoch-second
slices the run's intervals use (metrics/interval.py): just after each whole second ``t``,
each sampler reads the second ``[t - 1, t)`` and hands a ``Batch`` keyed ``at = t - 1`` to
``emit``.

A sampler that fails (``SourceError``) gives a batch with its error instead of readings,
is closed, and is opened again at the next tick: its series have a gap while it is gone.
This module makes no assumption about gevent; it must run where threads are real (the
monitor child process, monitors/child.py, or ``swarmdeck agent``).
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Sequence

from swarmdeck.monitors.sampler import Sampler, SourceError, one_line
from swarmdeck.monitors.spec import MonitorSpec
from swarmdeck.records.monitors import Batch, Reading, TopQuery

TICK_OFFSET_S = 0.05  # sample this long after the second ended (late StatsD packets)
OPEN_TIMEOUT_S = 8.0  # all sources together, at the start


def make_sampler(spec: MonitorSpec, workers_hint: Callable[[], float | None]) -> Sampler:
    """The sampler of a spec (its module imported only when used)."""
    if spec.kind == "process":
        from swarmdeck.monitors.process import ProcessSampler
        return ProcessSampler(spec)
    if spec.kind == "statsd":
        from swarmdeck.monitors.statsd import StatsdSampler
        return StatsdSampler(spec, workers_hint)
    if spec.kind == "postgresql":
        from swarmdeck.monitors.postgres import PostgresSampler
        return PostgresSampler(spec)
    if spec.kind == "redis":
        from swarmdeck.monitors.redis_info import RedisSampler
        return RedisSampler(spec)
    if spec.kind == "prometheus":
        from swarmdeck.monitors.prometheus import PrometheusSampler
        return PrometheusSampler(spec)
    if spec.kind == "agent":
        from swarmdeck.monitors.agent import AgentSampler
        return AgentSampler(spec)
    raise ValueError(f"no sampler for {spec.kind!r}")


class MonitorSet:
    """The samplers of one run (or one agent), their threads and their ticks."""

    def __init__(self, specs: Sequence[MonitorSpec], emit: Callable[[Batch], None], *,
                 extra: Sequence[Sampler] = (),
                 clock: Callable[[], float] = time.time) -> None:
        """``extra``: samplers without a spec (the agent's host), after the specs'."""
        self.specs = list(specs)
        self.emit = emit
        self.clock = clock
        self.latest: dict[str, float] = {}  # each series' last value (the workers hint)
        self.samplers = [make_sampler(spec, self._workers_hint) for spec in self.specs]
        self.samplers += list(extra)
        self.prefixes = [spec.prefix for spec in self.specs] + [""] * len(extra)
        self.connected = [False] * len(self.samplers)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _workers_hint(self) -> float | None:
        for spec in self.specs:
            if spec.kind in ("process", "agent"):
                return self.latest.get(spec.prefix + "workers")
        return None

    def open_all(self, timeout: float = OPEN_TIMEOUT_S) -> list[str | None]:
        """Open every source at once; per source, None or why it could not be opened."""
        errors: list[str | None] = ["timed out while connecting"] * len(self.samplers)

        def open_one(i: int) -> None:
            errors[i] = self._open(i)

        threads = [threading.Thread(target=open_one, args=(i,), daemon=True,
                                    name=f"monitor-open-{i}") for i in range(len(self.samplers))]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return errors

    def _open(self, i: int) -> str | None:
        try:
            self.samplers[i].open()
        except SourceError as exc:
            return str(exc)
        except Exception as exc:  # noqa: BLE001 - a bug of a sampler: still one line
            return one_line(exc)
        self.connected[i] = True
        return None

    def start(self) -> None:
        self._stop.clear()
        for i in range(len(self.samplers)):
            thread = threading.Thread(target=self._loop, args=(i,), daemon=True,
                                      name=f"monitor-{i}")
            thread.start()
            self._threads.append(thread)

    def _loop(self, i: int) -> None:
        sampler, prefix = self.samplers[i], self.prefixes[i]
        while True:
            now = self.clock()
            tick = math.floor(now) + 1 + TICK_OFFSET_S
            if self._stop.wait(tick - now):
                return
            at = math.floor(tick) - 1
            self.emit(self.sample_once(i, at, sampler, prefix))

    def sample_once(self, i: int, at: int, sampler: Sampler | None = None,
                    prefix: str | None = None) -> Batch:
        """Read source ``i`` for second ``at`` (opening it first if it is not open)."""
        sampler = sampler or self.samplers[i]
        prefix = self.prefixes[i] if prefix is None else prefix
        if not self.connected[i]:
            error = self._open(i)
            if error is not None:
                return Batch(i, at, error=error)
        try:
            readings = sampler.sample(at)
        except Exception as exc:  # noqa: BLE001 - SourceError, or a sampler's bug
            self.connected[i] = False
            with contextlib.suppress(Exception):  # closing what may be broken
                sampler.close()
            return Batch(i, at, error=str(exc) if isinstance(exc, SourceError)
                         else one_line(exc))
        named = tuple(Reading(prefix + r.name, r.value, r.unit) for r in readings
                      if math.isfinite(r.value))
        for reading in named:
            self.latest[reading.name] = reading.value
        return Batch(i, at, named)

    def stop(self) -> list[tuple[TopQuery, ...]]:
        """Stop sampling; each source's closing words (``finish``), then close it."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []
        finals: list[tuple[TopQuery, ...]] = []
        for sampler in self.samplers:
            try:
                finals.append(sampler.finish())
            except Exception:  # noqa: BLE001 - a source gone at the end: nothing to add
                finals.append(())
            with contextlib.suppress(Exception):  # closing what may be broken
                sampler.close()
        return finals
