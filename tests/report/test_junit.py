"""JUnit XML from a run's report: what a CI shows for a run."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from tests.report.reports import REPORT

from swarmdeck.analysis.summary import ErrorCount
from swarmdeck.records import RunStatus, codec
from swarmdeck.report.junit import junit_xml


def parse(xml: str) -> ET.Element:
    root = ET.fromstring(xml.encode())
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    return suite


def test_one_case_per_threshold_and_per_failing_endpoint() -> None:
    suite = parse(junit_xml(REPORT))
    assert suite.get("name") == "swarmdeck run 17"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "2", "0")
    assert suite.get("timestamp") == "2024-05-01T12:00:00"
    assert suite.get("time") == "60.250"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"p95 < 300ms [all endpoints]",
                          "error_rate < 1% [POST /api/orders <&>]", "POST /api/orders <&>"}
    assert cases["p95 < 300ms [all endpoints]"].find("failure") is None
    failure = cases["error_rate < 1% [POST /api/orders <&>]"].find("failure")
    assert failure is not None
    assert failure.get("message") == ("threshold error_rate < 1% on POST /api/orders <&> "
                                      "failed: observed 6%")
    endpoint_failure = cases["POST /api/orders <&>"].find("failure")
    assert endpoint_failure is not None
    assert endpoint_failure.get("message") == ("12 of 200 requests to POST /api/orders <&> "
                                               "failed (6.00%)")
    assert "9x HTTP 409: cart is empty" in (endpoint_failure.text or "")
    assert "3x HTTP 500" in (endpoint_failure.text or "")


def test_budget_failures_become_failing_cases() -> None:
    run = {"started_at": "2024-05-01T12:00:00+00:00", "host": "http://127.0.0.1:8000",
           "tags": {}}
    compared: dict[str, Any] = {"base": {"run_id": 3, "ref": "3", **run},
                                "candidate": {"run_id": 17, "ref": "17", **run},
                                "metric": "p95", "confidence": 0.95, "min_change": 0.1,
                                "rows": [], "budgets": ["p95=+10%"],
                                "budget_failures": ["GET /api/products p95 +25.0% > +10%"],
                                "passed": False}
    report = dataclasses.replace(REPORT, comparison=codec.comparison_from_json(compared))
    suite = parse(junit_xml(report))
    names = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert "GET /api/products p95 +25.0% > +10%" in names
    report = dataclasses.replace(REPORT, comparison=codec.comparison_from_json(
        {**compared, "budget_failures": []}))
    suite = parse(junit_xml(report))
    assert "regression budgets p95=+10% vs run 3" in [c.get("name") for c in suite.iter("testcase")]


@pytest.mark.parametrize(("status", "failures"), [("passed", "0"), ("crashed", "1")])
def test_a_run_without_gates_still_has_one_case(status: str, failures: str) -> None:
    report = dataclasses.replace(
        REPORT, status=RunStatus(status), thresholds=(), message="target went away",
        endpoints=tuple(dataclasses.replace(e, failures=0) for e in REPORT.endpoints))
    suite = parse(junit_xml(report))
    assert suite.get("tests") == "1" and suite.get("failures") == failures


def test_control_characters_and_unicode_stay_well_formed() -> None:
    orders = dataclasses.replace(REPORT.endpoints[1], errors=(
        ErrorCount("\x1b[31mbad\x00 \"quote\" ünïcode ]]>", 1),))
    report = dataclasses.replace(REPORT, endpoints=(REPORT.endpoints[0], orders))
    failure = parse(junit_xml(report)).find(".//testcase[@name='POST /api/orders <&>']/failure")
    assert failure is not None
    assert "1x \ufffd[31mbad\ufffd \"quote\" ünïcode ]]>" in (failure.text or "")
