"""One interval source interface: the same requests, measured in this process (a local run)
or by a worker and sent in its reports (a distributed run), reach the collector's
subscribers (store buffer, live window, abort gate) with the same numbers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from swarmdeck.analysis.thresholds import parse
from swarmdeck.engine.collector import Collector
from swarmdeck.engine.gate import Gate
from swarmdeck.engine.handshake import REPORT_KEY
from swarmdeck.engine.recorder import Recorder
from swarmdeck.engine.sources import IntervalSource, RecorderSource, WorkerReports
from swarmdeck.journal import JournaledWriter
from swarmdeck.metrics.interval import EndpointInterval, EndpointKey
from swarmdeck.store import RunMeta, Store

T0 = 1_700_000_000


class Clock:
    def __init__(self) -> None:
        self.now = float(T0)

    def __call__(self) -> float:
        return self.now


class Tape:
    def __init__(self) -> None:
        self.seen: list[EndpointInterval] = []

    def add(self, interval: EndpointInterval) -> None:
        self.seen.append(interval)

    def by_key(self) -> dict[tuple[int, str, str, str], EndpointInterval]:
        """What was received, pieces of one key merged (a worker sends its open second)."""
        merged: dict[tuple[int, str, str, str], EndpointInterval] = {}
        for i in self.seen:
            target = merged.setdefault(i.key, EndpointInterval(
                start=i.start, method=i.method, name=i.name, region=i.region))
            target.merge(i)
        return merged


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as opened:
        yield opened


def new_run(store: Store) -> int:
    run_id: int = store.create_run(RunMeta(
        host="http://127.0.0.1:1", locustfile="l.py", locustfile_sha256="0" * 64, plan={},
        tags={}, users=1, spawn_rate=1.0, run_time_s=10.0, shape=None, swarmdeck_version="t",
        locust_version="t", python_version="t", git_commit=None,
        started_at=datetime.now(UTC), pid=1, hostname="test"))
    return run_id


# (seconds after T0, method, name, response time ms, bytes, failure)
REQUESTS: list[tuple[float, str, str, float, int, str | None]] = [
    (0.1, "GET", "/", 12.0, 300, None), (0.5, "GET", "/", 15.5, 300, None),
    (0.9, "POST", "/login", 80.0, 20, "401 Unauthorized"), (1.2, "GET", "/", 9.0, 300, None),
    (1.7, "GET", "/item/1", 450.0, 1000, None), (2.1, "POST", "/login", 85.0, 20, None),
    (2.4, "GET", "/", 700.0, 0, "ConnectionError"), (2.6, "GET", "/", 710.0, 0, "ConnectionError"),
    (3.2, "GET", "/", 14.0, 300, None), (3.3, "GET", "/item/1", 30.0, 1000, None),
    (3.8, "GET", "/", 11.0, 300, None),
    (4.2, "POST", "/login", 90.0, 20, "401 Unauthorized"), (4.9, "GET", "/", 10.0, 300, None),
]
TICKS = 5  # seconds of load


def fire(recorder: Recorder, clock: Clock, at: float, request: tuple[Any, ...]) -> None:
    _, method, name, ms, nbytes, failure = request
    clock.now = T0 + at
    recorder.on_request(method, name, ms / 1000, nbytes,
                        exception=None if failure is None else RuntimeError(failure))


def pump(source: IntervalSource, collector: Collector, gate: Gate,
         load_before: Callable[[int], None]) -> list[str | None]:
    """What LocalRun._pump does with its source once a second (after ``load_before(tick)``
    made the requests of that second), then what _measure does once the users stopped."""
    checks = []
    for tick in range(1, TICKS + 1):
        load_before(tick)
        collector.add(source.take_closed())
        checks.append(gate.check(float(tick)))
    collector.add(source.take_final())
    checks.append(gate.check(TICKS + 0.5))
    return checks


def recorder_with(clock: Clock) -> Recorder:
    return Recorder(clock=clock, describe_error=str)


def load(recorder: Recorder, clock: Clock, since: float, until: float) -> None:
    """The requests made from ``since`` to ``until`` seconds into the run; the clock then."""
    for request in REQUESTS:
        if since <= request[0] < until:
            fire(recorder, clock, request[0], request)
    clock.now = T0 + until


def local_run(store: Store) -> tuple[Tape, Collector, list[str | None], int]:
    clock, tape, gate = Clock(), Tape(), Gate([parse("error_rate < 20%", abort=True)])
    recorder = recorder_with(clock)
    run_id = new_run(store)
    writer = JournaledWriter(store, run_id)
    collector = Collector(writer, subscribers=[tape, gate], clock=clock)
    checks = pump(RecorderSource(recorder), collector, gate,
                  lambda t: load(recorder, clock, t - 1, t))
    collector.flush()
    writer.drain()
    return tape, collector, checks, run_id


def distributed_run(store: Store) -> tuple[Tape, Collector, list[str | None], int]:
    """The worker's recorder sends all it holds, its current second too, with Locust's
    report every 3 s and in its final flush (worker.py: ``to_wire`` of ``take_all``); the
    master decodes them."""
    clock, tape, gate = Clock(), Tape(), Gate([parse("error_rate < 20%", abort=True)])
    worker = recorder_with(clock)
    reports = WorkerReports()
    run_id = new_run(store)
    writer = JournaledWriter(store, run_id)
    collector = Collector(writer, subscribers=[tape, gate], clock=clock)

    def report() -> None:  # what WorkerProcess._report / _on_flush put in the message
        reports.receive({REPORT_KEY: [i.to_wire() for i in worker.take_all()]})

    def step(t: int) -> None:
        if t % 3 == 1 and t > 1:  # a report every 3 s, in the middle of a second
            load(worker, clock, t - 1, t - 0.5)
            report()
            load(worker, clock, t - 0.5, t)
        else:
            load(worker, clock, t - 1, t)
        if t == TICKS:
            report()  # the final flush

    checks = pump(reports, collector, gate, step)
    collector.flush()
    writer.drain()
    return tape, collector, checks, run_id


def test_local_and_distributed_intervals_reach_the_subscribers_alike(store: Store) -> None:
    local_tape, local, local_checks, local_id = local_run(store)
    remote_tape, remote, remote_checks, remote_id = distributed_run(store)

    assert local_tape.by_key() == remote_tape.by_key()
    assert len(remote_tape.seen) > len(local_tape.seen)  # GET / of second 3 came in two pieces
    assert sum(i.requests for i in local_tape.seen) == len(REQUESTS)
    assert (local.requests, local.failures) == (remote.requests, remote.failures) == (13, 4)
    # the gate's verdict once everything is in (reports arrive later than local intervals)
    assert local_checks[-1] == remote_checks[-1]
    assert local_checks[-1] is not None and "(observed 30.77%)" in local_checks[-1]
    assert remote_checks[:3] == [None, None, None]  # the first report came at 3.5 s
    assert local.live() == remote.live()
    stored = [store.endpoint_data(run_id) for run_id in (local_id, remote_id)]
    assert stored[0] == stored[1]
    assert stored[0][EndpointKey("POST", "/login")].failures == 2


def test_worker_reports_hands_each_interval_out_once() -> None:
    reports = WorkerReports()
    one = EndpointInterval(start=T0, method="GET", name="/", requests=3)
    reports.receive({REPORT_KEY: [one.to_wire()], "swarmdeck_evidence": {}})
    reports.receive({"stats": []})  # a report without intervals
    assert reports.take_closed() == [one]
    assert reports.take_closed() == []
    reports.receive({REPORT_KEY: [one.to_wire(), one.to_wire()]})
    assert reports.take_final() == [one, one]
