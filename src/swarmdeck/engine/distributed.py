"""A distributed run: this process is Locust's master; workers (local processes started
with --workers, or remote `swarmdeck worker` processes with --expect-workers) generate the
load and send their intervals with Locust's own worker reports, which are this run's interval
source (sources.WorkerReports). See handshake.py for the token and version check and for the
end-of-run flush that keeps totals exact."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gevent
import locust
from locust.env import Environment
from locust.runners import STATE_MISSING, STATE_RUNNING, STATE_SPAWNING

from swarmdeck import __version__
from swarmdeck.engine.endpoints import REPORT_KEY as NAMES_KEY
from swarmdeck.engine.evidence import REPORT_KEY as EVIDENCE_KEY
from swarmdeck.engine.handshake import (
    FINAL,
    FLUSH,
    HELLO,
    REFUSED,
    WELCOME,
    Versions,
    check_hello,
)
from swarmdeck.engine.hooks import listen
from swarmdeck.engine.openmodel.session import DONE as OPEN_DONE
from swarmdeck.engine.openmodel.session import ORDERS_KEY, MasterOpenModel, orders
from swarmdeck.engine.run import LocalRun, RunOutcome
from swarmdeck.engine.script_errors import REPORT_KEY as SCRIPT_ERRORS_KEY
from swarmdeck.engine.sources import IntervalSource, WorkerReports
from swarmdeck.errors import CouldNotRun, Interrupted, PlanError
from swarmdeck.records import Ending, RunDetails, WorkerRecord

log = logging.getLogger(__name__)

VERSIONS = Versions(__version__, locust.__version__)
FLUSH_TIMEOUT_S = 15.0
SILENT_AFTER_S = 3.5  # workers send a heartbeat every second; Locust waits ~5 s to say so


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MasterRun(LocalRun):
    def prepare(self) -> None:
        super().prepare()
        plan = self.plan
        host, port = plan.master_bind.host, str(plan.master_bind.port)
        self.token = plan.token
        if self.token and self.token.upper().startswith("REPLACE-ME"):
            raise PlanError("the token is still the placeholder from deploy/kubernetes",
                            "generate one: python3 -c \"import secrets; "
                            "print(secrets.token_hex(32))\"")
        if plan.workers and not plan.expect_workers:
            # Only local workers: a private port and, without a token, a private one-off token.
            host, port = "127.0.0.1", str(_free_port())
            self.token = self.token or secrets.token_hex(16)
        elif not self.token and not plan.master_bind.loopback:
            self.view.message(f"no token: the master binds 127.0.0.1:{port} only, not {host} "
                              "(set --token or SWARMDECK_TOKEN to accept remote workers)")
            host = "127.0.0.1"
        self.bind = (host, int(port))
        self.expected = plan.workers + plan.expect_workers
        self.welcomed: dict[str, dict[str, Any]] = {}
        self.refused: dict[str, str] = {}
        self.finals: set[str] = set()
        self.lost: dict[str, float] = {}  # worker id -> when it was declared lost
        self.silent_since: dict[str, float] = {}  # a lost worker's last sign of life
        self.absent: dict[str, list[tuple[float, float]]] = {}  # partitions that healed
        self.last_seen: dict[str, float] = {}
        self._ending = False
        self.unflushed: list[str] = []
        self.reports = WorkerReports()
        self.processes: list[subprocess.Popen[bytes]] = []
        self._logs = Path(tempfile.mkdtemp(prefix="swarmdeck-workers-"))

    # -- Locust's master, and the handshake -------------------------------------------

    def _make_runner(self, env: Environment) -> Any:
        try:
            runner = env.create_master_runner(master_bind_host=self.bind[0],
                                              master_bind_port=self.bind[1])
        except Exception as exc:  # noqa: BLE001 - ZeroMQ reports a taken port this way
            raise CouldNotRun(f"the master cannot listen on {self.bind[0]}:{self.bind[1]}: {exc}",
                              "pick another --master-bind port") from None
        runner.register_message(HELLO, self._on_hello)
        runner.register_message(FINAL, self._on_final)
        runner.register_message(OPEN_DONE, self._on_open_done)
        listen(env.events.worker_report, self._on_report)
        listen(env.events.test_stop, self._flush_workers)
        listen(env.events.heartbeat_sent, self._on_heartbeat)  # a worker's heartbeat in
        return runner

    def _on_heartbeat(self, client_id: str, timestamp: float, **_: Any) -> None:
        self.last_seen[client_id] = timestamp

    def _on_hello(self, environment: Environment, msg: Any, **_: Any) -> None:
        verdict = check_hello(msg.data, self.token, VERSIONS)
        data = msg.data if isinstance(msg.data, dict) else {}
        if verdict is not None:
            log.warning("refused worker %s (%s): %s", msg.node_id, data.get("hostname", "?"),
                        verdict)
            self.refused[msg.node_id] = verdict
            self.runner.send_message(REFUSED, {"reason": verdict}, client_id=msg.node_id)
            return
        index = len(self.welcomed)  # the open model: this worker's part of the schedule
        self.welcomed[msg.node_id] = {"id": msg.node_id, "region": str(data.get("region")),
                                      "hostname": str(data.get("hostname")),
                                      "joined_at": time.time()}
        self.runner.send_message(WELCOME, {
            "swarmdeck": VERSIONS.swarmdeck, "locust": VERSIONS.locust,
            "interval_s": int(self.plan.interval_s), "max_names": self.plan.max_names,
            "group_names": self.plan.group_names,
            **({ORDERS_KEY: self._orders(index, max(self.expected, index + 1))}
               if self.plan.open_model else {}),
        }, client_id=msg.node_id)

    def _orders(self, index: int, count: int) -> dict[str, Any]:
        """An open-model run: worker ``index``'s part of it (a capacity search adds its
        chunks: capacity_master.py)."""
        return orders(self.plan, index, count)

    def _live_workers(self) -> set[str]:
        return {cid for cid in self.welcomed if cid not in self.lost}

    def _on_open_done(self, environment: Environment, msg: Any, **_: Any) -> None:
        if isinstance(self.open, MasterOpenModel) and msg.node_id in self.welcomed:
            self.open.worker_done(msg.node_id, self._live_workers())

    def _on_report(self, client_id: str, data: dict[str, Any], **_: Any) -> None:
        """A worker report (or final flush): only a welcomed worker's measurements count."""
        if client_id not in self.welcomed:
            return
        if EVIDENCE_KEY in data:
            self.evidence.add_remote(client_id, data[EVIDENCE_KEY])
        if SCRIPT_ERRORS_KEY in data:
            self.script_errors.add_remote(client_id, data[SCRIPT_ERRORS_KEY])
        if NAMES_KEY in data:
            self.names.add_remote(client_id, data[NAMES_KEY])
        if isinstance(self.open, MasterOpenModel):
            self.open.receive(client_id, data)
        self.reports.receive(data)

    def _on_final(self, environment: Environment, msg: Any, **_: Any) -> None:
        self._on_report(msg.node_id, msg.data or {})
        self.finals.add(msg.node_id)
        if msg.node_id in self.lost:  # its partition healed just in time
            self._back(msg.node_id, time.time())

    def _flush_workers(self, **_: Any) -> None:
        """At test_stop: collect what every worker still holds. The flush goes to the lost
        workers too (one cut off by a partition may answer once it heals), but only the live
        ones are waited for; a live one that does not answer is lost at the end."""
        live = [cid for cid in self.welcomed if cid not in self.lost]
        for cid in self.welcomed:
            self.runner.send_message(FLUSH, None, client_id=cid)
        deadline = time.monotonic() + FLUSH_TIMEOUT_S
        while time.monotonic() < deadline and not set(live) <= self.finals:
            gevent.sleep(0.05)
        self.unflushed = sorted(set(live) - self.finals)
        for cid in self.unflushed:
            self.lost.setdefault(cid, time.time())

    # -- workers: start, wait, watch --------------------------------------------------

    def _start_local_workers(self) -> None:
        env = {**os.environ, "SWARMDECK_TOKEN": self.token or ""}
        for i in range(self.plan.workers):
            log_file = (self._logs / f"worker-{i}.log").open("wb")
            self.processes.append(subprocess.Popen(
                [sys.executable, "-m", "swarmdeck", "worker", "--master",
                 f"{self.bind[0]}:{self.bind[1]}", "-f", str(self.loaded.path),
                 "--region", self.plan.region],
                env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True))

    def _ready(self) -> int:
        ready = {node.id for node in self.runner.clients.ready}
        return len(ready & set(self.welcomed))

    def _before_start(self, runner: Any) -> None:
        self._start_local_workers()
        if self.plan.expect_workers:
            self.view.message(f"waiting for {self.expected} workers on "
                              f"{self.bind[0]}:{self.bind[1]}")
        deadline = time.monotonic() + self.plan.expect_workers_timeout_s
        while self._ready() < self.expected:
            if self.interrupts:
                raise Interrupted("interrupted while waiting for workers; nothing was stored")
            dead = [p for p in self.processes if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                refused = f"; refused: {', '.join(sorted(set(self.refused.values())))}" \
                    if self.refused else ""
                logs = f"; worker logs in {self._logs}" if self.processes else ""
                raise CouldNotRun(
                    f"only {self._ready()} of {self.expected} workers arrived within "
                    f"{self.plan.expect_workers_timeout_s:g}s{refused}{logs}",
                    "start them with `swarmdeck worker --master HOST:PORT` (same locustfile, "
                    "versions and token), or raise --expect-workers-timeout")
            gevent.sleep(0.1)

    def _make_source(self) -> IntervalSource:
        return self.reports

    def _watch(self, runner: Any) -> None:
        # At the end, workers leave on the master's own quit message: only a worker that
        # Locust finds missing is lost then (when the last one goes, Locust stops the test).
        running = self.runner.state in (STATE_SPAWNING, STATE_RUNNING)
        clients = self.runner.clients
        now = time.time()
        freshest = max(self.last_seen.values(), default=now)
        for cid, worker in self.welcomed.items():
            node = clients.get(cid)
            heard = self.last_seen.get(cid, worker["joined_at"])
            missing = node is not None and node.state == STATE_MISSING
            if cid in self.lost:
                if heard > self.lost[cid] and node is not None and not missing:
                    self._back(cid, heard)
                continue
            # Silent while another worker is heard from (so not this master lagging), or
            # given up on by Locust itself (missing, or gone).
            silent = now - heard > SILENT_AFTER_S and now - freshest < 2.0
            if missing or (running and (node is None or silent)):
                self.lost[cid] = now
                self.silent_since[cid] = heard
                alive = len(self.welcomed) - len(self.lost)
                self.view.message(f"worker {cid} ({worker['region']}) lost; "
                                  f"continuing with {alive} worker{'s' * (alive != 1)}")
                if isinstance(self.open, MasterOpenModel):  # its part of the rate is lost
                    self.open.check(self._live_workers())
        if self.welcomed and len(self.lost) >= len(self.welcomed) and not self._ending:
            self._ending = True  # Locust stopped the test; end the run rather than wait
            gevent.spawn(self.runner.quit)

    def _back(self, cid: str, at: float) -> None:
        """A lost worker heard from again (a partition healed; Locust's master took it
        back): it counts as live again, and the reports it queued meanwhile, arriving now,
        are merged like any other (each interval keeps its own second)."""
        since = self.silent_since.pop(cid, self.lost[cid])
        del self.lost[cid]
        self.absent.setdefault(cid, []).append((since, at))
        self.view.message(f"worker {cid} ({self.welcomed[cid]['region']}) is back after "
                          f"{at - since:.0f}s; its late reports are merged")

    def _final_status(self, outcome: RunOutcome) -> None:
        super()._final_status(outcome)
        for cid, spans in self.absent.items():
            for since, back in spans:
                outcome.warnings.append(
                    f"worker {cid} ({self.welcomed[cid]['region']}) was unreachable for "
                    f"{back - since:.0f}s from {datetime.fromtimestamp(since, UTC):%H:%M:%S}Z; "
                    "its reports of those seconds arrived late and were merged")
        if self.lost and not self.interrupts:
            when = ", ".join(
                f"{cid} at {datetime.fromtimestamp(t, UTC):%H:%M:%S}Z"
                for cid, t in sorted(self.lost.items(), key=lambda kv: kv[1]))
            if len(self.lost) >= len(self.welcomed):
                outcome.ending = Ending.ALL_WORKERS_LOST
                outcome.message = (f"all {len(self.welcomed)} workers lost ({when}); "
                                   "everything they reported is kept")
            else:
                outcome.ending = Ending.WORKERS_LOST
                outcome.message = f"lost worker {when}; the others finished the run"
        if self.unflushed:
            outcome.warnings.append(f"no final report from {', '.join(self.unflushed)}: "
                                    "its last seconds are missing")

    def _more_details(self, details: RunDetails) -> RunDetails:
        if details.open_model is not None:
            details = replace(details, open_model=replace(details.open_model,
                                                          generators=len(self.welcomed)))
        return replace(details, refused=dict(self.refused), workers=tuple(
            WorkerRecord(id=cid, region=str(w["region"]), hostname=str(w["hostname"]),
                         joined_at=float(w["joined_at"]), lost_at=self.lost.get(cid),
                         absent=tuple(self.absent.get(cid, ())),
                         iterations=(self.open.by_worker.get(cid, (0, 0, 0))
                                     if isinstance(self.open, MasterOpenModel) else None))
            for cid, w in self.welcomed.items()))

    def _cleanup(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
