"""The shipped Alembic revisions build exactly the schema the models describe."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, insert, text, update
from tests.store.factories import assert_same, brute_force, make_interval, make_meta

from swarmdeck.metrics import EndpointInterval, EndpointKey, LatencyHistogram
from swarmdeck.report.model import UNSPLIT_WARNING, load_report
from swarmdeck.store import Store, models
from swarmdeck.store.connect import (
    MIGRATIONS,
    create_store_engine,
    head_revision,
    write_connection,
)
from swarmdeck.store.models import Base
from swarmdeck.store.rollups import RollupBuilder, p95_ms
from swarmdeck.store.rows import copy_interval, measurements
from swarmdeck.store.writes import create_run


def test_migrations_ship_inside_the_package() -> None:
    assert (MIGRATIONS / "env.py").is_file()
    assert (MIGRATIONS / "script.py.mako").is_file()
    assert list((MIGRATIONS / "versions").glob("*.py"))


def test_head_matches_the_models(store_url: str) -> None:
    Store.open(store_url).close()
    engine = create_engine(store_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert context.get_current_revision() == head_revision()
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


# -- a store written before revision 0004 (one histogram of every request) ----------------

T0 = 1_700_000_000


def _migrate(url: str, revision: str, *, down: bool = False) -> None:
    """Bring the database at ``url`` to ``revision`` with the shipped migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = create_store_engine(url)
    try:
        with write_connection(engine) as connection:
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, revision)
    finally:
        engine.dispose()


LATER_COLUMNS = ("failed_histogram", "server_timing", "service_histogram")  # 0004, 0007, 0008


def _old_row(interval: EndpointInterval) -> dict[str, Any]:
    """The columns revision 0003 had."""
    row = measurements(interval)
    for column in LATER_COLUMNS:
        del row[column]
    return row


def _write_old_run(url: str) -> tuple[int, list[EndpointInterval]]:
    """A finished run as swarmdeck stored it at revision 0003: failures' response times in
    the one histogram, raw intervals and the rollups."""
    rng = random.Random(12)
    intervals = []
    for second in range(75):
        for name in ("/a", "/b"):
            samples = [int(rng.lognormvariate(9, 1)) for _ in range(rng.randint(1, 6))]
            failures = 1 if second % 5 == 0 else 0
            intervals.append(make_interval(T0 + second, name, samples + [30_000_000] * failures,
                                           failures=failures,
                                           errors={"timeout": failures} if failures else None))
    engine = create_store_engine(url)
    try:
        run_id = create_run(engine, make_meta(started_at=datetime.fromtimestamp(T0, UTC)))
        builder = RollupBuilder(run_id)
        for interval in intervals:
            builder.add(copy_interval(interval))  # the builder merges into what it gets
        rollup_rows, whole = builder.finish()
        with write_connection(engine) as connection:
            connection.execute(insert(models.intervals), [
                {"run_id": run_id, "start": iv.start, "method": iv.method, "name": iv.name,
                 "region": iv.region, **_old_row(iv)} for iv in intervals])
            for row in rollup_rows:
                for column in LATER_COLUMNS:
                    del row[column]
            connection.execute(insert(models.rollups), rollup_rows)
            connection.execute(update(models.runs).where(models.runs.c.id == run_id).values(
                status="passed", ended_at=datetime.fromtimestamp(T0 + 75, UTC),
                rolled_up_at=datetime.fromtimestamp(T0 + 76, UTC),
                p95_ms=p95_ms(whole.values()), requests=sum(i.requests for i in intervals),
                failures=sum(i.failures for i in intervals), first_interval=T0,
                last_interval=T0 + 74))
    finally:
        engine.dispose()
    return run_id, intervals


def test_runs_stored_before_the_failed_histogram_read_as_they_were(store_url: str) -> None:
    _migrate(store_url, "0003")
    run_id, intervals = _write_old_run(store_url)
    every = LatencyHistogram.merged([iv.histogram for iv in intervals])  # as 0003 read it
    with Store.open(store_url) as store:  # migrates to the head
        record = store.get_run(run_id)
        assert record.p95_ms == every.percentile_ms(95)  # as stored
        data = store.endpoint_data(run_id)
        assert_same(data, brute_force(intervals))
        assert all(d.unsplit and d.failed_histogram is None for d in data.values())
        summary = load_report(store, run_id).to_json()
        totals = summary["totals"]
        assert (totals["requests"], totals["failures"]) == (record.requests, record.failures)
        assert totals["p95_ms"] == every.percentile_ms(95)  # failures included, as before
        assert totals["max_ms"] == 30_000.0
        assert totals["failed_latency"] is None
        assert UNSPLIT_WARNING in summary["warnings"]
        assert [p.p95_ms for p in store.timeline(run_id, 60)] == [
            LatencyHistogram.merged([iv.histogram for iv in intervals
                                     if lo <= iv.start < lo + 60]).percentile_ms(95)
            for lo in (T0 // 60 * 60, T0 // 60 * 60 + 60)]

        # a new run in the migrated store keeps its failures apart
        new = store.create_run(make_meta())
        store.add_intervals(new, [make_interval(T0, "/a", [1000], failed=[30_000_000])])
        store.finish_run(new, "passed", datetime.fromtimestamp(T0 + 1, UTC))
        (fresh,) = store.endpoint_data(new).values()
        assert not fresh.unsplit and fresh.failed_histogram is not None
        assert store.get_run(new).p95_ms == 1.0
        assert UNSPLIT_WARNING not in load_report(store, new).warnings


def test_a_downgrade_folds_the_failed_latency_back_into_the_histogram(store_url: str) -> None:
    with Store.open(store_url) as store:
        run_id = store.create_run(make_meta())
        store.add_intervals(run_id, [make_interval(T0, "/a", [1000, 2000], failed=[9_000]),
                                     make_interval(T0 + 1, "/a", [3000])])
        store.finish_run(run_id, "passed", datetime.fromtimestamp(T0 + 2, UTC))
    _migrate(store_url, "0003", down=True)
    engine = create_engine(store_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT histogram, min_us, max_us FROM intervals ORDER BY start")).all()
    finally:
        engine.dispose()
    folded = LatencyHistogram.decode(bytes(rows[0].histogram))
    assert (folded.count, folded.min_us, folded.max_us) == (3, 1000, 9_000)
    assert (rows[0].min_us, rows[0].max_us) == (1000, 9_000)
    with Store.open(store_url) as store:  # up again: the folded rows read unsplit
        data = store.endpoint_data(run_id, T0, T0 + 1)
        assert data[EndpointKey("GET", "/a")].unsplit
