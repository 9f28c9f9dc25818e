"""failing-endpoint, outage and dev-server on synthetic inputs: what a user reads in each."""

from __future__ import annotations

import pytest

from swarmdeck.analysis.findings import FindingInputs, find
from swarmdeck.analysis.outages import Second, SecondSeries
from swarmdeck.analysis.summary import EndpointSummary, ErrorCount
from swarmdeck.analysis.target_findings import clock
from swarmdeck.records.codec import finding_to_json
from swarmdeck.records.evidence import EndpointEvidence, EvidenceRecord
from swarmdeck.records.verdict import Finding

T0 = 1_714_564_800  # 2024-05-01 12:00:00 UTC
REFUSED = "ConnectionRefusedError(111, 'Connection refused')"
NOT_FOUND = "HTTPError('404 Client Error: NOT FOUND for url: /missing')"
BOOM = "HTTPError('500 Server Error: INTERNAL SERVER ERROR for url: /boom')"
DISCONNECTED = "RemoteDisconnected('Remote end closed connection without response')"
LIMITED = "HTTPError('429 Client Error: TOO MANY REQUESTS for url: /limited')"


def summary(name: str, requests: int, failures: int, *errors: tuple[str, int],
            method: str = "GET") -> EndpointSummary:
    return EndpointSummary(name=name, method=method, requests=requests, failures=failures,
                           rps=1.0, avg_ms=1, p50_ms=1, p90_ms=1, p95_ms=1, p99_ms=1,
                           p999_ms=1, max_ms=1,
                           errors=tuple(ErrorCount(r, n) for r, n in errors))


def inputs(*endpoints: tuple[EndpointSummary, dict[int | None, int]],
           seconds: tuple[Second, ...] = ()) -> FindingInputs:
    evidence = EvidenceRecord(endpoints=tuple(
        EndpointEvidence(s.method, s.name, status) for s, status in endpoints))
    return FindingInputs(evidence, [s for s, _ in endpoints],
                         series=SecondSeries(started_at=T0 + 0.3, seconds=seconds))


def failing(found: list[Finding]) -> dict[str | None, Finding]:
    return {f.endpoint: f for f in found if f.code == "failing-endpoint"}


def test_a_404_endpoint_is_told_to_check_host_and_path() -> None:
    found = failing(find(inputs((summary("/missing", 180, 180, (NOT_FOUND, 180)),
                                 {404: 180}),
                                (summary("/", 200, 0), {200: 200}))))
    assert list(found) == ["GET /missing"]
    f = found["GET /missing"]
    assert f.severity == "error"
    assert "180 of 180 requests (100%) failed (180 × 404)" in f.message
    assert NOT_FOUND in f.message
    assert "check --host and the path" in f.fix
    assert finding_to_json(f)["evidence"]["status"] == {"404": 180}


def test_a_5xx_endpoint_gets_the_server_logs_at_the_failing_times() -> None:
    seconds = tuple(Second(T0 + t, 20, 10 if 3 <= t <= 28 else 0, 0, 5.0, {},
                           {("POST", "/boom"): 10} if 3 <= t <= 28 else {})
                    for t in range(30))
    found = failing(find(inputs((summary("/boom", 300, 260, (BOOM, 260), method="POST"),
                                 {500: 260, 200: 40}), seconds=seconds)))
    f = found["POST /boom"]
    assert "260 × 500" in f.message
    assert "the server fails under this load: see its logs" in f.fix
    assert "between 12:00:03 and 12:00:29 UTC (0:03 to 0:29 into the run)" in f.fix
    assert (f.evidence["first_failure_epoch"], f.evidence["last_failure_epoch"]) == (
        T0 + 3, T0 + 29)
    assert f.evidence["first_failure_s"] == 2.7


def test_a_429_endpoint_is_rate_limited() -> None:
    f = failing(find(inputs((summary("/limited", 100, 70, (LIMITED, 70)),
                             {429: 70, 200: 30}))))["GET /limited"]
    assert f.fix.startswith("rate limited: raise the limit for the test or")
    assert "lower the rate" in f.fix


@pytest.mark.parametrize("reason", [REFUSED, DISCONNECTED])
def test_dropped_connections_say_so(reason: str) -> None:
    found = failing(find(inputs((summary("/", 50, 40, (reason, 40)), {None: 40, 200: 10}))))
    f = found["GET /"]
    assert "40 no response" in f.message and reason in f.message
    assert "the server or a proxy dropped connections" in f.fix


@pytest.mark.parametrize("code", [401, 403])
def test_401_and_403_stay_with_auth_failing(code: int) -> None:
    reason = f"HTTPError('{code} Client Error: x for url: /account')"
    found = find(inputs((summary("/account", 50, 50, (reason, 50)), {code: 50})))
    assert [f.code for f in found] == ["auth-failing"]


def test_below_half_failed_is_no_finding() -> None:
    assert failing(find(inputs((summary("/boom", 100, 49, (BOOM, 49)),
                                {500: 49, 200: 51})))) == {}
    assert failing(find(inputs((summary("/boom", 2, 2, (BOOM, 2)), {500: 2})))) == {}


def test_mixed_failures_get_each_fix_and_script_checks_are_named() -> None:
    check = "CatchResponseError('no total')"
    f = failing(find(inputs((summary("/x", 100, 90, (BOOM, 45), (check, 45)),
                             {500: 45, 200: 55}))))["GET /x"]
    assert "45 × 500, 45 failed by the script's check" in f.message
    assert "the server fails under this load" in f.fix and "catch_response" in f.fix
    assert f.evidence["script_checks"] == 45


def test_without_evidence_the_codes_come_from_the_reasons() -> None:
    f = failing(find(FindingInputs(endpoints=[summary("/missing", 10, 10,
                                                      (NOT_FOUND, 10))])))["GET /missing"]
    assert "10 × 404" in f.message and "check --host" in f.fix


def down(t: int, requests: int = 100) -> Second:
    return Second(T0 + t, requests, requests, requests, 1.0, {REFUSED: requests},
                  {("GET", "/"): requests})


def up(t: int) -> Second:
    return Second(T0 + t, 50, 0, 0, 20.0)


def test_an_outage_reads_as_a_window_with_its_recovery() -> None:
    seconds = tuple([up(t) for t in range(8)] + [down(t, 191) for t in range(8, 18)]
                    + [up(t) for t in range(18, 30)])
    found = find(inputs((summary("/", 3310, 1910, (REFUSED, 1910)), {None: 1910, 200: 1400}),
                        seconds=seconds))
    assert [f.code for f in found] == ["outage"]  # the endpoint failed only in the outage
    (f,) = found
    assert f.severity == "error"
    assert f.message.startswith("the target was down from 0:08 to 0:18 (10 s): 1,910 of "
                                "1,910 requests failed (1,910 connection refused); it "
                                "recovered as soon as it ended")
    assert "between 12:00:08 and 12:00:18 UTC" in f.fix
    evidence = finding_to_json(f)["evidence"]
    assert (evidence["start_s"], evidence["end_s"]) == (7.7, 17.7)
    assert (evidence["start_epoch"], evidence["end_epoch"]) == (T0 + 8, T0 + 18)
    assert evidence["reasons"] == {REFUSED: 1910} and evidence["recovery_s"] == 0


def test_an_outage_that_lasts_to_the_end_says_so() -> None:
    seconds = tuple([up(t) for t in range(5)] + [down(t) for t in range(5, 10)])
    (f,) = [f for f in find(inputs(seconds=seconds)) if f.code == "outage"]
    assert f.message.endswith("it was still down when the run ended")


def test_clock_reads_like_the_charts() -> None:
    assert [clock(s) for s in (0, 8.4, 62, 3723)] == ["0:00", "0:08", "1:02", "1:02:03"]


@pytest.mark.parametrize(("header", "what", "fix"), [
    ("SimpleHTTP/0.6 Python/3.11.2", "Python's http.server", "never load-test python -m"),
    ("BaseHTTP/0.6 Python/3.12.1", "Python's http.server", "never load-test python -m"),
    ("WSGIServer/0.2 CPython/3.11.7", "Django's development server", "project.wsgi"),
    ("WEBrick/1.8.1 (Ruby/3.2.2/2023-03-30)", "WEBrick", "puma"),
    ("Werkzeug/3.1.3 Python/3.11.2", "Flask's development server", "gunicorn"),
])
def test_development_servers_are_known_by_their_server_header(header: str, what: str,
                                                              fix: str) -> None:
    (f,) = find(FindingInputs(EvidenceRecord(servers=("nginx/1.22", header))))
    assert (f.code, f.severity) == ("dev-server", "error")
    assert f"Server: {header}" in f.message and what in f.message
    assert fix in f.fix


@pytest.mark.parametrize("header", ["TornadoServer/6.4", "gunicorn", "uvicorn",
                                    "waitress", "Python/3.11 aiohttp/3.9.5", "nginx",
                                    "Apache/2.4.58 (Debian)", "hypercorn-h11"])
def test_production_servers_are_no_dev_server(header: str) -> None:
    assert find(FindingInputs(EvidenceRecord(servers=(header,)))) == []


def test_an_endpoint_failing_also_in_an_outage_is_judged_outside_it() -> None:
    """/boom always answers 500 and the target is down from 0:08 to 0:18: the endpoint's
    finding counts its 500s only, and its times leave the outage out."""
    def second(t: int) -> Second:
        if 8 <= t < 18:
            return Second(T0 + t, 100, 100, 100, 1.0, {REFUSED: 100},
                          {("GET", "/"): 90, ("GET", "/boom"): 10})
        return Second(T0 + t, 50, 5, 0, 20.0, {}, {("GET", "/boom"): 5})

    seconds = tuple(second(t) for t in range(30))
    found = find(inputs((summary("/", 1900, 900, (REFUSED, 900)), {None: 900, 200: 1000}),
                        (summary("/boom", 200, 200, (BOOM, 100), (REFUSED, 100)),
                         {500: 100, None: 100}), seconds=seconds))
    assert sorted(f.code for f in found) == ["failing-endpoint", "outage"]
    (f,) = failing(found).values()
    assert f.endpoint == "GET /boom"
    assert f.message.startswith("100 of 100 requests (100%) failed outside the outage (100 "
                                "more failed in it) (100 × 500); most often " + BOOM)
    assert "dropped connections" not in f.fix
    assert "between 12:00:00 and 12:00:30 UTC" in f.fix
    assert f.evidence["status"] == {"500": 100} and f.evidence["in_outages"] == 100
