"""The run's details survive the store: typed -> JSON -> typed, and runs stored by older
versions (no "version" key) still read."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from swarmdeck.records import (
    Ending,
    Finding,
    LocustError,
    NameGroup,
    OutageEvidence,
    RunDetails,
    ScriptError,
    StoreOutage,
    ThresholdOutcome,
    WorkerRecord,
)
from swarmdeck.records.codec import (
    DETAILS_VERSION,
    details_from_json,
    details_to_json,
    finding_from_json,
    outage_evidence_of,
    outage_evidence_to_json,
)

FULL = RunDetails(
    ending=Ending.WORKERS_LOST, locust_requests=1200, locust_failures=3,
    warnings=("501 distinct request names: ...",),
    exceptions=(LocustError(2, "KeyError('id')", ("local", "w1")),),
    workers=(WorkerRecord("w1", "eu-west", "gen-1", 1_700_000_000.5, 1_700_000_030.0),
             WorkerRecord("w2", "us-east", "gen-2", 1_700_000_001.0,
                          absent=((1_700_000_010.0, 1_700_000_016.5),),
                          iterations=(500, 498, 2))),
    refused={"w3": "wrong token"},
    name_groups=(NameGroup("GET", "/items/{id}", 41, True, ("/items/1", "/items/7")),
                 NameGroup("POST", "/users/{id}/cart", 1512, False, ("/users/9/cart",))),
    thresholds=(ThresholdOutcome("p95 < 300ms", None, 120.5, "120.5 ms", True),
                ThresholdOutcome("error_rate < 1%", "POST /api/orders", 0.06, "6%", False,
                                 abort=True)),
    findings=(Finding("dev-server", "error", None, "Werkzeug answered",
                      {"servers": ["Werkzeug/3.0"]}, "run it under Gunicorn"),),
)

# What swarmdeck stored before the typed records (no "version", no "ending").
VERSION_1 = {
    "locust_requests": 1200, "locust_failures": 3, "warnings": ["501 distinct request names"],
    "exceptions": [{"count": 2, "msg": "KeyError('id')", "nodes": ["local"]}],
    "evidence": json.loads((Path(__file__).parent / "evidence_v1.json").read_text()),
    "workers": [{"id": "w1", "region": "eu-west", "hostname": "gen-1", "joined_at": 1.5,
                 "lost_at": None}],
    "refused": {},
    "thresholds": [{"expr": "p95 < 300ms", "endpoint": None, "observed": 120.5,
                    "observed_text": "120.5 ms", "passed": True, "abort": False}],
    "findings": [{"code": "no-wait-time", "severity": "warning", "endpoint": None,
                  "message": "m", "evidence": {"wait_s": 0}, "fix": "f"}],
}


def test_round_trip_through_json_text() -> None:
    stored = json.loads(json.dumps(details_to_json(FULL)))
    assert stored["version"] == DETAILS_VERSION
    assert stored["ending"] == "workers_lost"
    assert details_from_json(stored) == FULL
    assert stored["workers"][1]["absent"] == [[1_700_000_010.0, 1_700_000_016.5]]
    assert "absent" not in stored["workers"][0]  # never away: no key, as before
    assert stored["name_groups"][0] == {"method": "GET", "template": "/items/{id}",
                                        "names": 41, "exact": True,
                                        "samples": ["/items/1", "/items/7"]}


def test_details_stored_before_name_groups_read_without_them() -> None:
    stored = details_to_json(FULL)
    del stored["name_groups"]
    assert details_from_json(stored).name_groups == ()
    assert "name_groups" not in details_to_json(RunDetails())  # none: no key


def test_a_version_1_run_reads_and_keeps_its_keys() -> None:
    details = details_from_json(VERSION_1)
    assert details.ending is None
    assert details.locust_requests == 1200 and details.exceptions[0].nodes == ("local",)
    assert details.workers[0].region == "eu-west" and details.workers[0].lost_at is None
    assert details.thresholds[0].observed_text == "120.5 ms"
    assert details.findings[0].code == "no-wait-time"
    again = details_to_json(details)
    assert {k: v for k, v in again.items() if k not in ("version", "ending")} == VERSION_1


def test_a_running_run_has_empty_details() -> None:
    assert details_from_json(None) == RunDetails()
    assert details_from_json({}).gates_failed == []


def test_gates_failed_names_each_failed_threshold() -> None:
    assert FULL.gates_failed == [
        "threshold error_rate < 1% on POST /api/orders failed: observed 6%"]


GROUPS = (ScriptError("JSONDecodeError", "public_pages.py", 31, 34, 1_700_000_001.25,
                      1_700_000_059.5, "Expecting value: line 1 column 1 (char 0)"),
          ScriptError("KeyError", "helpers/cart.py", 12, 2, 1_700_000_010.0,
                      1_700_000_020.0, "'items'"))


def test_script_errors_and_their_log_round_trip() -> None:
    details = replace(FULL, script_errors=GROUPS, script_errors_log="/runs/logs/run-3.log")
    stored = json.loads(json.dumps(details_to_json(details)))
    assert stored["script_errors"][0] == {
        "type": "JSONDecodeError", "file": "public_pages.py", "line": 31, "count": 34,
        "first_at": 1_700_000_001.25, "last_at": 1_700_000_059.5,
        "message": "Expecting value: line 1 column 1 (char 0)"}
    assert details_from_json(stored) == details
    assert details.script_error_count == 36  # more than Locust's 2 in FULL.exceptions


def test_a_version_2_run_with_locusts_exceptions_only_still_reads_and_counts() -> None:
    stored = {**details_to_json(FULL), "version": 2}
    assert "script_errors" not in stored and "script_errors_log" not in stored
    details = details_from_json(stored)
    assert details.script_errors == () and details.script_errors_log is None
    assert details.exceptions == FULL.exceptions
    assert details.script_error_count == 2  # Locust's own count, no groups
    assert details_to_json(details) == {**stored, "version": DETAILS_VERSION}
    assert RunDetails().script_error_count == 0


def test_store_outages_round_trip_and_older_runs_had_none() -> None:
    outages = (StoreOutage(1_700_000_008.0, 1_700_000_030.5, 9, "cannot write intervals of "
                           "run 1 to ...: connection refused"),
               StoreOutage(1_700_000_050.0, None, 3, "server closed the connection"))
    details = replace(FULL, ending=Ending.STORE_AWAY, store_outages=outages)
    stored = json.loads(json.dumps(details_to_json(details)))
    assert stored["version"] == 3
    assert stored["store_outages"][0] == {
        "began_at": 1_700_000_008.0, "ended_at": 1_700_000_030.5, "seconds": 22.5,
        "failed_writes": 9, "reason": outages[0].reason}
    assert stored["store_outages"][1]["seconds"] is None  # still away at the end
    assert details_from_json(stored) == details
    assert "store_outages" not in details_to_json(FULL)  # written only when there were some
    for older in ({**details_to_json(FULL), "version": 2}, VERSION_1):
        assert details_from_json(older).store_outages == ()


# An outage finding's evidence as the verdict has stored it since the finding exists.
OUTAGE_STORED = {"start_s": 7.7, "end_s": 17.7, "start_epoch": 1_700_000_008,
                 "end_epoch": 1_700_000_018, "duration_s": 10, "requests": 1910,
                 "failures": 1910, "outage_failures": 1910, "kinds": {"refused": 1910},
                 "reasons": {"ConnectionRefusedError(111, 'Connection refused')": 1910},
                 "recovery_s": 0, "recovered_at_s": 17.7, "baseline_failure_share": 0.0,
                 "baseline_p50_ms": 20.0}


def test_an_outage_findings_evidence_reads_typed_and_writes_back_the_same() -> None:
    finding = finding_from_json({"code": "outage", "severity": "error", "endpoint": None,
                                 "message": "the target was down", "evidence": OUTAGE_STORED,
                                 "fix": "find what stopped the target"})
    outage = outage_evidence_of(finding)
    assert outage is not None
    assert (outage.start_s, outage.end_s, outage.outage_failures) == (7.7, 17.7, 1910)
    assert outage_evidence_to_json(outage) == OUTAGE_STORED
    partial = replace(finding, evidence={"start_s": 8, "end_s": 18})  # keys missing: defaults
    assert outage_evidence_of(partial) == OutageEvidence(8.0, 18.0, 0, 0)
    assert outage_evidence_of(replace(finding, evidence={})) is None  # no window
    assert outage_evidence_of(replace(finding, code="failing-endpoint")) is None
