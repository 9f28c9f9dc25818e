"""Script errors in every output: the live view's one line, the terminal summary's table and
log path, the JSON summary's ``script_errors``, the Markdown, the JUnit cases and the run
document, all from the stored run."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from tests.report.reports import row
from tests.report.runs import make_run

from swarmdeck.analysis.summary import TOTAL_NAME, LiveStats
from swarmdeck.report.document import run_document
from swarmdeck.report.junit import junit_xml
from swarmdeck.report.live import render
from swarmdeck.report.markdown import markdown_summary
from swarmdeck.report.model import RunReport, load_report
from swarmdeck.report.terminal import summary
from swarmdeck.store import Store

LOG = "/srv/runs/logs/run-1-script-errors.log"
GROUPS = [
    {"type": "JSONDecodeError", "file": "public_pages.py", "line": 31, "count": 34,
     "first_at": 1714564801.25, "last_at": 1714564859.5,
     "message": "Expecting value: line 1 column 1 (char 0)"},
    {"type": "KeyError", "file": "pages/[id].py", "line": 7, "count": 2,
     "first_at": 1714564810.0, "last_at": 1714564820.0, "message": "'[bold]items[/bold]'"},
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as opened:
        yield opened


def _report(store: Store, **details: Any) -> tuple[int, RunReport]:
    run_id = make_run(store, seconds=20, details={"locust_requests": 10, **details})
    return run_id, load_report(store, run_id)


def _text(report: RunReport, width: int = 160) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(summary(report, console.width))
    return console.export_text()


def test_the_json_summary_has_the_count_the_groups_and_the_log(store: Store) -> None:
    _, report = _report(store, script_errors=GROUPS, script_errors_log=LOG,
                        exceptions=[{"count": 36, "msg": "m", "nodes": ["local"]}])
    assert report.to_json()["script_errors"] == {"count": 36, "groups": GROUPS, "log": LOG}


def test_the_terminal_summary_lists_each_group_and_the_log_verbatim(store: Store) -> None:
    _, report = _report(store, script_errors=GROUPS, script_errors_log=LOG)
    for width in (160, 80):
        text = _text(report, width)
        assert "Script errors: 36" in text
        lines = text.splitlines()
        assert any("34" in line and "JSONDecodeError" in line and "public_pages.py:31" in line
                   for line in lines), text
        assert "Expecting value" in text
    text = _text(report)
    assert "'[bold]items[/bold]'" in text  # user text is never read as markup
    assert "pages/[id].py:7" in text
    assert f"Tracebacks: {LOG}" in text


def test_nothing_is_shown_without_script_errors(store: Store) -> None:
    _, report = _report(store)
    assert report.to_json()["script_errors"] == {"count": 0, "groups": [], "log": None}
    assert "Script errors" not in _text(report)
    assert "Script errors" not in markdown_summary(report)
    assert "script_errors" not in junit_xml(report)


def test_a_run_stored_before_the_groups_shows_locusts_count(store: Store) -> None:
    _, report = _report(store, exceptions=[{"count": 5, "msg": "boom", "nodes": ["local"]}])
    assert report.to_json()["script_errors"] == {"count": 5, "groups": [], "log": None}
    text = _text(report)
    assert "Script errors: 5" in text and "5 counted by Locust without their type" in text
    suite = ET.fromstring(junit_xml(report).encode()).find("testsuite")
    assert suite is not None
    case = next(c for c in suite.iter("testcase")
                if c.get("classname") == "swarmdeck.script_errors")
    assert case.find("failure") is not None


def test_markdown_has_a_table_of_the_groups(store: Store) -> None:
    _, report = _report(store, script_errors=GROUPS, script_errors_log=LOG)
    text = markdown_summary(report)
    assert "**Script errors**: 36 (exceptions in tasks)" in text
    assert ("| 34 | JSONDecodeError | public_pages.py:31 | "
            "Expecting value: line 1 column 1 (char 0) |") in text


def test_junit_has_a_failing_case_per_group(store: Store) -> None:
    _, report = _report(store, script_errors=GROUPS, script_errors_log=LOG)
    suite = ET.fromstring(junit_xml(report).encode()).find("testsuite")
    assert suite is not None
    cases = [c for c in suite.iter("testcase") if c.get("classname") == "swarmdeck.script_errors"]
    assert [c.get("name") for c in cases] == ["JSONDecodeError at public_pages.py:31",
                                              "KeyError at pages/[id].py:7"]
    failure = cases[0].find("failure")
    assert failure is not None
    assert failure.get("message") == ("34 script errors: JSONDecodeError at public_pages.py:31: "
                                      "Expecting value: line 1 column 1 (char 0)")
    assert LOG in (failure.text or "")
    assert int(suite.get("failures", "0")) >= 2


def test_the_run_document_carries_the_json_summarys_script_errors(store: Store) -> None:
    run_id, report = _report(store, script_errors=GROUPS, script_errors_log=LOG)
    assert run_document(store, run_id)["script_errors"] == report.to_json()["script_errors"]


def test_the_live_view_has_one_line_for_them() -> None:
    from swarmdeck.records import ScriptError

    window = row("", TOTAL_NAME, 100)
    groups = (ScriptError("JSONDecodeError", "public_pages.py", 31, 34, 1.0, 2.0, "m"),
              ScriptError("KeyError", "x.py", 2, 1, 1.0, 1.0, "[red]k"))
    console = Console(width=160, record=True, color_system=None)
    console.print(render(LiveStats(100, 0, 10, window, [window], script_errors=groups), 5,
                         3.0, 10.0, 1, "http://127.0.0.1", []))
    text = console.export_text()
    assert "script errors: 35, JSONDecodeError at public_pages.py:31 (+1 more kinds)" in text
    console = Console(width=160, record=True, color_system=None)
    console.print(render(LiveStats(100, 0, 10, window, [window]), 5, 3.0, 10.0, 1, "h", []))
    assert "script errors" not in console.export_text()
