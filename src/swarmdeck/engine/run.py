"""One run, start to finish: Locust driven as a library (its Environment, runner, events
and shapes), every request recorded, intervals streamed to the store, and a final status
that says what happened, whatever happened."""

from __future__ import annotations

import logging
import math
import os
import platform
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import gevent
import gevent.event
import locust
from locust import events as locust_events
from locust.argument_parser import get_parser
from locust.env import Environment
from locust.stats import StatsError

from swarmdeck import __version__
from swarmdeck.analysis.summary import LiveStats
from swarmdeck.engine import locustfile as locustfiles
from swarmdeck.engine.collector import Collector, Subscriber
from swarmdeck.engine.endpoints import EndpointNames
from swarmdeck.engine.evidence import Evidence
from swarmdeck.engine.gate import Gate
from swarmdeck.engine.heap import freeze_startup_heap
from swarmdeck.engine.hooks import fire
from swarmdeck.engine.monitoring import RunMonitors
from swarmdeck.engine.openmodel.session import MasterOpenModel, OpenModelRun
from swarmdeck.engine.preflight import check_target
from swarmdeck.engine.recorder import Recorder
from swarmdeck.engine.script_errors import (
    LOGGED_PER_GROUP,
    ScriptErrors,
    log_path,
    quiet_locust_tracebacks,
)
from swarmdeck.engine.shapes import build_shape
from swarmdeck.engine.sources import IntervalSource, RecorderSource
from swarmdeck.engine.storing import Storing
from swarmdeck.errors import PlanError
from swarmdeck.metrics.interval import OTHER_NAME
from swarmdeck.plan import Plan
from swarmdeck.records import Ending, LocustError, RunDetails, RunStatus, decide
from swarmdeck.store import RunMeta, Store
from swarmdeck.store.connect import local_folder

log = logging.getLogger(__name__)

TICK_S = 1.0
FLUSH_EVERY_S = 2.0


class RunView(Protocol):
    """What the engine tells the terminal (or nothing, with -q)."""

    wants_live: bool  # False: the engine skips computing the live statistics

    def started(self, run_id: int, plan: Plan, total_s: float | None) -> None: ...
    def tick(self, live: LiveStats, users: int, elapsed_s: float) -> None: ...
    def message(self, text: str) -> None: ...
    def stopped(self) -> None: ...


@dataclass
class RunOutcome:
    """How the run's measuring ended; the verdict (swarmdeck.verdict) decides its status
    and exit code from this and the gates (records.decide)."""

    run_id: int
    ending: Ending = Ending.CRASHED  # until the run ends normally
    message: str | None = None
    warnings: list[str] = field(default_factory=list)
    stored: bool = True  # False: the store does not have all of it (the store was away)
    journal: Path | None = None  # then: where the rest is kept, for `swarmdeck import`
    requests: int = 0  # as measured (the collector's count, not the store's)
    failures: int = 0

    @property
    def status(self) -> RunStatus:
        """The status stored when the run ends, before its gates are judged."""
        return decide(self.ending).status


def _git_commit(directory: str) -> str | None:
    try:
        out = subprocess.run(  # nosec B607  # the user's own git from PATH, read-only
            ["git", "-C", directory, "rev-parse", "HEAD"], capture_output=True, text=True,
            timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _locust_options(args: list[str]) -> Any:
    """Locust's own parsed options (its parser, with the locustfile's custom arguments added
    through ``init_command_line_parser``), so ``environment.parsed_options`` is what the
    locustfile expects under ``locust --headless``."""
    parser = get_parser()

    def error(message: str) -> None:
        raise PlanError(f"Locust refused its options (the arguments after `--`, or its "
                        f"config files and LOCUST_* variables): {message}",
                        "see `locust --help` for what it accepts")

    parser.error = error  # type: ignore[method-assign]
    return parser.parse_args(args=args)


class LocalRun:
    """A single-process run: this process generates the load and is its own master."""

    def __init__(self, plan: Plan, store: Store, view: RunView,
                 locust_args: list[str] | None = None) -> None:
        self.plan = plan
        self.locust_args = list(locust_args or [])
        self.store = store
        self.view = view
        self.interrupts = 0
        self.runner: Any = None
        self.pump_error: BaseException | None = None
        self._pump_stop = gevent.event.Event()
        self._signals: list[Any] = []
        self.gate = Gate.from_plan(plan)
        self.gate_breach: str | None = None  # why an abort threshold stopped the run
        # the endpoint each request name is recorded under, for the recorder and evidence
        self.names = EndpointNames(max_names=plan.max_names, group=plan.group_names)
        self.evidence = Evidence(names=self.names)
        self.monitors = RunMonitors(plan.monitors, plan.monitor_required)
        # an open-model run's parts (engine/openmodel): the executor here, or on the workers
        self.open: OpenModelRun | MasterOpenModel | None = None

    def prepare(self) -> None:
        """Everything that can refuse bad input, before any run record is written."""
        plan = self.plan
        self.loaded = locustfiles.load(str(plan.locustfile))
        self.user_classes = self.loaded.select(list(plan.classes))
        plan.ensure_bounded(locustfile_has_shape=self.loaded.shape is not None)
        if plan.shape is not None and self.loaded.shape is not None:
            raise PlanError(
                f"{plan.locustfile} defines a LoadTestShape and shape {plan.shape.name!r} "
                f"is set too ({plan.sources.get('shape', 'plan')})",
                "use one: drop --shape/[shape], or the shape class")
        if plan.open_model and self.loaded.shape is not None:
            raise PlanError(
                f"{plan.locustfile} defines a LoadTestShape (users) and --arrival-rate is "
                f"set ({plan.sources.get('arrival_rate', 'plan')})",
                "use one: drop --arrival-rate, or the shape class")
        self.shape = (None if plan.open_model else
                      build_shape(plan.shape) if plan.shape is not None else self.loaded.shape)
        self.total_s = plan.end_s
        host = plan.host or next(
            (c.host for c in self.user_classes if getattr(c, "host", None)), None)
        if not host:
            raise PlanError(f"no host to load: no --host and no `host` on the User classes of "
                            f"{plan.locustfile}", "pass --host http://127.0.0.1:8000")
        self.host: str = host
        check_target(self.host)
        args = ["-f", str(self.loaded.path), "--headless", "--host", self.host,
                "-u", str(plan.users), "-r", str(plan.spawn_rate),
                "--stop-timeout", str(math.ceil(plan.stop_timeout_s)),
                *(["--config", str(plan.locust_config)] if plan.locust_config else []),
                *self.locust_args]
        self.options = _locust_options(args)

    def _meta(self) -> RunMeta:
        plan = self.plan
        return RunMeta(
            host=self.host, locustfile=str(self.loaded.path),
            locustfile_sha256=self.loaded.sha256, plan=plan.to_dict(), tags=dict(plan.tags),
            users=plan.pool()[1] if plan.open_model else plan.users,
            spawn_rate=plan.spawn_rate, run_time_s=self.total_s,
            shape=("arrival" if plan.open_model else plan.shape.name if plan.shape else
                   type(self.shape).__name__ if self.shape else None),
            interval_s=float(plan.interval_s), swarmdeck_version=__version__,
            locust_version=locust.__version__, python_version=platform.python_version(),
            git_commit=_git_commit(str(self.loaded.path.parent.resolve())),
            started_at=datetime.now(UTC), pid=os.getpid(), hostname=socket.gethostname(),
        )

    def _on_interrupt(self) -> None:
        self.interrupts += 1
        runner = self.runner
        if runner is None:
            return
        if self.interrupts == 1:
            self.view.message("stopping users gracefully "
                              f"(up to {self.plan.stop_timeout_s:g}s); Ctrl-C again to force")
            gevent.spawn(runner.quit)
        else:
            self.view.message("interrupted again: stopping now")
            runner.environment.stop_timeout = 0
            runner.user_greenlets.kill(block=False)
            runner.greenlet.kill(block=False)

    # -- the steps a distributed run (engine/distributed.py) overrides ---------------------

    def _make_runner(self, env: Environment) -> Any:
        return env.create_local_runner()

    def _before_start(self, runner: Any) -> None:
        """After the runner exists, before the run record: a master waits for its workers."""

    def _new_open_model(self) -> OpenModelRun:
        """An open-model run's executor, recorder and counts (a capacity search: its own)."""
        return OpenModelRun.from_plan(self.plan, self.user_classes)

    def _new_master_open_model(self) -> MasterOpenModel:
        """A master's part of an open-model run (a capacity search: its own)."""
        return MasterOpenModel(self.plan)

    def _subscribers(self) -> list[Subscriber]:
        """What else gets every interval the run measures (a capacity search: its steps)."""
        return []

    def _make_source(self) -> IntervalSource:
        """Where the pump takes the measured intervals from (a master: its workers' reports)."""
        return RecorderSource(self.recorder)

    def _watch(self, runner: Any) -> None:
        """Once a second, beside the pump (a master watches for lost workers)."""

    def _final_status(self, outcome: RunOutcome) -> None:
        """How the run ended: interrupted, stopped by an abort threshold, or completed."""
        outcome.ending = Ending.COMPLETED
        if self.interrupts:
            outcome.ending = Ending.INTERRUPTED
            outcome.message = "interrupted (Ctrl-C or SIGTERM); everything measured is kept"
        elif self.gate_breach is not None:
            outcome.ending = Ending.GATE_ABORTED
            outcome.message = self.gate_breach

    def _more_details(self, details: RunDetails) -> RunDetails:
        """What a run of this kind adds to the stored details (a master: its workers)."""
        return details

    def _cleanup(self) -> None:
        """Always, at the very end (a master stops its local worker processes)."""

    # -- the run ------------------------------------------------------------------------

    def execute(self) -> RunOutcome:
        self.prepare()
        plan = self.plan
        self.script_errors = ScriptErrors([self.loaded.path])
        env = Environment(
            user_classes=self.user_classes, shape_class=self.shape, events=locust_events,
            host=self.host, stop_timeout=plan.stop_timeout_s, parsed_options=self.options,
            locustfile=str(self.loaded.path), tags=self.options.tags,
            exclude_tags=self.options.exclude_tags,
            parsed_locustfiles=[str(self.loaded.path)],
        )
        recording: dict[str, Any] = {
            "interval_s": int(plan.interval_s), "names": self.names, "region": plan.region,
            "describe_error": StatsError.parse_error, "observer": self.evidence}
        if plan.open_model and not plan.distributed:
            local = self.open = self._new_open_model()
            env.user_classes[:] = local.classes  # each task an iteration
            self.recorder: Recorder = local.make_recorder(**recording)
        else:
            if plan.open_model:  # the workers run the executor: engine/distributed.py
                self.open = self._new_master_open_model()
            self.recorder = Recorder(**recording)
        self.source = self._make_source()
        # tracebacks go to the run's log file, not over the live view (--debug keeps them)
        restore_logs = None if plan.debug else quiet_locust_tracebacks()
        try:
            runner = self.runner = self._make_runner(env)
            fire(env.events.init, environment=env, runner=runner, web_ui=None)
            self.recorder.attach(env.events)
            self.evidence.attach(env.events, requests=False)  # the recorder passes them on
            self.script_errors.attach(env.events)
            # Ctrl-C, and SIGTERM from a CI runner's timeout, stop the run the same way.
            self._signals = [gevent.signal_handler(signum, self._on_interrupt)
                             for signum in (signal.SIGINT, signal.SIGTERM)]
            self._before_start(runner)
            freeze_startup_heap()  # before any user starts: see engine/heap.py
            return self._measure(env, runner)
        finally:
            self.monitors.stop()  # a no-op when the run stopped them itself
            for handler in self._signals:
                handler.cancel()
            if restore_logs is not None:
                restore_logs()
            self._cleanup()

    def _measure(self, env: Environment, runner: Any) -> RunOutcome:
        plan = self.plan
        self.monitors.start()  # before the run record: a required source may refuse
        meta = self._meta()
        run_id = self.store.create_run(meta)  # the store must answer now: a run needs an id
        self.monitors.t0 = meta.started_at.timestamp()
        self.storing = Storing(self.store, run_id, meta, local_folder(plan.db_url),
                               notify=self.view.message)
        collector = Collector(self.storing.writer,
                              subscribers=[self.gate, *self._subscribers()])
        outcome = RunOutcome(run_id=run_id)
        self.script_errors.log_to(
            log_path(plan.db_url, run_id),
            f"# swarmdeck run {run_id}: {self.loaded.path} against {self.host}\n"
            f"# tracebacks of the script's errors, the first {LOGGED_PER_GROUP} of each kind\n\n")
        started = time.monotonic()
        self.view.started(run_id, plan, self.total_s)
        for warning in self.monitors.warnings:
            self.view.message(warning)
        self.storing.start()
        pump = None
        try:
            if self.open is not None:  # the executor ends the run with its schedule
                self.open.start(runner, on_end=lambda: gevent.spawn(runner.quit))
            elif self.shape is not None:
                runner.start_shape()
            else:
                gevent.spawn(runner.start, plan.users, plan.spawn_rate)
            if plan.run_time_s is not None and self.open is None:
                gevent.spawn_later(plan.run_time_s, runner.quit)
            pump = gevent.spawn(self._pump, runner, collector, started)
            runner.greenlet.join()
            self._stop_pump(pump)
            self.monitors.stop(self.store, run_id)
            if self.pump_error is not None:
                raise self.pump_error
            if self.open is not None:
                self.open.finish(self.store, run_id)
            collector.add(self.source.take_final())
            collector.add_users(0)
            collector.flush()
            self._final_status(outcome)
        except BaseException as exc:  # record what happened, keep what was measured
            outcome.message = f"{exc.__class__.__name__}: {exc}"
            try:
                self._stop_pump(pump)
                self.monitors.stop(self.store, run_id)
                if self.open is not None:
                    self.open.finish(self.store, run_id)
                collector.add(self.source.take_final())
                collector.flush()
            finally:
                self._finish(env, outcome, collector)
            raise
        self._finish(env, outcome, collector)
        return outcome

    def _finish(self, env: Environment, outcome: RunOutcome, collector: Collector) -> None:
        self.view.stopped()
        fire(env.events.quitting, environment=env, reverse=True)
        self.recorder.detach(env.events)
        self.evidence.detach(env.events)
        self.script_errors.detach(env.events)
        if self.names.folded:
            outcome.warnings.append(
                f"{self.names.folded + self.plan.max_names} distinct request names: those "
                f"beyond the first {self.plan.max_names} were folded into {OTHER_NAME!r} "
                "(group URLs with name=)")
        outcome.warnings += self.monitors.summary_lines()
        outcome.requests, outcome.failures = collector.requests, collector.failures
        total = env.stats.total
        details = self._more_details(RunDetails(
            monitors=self.monitors.sources(),
            ending=outcome.ending, locust_requests=total.num_requests,
            locust_failures=total.num_failures,
            exceptions=tuple(
                LocustError(count=int(e["count"]), message=str(e["msg"]),
                            nodes=tuple(sorted(e["nodes"])))
                for e in (env.runner.exceptions.values() if env.runner else [])),
            evidence=self.evidence.record(), name_groups=self.names.groups(),
            script_errors=self.script_errors.groups(),
            script_errors_log=self.script_errors.finish(),
            open_model=self.open.record() if self.open is not None else None,
        ))
        interrupts = self.interrupts
        end = self.storing.finish(outcome.ending, outcome.message, details,
                                  warnings=outcome.warnings, grace_s=self.plan.store_grace_s,
                                  give_up=lambda: self.interrupts > interrupts)
        outcome.ending, outcome.message = end.ending, end.message
        outcome.stored, outcome.journal = end.stored, end.journal

    def _stop_pump(self, pump: Any) -> None:
        """Let the pump finish what it is doing: killed in the middle of a tick, it would
        lose the intervals it had taken from the source."""
        self._pump_stop.set()
        if pump is not None:
            pump.join(timeout=60)
            pump.kill()  # no-op when it has ended

    def _pump(self, runner: Any, collector: Collector, started: float) -> None:
        last_flush = time.monotonic()
        try:
            while not self._pump_stop.wait(TICK_S):
                collector.add(self.source.take_closed())
                if self.open is not None:
                    self.open.tick()
                self._watch(runner)
                collector.add_users(runner.user_count)
                self.evidence.sample(runner)
                if self.gate_breach is None:
                    self.gate_breach = self.gate.check(time.monotonic() - started)
                    if self.gate_breach is not None:
                        self.view.message(f"stopping the run: {self.gate_breach}")
                        gevent.spawn(runner.quit)
                if time.monotonic() - last_flush >= FLUSH_EVERY_S:
                    collector.flush()  # to the journal; the store writer takes it from there
                    self.storing.wake()
                    if self.open is not None:
                        self.open.flush(self.store, self.storing.run_id)
                    lost = self.monitors.flush(self.store, self.storing.run_id,
                                               self.view.message)
                    if lost is not None and self.gate_breach is None:
                        self.gate_breach = lost
                        self.view.message(f"stopping the run: {lost}")
                        gevent.spawn(runner.quit)
                    last_flush = time.monotonic()
                if self.view.wants_live:
                    live = replace(collector.live(), script_errors=self.script_errors.groups(),
                                   iterations=self.open.live() if self.open else None)
                    self.view.tick(live, runner.user_count, time.monotonic() - started)
        except gevent.GreenletExit:
            raise
        except Exception as exc:  # noqa: BLE001 - a bug of ours: stop the run, keep the rest
            log.error("stopping the run: %s", exc)
            self.pump_error = exc
            runner.quit()
