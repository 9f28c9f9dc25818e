"""JUnit XML for CI (GitLab, Jenkins, GitHub test reporters): a test case per threshold,
per endpoint that had failures, per group of script errors and per regression budget
broken, from the run's ``RunReport``, so any past run can be re-rendered. Pure: report in,
text out."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET  # nosec B405  # builds XML, parses none

from swarmdeck.labels import endpoint_label
from swarmdeck.records import RunStatus
from swarmdeck.records.comparison import Comparison
from swarmdeck.report.model import RunReport, json_seconds

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


def _threshold_cases(suite: ET.Element, report: RunReport, time_s: float) -> None:
    for t in report.thresholds:
        scope = t.endpoint or "all endpoints"
        failure = None
        if not t.passed:
            message = f"threshold {t.expr} on {scope} failed: observed {t.observed_text}"
            failure = (message, message + (" (abort=true)" if t.abort else ""))
        _case(suite, "swarmdeck.thresholds", f"{t.expr} [{scope}]", time_s, failure)


def _endpoint_cases(suite: ET.Element, report: RunReport, time_s: float) -> None:
    for e in report.endpoints:
        if not e.failures:
            continue
        name = endpoint_label(e.method, e.name)
        share = e.failures / e.requests * 100 if e.requests else 100.0
        message = f"{e.failures} of {e.requests} requests to {name} failed ({share:.2f}%)"
        reasons = [f"{x.count}x {x.reason}" for x in e.errors[:TOP_ERRORS]]
        _case(suite, "swarmdeck.endpoints", name, time_s,
              (message, "\n".join([message, *reasons])))


def _script_error_cases(suite: ET.Element, report: RunReport, time_s: float) -> None:
    """A failing case per group of script errors (exceptions in tasks)."""
    for e in report.script_errors:
        message = f"{e.count} script errors: {e.type} at {e.where}: {e.message}"
        _case(suite, "swarmdeck.script_errors", f"{e.type} at {e.where}", time_s,
              (message, "\n".join([message] + ([f"tracebacks: {report.script_errors_log}"]
                                                if report.script_errors_log else []))))
    ungrouped = report.script_error_count - sum(e.count for e in report.script_errors)
    if ungrouped > 0:
        message = f"{ungrouped} script errors (counted by Locust, not grouped)"
        _case(suite, "swarmdeck.script_errors", "script errors", time_s, (message, message))


def _budget_cases(suite: ET.Element, comparison: Comparison | None, time_s: float) -> None:
    if comparison is None:
        return
    for text in comparison.budget_failures:
        _case(suite, "swarmdeck.comparison", text, time_s, (text, text))
    if not comparison.budget_failures and comparison.budgets:
        base = comparison.base.run_id if comparison.base else None
        _case(suite, "swarmdeck.comparison",
              f"regression budgets {', '.join(comparison.budgets)} vs run {base}", time_s)


def junit_xml(report: RunReport) -> str:
    """The JUnit XML document (a ``testsuites`` root holding one ``testsuite``)."""
    run_id, status = report.run_id, report.status
    time_s = json_seconds(report.duration_s)  # as the JSON summary gives it
    timestamp = report.started_at.replace(tzinfo=None).isoformat(timespec="seconds")
    suite = ET.Element("testsuite", name=f"swarmdeck run {run_id}", timestamp=timestamp,
                       hostname=report.host, time=f"{time_s:.3f}")
    properties = ET.SubElement(suite, "properties")
    for key, value in (("run_id", run_id), ("status", status.value), ("host", report.host),
                       ("locustfile", report.locustfile)):
        ET.SubElement(properties, "property", name=key, value=str(value))
    _threshold_cases(suite, report, time_s)
    _endpoint_cases(suite, report, time_s)
    _script_error_cases(suite, report, time_s)
    _budget_cases(suite, report.comparison, time_s)
    cases = suite.findall("testcase")
    if not cases:  # a suite without cases reads as "no tests" in some CIs: say the run ran
        _case(suite, "swarmdeck.run", f"run {run_id}", time_s,
              None if status in (RunStatus.PASSED, RunStatus.DEGRADED) else
              (f"run {run_id} {status.value}: {report.message or ''}".strip(),
               report.message or status.value))
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
