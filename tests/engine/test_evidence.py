"""Evidence capture on a load generator, fed plain objects standing in for responses."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from swarmdeck.engine import evidence as E
from swarmdeck.engine.endpoints import EndpointNames
from swarmdeck.engine.evidence import Evidence, sample_wait_time
from swarmdeck.engine.recorder import Recorder
from swarmdeck.metrics.interval import MAX_NAMES, OTHER_NAME
from swarmdeck.records.codec import evidence_from_json, evidence_to_json
from swarmdeck.records.evidence import CPU_EVERY_S


@dataclass
class Response:
    status_code: int | None
    content: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    url: str = "http://127.0.0.1:8000/x"
    history: list[Any] = field(default_factory=list)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def fire(ev: Evidence, method: str, name: str, response: Any, n: int = 1) -> None:
    for _ in range(n):
        ev.on_request(request_type=method, name=name, response_time=1.0, response_length=0,
                      exception=None, response=response, context={}, url=name)


def details(ev: Evidence) -> dict[str, Any]:
    """The run's evidence as stored (the run's details under "evidence")."""
    record = ev.record()
    data = evidence_to_json(record)
    assert evidence_from_json(json.loads(json.dumps(data))) == record  # reads back
    return data


def by_name(data: dict[str, Any], name: str, method: str | None = None) -> dict[str, Any]:
    entries: list[dict[str, Any]] = [e for e in data["endpoints"]
                                     if e["name"] == name and method in (None, e["method"])]
    (entry,) = entries
    return entry


def test_status_codes_per_endpoint_including_no_response() -> None:
    ev = Evidence()
    fire(ev, "GET", "/", Response(200), 3)
    fire(ev, "GET", "/", Response(503))
    fire(ev, "GET", "/", None)  # a custom client without a response
    fire(ev, "GET", "/", Response(0))  # FastHttpUser: connection error
    assert by_name(details(ev), "/")["status"] == {"200": 3, "503": 1, "none": 2}


def test_csrf_400_counted_with_one_sample_message() -> None:
    ev = Evidence()
    page = (b"<html><body><h1>Bad Request</h1><p>CSRF check failed: The CSRF token is "
            b"missing.</p></body></html>")
    fire(ev, "POST", "/login", Response(400, page), 4)
    fire(ev, "POST", "/login", Response(400, b'{"error": "quantity must be > 0"}'))
    entry = by_name(details(ev), "/login")
    assert entry["csrf_400"] == 4
    assert "The CSRF token is missing." in entry["csrf_sample"]
    assert "<" not in entry["csrf_sample"]


def test_csrf_named_beyond_the_inspected_bytes_is_not_read() -> None:
    ev = Evidence()
    fire(ev, "POST", "/x", Response(400, b" " * E.BODY_BYTES + b"CSRF"))
    assert by_name(details(ev), "/x")["csrf_400"] == 0


def test_login_redirects_followed_and_not_followed() -> None:
    ev = Evidence()
    fire(ev, "GET", "/dashboard", Response(200, url="http://h/login?next=%2Fdashboard",
                                           history=[Response(302)]), 2)
    fire(ev, "GET", "/dashboard", Response(302, headers={"Location": "/login?next=/x"}))
    fire(ev, "GET", "/login", Response(200, url="http://h/login"))  # the page itself
    fire(ev, "POST", "/login", Response(200, url="http://h/dashboard",
                                        history=[Response(302)]))
    data = details(ev)
    assert by_name(data, "/dashboard")["login_redirects"] == 3
    assert by_name(data, "/login", "GET")["login_redirects"] == 0
    assert by_name(data, "/login", "POST")["login_redirects"] == 0


def test_first_distinct_server_headers_are_kept() -> None:
    ev = Evidence()
    for server in ["gunicorn", "gunicorn", "Werkzeug/3.1.3 Python/3.11.2", "nginx"]:
        fire(ev, "GET", "/", Response(200, headers={"Server": server}))
    assert details(ev)["servers"] == ["gunicorn", "Werkzeug/3.1.3 Python/3.11.2", "nginx"]


def test_debugger_page_in_a_500_body() -> None:
    ev = Evidence()
    page = b"<!doctype html><title>ZeroDivisionError // Werkzeug Debugger</title>"
    fire(ev, "GET", "/boom", Response(500, page), 2)
    fire(ev, "GET", "/ok", Response(200, page))  # only 5xx bodies are read
    data = details(ev)
    assert data["debugger_pages"] == 2 and data["debugger_endpoint"] == "GET /boom"


def test_names_beyond_the_cap_fold() -> None:
    ev = Evidence(names=EndpointNames(max_names=3, group=False))
    for i in range(5):
        fire(ev, "GET", f"/p/{i}", Response(200), 2)
    data = details(ev)
    assert data["names_folded"] == 2
    assert by_name(data, OTHER_NAME)["status"] == {"200": 4}


def test_the_recorder_and_the_evidence_name_the_same_endpoints() -> None:
    """Evidence rows and interval rows name the same endpoints: the same templates, and the
    same names folded past the cap (they share one EndpointNames, as in a run)."""
    for group, expected in ((False, {"/p/0", "/p/1", "/q/a", OTHER_NAME}),
                            (True, {"/p/{id}", "/q/a", "/q/b", OTHER_NAME})):
        names = EndpointNames(max_names=3, group=group)
        ev, recorder = Evidence(names=names), Recorder(names=names)
        for name in ["/p/0", "/p/1", "/p/0", "/q/a", "/p/2", "/q/b", "/p/3", "/q/c", "/p/4"]:
            fire(ev, "GET", name, Response(200))
            recorder.on_request("GET", name, 1.0, 0)
        rows = {e["name"]: e["status"]["200"] for e in details(ev)["endpoints"]}
        assert set(rows) == {i.name for i in recorder.take_all()} == expected
        assert sum(rows.values()) == 9
    assert Evidence().names.max_names == Recorder().names.max_names == MAX_NAMES


class Bare:
    weight = 3
    fixed_count = 0


def test_wait_time_sampling() -> None:
    from locust import between, constant, constant_throughput

    for wait, kind in ((constant(0), "none"), (constant(2), "constant"),
                       (between(1, 3), "varies"), (constant_throughput(2), "constant")):
        cls = type("U", (Bare,), {"wait_time": wait})
        sampled = sample_wait_time(cls)
        assert sampled.wait == kind, (wait, sampled)
        assert sampled.weight == 3
    from locust import HttpUser

    assert sample_wait_time(type("Plain", (HttpUser,), {})).wait == "none"


def test_a_wait_time_that_raises_is_unknown() -> None:
    def wait_time(self: Any) -> float:
        return float(self.not_there)

    sampled = sample_wait_time(type("U", (Bare,), {"wait_time": wait_time}))
    assert sampled.wait == "unknown" and sampled.error and "AttributeError" in sampled.error


class Env:
    def __init__(self, *classes: type) -> None:
        self.user_classes = list(classes)


def test_cpu_is_sampled_once_per_interval() -> None:
    clock = Clock()
    ev = Evidence(clock=clock)
    ev._start_cpu()

    class LocalRunner:
        pass

    for _ in range(12):
        clock.now += 1.0
        ev.sample(LocalRunner())
    series = details(ev)["cpu"]["local"]
    assert series["role"] == "local"
    assert [s[0] for s in series["samples"]] == [5.0, 10.0]
    assert all(0 <= s[1] <= s[2] for s in series["samples"])


def test_worker_snapshots_merge_without_double_counting() -> None:
    master = Evidence()
    master.on_test_start(environment=Env(type("U", (Bare,), {"wait_time": lambda s: 1.0})))
    one, two = Evidence(), Evidence()
    fire(one, "POST", "/login", Response(400, b"The CSRF token is missing."), 2)
    fire(two, "POST", "/login", Response(400, b"The CSRF token is missing."), 3)
    fire(two, "GET", "/", Response(200, headers={"Server": "Werkzeug/3.1"}))
    fire(two, "GET", "/", None)
    report = json.loads(json.dumps(two.snapshot()))  # as Locust's messages carry it
    report["cpu"] = {"worker": {"role": "worker", "samples": [[3.0, 97.0, 99.0]]}}
    master.add_remote("w1", one.snapshot())
    master.add_remote("w2", report)
    fire(one, "POST", "/login", Response(400, b"The CSRF token is missing."))
    fire(one, "GET", "/", Response(503))
    master.add_remote("w1", one.snapshot())  # a later, cumulative report replaces
    master.add_remote("w3", "garbage")
    master.add_remote("w4", {"endpoints": [{"name": "/no-method", "status": {"200": 5}}]})
    data = details(master)
    entry = by_name(data, "/login")
    assert entry["status"] == {"400": 6} and entry["csrf_400"] == 6
    assert by_name(data, "/")["status"] == {"200": 1, "503": 1, "none": 1}
    assert "/no-method" not in [e["name"] for e in data["endpoints"]]
    assert data["servers"] == ["Werkzeug/3.1"]
    assert data["cpu"]["worker w2"] == {"role": "worker", "samples": [[3.0, 97.0, 99.0]]}
    assert "U" in data["user_classes"]
    assert data["cpu_every_s"] == CPU_EVERY_S


def test_a_worker_snapshot_is_its_evidence_in_the_stored_form() -> None:
    worker = Evidence()
    fire(worker, "POST", "/login", Response(400, b"<p>The CSRF token is missing.</p>"))
    fire(worker, "GET", "/", Response(200, headers={"Server": "gunicorn"}))
    worker.on_test_start(environment=Env(type("U", (Bare,), {"wait_time": lambda s: 0})))
    snapshot = worker.snapshot()
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert evidence_from_json(snapshot) == worker.record()
    assert snapshot["user_classes"]["U"] == {"weight": 3, "fixed_count": 0, "wait": "none",
                                             "wait_s": [0.0] * E.WAIT_SAMPLES, "error": None}


def test_attach_listens_on_locusts_events() -> None:
    from locust.event import Events

    events = Events()
    ev = Evidence()
    ev.attach(events)
    events.request.fire(request_type="GET", name="/", response_time=1.0, response_length=0,
                        exception=None, context={}, response=Response(401))
    events.test_start.fire(environment=Env(type("U", (Bare,), {"wait_time": lambda s: 0})))
    ev.detach(events)
    events.request.fire(request_type="GET", name="/", response_time=1.0, response_length=0,
                        exception=None, context={}, response=Response(401))
    record = ev.record()
    (endpoint,) = record.endpoints
    assert (endpoint.method, endpoint.name, endpoint.status) == ("GET", "/", {401: 1})
    assert record.user_classes["U"].wait == "none"
