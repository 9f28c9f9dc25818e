"""Findings of a stored run: read from its stored evidence (in the form runs have always
stored it), and stored back with its verdict."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from swarmdeck.metrics import EndpointInterval, LatencyHistogram
from swarmdeck.plan import resolve
from swarmdeck.records import RunStatus
from swarmdeck.records.codec import details_from_json
from swarmdeck.records.verdict import Finding
from swarmdeck.store import RunMeta, Store
from swarmdeck.verdict import judge
from swarmdeck.verdict.findings import find_for_run, series_step

T0 = 1_714_564_800  # 2024-05-01T12:00:00Z
EVIDENCE = Path(__file__).parent.parent / "records" / "evidence_v1.json"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as opened:
        yield opened


def stored_run(store: Store, details: dict[str, Any] | None) -> int:
    meta = RunMeta(host="http://127.0.0.1:1", locustfile="l.py", locustfile_sha256="0" * 64,
                   plan={}, tags={}, users=1, spawn_rate=1.0, run_time_s=10.0, shape=None,
                   swarmdeck_version="t", locust_version="t", python_version="t",
                   git_commit=None, started_at=datetime.fromtimestamp(T0, UTC),
                   pid=1, hostname="test")
    run_id = store.create_run(meta)
    histogram = LatencyHistogram()
    histogram.record(20_000, 10)
    store.add_intervals(run_id, [
        EndpointInterval(start=T0 + s, method="POST", name="/login", requests=10, failures=0,
                         histogram=histogram) for s in range(10)])
    store.finish_run(run_id, RunStatus.PASSED, meta.started_at + timedelta(seconds=10),
                     details=details_from_json(details))  # as stored by older versions
    return run_id


def test_findings_come_from_the_stored_evidence(store: Store) -> None:
    evidence = json.loads(EVIDENCE.read_text())
    run_id = stored_run(store, {"warnings": [], "evidence": evidence})
    found = find_for_run(store, store.get_run(run_id))
    assert all(isinstance(f, Finding) for f in found)
    csrf = next(f for f in found if f.code == "csrf-missing")
    assert (csrf.endpoint, csrf.severity, csrf.evidence["csrf_400"]) == ("POST /login",
                                                                         "error", 7)


def test_the_stored_script_errors_give_their_finding(store: Store) -> None:
    run_id = stored_run(store, {"script_errors": [
        {"type": "KeyError", "file": "l.py", "line": 12, "count": 3, "first_at": T0 + 1.0,
         "last_at": T0 + 5.0, "message": "'id'"}]})
    (finding,) = [f for f in find_for_run(store, store.get_run(run_id))
                  if f.code == "script-error"]
    assert "KeyError raised 3 times at l.py:12" in finding.message


def test_a_run_without_evidence_has_none_of_its_findings(store: Store) -> None:
    run_id = stored_run(store, {"warnings": []})  # runs stored before the evidence
    assert find_for_run(store, store.get_run(run_id)) == []


def test_the_verdict_stores_the_findings_with_the_run(store: Store, tmp_path: Path) -> None:
    run_id = stored_run(store, {"warnings": [], "evidence": json.loads(EVIDENCE.read_text())})
    verdict = judge(store, run_id, resolve({}, {}, tmp_path))
    stored = store.get_run(run_id).details.findings
    assert list(stored) == find_for_run(store, store.get_run(run_id))
    assert verdict.findings == stored


REFUSED = "ConnectionRefusedError(111, 'Connection refused')"
BOOM = "HTTPError('500 Server Error: INTERNAL SERVER ERROR for url: /boom')"


def test_outages_and_failing_endpoints_come_from_the_stored_seconds(store: Store) -> None:
    """A target down from 0:08 to 0:18 of a 30-s run, and an endpoint failing from 0:03 to
    0:25: read back from the store, each second's totals and reasons find both."""
    meta = RunMeta(host="http://127.0.0.1:1", locustfile="l.py", locustfile_sha256="0" * 64,
                   plan={}, tags={}, users=1, spawn_rate=1.0, run_time_s=30.0, shape=None,
                   swarmdeck_version="t", locust_version="t", python_version="t",
                   git_commit=None, started_at=datetime.fromtimestamp(T0, UTC),
                   pid=1, hostname="test")
    run_id = store.create_run(meta)
    fast, slow = LatencyHistogram(), LatencyHistogram()
    fast.record(1_000, 20)
    slow.record(20_000, 20)
    intervals = []
    for s in range(30):
        down = 8 <= s < 18
        intervals.append(EndpointInterval(
            start=T0 + s, method="GET", name="/", requests=20, failures=20 if down else 0,
            histogram=fast if down else slow, errors=Counter({REFUSED: 20} if down else {})))
        if not down:
            fails = 3 <= s < 25
            intervals.append(EndpointInterval(
                start=T0 + s, method="POST", name="/boom", requests=2,
                failures=2 if fails else 0, histogram=slow,
                errors=Counter({BOOM: 2} if fails else {})))
    store.add_intervals(run_id, intervals)
    store.finish_run(run_id, RunStatus.PASSED, meta.started_at + timedelta(seconds=30),
                     details=details_from_json({"warnings": []}))
    found = {f.code: f for f in find_for_run(store, store.get_run(run_id))}
    assert set(found) == {"outage", "failing-endpoint"}
    outage = found["outage"]
    assert (outage.evidence["start_s"], outage.evidence["end_s"]) == (8, 18)
    assert outage.evidence["outage_failures"] == 200 and outage.evidence["recovery_s"] == 0
    assert outage.message.startswith("the target was down from 0:08 to 0:18 (10 s)")
    boom = found["failing-endpoint"]
    assert boom.endpoint == "POST /boom"
    assert "between 12:00:03 and 12:00:25 UTC (0:03 to 0:25 into the run)" in boom.fix


@pytest.mark.parametrize(("interval_s", "duration_s", "step"), [
    (1, 30, 1), (1, 7200, 1), (1, 7201, 10), (5, 3600, 5), (1, 72_000, 10),
    (1, 86_400, 60), (1, 10 * 86_400, 120), (30, 7 * 86_400, 120)])
def test_long_runs_are_read_in_coarser_steps(interval_s: int, duration_s: float,
                                             step: int) -> None:
    assert series_step(interval_s, duration_s) == step
