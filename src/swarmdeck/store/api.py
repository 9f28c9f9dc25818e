"""The store: every run in a database (SQLite by default, PostgreSQL by URL).

    with Store.open(url) as store:                 # migrates; marks dead runs crashed
        run_id = store.create_run(meta)
        store.add_intervals(run_id, intervals)     # same key twice merges exactly
        store.apply_batches(run_id, [Batch("j1:7", intervals, users)])  # once, however often
        store.roll_forward(run_id, time.time() - 20)   # now and then: rollups so far
        store.finish_run(run_id, RunStatus.PASSED, ended_at, details=...)   # writes the rest of the rollups
        per_endpoint = store.endpoint_data(run_id)     # whole run, from the rollups

Every database failure is a StoreError (exit code 3) naming the URL, password masked; an
unknown run id is RunNotFound (exit code 2).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import Self

from sqlalchemy import Engine, select, update

from swarmdeck.masking import mask_url
from swarmdeck.metrics.interval import EndpointInterval, EndpointKey
from swarmdeck.metrics.iterations import IterationInterval
from swarmdeck.records import Comparison, Finding, RunDetails, RunStatus, ThresholdOutcome
from swarmdeck.records.monitors import MonitorPoint, MonitorSeries
from swarmdeck.store import baselines, iterations, liveness, models, monitors, reads, writes
from swarmdeck.store.connect import (
    DEFAULT_URL,
    create_store_engine,
    run_migrations,
    translate_errors,
    write_connection,
)
from swarmdeck.store.records import (
    Baseline,
    Batch,
    RunMeta,
    RunRecord,
    RunRow,
    TimelinePoint,
)
from swarmdeck.store.rollups import roll_forward, roll_up


class Store:
    """A handle on the results database; thread-safe (each call uses its own connection)."""

    def __init__(self, engine: Engine, url: str) -> None:
        self._engine = engine
        self._url = url

    @classmethod
    def open(cls, url: str | None = None) -> Store:
        """Open (creating and migrating) the database, then mark dead runs crashed."""
        url = url or DEFAULT_URL
        engine = create_store_engine(url)
        try:
            with translate_errors(url, "open {db}"):
                run_migrations(engine, url)
            store = cls(engine, url)
            store.mark_stale_runs_crashed()
        except BaseException:
            engine.dispose()
            raise
        return store

    @property
    def url(self) -> str:
        """The database URL, password masked."""
        return mask_url(self._url)

    @property
    def raw_url(self) -> str:
        """The database URL as given, password included: for a child process, never shown."""
        return self._url

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    # -- writing a run ----------------------------------------------------------------

    def create_run(self, meta: RunMeta) -> int:
        """Record a new run as ``running``; its id."""
        with translate_errors(self._url, "record a new run in {db}"):
            return writes.create_run(self._engine, meta)

    def heartbeat(self, run_id: int, at: datetime | None = None) -> None:
        """Say the run's writer is alive (at ``at``, default now)."""
        with translate_errors(self._url, f"record a heartbeat of run {run_id} in {{db}}"):
            writes.heartbeat(self._engine, run_id, at)

    def add_intervals(self, run_id: int, intervals: Iterable[EndpointInterval]) -> None:
        """Store intervals; one whose key is already stored is merged into it, exactly."""
        with translate_errors(self._url, f"write intervals of run {run_id} to {{db}}"):
            writes.add_intervals(self._engine, run_id, intervals)

    def apply_batches(self, run_id: int, batches: Sequence[Batch]) -> list[bool]:
        """Write batches (intervals and user counts) in one transaction, in order; for each,
        whether it was applied: a batch whose key was applied before is skipped, so a batch
        written twice (a retry, a journal imported again) counts once."""
        with translate_errors(self._url, f"write intervals of run {run_id} to {{db}}"):
            return writes.apply_batches(self._engine, run_id, batches)

    def add_user_counts(self, run_id: int, samples: Iterable[tuple[float, int]]) -> None:
        """Store (epoch seconds, users) samples."""
        with translate_errors(self._url, f"write user counts of run {run_id} to {{db}}"):
            writes.add_user_counts(self._engine, run_id, samples)

    def add_monitor_points(self, run_id: int, points: Iterable[MonitorPoint]) -> int:
        """Store monitor points (the first of a series and second is kept); how many."""
        with translate_errors(self._url, f"write monitor points of run {run_id} to {{db}}"):
            return monitors.add_points(self._engine, run_id, points)
    def add_iterations(self, run_id: int, intervals: Iterable[IterationInterval]) -> None:
        """An open-model run's iterations per interval; a stored key merges, exactly."""
        with translate_errors(self._url, f"write iterations of run {run_id} to {{db}}"):
            iterations.add_iterations(self._engine, run_id, intervals)

    def roll_forward(self, run_id: int, settled_before: float,
                     pause: Callable[[], None] | None = None) -> None:
        """During a run: write the 10 s and 60 s rollups of every whole minute before
        ``settled_before`` (epoch s) not rolled yet, so that reads of the running run merge
        them instead of raw intervals. Intervals arriving later for those minutes are still
        merged exactly. Cheap when called often (one minute of 30 endpoints: ~1,800 rows).
        ``pause`` is called every few milliseconds of work (a load generator passes
        ``gevent.sleep`` to keep timing its responses)."""
        with translate_errors(self._url, f"roll up intervals of run {run_id} in {{db}}"):
            roll_forward(self._engine, run_id, settled_before, pause)

    def finish_run(self, run_id: int, status: RunStatus, ended_at: datetime,
                   message: str | None = None, details: RunDetails | None = None,
                   key: str | None = None) -> bool:
        """Record how the run ended, then write its rollups (once). With a ``key`` (the
        journal's finish), a second call with the same key changes nothing and returns
        False."""
        with translate_errors(self._url, f"finish run {run_id} in {{db}}"):
            done = writes.finish_run(self._engine, run_id, status, ended_at, message,
                                     details if details is not None else RunDetails(), key)
            if RunStatus(status).final:
                roll_up(self._engine, run_id)  # also after a repeat: it may have failed then
            return done

    def record_verdict(self, run_id: int, *, thresholds: Sequence[ThresholdOutcome] = (),
                       findings: Sequence[Finding] = (), comparison: Comparison | None = None,
                       status: RunStatus | None = None, message: str | None = None) -> None:
        """After the run: store its verdict (thresholds, findings, comparison) with its
        details and, when given, the status that verdict implies and why."""
        with translate_errors(self._url, f"record the verdict of run {run_id} in {{db}}"):
            writes.record_verdict(self._engine, run_id, status, thresholds=tuple(thresholds),
                                  findings=tuple(findings), comparison=comparison,
                                  message=message)

    def mark_stale_runs_crashed(self) -> list[int]:
        """Mark ``crashed`` every running run whose writer is gone; their ids.

        Gone means: no heartbeat for ``STALE_AFTER_S`` seconds, or started on this host by
        a process that no longer exists. Every interval flushed so far is kept and rolled
        up; the message says when the run was last seen.
        """
        with translate_errors(self._url, "check {db} for crashed runs"):
            runs = models.runs
            with self._engine.connect() as connection:
                running = connection.execute(
                    select(runs.c.id, runs.c.heartbeat_at, runs.c.pid, runs.c.hostname)
                    .where(runs.c.status == RunStatus.RUNNING.value).order_by(runs.c.id)).all()
                now = liveness.db_now(connection)
            host = liveness.this_host()
            crashed: list[int] = []
            for run in running:
                message = liveness.crash_message(heartbeat_at=run.heartbeat_at, pid=run.pid,
                                                 hostname=run.hostname, now=now, host=host)
                if message is None:
                    continue
                with write_connection(self._engine) as connection:
                    result = connection.execute(
                        update(runs).where(runs.c.id == run.id,
                                           runs.c.status == RunStatus.RUNNING.value,
                                           runs.c.heartbeat_at == run.heartbeat_at)
                        .values(status=RunStatus.CRASHED.value, ended_at=run.heartbeat_at,
                                message=message))
                if result.rowcount == 1:
                    crashed.append(run.id)
            for run_id in crashed:
                roll_up(self._engine, run_id)
            return crashed

    # -- reading ----------------------------------------------------------------------

    def list_runs(self, limit: int = 50, *, host: str | None = None,
                  locustfile: str | None = None, tag: tuple[str, str] | None = None,
                  status: str | None = None, since: datetime | None = None,
                  until: datetime | None = None, offset: int = 0) -> list[RunRow]:
        """The newest runs first, with their totals and tags; skips ``offset`` runs.

        Only runs matching every filter given: exactly this ``host``, this ``locustfile``;
        the tag ``(key, value)``; this ``status``; started at or after ``since`` and before
        ``until`` (aware datetimes; naive means UTC).
        """
        with translate_errors(self._url, "list the runs in {db}"), \
                self._engine.connect() as connection:
            return reads.list_runs(connection, limit, host=host, locustfile=locustfile,
                                   tag=tag, status=status, since=since, until=until,
                                   offset=offset)

    def get_run(self, run_id: int) -> RunRecord:
        with translate_errors(self._url, f"read run {run_id} from {{db}}"), \
                self._engine.connect() as connection:
            return reads.run_record(reads.load_run(connection, run_id))

    def endpoint_data(self, run_id: int, start: float | None = None, end: float | None = None,
                      region: str | None = None) -> dict[EndpointKey, EndpointInterval]:
        """Per endpoint, intervals starting in ``[start, end)`` (epoch s) merged.

        ``region=None`` merges all regions. Each result's ``start`` is the window's start
        (the run's first interval when ``start`` is None); its region is ``region`` or "*".
        """
        with translate_errors(self._url, f"read run {run_id} from {{db}}"), \
                self._engine.connect() as connection, connection.begin():
            run = reads.load_run(connection, run_id)
            return reads.endpoint_data(connection, run, start, end, region)

    def endpoint_region_data(self, run_id: int
                             ) -> dict[tuple[EndpointKey, str], EndpointInterval]:
        """Per (endpoint, region), the whole run merged: one read that the whole run's
        per-endpoint and per-region totals can both be folded from."""
        with translate_errors(self._url, f"read run {run_id} from {{db}}"), \
                self._engine.connect() as connection, connection.begin():
            return reads.endpoint_region_data(connection, reads.load_run(connection, run_id))

    def timeline(self, run_id: int, step_s: int) -> list[TimelinePoint]:
        """Totals per step of ``step_s`` seconds (aligned to multiples of it), first to last.

        Steps that are multiples of 10 s or 60 s read rollups where they exist (a running
        run's: below its watermark, see ``roll_forward``).
        """
        if int(step_s) != step_s or step_s < 1:
            raise ValueError(f"step_s must be a whole number of seconds >= 1, not {step_s!r}")
        with translate_errors(self._url, f"read run {run_id} from {{db}}"), \
                self._engine.connect() as connection, connection.begin():
            return reads.timeline(connection, reads.load_run(connection, run_id), int(step_s))

    def iter_series(self, run_id: int, step_s: int = 1, region: str | None = None, *,
                    by_region: bool = False) -> Iterator[EndpointInterval]:
        """Per step of ``step_s`` seconds and endpoint, one merged interval, in time order
        (then method, name), streamed from one transaction: reduce each as it comes
        (charts, windowed thresholds, the comparison's blocks) and memory stays at one
        step's worth. ``region=None`` merges all regions; ``by_region`` keeps one interval
        per region instead (then ordered by region too). Steps that are multiples of 10 s
        or 60 s read rollups."""
        if int(step_s) != step_s or step_s < 1:
            raise ValueError(f"step_s must be a whole number of seconds >= 1, not {step_s!r}")
        return self._iter_series(run_id, int(step_s), region, by_region)

    def _iter_series(self, run_id: int, step_s: int, region: str | None, by_region: bool
                     ) -> Iterator[EndpointInterval]:
        with translate_errors(self._url, f"read run {run_id} from {{db}}"), \
                self._engine.connect() as connection, connection.begin():
            run = reads.load_run(connection, run_id)
            yield from reads.iter_series(connection, run, step_s, region, by_region)

    def endpoint_keys(self, run_id: int) -> set[EndpointKey]:
        """The run's endpoints (cheap: reads names only)."""
        with translate_errors(self._url, f"read run {run_id} from {{db}}"), \
                self._engine.connect() as connection, connection.begin():
            return reads.endpoint_keys(connection, reads.load_run(connection, run_id))

    def iteration_series(self, run_id: int, start: float | None = None,
                         end: float | None = None) -> list[IterationInterval]:
        """An open-model run's iterations per interval (regions merged), in time order;
        empty for a closed-model run."""
        with translate_errors(self._url, f"read run {run_id} from {{db}}"), \
                self._engine.connect() as connection:
            reads.load_run(connection, run_id)
            return iterations.iteration_series(connection, run_id, start, end)

    def user_counts(self, run_id: int) -> list[tuple[float, int]]:
        """(epoch seconds, users) samples in time order."""
        with translate_errors(self._url, f"read run {run_id} from {{db}}"), \
                self._engine.connect() as connection:
            reads.load_run(connection, run_id)
            return reads.user_counts(connection, run_id)

    def monitor_series(self, run_id: int, t0: float | None = None) -> list[MonitorSeries]:
        """The run's monitor series by name, points in seconds since ``t0`` (epoch s;
        default the run's start)."""
        with translate_errors(self._url, f"read run {run_id} from {{db}}"), \
                self._engine.connect() as connection:
            run = reads.load_run(connection, run_id)
            start = t0 if t0 is not None else run.started_at.timestamp()
            return monitors.read_series(connection, run_id, start)

    # -- baselines (named runs) and run references -----------------------------------

    def set_baseline(self, name: str, run_id: int) -> None:
        """Point the baseline ``name`` at the run (replacing where it pointed); RunNotFound
        for an unknown run."""
        with translate_errors(self._url, f"set the baseline {name!r} in {{db}}"):
            baselines.set_baseline(self._engine, name, run_id)

    def get_baseline(self, name: str) -> Baseline:
        """The baseline ``name``; BadInput when there is none."""
        with translate_errors(self._url, f"read the baseline {name!r} from {{db}}"), \
                self._engine.connect() as connection:
            return baselines.get_baseline(connection, name)

    def list_baselines(self) -> list[Baseline]:
        """Every baseline, by name."""
        with translate_errors(self._url, "list the baselines in {db}"), \
                self._engine.connect() as connection:
            return baselines.list_baselines(connection)

    def delete_baseline(self, name: str) -> None:
        """Forget the baseline ``name`` (its run stays); BadInput when there is none."""
        with translate_errors(self._url, f"delete the baseline {name!r} from {{db}}"):
            baselines.delete_baseline(self._engine, name)

    def resolve_ref(self, ref: str, *, before: int | None = None) -> int:
        """The run id a reference names: a run id, ``last`` (the newest run that ran to its
        end: passed, failed or degraded; with ``before``, the newest such run with a smaller
        id) or ``baseline:NAME``. BadInput (RunNotFound for an unknown id) otherwise."""
        with translate_errors(self._url, f"look up the run {ref!r} in {{db}}"), \
                self._engine.connect() as connection:
            return baselines.resolve_ref(connection, ref, before)
