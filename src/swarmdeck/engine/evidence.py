"""On every load-generating process: the little the findings need beyond the histograms
(status codes, the target's Server header, CSRF errors, login redirects, wait times,
generator CPU). Filled in by the findings work; kept off the hot path's expensive parts.

The recorder tells it of each request: a plain 200 in bulk, once a second per endpoint
(``observe_ok``: counted, and the Server header of the last one read), anything else one by
one (``observe``: the status code counted per endpoint, a response body looked at only when
it is a 400 (CSRF) or a 5xx (Werkzeug's debugger), and then at most ``BODY_BYTES`` of it,
the ``Server`` header read on the first ``SERVER_FIRST`` responses and then on one response
in ``SERVER_EVERY``).

Everything is cumulative; a worker sends a snapshot (``snapshot()``, the JSON form of its
``EvidenceRecord``) with every report and the master keeps the latest one per worker
(``add_remote``), so a lost or repeated report never double counts. ``record()`` merges
them into the run's ``EvidenceRecord`` (records/evidence.py), stored with its details.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import replace
from typing import Any

import psutil

from swarmdeck.engine.endpoints import EndpointNames
from swarmdeck.records.codec import evidence_from_json, evidence_to_json
from swarmdeck.records.evidence import (
    CPU_EVERY_S,
    CpuSample,
    CpuSeries,
    EndpointEvidence,
    EvidenceRecord,
    UserClassEvidence,
)

log = logging.getLogger(__name__)

REPORT_KEY = "swarmdeck_evidence"  # in Locust's worker reports, beside the intervals
MAX_SERVERS = 5  # distinct Server headers kept
SERVER_FIRST = 256  # read the Server header of this many first responses...
SERVER_EVERY = 64  # ...then of one response in this many
BODY_BYTES = 4096  # of a 400 or 5xx body looked at
DEBUGGER_CHECKS = 50  # 5xx bodies looked at for Werkzeug's debugger, at most
WAIT_SAMPLES = 5  # calls of each user class's wait_time at test_start
LOGIN = re.compile(r"login|signin|sign-in|sign_in", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")
_DEBUGGER_MARKS = (b"Werkzeug Debugger", b"__debugger__")


class _Endpoint:
    __slots__ = ("csrf", "csrf_sample", "login_redirects", "method", "name", "status")

    def __init__(self, method: str, name: str) -> None:
        self.method = method
        self.name = name
        self.status: dict[int | None, int] = {}
        self.csrf = 0
        self.csrf_sample: str | None = None
        self.login_redirects = 0

    def record(self) -> EndpointEvidence:
        return EndpointEvidence(method=self.method, name=self.name,
                                status=_sorted(self.status), csrf_400=self.csrf,
                                csrf_sample=self.csrf_sample,
                                login_redirects=self.login_redirects)


def _sorted(status: dict[int | None, int]) -> dict[int | None, int]:
    """Status counts by code, no response last."""
    return dict(sorted(status.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)))


def _body(response: Any) -> bytes:
    try:
        content = response.content
    except Exception:  # noqa: BLE001 - a body that cannot be read is no evidence
        return b""
    if isinstance(content, str):
        content = content.encode("utf-8", "replace")
    return bytes(content[:BODY_BYTES]) if isinstance(content, (bytes, bytearray)) else b""


def _csrf_message(body: bytes) -> str:
    """The piece of text naming "CSRF" in an error body (between HTML tags)."""
    text = body.decode("utf-8", "replace")
    for piece in _TAGS.split(text):
        if "csrf" in piece.lower():
            return " ".join(piece.split())[:160]
    return ""


def _location_is_login(response: Any) -> bool:
    headers = getattr(response, "headers", None)
    location = headers.get("Location") if headers is not None else None
    return bool(location) and LOGIN.search(str(location).split("?", 1)[0]) is not None


_NO_HISTORY: set[type] = set()  # response classes without a history (FastHttpUser's)
_MISSING = object()


def _history(response: Any) -> Any:
    """The redirects a response followed (requests' ``history``). FastHttpUser's responses
    have none, and reading a missing attribute raises and catches AttributeError on every
    request (~0.5 us): a class found without it is not asked again."""
    cls = type(response)
    if cls in _NO_HISTORY:
        return None
    history = getattr(response, "history", _MISSING)
    if history is _MISSING:
        _NO_HISTORY.add(cls)
        return None
    return history


def _final_path_is_login(response: Any) -> bool:
    """Whether a followed redirect ended on a login page. The final URL is that of the last
    request (requests' ``response.request``): Locust's ResponseContextManager (with
    catch_response) reports the request's name as ``url``."""
    url = getattr(getattr(response, "request", None), "url", None)
    if not isinstance(url, str):
        url = getattr(response, "url", None) or ""
    path = str(url).split("?", 1)[0].split("://", 1)[-1]
    path = path[path.find("/"):] if "/" in path else ""
    return LOGIN.search(path) is not None


def _schedstat() -> tuple[int, int] | None:
    """(ns on a CPU, ns waiting for one) of this process's main thread, Linux only."""
    try:
        with open("/proc/self/schedstat", "rb") as fh:
            ran, waited, *_ = fh.read().split()
        return int(ran), int(waited)
    except (OSError, ValueError):
        return None


def _count(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def sample_wait_time(cls: type) -> UserClassEvidence:
    """What a user class waits between tasks: its ``wait_time`` called on a bare instance a
    few times (never constructed: no client, no connection). Custom callables that need
    state the bare instance lacks give ``"unknown"``."""
    known = UserClassEvidence(weight=_count(getattr(cls, "weight", 1)),
                              fixed_count=_count(getattr(cls, "fixed_count", 0)))
    if getattr(cls, "_swarmdeck_open_model", False):  # engine/openmodel: the schedule waits
        return replace(known, wait="arrival")
    try:
        instance: Any = object.__new__(cls)
        samples = []
        for _ in range(WAIT_SAMPLES):
            instance._cp_last_run = time.perf_counter()  # constant_pacing/throughput state:
            instance._cp_last_wait_time = 0  # as if a task had just ended
            samples.append(round(float(instance.wait_time()), 4))
    except Exception as exc:  # noqa: BLE001 - a user's callable: anything may happen
        return replace(known, error=f"{exc.__class__.__name__}: {exc}"[:200])
    if all(s <= 0 for s in samples):
        wait = "none"
    elif max(samples) - min(samples) < 1e-3:
        wait = "constant"
    else:
        wait = "varies"
    return replace(known, wait=wait, wait_s=tuple(samples))


class Evidence:
    def __init__(self, *, names: EndpointNames | None = None,
                 clock: Any = time.monotonic) -> None:
        self.clock = clock
        self._requests = True  # listening on Locust's request event itself (attach)
        # the recorder's: the same endpoints (templates, and OTHER_NAME past the cap) here
        # as in the intervals
        self.names = names if names is not None else EndpointNames()
        self._names = self.names.cache  # the same dict: read on the hot path
        self._endpoints: dict[tuple[str, str], _Endpoint] = {}
        self._seen = 0
        self.servers: list[str] = []
        self.debugger_pages = 0
        self.debugger_endpoint: str | None = None
        self._debugger_checks = 0
        self.user_classes: dict[str, UserClassEvidence] = {}
        self.cpu: dict[str, CpuSeries] = {}
        self._process: psutil.Process | None = None
        self._started: float | None = None
        self._sched: tuple[int, int] | None = None
        self._last_cpu = 0.0
        self._remote: dict[str, dict[str, Any]] = {}

    # -- Locust's events ----------------------------------------------------------------

    def attach(self, events: Any, *, requests: bool = True) -> None:
        """Listen on Locust's events: test_start and, unless the recorder passes every
        request on (``Recorder(observer=evidence)``, the engine's way), request."""
        self._requests = requests
        if requests:
            events.request.add_listener(self.on_request)
        events.test_start.add_listener(self.on_test_start)
        self._start_cpu()

    def detach(self, events: Any) -> None:
        """Stop listening."""
        if self._requests:
            events.request.remove_listener(self.on_request)
        events.test_start.remove_listener(self.on_test_start)

    def on_request(self, request_type: str, name: str, response: Any = None,
                   **_: Any) -> None:
        """Locust's request event, for an Evidence listening on its own."""
        key = self._names.get((request_type, name))
        if key is None:
            key = self.names.endpoint(request_type, name)
        self.observe(request_type, key, response)

    def observe(self, request_type: str, key: str, response: Any) -> None:
        """Every request, its endpoint already resolved: the generator's hot path, kept to
        a few lookups."""
        endpoint = self._endpoints.get((request_type, key))
        if endpoint is None:
            endpoint = self._endpoints[(request_type, key)] = _Endpoint(request_type, key)
        status = getattr(response, "status_code", None) or None  # 0: no response
        codes = endpoint.status
        codes[status] = codes.get(status, 0) + 1
        if response is None:
            return
        self._seen += 1
        if self._seen <= SERVER_FIRST or not self._seen % SERVER_EVERY:
            self._server(response)
        if status is None:
            return
        if status < 300:
            if _history(response) and _final_path_is_login(response):
                endpoint.login_redirects += 1
        elif status < 400:
            if status in (301, 302, 303, 307, 308) and _location_is_login(response):
                endpoint.login_redirects += 1
        elif status == 400:
            body = _body(response)
            if b"csrf" in body.lower():
                endpoint.csrf += 1
                if endpoint.csrf_sample is None:
                    endpoint.csrf_sample = _csrf_message(body)
        elif status >= 500 and self._debugger_checks < DEBUGGER_CHECKS:
            self._debugger_checks += 1
            body = _body(response)
            if any(mark in body for mark in _DEBUGGER_MARKS):
                self.debugger_pages += 1
                self.debugger_endpoint = self.debugger_endpoint or f"{request_type} {key}"

    def observe_ok(self, request_type: str, key: str, count: int, sample: Any) -> None:
        """``count`` requests of one endpoint that were answered 200 and followed no
        redirect (the recorder's hot path gathers them): counted, and the Server header
        of ``sample``, the last of them, read."""
        endpoint = self._endpoints.get((request_type, key))
        if endpoint is None:
            endpoint = self._endpoints[(request_type, key)] = _Endpoint(request_type, key)
        endpoint.status[200] = endpoint.status.get(200, 0) + count
        self._seen += count
        if sample is not None:
            self._server(sample)

    def _server(self, response: Any) -> None:
        headers = getattr(response, "headers", None)
        try:
            server = headers.get("Server") if headers is not None else None
        except Exception:  # noqa: BLE001 - an odd headers object
            return
        if server and len(self.servers) < MAX_SERVERS:
            server = str(server)[:120]
            if server not in self.servers:
                self.servers.append(server)

    def on_test_start(self, environment: Any = None, **_: Any) -> None:
        for cls in getattr(environment, "user_classes", None) or []:
            if cls.__name__ not in self.user_classes:
                self.user_classes[cls.__name__] = sample_wait_time(cls)

    # -- generator CPU ------------------------------------------------------------------

    def _start_cpu(self) -> None:
        try:
            self._process = psutil.Process()
            self._process.cpu_percent(None)  # the baseline: the first call returns 0.0
        except psutil.Error:
            self._process = None
        self._sched = _schedstat()
        self._started = self._last_cpu = self.clock()

    def sample_cpu(self, key: str, role: str) -> None:
        """This process's CPU since the last sample, as [seconds since start, CPU %, busy %]:
        CPU % is time on a CPU (100 = one core); busy % adds the time it was ready to run
        but waiting for a CPU (Linux's /proc/self/schedstat; equal to CPU % elsewhere). On
        a machine shared with the target or other jobs, a generator that always wants the
        CPU is saturated even when it gets only half of one."""
        if self._process is None or self._started is None:
            return
        now = self.clock()
        try:
            value = self._process.cpu_percent(None)
        except psutil.Error:
            return
        busy = value
        sched = _schedstat()
        if sched is not None and self._sched is not None and now > self._last_cpu:
            ran, waited = (sched[0] - self._sched[0]), (sched[1] - self._sched[1])
            busy = max(value, 100.0 * (ran + waited) / 1e9 / (now - self._last_cpu))
        self._sched = sched
        series = self.cpu.get(key) or CpuSeries(role)
        sample = CpuSample(round(now - self._started, 1), round(value, 1), round(busy, 1))
        self.cpu[key] = replace(series, samples=(*series.samples, sample))
        self._last_cpu = now

    def sample(self, runner: Any) -> None:
        """Once a second, from the pump: the generator's CPU, one value per CPU_EVERY_S.

        A master measures itself; its workers measure themselves (``sample_cpu`` at each of
        their reports) and send the series with their evidence."""
        if self._process is None or self.clock() - self._last_cpu < CPU_EVERY_S:
            return
        role = "master" if hasattr(runner, "clients") else "local"
        self.sample_cpu(role, role)

    # -- workers to the master ----------------------------------------------------------

    def local(self) -> EvidenceRecord:
        """Everything measured in this process."""
        return EvidenceRecord(
            endpoints=tuple(e.record() for e in self._endpoints.values()),
            names_folded=self.names.folded, servers=tuple(self.servers),
            debugger_pages=self.debugger_pages, debugger_endpoint=self.debugger_endpoint,
            user_classes=dict(self.user_classes), cpu=dict(self.cpu), cpu_every_s=CPU_EVERY_S)

    def snapshot(self) -> dict[str, Any]:
        """What a worker sends with its reports: its evidence's JSON form."""
        return evidence_to_json(self.local())

    def add_remote(self, client_id: str, snapshot: Any) -> None:
        """A worker's latest snapshot (cumulative: it replaces the previous one); read at
        the end, by ``record()``."""
        if isinstance(snapshot, dict):
            self._remote[client_id] = snapshot

    def record(self) -> EvidenceRecord:
        """The run's evidence: this process's, merged with every worker's latest snapshot
        (a malformed one is left out, with a warning)."""
        merged = self.local()
        for client_id, snapshot in sorted(self._remote.items()):
            try:
                remote = evidence_from_json(snapshot)
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                log.warning("ignoring malformed evidence from worker %s: %s", client_id, exc)
                continue
            merged = _merge(merged, remote, client_id)
        return merged


def _merge(into: EvidenceRecord, remote: EvidenceRecord, client_id: str) -> EvidenceRecord:
    endpoints = {(e.method, e.name): e for e in into.endpoints}
    for e in remote.endpoints:
        mine = endpoints.get((e.method, e.name))
        if mine is None:
            endpoints[(e.method, e.name)] = e
            continue
        status = dict(mine.status)
        for code, n in e.status.items():
            status[code] = status.get(code, 0) + n
        endpoints[(e.method, e.name)] = replace(
            mine, status=_sorted(status), csrf_400=mine.csrf_400 + e.csrf_400,
            csrf_sample=mine.csrf_sample or e.csrf_sample,
            login_redirects=mine.login_redirects + e.login_redirects)
    servers = list(into.servers)
    for server in remote.servers:
        if server not in servers and len(servers) < MAX_SERVERS:
            servers.append(server)
    user_classes = dict(into.user_classes)
    for name, cls in remote.user_classes.items():
        user_classes.setdefault(name, cls)
    cpu = dict(into.cpu)
    for key, series in remote.cpu.items():
        cpu[f"worker {client_id}" if key == "worker" else key] = series
    return replace(
        into, endpoints=tuple(endpoints.values()),
        names_folded=into.names_folded + remote.names_folded, servers=tuple(servers),
        debugger_pages=into.debugger_pages + remote.debugger_pages,
        debugger_endpoint=into.debugger_endpoint or remote.debugger_endpoint,
        user_classes=user_classes, cpu=cpu)
