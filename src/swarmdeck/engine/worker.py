"""`swarmdeck worker`: one of Locust's worker processes, with swarmdeck's recorder on it.

It joins a master with Locust's protocol, introduces itself with the swarmdeck handshake
(token, versions, region), sends its intervals (and its evidence and name groups) with
every Locust worker report, and hands over what it still holds when the master asks at the
end of a run.
"""

from __future__ import annotations

import logging
import math
import socket
import time
from typing import Any

import gevent
import locust
from locust import events as locust_events
from locust import runners as locust_runners
from locust.argument_parser import download_locustfile_from_master, parse_locustfiles_from_master
from locust.env import Environment
from locust.stats import StatsError

from swarmdeck import __version__
from swarmdeck.engine import locustfile as locustfiles
from swarmdeck.engine.endpoints import REPORT_KEY as NAMES_KEY
from swarmdeck.engine.endpoints import EndpointNames
from swarmdeck.engine.evidence import REPORT_KEY as EVIDENCE_KEY
from swarmdeck.engine.evidence import Evidence
from swarmdeck.engine.handshake import (
    FINAL,
    FLUSH,
    HELLO,
    REFUSED,
    REPORT_KEY,
    WELCOME,
    Versions,
    version_mismatch,
)
from swarmdeck.engine.heap import freeze_startup_heap
from swarmdeck.engine.hooks import fire, listen
from swarmdeck.engine.openmodel import chunks
from swarmdeck.engine.openmodel.session import DONE as OPEN_DONE
from swarmdeck.engine.openmodel.session import ORDERS_KEY, OpenModelRun
from swarmdeck.engine.openmodel.session import REPORT_KEY as ITERATIONS_KEY
from swarmdeck.engine.recorder import Recorder
from swarmdeck.engine.run import _locust_options
from swarmdeck.engine.script_errors import REPORT_KEY as SCRIPT_ERRORS_KEY
from swarmdeck.engine.script_errors import ScriptErrors
from swarmdeck.errors import BadInput, CouldNotRun
from swarmdeck.plan import WorkerSettings

log = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT_S = 20.0
VERSIONS = Versions(__version__, locust.__version__)


class WorkerProcess:
    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        self.refusal: str | None = None
        self.welcomed = False
        self.open: OpenModelRun | None = None  # an open-model run: this worker's executor
        self.feed: chunks.ChunkFeed | None = None  # a capacity search: its schedule's chunks

    def run(self) -> None:
        host, port = self.settings.master.host, self.settings.master.port
        path = str(self.settings.locustfile)
        if path == "-":
            try:
                path = parse_locustfiles_from_master(
                    download_locustfile_from_master(host, port))[0]
            except SystemExit:
                raise CouldNotRun(f"no locustfile from the master at {host}:{port}",
                                  "check --master, or pass the locustfile with -f") from None
        loaded = locustfiles.load(path)
        options = _locust_options(["-f", str(loaded.path), "--worker", "--master-host", host,
                                   "--master-port", str(port)])
        env = Environment(user_classes=list(loaded.user_classes.values()),
                          events=locust_events, parsed_options=options,
                          locustfile=str(loaded.path), tags=options.tags,
                          exclude_tags=options.exclude_tags)
        # Locust's worker reads the timeout (whole seconds) from its module each second
        locust_runners.MASTER_HEARTBEAT_TIMEOUT = math.ceil(self.settings.master_timeout_s)
        try:
            runner = env.create_worker_runner(host, port)
        except OSError as exc:
            raise CouldNotRun(f"cannot connect to the master at {host}:{port}: {exc}",
                              "start `swarmdeck run --expect-workers N` first") from None
        self.runner = runner
        self.env = env
        self.names = EndpointNames()  # grouping and cap: the master's, once welcomed
        self.evidence = Evidence(names=self.names)
        self.recorder = Recorder(region=self.settings.region, names=self.names,
                                 describe_error=StatsError.parse_error,
                                 observer=self.evidence)
        fire(env.events.init, environment=env, runner=runner, web_ui=None)
        self.recorder.attach(env.events)
        self.evidence.attach(env.events, requests=False)  # the recorder passes them on
        self.script_errors = ScriptErrors([loaded.path])
        self.script_errors.attach(env.events)
        listen(env.events.report_to_master, self._report)
        runner.register_message(WELCOME, self._on_welcome)
        runner.register_message(REFUSED, self._on_refused)
        runner.register_message(FLUSH, self._on_flush)
        runner.register_message(chunks.CHUNK, self._on_chunk)
        runner.register_message(chunks.END, self._on_search_end)
        runner.send_message(HELLO, {
            "token": self.settings.token, "swarmdeck": VERSIONS.swarmdeck,
            "locust": VERSIONS.locust, "region": self.settings.region,
            "hostname": socket.gethostname(),
        })
        gevent.spawn(self._expect_welcome)
        freeze_startup_heap()  # before the master starts any user: see engine/heap.py
        log.warning("worker (region %s) joined the master at %s:%d", self.settings.region,
                    host, port)
        runner.greenlet.join()
        fire(env.events.quitting, environment=env, reverse=True)
        if self.refusal is not None:
            raise BadInput(f"the master at {host}:{port} refused this worker: {self.refusal}",
                           "use the master's swarmdeck/Locust versions and its token")

    def _report(self, client_id: str, data: dict[str, Any], **_: Any) -> None:
        if self.welcomed:
            data[REPORT_KEY] = [i.to_wire() for i in self.recorder.take_all()]
            data[EVIDENCE_KEY] = self._evidence()
            data[SCRIPT_ERRORS_KEY] = self.script_errors.snapshot()
            data[NAMES_KEY] = self.names.snapshot()
            if self.open is not None:
                data[ITERATIONS_KEY] = self.open.wire()

    def _evidence(self) -> dict[str, Any]:
        self.evidence.sample_cpu("worker", "worker")
        return self.evidence.snapshot()

    def _on_welcome(self, environment: Environment, msg: Any, **_: Any) -> None:
        data = msg.data or {}
        mismatch = version_mismatch(Versions(str(data.get("swarmdeck")),
                                             str(data.get("locust"))), VERSIONS)
        if mismatch:
            self._leave(mismatch)
            return
        self.recorder.interval_s = int(data.get("interval_s", 1))
        self.names.configure(max_names=int(data.get("max_names", self.names.max_names)),
                             group=bool(data.get("group_names", True)))
        if data.get(ORDERS_KEY):
            self._open_model(data[ORDERS_KEY])
        self.welcomed = True

    def _open_model(self, orders: dict[str, Any]) -> None:
        """An open-model run: this worker's part of the schedule, run by its own executor
        on the users Locust starts here (before any user exists)."""
        env, old = self.env, self.recorder
        self.open = OpenModelRun.from_orders(orders, list(env.user_classes),
                                             region=self.settings.region,
                                             interval_s=old.interval_s)
        env.user_classes[:] = self.open.classes
        old.detach(env.events)
        self.recorder = self.open.make_recorder(
            interval_s=old.interval_s, region=old.region, names=self.names,
            describe_error=StatsError.parse_error, observer=self.evidence)
        self.recorder.attach(env.events)
        if orders.get(chunks.ORDERS_KEY):  # a capacity search: the master decides online
            self.feed = self._chunk_feed(self.open)
        listen(env.events.test_start, self._start_open_model)

    def _chunk_feed(self, run: OpenModelRun) -> chunks.ChunkFeed:
        executor = run.executor

        def assign(index: int, count: int) -> None:
            executor.index, executor.count = index, count

        feed = chunks.ChunkFeed(lambda kind, data: self.runner.send_message(kind, data),
                                assign=assign, quiet=executor.quiet)
        executor.next_schedule, executor.start_of = feed.next_schedule, feed.start_of
        return feed

    def _on_chunk(self, environment: Environment, msg: Any, **_: Any) -> None:
        if self.feed is not None and isinstance(msg.data, dict):
            self.feed.on_chunk(msg.data)

    def _on_search_end(self, environment: Environment, msg: Any, **_: Any) -> None:
        if self.feed is not None:
            self.feed.on_end()

    def _start_open_model(self, **_: Any) -> None:
        if self.open is not None and self.open.greenlet is None:
            self.open.run_executor(self.runner, on_end=lambda: self.runner.send_message(
                OPEN_DONE, None))
            if self.feed is not None:
                gevent.spawn(self._send_measured, self.open)

    def _send_measured(self, run: OpenModelRun) -> None:
        """A capacity search: each second, just after it ended, what it measured (the
        master judges a step on the seconds every worker sent), until the executor ends."""
        while not run.executor.ended:
            now = time.time()
            gevent.sleep(math.floor(now) + 1 + chunks.MEASURED_AFTER_S - now)
            until = math.floor(time.time())  # the slices taken next end by then
            self.runner.send_message(chunks.MEASURED, {
                chunks.UNTIL_KEY: until,
                REPORT_KEY: [i.to_wire() for i in self.recorder.take_closed()],
                ITERATIONS_KEY: run.wire()})

    def _on_refused(self, environment: Environment, msg: Any, **_: Any) -> None:
        self._leave(str((msg.data or {}).get("reason", "refused")))

    def _on_flush(self, environment: Environment, msg: Any, **_: Any) -> None:
        iterations = {}
        if self.open is not None:
            self.open.stop()
            iterations = {ITERATIONS_KEY: self.open.wire(final=True)}
        self.runner.send_message(FINAL, {**iterations,
                                         REPORT_KEY: [i.to_wire()
                                                      for i in self.recorder.take_all()],
                                         EVIDENCE_KEY: self._evidence(),
                                         SCRIPT_ERRORS_KEY: self.script_errors.snapshot(
                                             tracebacks=True),
                                         NAMES_KEY: self.names.snapshot()})

    def _expect_welcome(self) -> None:
        gevent.sleep(HANDSHAKE_TIMEOUT_S)
        if not self.welcomed and self.refusal is None:
            self._leave("no answer to the swarmdeck handshake (is the master a swarmdeck "
                        f"{__version__} master?)")

    def _leave(self, reason: str) -> None:
        log.error("leaving the master: %s", reason)
        self.refusal = reason
        self.runner.quit()
