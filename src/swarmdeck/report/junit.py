"""JUnit XML for CI (GitLab, Jenkins, GitHub test reporters): a test case per threshold,
per endpoint that had failures, and per regression budget broken, from the JSON summary
(`RunReport.to_json()`), so any past run can be re-rendered. Pure: text in, text out."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from swarmdeck.records.codec import comparison_from_json
from swarmdeck.records.comparison import Comparison

TOP_ERRORS = 5
# characters XML 1.0 cannot hold (an error reason may carry ANSI escapes or NULs)
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID.sub("\ufffd", text)


def _case(suite: ET.Element, classname: str, name: str, time_s: float,
          failure: tuple[str, str] | None = None) -> None:
    case = ET.SubElement(suite, "testcase", classname=classname, name=_clean(name),
                         time=f"{time_s:.3f}")
    if failure is not None:
        message, text = failure
        element = ET.SubElement(case, "failure", message=_clean(message), type="AssertionError")
        element.text = _clean(text)


def _threshold_cases(suite: ET.Element, summary: dict[str, Any], time_s: float) -> None:
    for t in summary.get("thresholds") or []:
        scope = t.get("endpoint") or "all endpoints"
        name = f"{t.get('expr')} [{scope}]"
        failure = None
        if not t.get("passed"):
            message = f"threshold {t.get('expr')} on {scope} failed: observed {t.get('observed_text')}"
            failure = (message, message + (" (abort=true)" if t.get("abort") else ""))
        _case(suite, "swarmdeck.thresholds", name, time_s, failure)


def _endpoint_cases(suite: ET.Element, summary: dict[str, Any], time_s: float) -> None:
    for e in summary.get("endpoints") or []:
        failures = int(e.get("failures") or 0)
        if not failures:
            continue
        requests = int(e.get("requests") or 0)
        name = f"{e.get('method', '')} {e.get('name', '')}".strip()
        share = failures / requests * 100 if requests else 100.0
        message = f"{failures} of {requests} requests to {name} failed ({share:.2f}%)"
        reasons = [f"{x.get('count')}x {x.get('reason')}" for x in
                   (e.get("errors") or [])[:TOP_ERRORS]]
        _case(suite, "swarmdeck.endpoints", name, time_s,
              (message, "\n".join([message, *reasons])))


def _budget_cases(suite: ET.Element, comparison: Comparison | None, time_s: float) -> None:
    if comparison is None:
        return
    for text in comparison.budget_failures:
        _case(suite, "swarmdeck.comparison", text, time_s, (text, text))
    if not comparison.budget_failures and comparison.budgets:
        base = comparison.base.run_id if comparison.base else None
        _case(suite, "swarmdeck.comparison",
              f"regression budgets {', '.join(comparison.budgets)} vs run {base}", time_s)


def junit_xml(summary: dict[str, Any]) -> str:
    """The JUnit XML document (a ``testsuites`` root holding one ``testsuite``)."""
    run_id = summary.get("run_id")
    time_s = float(summary.get("duration_s") or 0.0)
    started = str(summary.get("started_at") or "")
    try:
        timestamp = datetime.fromisoformat(started).replace(tzinfo=None).isoformat(
            timespec="seconds")
    except ValueError:
        timestamp = started
    suite = ET.Element("testsuite", name=f"swarmdeck run {run_id}", timestamp=timestamp,
                       hostname=str(summary.get("host") or ""), time=f"{time_s:.3f}")
    properties = ET.SubElement(suite, "properties")
    for key in ("run_id", "status", "host", "locustfile"):
        ET.SubElement(properties, "property", name=key, value=str(summary.get(key)))
    _threshold_cases(suite, summary, time_s)
    _endpoint_cases(suite, summary, time_s)
    _budget_cases(suite, comparison_from_json(summary["comparison"])
                  if summary.get("comparison") else None, time_s)
    cases = suite.findall("testcase")
    if not cases:  # a suite without cases reads as "no tests" in some CIs: say the run ran
        status = summary.get("status")
        _case(suite, "swarmdeck.run", f"run {run_id}", time_s,
              None if status in ("passed", "degraded") else
              (f"run {run_id} {status}: {summary.get('message') or ''}".strip(),
               str(summary.get("message") or status)))
        cases = suite.findall("testcase")
    failures = sum(1 for c in cases if c.find("failure") is not None)
    for element in (suite,):
        element.set("tests", str(len(cases)))
        element.set("failures", str(failures))
        element.set("errors", "0")
        element.set("skipped", "0")
    root = ET.Element("testsuites", name="swarmdeck", tests=str(len(cases)),
                      failures=str(failures), errors="0", time=f"{time_s:.3f}")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
