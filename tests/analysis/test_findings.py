"""Each finding's heuristic on synthetic inputs, on both sides of its thresholds."""

from __future__ import annotations

import pytest

from swarmdeck.analysis import findings as F
from swarmdeck.analysis.findings import FindingInputs, find, normalise_name
from swarmdeck.analysis.knee import Step
from swarmdeck.analysis.summary import EndpointSummary
from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.records import NameGroup
from swarmdeck.records.codec import finding_to_json
from swarmdeck.records.evidence import (
    CpuSample,
    CpuSeries,
    EndpointEvidence,
    EvidenceRecord,
    UserClassEvidence,
)


def endpoint(method: str, name: str, status: dict[int | None, int], *, csrf_400: int = 0,
             csrf_sample: str | None = None, login_redirects: int = 0) -> EndpointEvidence:
    return EndpointEvidence(method, name, status, csrf_400=csrf_400, csrf_sample=csrf_sample,
                            login_redirects=login_redirects)


def summary(method: str, name: str, requests: int = 10) -> EndpointSummary:
    return EndpointSummary(name=name, method=method, requests=requests, failures=0, rps=1.0,
                           avg_ms=1, p50_ms=1, p90_ms=1, p95_ms=1, p99_ms=1, p999_ms=1,
                           max_ms=1)


def codes(inputs: FindingInputs) -> list[tuple[str, str, str | None]]:
    return [(f.code, f.severity, f.endpoint) for f in find(inputs)]


def test_werkzeug_server_header_is_a_dev_server_error() -> None:
    found = find(FindingInputs(EvidenceRecord(servers=("Werkzeug/3.1.3 Python/3.11.2",))))
    assert [(f.code, f.severity) for f in found] == [("dev-server", "error")]
    assert "Werkzeug/3.1.3" in found[0].message
    assert "gunicorn" in found[0].fix
    assert finding_to_json(found[0])["evidence"]["servers"] == ["Werkzeug/3.1.3 Python/3.11.2"]


def test_debugger_page_alone_is_a_dev_server_error() -> None:
    found = find(FindingInputs(EvidenceRecord(servers=("nginx",), debugger_pages=2,
                                              debugger_endpoint="GET /boom")))
    assert [f.code for f in found] == ["dev-server"]
    assert "GET /boom" in found[0].message


def test_gunicorn_is_no_dev_server() -> None:
    assert find(FindingInputs(EvidenceRecord(servers=("gunicorn", "nginx/1.22")))) == []


@pytest.mark.parametrize(("csrf", "total", "expected"), [
    (3, 100, True), (2, 100, False), (1, 1, True), (1, 3, False), (0, 10, False)])
def test_csrf_missing_threshold(csrf: int, total: int, expected: bool) -> None:
    ev = EvidenceRecord(endpoints=(endpoint("POST", "/login", {400: csrf, 200: total - csrf},
                                            csrf_400=csrf,
                                            csrf_sample="The CSRF token is missing."),))
    found = [f for f in find(FindingInputs(ev)) if f.code == "csrf-missing"]
    assert bool(found) is expected
    if expected:
        assert found[0].endpoint == "POST /login" and found[0].severity == "error"
        assert "The CSRF token is missing." in found[0].message
        assert "csrf_token" in found[0].fix


@pytest.mark.parametrize(("s401", "s403", "redirects", "total", "expected"), [
    (5, 0, 0, 25, True),     # 20%, 5: exactly at both thresholds
    (4, 0, 0, 10, False),    # too few
    (3, 2, 0, 10, True),     # 401 and 403 add up
    (0, 0, 6, 20, True),     # login redirects (200 after a redirect)
    (5, 0, 0, 26, False),    # 19%: below the share
])
def test_auth_failing_threshold(s401: int, s403: int, redirects: int, total: int,
                                expected: bool) -> None:
    status: dict[int | None, int] = {200: total - s401 - s403, 401: s401, 403: s403}
    ev = EvidenceRecord(endpoints=(endpoint("GET", "/reports", status,
                                            login_redirects=redirects),))
    found = [f for f in find(FindingInputs(ev)) if f.code == "auth-failing"]
    assert bool(found) is expected
    if expected:
        assert found[0].endpoint == "GET /reports"
        assert found[0].evidence["status_401"] == s401


def test_names_are_normalised_over_ids() -> None:
    assert normalise_name("/api/products/123") == "/api/products/{n}"
    assert normalise_name("/o/3f2a1b4c-1111-2222-3333-444455556666/x") == "/o/{uuid}/x"
    assert normalise_name("/blob/deadbeef01") == "/blob/{hex}"
    assert normalise_name("/t/AbCdEfGhIjKlMn12") == "/t/{token}"
    assert normalise_name("/products?page=2&q=a") == "/products?page={n}&q=a"
    assert normalise_name("/api/health") == "/api/health"


@pytest.mark.parametrize(("count", "expected"), [(10, True), (9, False)])
def test_name_explosion_threshold(count: int, expected: bool) -> None:
    endpoints = [summary("GET", f"/api/products/{100 + i}") for i in range(count)]
    found = [f for f in find(FindingInputs(EvidenceRecord(), endpoints))
             if f.code == "name-explosion"]
    assert bool(found) is expected
    if expected:
        assert found[0].endpoint == "GET /api/products/{n}"
        assert found[0].evidence["names"] == count
        assert 'name="/api/products/[id]"' in found[0].fix


@pytest.mark.parametrize(("names", "expected"), [(10, True), (9, False)])
def test_a_template_that_absorbed_many_names_is_a_name_explosion(names: int,
                                                                 expected: bool) -> None:
    """Grouped automatically, the names are one endpoint; the finding still asks for name=
    and shows the template and how many names it absorbed."""
    group = NameGroup("GET", "/api/products/{id}", names, True,
                      ("/api/products/17", "/api/products/342", "/api/products/5"))
    inputs = FindingInputs(endpoints=[summary("GET", "/api/products/{id}", 900),
                                      summary("GET", "/blog")], name_groups=[group])
    found = [f for f in find(inputs) if f.code == "name-explosion"]
    assert bool(found) is expected
    if expected:
        (finding,) = found
        assert (finding.severity, finding.endpoint) == ("warning", "GET /api/products/{id}")
        assert finding.evidence["pattern"] == "/api/products/{id}"
        assert finding.evidence["names"] == names and finding.evidence["requests"] == 900
        assert f"{names} distinct request names" in finding.message
        assert "grouped them as /api/products/{id}" in finding.message
        assert 'name="/api/products/[id]"' in finding.fix
        assert 'self.client.get(f"/api/products/17"' in finding.fix


def test_an_estimated_count_and_a_query_template_read_as_such() -> None:
    group = NameGroup("GET", "/search?page={}&q={}", 2400, False, ("/search?q=a&page=1",))
    (finding,) = find(FindingInputs(name_groups=[group]))
    assert "about 2,400 distinct request names" in finding.message
    assert 'name="/search?page=[page]&q=[q]"' in finding.fix


def test_names_folded_into_other_is_a_name_explosion() -> None:
    found = find(FindingInputs(endpoints=[summary("GET", "(other)", 500), summary("GET", "/")],
                               warnings=["600 distinct request names: ... '(other)'"]))
    assert [(f.code, f.endpoint) for f in found] == [("name-explosion", None)]
    assert found[0].evidence["folded_requests"] == 500


def classes(**waits: list[float]) -> dict[str, UserClassEvidence]:
    return {name: UserClassEvidence(weight=3 if name == "Busy" else 1, fixed_count=0,
                                    wait_s=tuple(w), wait="none" if max(w) == 0 else "varies")
            for name, w in waits.items()}


def with_classes(**waits: list[float]) -> FindingInputs:
    return FindingInputs(EvidenceRecord(user_classes=classes(**waits)))


def test_no_wait_time_names_the_class_and_its_share() -> None:
    found = find(with_classes(Busy=[0.0] * 5, Calm=[1.2, 2.5, 1.1, 2.9, 1.7]))
    assert [(f.code, f.severity) for f in found] == [("no-wait-time", "warning")]
    assert found[0].evidence["user_class"] == "Busy"
    assert found[0].evidence["weight_share"] == 0.75
    assert "75% of the users" in found[0].message


def test_small_but_real_wait_is_not_no_wait_time() -> None:
    assert find(with_classes(Pacer=[0.01] * 5)) == []
    assert [f.code for f in find(with_classes(Pacer=[0.009] * 5))] == [
        "no-wait-time"]


def test_unknown_wait_time_is_not_reported() -> None:
    ev = EvidenceRecord(user_classes={"Odd": UserClassEvidence(
        weight=1, fixed_count=0, wait_s=(), wait="unknown", error="AttributeError: x")})
    assert find(FindingInputs(ev)) == []


def cpu(*values: float) -> dict[str, CpuSeries]:
    """CPU samples without a busy %, as runs stored before it was measured have them."""
    return {"local": CpuSeries("local", tuple(CpuSample(5.0 * (i + 1), v)
                                              for i, v in enumerate(values)))}


@pytest.mark.parametrize(("values", "expected"), [
    ((95, 97, 99, 98), "error"),
    ((95, 97, 40, 30), "error"),           # 50%, 2 samples
    ((95, 40, 30, 20), "warning"),         # 25%
    ((95, 40, 30, 20, 10, 10), None),      # 17%
    ((89.9, 89.9, 89.9), None),
])
def test_generator_saturated_threshold(values: tuple[float, ...], expected: str | None) -> None:
    found = [f for f in find(FindingInputs(EvidenceRecord(cpu=cpu(*values))))
             if f.code == "generator-saturated"]
    assert (found[0].severity if found else None) == expected
    if found:
        assert found[0].evidence["process"] == "local"


def hist(ms: float, n: int) -> LatencyHistogram:
    h = LatencyHistogram()
    h.record(int(ms * 1000), n)
    return h


def steps(levels: list[tuple[int, int, float]], per_level: int = 4) -> list[Step]:
    """(users, requests per second, latency ms) per level, ``per_level`` seconds each."""
    out = []
    t = 1000
    for users, rps, ms in levels:
        for _ in range(per_level):
            out.append(Step(start=t, seconds=1, users=users, requests=rps,
                            histogram=hist(ms, rps)))
            t += 1
    return out


def test_knee_where_rps_flattens_and_latency_rises() -> None:
    run = steps([(2, 20, 10), (4, 40, 10), (8, 44, 60), (12, 45, 120), (2, 20, 10)])
    found = find(FindingInputs(steps=run))
    assert [(f.code, f.severity) for f in found] == [("saturation", "info")]
    ev = found[0].evidence
    assert (ev["knee_users"], ev["knee_rps"]) == (4, 40)
    assert ev["after_users"] == 8 and ev["p95_before_ms"] == pytest.approx(10, rel=0.01)
    assert ev["p95_after_ms"] == pytest.approx(60, rel=0.01)
    assert "4 users" in found[0].message and "40.0 req/s" in found[0].message


def test_no_knee_while_rps_scales_with_users() -> None:
    run = steps([(2, 20, 10), (4, 39, 11), (8, 77, 12), (12, 118, 14)])
    assert find(FindingInputs(steps=run)) == []


def test_flat_rps_without_latency_rise_is_no_knee() -> None:
    """Users with a fixed pace: flat rps, same latency (e.g. a closed target), no knee."""
    run = steps([(2, 20, 10), (4, 21, 11), (8, 21, 11)])
    assert find(FindingInputs(steps=run)) == []


def test_collapse_past_the_knee_is_a_warning() -> None:
    run = steps([(2, 20, 10), (4, 40, 10), (8, 25, 200)])
    (found,) = find(FindingInputs(steps=run))
    assert (found.code, found.severity) == ("saturation", "warning")


def test_a_linear_ramp_is_bucketed() -> None:
    run = [Step(start=1000 + i, seconds=1, users=i + 1,
                requests=min(10 * (i + 1), 60), histogram=hist(10 if i < 6 else 80, 60))
           for i in range(12)]
    (found,) = find(FindingInputs(steps=run))
    assert found.code == "saturation"
    assert 4 <= found.evidence["knee_users"] <= 7


def test_constant_users_give_no_knee() -> None:
    assert find(FindingInputs(steps=steps([(10, 50, 10)] * 3))) == []


def test_errors_come_first() -> None:
    ev = EvidenceRecord(cpu=cpu(95, 40, 30, 20), user_classes=classes(Busy=[0.0] * 5),
                        servers=("Werkzeug/3.1",), endpoints=(endpoint("GET", "/x", {401: 9}),))
    severities = [f.severity for f in find(FindingInputs(ev))]
    assert severities == sorted(severities, key=F.SEVERITIES.index)
    assert severities[:2] == ["error", "error"]
    for f in find(FindingInputs(ev)):
        assert set(finding_to_json(f)) == {"code", "severity", "endpoint", "message", "evidence",
                                    "fix"}


def test_a_generator_starved_of_cpu_is_saturated_too() -> None:
    """Half a core used, the rest of the time waiting for one: as saturated as 100%."""
    ev = EvidenceRecord(cpu={"local": CpuSeries("local", (
        CpuSample(5.0, 50.0, 98.0), CpuSample(10.0, 52.0, 97.0), CpuSample(15.0, 20.0, 30.0)))})
    (found,) = find(FindingInputs(ev))
    assert (found.code, found.severity) == ("generator-saturated", "error")
    assert "waiting for a CPU" in found.message
    calm = EvidenceRecord(cpu={"local": CpuSeries("local", (CpuSample(5.0, 50.0, 60.0),) * 3)})
    assert find(FindingInputs(calm)) == []
