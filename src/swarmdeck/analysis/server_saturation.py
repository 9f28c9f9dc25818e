"""What saturated first, from what the server said (``Server-Timing``; pure): over each
capacity step's judged seconds, every endpoint's timing merged into means per response that
carried the header, read in the order of the steps' rates against the lowest rate's
(the baseline, with nothing saturated yet).

- **requests queued for a worker**: the time in front of the app — the ``queue`` metric
  when the server sends one (a proxy's ``X-Request-Start`` turned into a metric), else the
  client's time from the send minus the server's own (``app``, else ``total``) — reached
  at least WAIT_MS, WAIT_GROWTH times the baseline's, and the app's own time at that rate:
  requests waited for a worker longer than a worker took to serve them. When the app's own
  time stays flat this is the whole story; when it grew too (the database, the CPU), the
  reading that reached its limit at a lower rate comes first;
- **the database**: the ``db`` metric's share of the app's time rose by DB_SHARE_RISE (in
  points) and the db time per request grew DB_GROWTH times from the baseline's: the rest of
  the app did not slow as much as its queries did (a pool, locks, the database's CPU).

A step needs MIN_RESPONSES responses with the header to count. Each reading is a
`Saturation` as a monitored series' is (analysis/saturation.py merges both): the lowest
rate that reached it, or, when none did, the step where it came closest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from swarmdeck.analysis.server_split import server_time_us
from swarmdeck.metrics.server_timing import ServerTiming
from swarmdeck.records.openmodel import CapacityStep, Saturation

MIN_RESPONSES = 10
WAIT_MS = 10.0
WAIT_GROWTH = 3.0
DB_SHARE_RISE = 0.15
DB_GROWTH = 2.0
SOURCE = "Server-Timing"
QUEUED = "requests queued for a worker (they waited longer than the app took)"
DATABASE = "the database (db's share of the app's time rising)"


@dataclass(frozen=True)
class StepTiming:
    """Every endpoint's Server-Timing over one step's judged seconds: means per response
    that carried the header, in ms (None: no response said it)."""

    responses: int
    client_ms: float  # the client's time from the send
    app_ms: float | None  # the server's whole time: ``app``, else ``total``
    queue_ms: float | None  # the ``queue`` metric
    db_ms: float | None  # the ``db`` metric (a response without it counts 0)

    @property
    def wait_ms(self) -> float | None:
        """The time in front of the app: ``queue`` when sent, else client − app."""
        if self.queue_ms is not None:
            return self.queue_ms
        return None if self.app_ms is None else max(self.client_ms - self.app_ms, 0.0)


def step_timing(timings: Iterable[ServerTiming]) -> StepTiming | None:
    """The step's timings (one per endpoint and second) merged; None without a response
    that carried the header."""
    responses = client = 0
    app: int | None = None
    sums: dict[str, int | None] = {"queue": None, "db": None}
    for timing in timings:
        if timing.responses == 0:
            continue
        responses += timing.responses
        client += timing.client_us
        server = server_time_us(timing)
        if server is not None:
            app = (app or 0) + server
        for name, total in list(sums.items()):
            metric = timing.metrics.get(name)
            if metric is not None and metric.dur is not None:
                sums[name] = (total or 0) + metric.dur.sum_us
    if not responses:
        return None

    def mean(total: int | None) -> float | None:
        return None if total is None else total / 1000 / responses

    return StepTiming(responses, client / 1000 / responses, mean(app), mean(sums["queue"]),
                      mean(sums["db"]))


def _found(series: str, what: str, step: CapacityStep, index: int, value: float,
           limit: float, unit: str, reached: bool) -> Saturation:
    return Saturation(series=series, source=SOURCE, what=what, reached=reached,
                      rate=step.rate, step=index, value=round(value, 1),
                      limit=round(limit, 1), unit=unit)


def timing_saturation(timings: Sequence[StepTiming | None], steps: Sequence[CapacityStep]
                      ) -> tuple[list[tuple[float, float, Saturation]],
                                 list[tuple[float, Saturation]]]:
    """(reached: (rate, -value/limit, found), short: (value/limit, closest)) for the
    queue and the database, as analysis/saturation.py sorts them. ``timings`` by step."""
    usable = sorted((i for i in range(min(len(steps), len(timings)))
                     if (t := timings[i]) is not None and t.responses >= MIN_RESPONSES
                     and t.app_ms is not None),
                    key=lambda i: (steps[i].rate, steps[i].start_s))
    if len(usable) < 2:
        return [], []
    base = timings[usable[0]]
    assert base is not None and base.app_ms is not None
    wait_name = "server-timing.queue" if base.queue_ms is not None else "server-timing.wait"
    base_wait = base.wait_ms or 0.0

    def queued(i: int, t: StepTiming) -> tuple[float, Saturation] | None:
        wait = t.wait_ms
        if wait is None or t.app_ms is None:
            return None
        limit = max(WAIT_MS, WAIT_GROWTH * base_wait, t.app_ms)
        return wait / limit, _found(wait_name, QUEUED, steps[i], i, wait, limit, "ms",
                                    wait >= limit)

    def database(i: int, t: StepTiming) -> tuple[float, Saturation] | None:
        if t.db_ms is None or t.app_ms is None or base.db_ms is None or base.app_ms is None:
            return None
        share = t.db_ms / max(t.app_ms, 0.001)
        limit = min(base.db_ms / max(base.app_ms, 0.001) + DB_SHARE_RISE, 1.0)
        grew = t.db_ms >= DB_GROWTH * max(base.db_ms, 0.001)
        return share / limit, _found("server-timing.db", DATABASE, steps[i], i, 100 * share,
                                     100 * limit, "%", share >= limit and grew)

    reached: list[tuple[float, float, Saturation]] = []
    short: list[tuple[float, Saturation]] = []
    for judge in (queued, database):
        closest: tuple[float, Saturation] | None = None
        for i in usable[1:]:
            t = timings[i]
            judged = judge(i, t) if t is not None else None
            if judged is None:
                continue
            ratio, found = judged
            if found.reached:
                reached.append((steps[i].rate, -ratio, found))
                closest = None
                break
            if closest is None or ratio > closest[0]:
                closest = (ratio, found)
        if closest is not None:
            short.append(closest)
    return reached, short
