"""Starting and stopping runs of saved tests: the limits, the permitted targets, the
process, the launch's record and the audit log, in that order. Used by the API and the
pages alike (one per app, in ``app.extensions["swarmdeck_launcher"]``).

A refused start sends no request anywhere: the target and the limits are checked before
the process exists. Each Gunicorn worker watches the processes it started; stopping works
from any worker on the same machine (a signal to the recorded pid, once it is confirmed to
be that launch's process).
"""

from __future__ import annotations

import logging
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app

from swarmdeck.errors import (
    BadInput,
    Conflict,
    CouldNotRun,
    ItemNotFound,
    NotPermitted,
    SwarmdeckError,
)
from swarmdeck.launch import notify, process
from swarmdeck.launch.spec import LAUNCH_TAG, settings_from_json
from swarmdeck.launch.targets import is_loopback, origin_of
from swarmdeck.store import Store
from swarmdeck.store.launches import ACTIVE, Launch, Limits
from swarmdeck.store.platform import Accounts, Launches, Nodes, SavedTests, Webhooks
from swarmdeck.web.principal import Principal
from swarmdeck.web.queries import record_json

log = logging.getLogger(__name__)

STARTING_GRACE_S = 30  # a launch without a pid yet is not stale before this
NODES_TIMEOUT_S = 60  # a run on nodes gives up when its workers have not all come by then


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class RunLimits:
    max_runs: int
    max_runs_per_user: int
    max_users: int
    max_run_time_s: float


class Launcher:
    def __init__(self, store: Store, accounts: Accounts, tests: SavedTests,
                 limits: RunLimits) -> None:
        self.store = store
        self.accounts = accounts
        self.tests = tests
        self.launches = Launches(store, accounts)
        self.webhooks = Webhooks(store, accounts)
        self.nodes = Nodes(store)
        self.node_master_host = "0.0.0.0"  # where a master for nodes listens (with a token)
        self.limits = limits
        self.retry_delays: tuple[float, ...] = notify.RETRY_DELAYS_S
        self.hostname = socket.gethostname()

    # -- checks before anything starts -----------------------------------------------

    def check_target(self, host: str) -> str:
        """The host's origin if runs may target it; NotPermitted otherwise."""
        origin = origin_of(host)
        if is_loopback(origin):
            return origin
        target = self.launches.find_target(origin)
        if target is None:
            raise NotPermitted(f"{origin} is not a permitted target",
                               "an admin adds and verifies it on the Targets page")
        if target.verified_at is None:
            raise NotPermitted(f"{origin} is not verified yet",
                               "serve the token at /.well-known/swarmdeck-verification.txt "
                               "and press Verify on the Targets page")
        return origin

    def _check_size(self, users: int, duration_s: float) -> None:
        if users > self.limits.max_users:
            raise BadInput(f"{users} users is more than this server allows "
                           f"({self.limits.max_users})",
                           "lower the test's users, or raise serve --max-users")
        if duration_s > self.limits.max_run_time_s:
            raise BadInput(f"a run of {duration_s:g} s is longer than this server allows "
                           f"({self.limits.max_run_time_s:g} s)",
                           "shorten the test's run time, or raise serve --max-run-time")

    def forget_lost(self) -> None:
        """Launches of this machine whose process is gone (the server was restarted):
        ended, so that they no longer count against the limits."""
        now = datetime.now(UTC)
        for launch in self.launches.recent(200, active=True):
            if launch.hostname != self.hostname:
                continue
            if launch.pid is None:
                if now - launch.created_at < timedelta(seconds=STARTING_GRACE_S):
                    continue
            elif process.is_ours(launch.pid, launch.id):
                continue
            self.launches.update(launch.id, status="ended",
                                 message="its process was gone (the server restarted?)")

    # -- start and stop ----------------------------------------------------------------

    def start(self, test_id: int, principal: Principal,
              extra_args: tuple[str, ...] = ()) -> Launch:
        saved = self.tests.get(test_id)
        version = saved.current
        settings = settings_from_json(version.settings)
        self._check_size(settings.users, settings.duration_s)
        origin = self.check_target(settings.host)
        self.forget_lost()
        limits = Limits(self.limits.max_runs, self.limits.max_runs_per_user)
        launch = self.launches.reserve(test_id=test_id, version=version.version,
                                       sha256=version.locustfile.sha256,
                                       requested_by=principal.name, hostname=self.hostname,
                                       users=settings.users, limits=limits)
        extra_env: tuple[tuple[str, str], ...] = ()
        if settings.regions:
            extra_args, extra_env = self._on_nodes(launch, settings.regions, extra_args)
        request = process.LaunchRequest(launch.id, test_id, version.version,
                                        version.locustfile.name, version.locustfile.source,
                                        settings, self.store.raw_url, extra_args, extra_env)
        try:
            started = process.start(request)
        except OSError as exc:
            self.launches.update(launch.id, status="ended",
                                 message=f"could not start: {exc.strerror or exc}")
            raise CouldNotRun(f"could not start the run's process: {exc.strerror or exc}",
                              "check the server's log") from None
        launch = self.launches.update(launch.id, pid=started.pid, status="running")
        self.accounts.audit(principal.name, "started", "test",
                            f"{test_id} {saved.name} v{version.version}",
                            {"launch": launch.id, "host": origin, "users": settings.users})
        process.watch(started, lambda: self._find_run(launch.id),
                      lambda run_id: self._found(launch.id, run_id),
                      lambda code, message: self._ended(launch.id, code, message))
        return launch

    def _on_nodes(self, launch: Launch, regions: dict[str, int],
                  extra_args: tuple[str, ...]) -> tuple[tuple[str, ...],
                                                        tuple[tuple[str, str], ...]]:
        """Take the nodes the run asks for and give the run a master for them: a port and
        a token the nodes' workers are told in their heartbeats' answers."""
        try:
            taken = self.nodes.assign(launch.id, regions)
        except BadInput as exc:
            self.launches.update(launch.id, status="ended", message=f"refused: {exc}")
            raise
        port = free_port()
        token = secrets.token_hex(16)
        self.launches.update(launch.id, master_port=port, worker_token=token)
        args = (*extra_args, "--expect-workers", str(len(taken)),
                "--master-bind", f"{self.node_master_host}:{port}",
                "--expect-workers-timeout", f"{NODES_TIMEOUT_S:g}s")
        return args, (("SWARMDECK_TOKEN", token),)

    def _find_run(self, launch_id: int) -> int | None:
        rows = self.store.list_runs(1, tag=(LAUNCH_TAG, str(launch_id)))
        return rows[0].id if rows else None

    def _found(self, launch_id: int, run_id: int) -> None:
        self.launches.update(launch_id, run_id=run_id)

    def _ended(self, launch_id: int, exit_code: int, message: str | None) -> None:
        launch = self.launches.update(
            launch_id, status="ended", exit_code=exit_code,
            message=message if exit_code not in (0, 1, 4, 130) else None)
        self.nodes.release(launch_id)
        try:
            self.notify(launch)
        except SwarmdeckError as exc:  # a notification lost must not lose the launch
            log.warning("webhooks of launch %s: %s", launch_id, exc)

    def notify(self, launch: Launch) -> None:
        """Deliver the run's end to its test's webhooks that want one of its events."""
        hooks = self.webhooks.of_test(launch.test_id)
        if not hooks:
            return
        run = record_json(self.store.get_run(launch.run_id)) if launch.run_id else None
        try:
            name = self.tests.get(launch.test_id).name
        except ItemNotFound:  # deleted since
            name = f"test {launch.test_id}"
        end = notify.RunEnd(launch.test_id, name, launch.version, launch.id,
                            launch.exit_code, launch.requested_by, run, launch.message)
        happened = notify.events_of(end)
        for hook in hooks:
            wanted = [e for e in happened if e in hook.events]
            if not wanted:
                continue
            delivery = self.webhooks.start_delivery(hook.id, launch.id, launch.run_id, wanted)
            notify.send(hook.url, notify.message(end, wanted, hook.format, hook.base_url),
                        lambda a, d=delivery: self.webhooks.record_attempt(  # type: ignore[misc]
                            d, status=a.status, response_status=a.response_status,
                            error=a.error), delays=self.retry_delays)

    def wait_for_run(self, launch_id: int, timeout_s: float = 15.0) -> Launch:
        """The launch once its run exists or it ended (or ``timeout_s`` passed)."""
        deadline = time.monotonic() + timeout_s
        launch = self.launches.get(launch_id)
        while launch.run_id is None and launch.status in ACTIVE \
                and time.monotonic() < deadline:
            time.sleep(0.2)
            launch = self.launches.get(launch_id)
        if launch.run_id is None and launch.status == "ended":
            run_id = self._find_run(launch_id)  # ended before its watcher saw the run
            if run_id is not None:
                launch = self.launches.update(launch_id, run_id=run_id)
        return launch

    def stop(self, run_id: int, principal: Principal) -> Launch:
        self.store.get_run(run_id)  # RunNotFound: 404
        launch = self.launches.of_run(run_id)
        if launch is None:
            raise Conflict(f"run {run_id} was not started from the platform",
                           "stop it where it runs (Ctrl-C)")
        if launch.status not in ACTIVE:
            raise Conflict(f"run {run_id} has already ended")
        if launch.hostname != self.hostname:
            raise Conflict(f"run {run_id} was started by the server on {launch.hostname}",
                           "stop it from that server")
        if launch.pid is None or not process.stop(launch.pid, launch.id):
            self.launches.update(launch.id, status="ended",
                                 message="its process was gone")
            raise Conflict(f"run {run_id}'s process is gone")
        launch = self.launches.update(launch.id, status="stopping", stopped_by=principal.name)
        self.accounts.audit(principal.name, "stopped", "run", str(run_id),
                            {"launch": launch.id})
        return launch


def launcher() -> Launcher:
    found: Launcher = current_app.extensions["swarmdeck_launcher"]
    return found
