"""Monitor series stored with a run: written as they come, read back on the run's clock,
a repeated second kept once, and the source's state kept with the run's details."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.store.factories import make_meta

from swarmdeck.records import RunDetails, RunStatus
from swarmdeck.records.monitors import MonitorPoint, MonitorSource, TopQuery
from swarmdeck.store import Store

START = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
T0 = int(START.timestamp())


def test_points_read_back_per_series_in_seconds_since_the_start(store: Store) -> None:
    run_id = store.create_run(make_meta(started_at=START))
    other = store.create_run(make_meta(started_at=START))
    source = "postgresql://app:***@db/shop"
    store.add_monitor_points(run_id, [
        MonitorPoint("cpu", T0 + 1, 40.0, "%", "process:1"),
        MonitorPoint("pg.connections", T0 + 1, 12, "", source),
        MonitorPoint("cpu", T0, 20.0, "%", "process:1")])
    assert store.add_monitor_points(run_id, [
        MonitorPoint("cpu", T0 + 1, 99.0, "%", "process:1"),  # that second is stored
        MonitorPoint("cpu", T0 + 3, 60.0, "%", "process:1")]) == 1  # a gap at T0 + 2
    store.add_monitor_points(other, [MonitorPoint("cpu", T0, 1.0, "%", "process:2")])
    cpu, pg = store.monitor_series(run_id)
    assert (cpu.name, cpu.unit, cpu.source) == ("cpu", "%", "process:1")
    assert cpu.points == ((0.0, 20.0), (1.0, 40.0), (3.0, 60.0))
    assert (cpu.mean, cpu.peak) == (40.0, 60.0)
    assert pg.points == ((1.0, 12.0),) and pg.source == source
    assert store.monitor_series(other)[0].points == ((0.0, 1.0),)


def test_the_sources_states_are_kept_with_the_run(store: Store) -> None:
    run_id = store.create_run(make_meta(started_at=START))
    sources = (MonitorSource("process:1", "process", samples=60),
               MonitorSource("postgresql://u:***@h/db", "postgresql", "lost", "server closed",
                             55, ((10.0, 15.0),),
                             (TopQuery("SELECT $1", 100, 250.0, 2.5, 100),)))
    store.finish_run(run_id, RunStatus.PASSED, datetime.now(UTC),
                     details=RunDetails(monitors=sources))
    assert store.get_run(run_id).details.monitors == sources
    assert sources[1].summary_line == ("monitor postgresql://u:***@h/db was lost for 5 s in 1 "
                                       "gap: server closed")
