"""The ``script-error`` finding: one error per group of script errors, saying where and what
to fix for the exception's type."""

from __future__ import annotations

from swarmdeck.analysis.findings import FindingInputs, find
from swarmdeck.analysis.script_errors import GENERIC, MAX_FINDINGS, fix_for, script_error
from swarmdeck.records import ScriptError


def group(type_: str = "JSONDecodeError", count: int = 34, line: int = 31) -> ScriptError:
    return ScriptError(type_, "public_pages.py", line, count, 1_700_000_000.0,
                       1_700_000_060.0, "Expecting value: line 1 column 1 (char 0)")


def test_a_json_decode_error_says_to_check_the_status_and_content_type() -> None:
    (finding,) = find(FindingInputs(script_errors=[group()]))
    assert (finding.code, finding.severity, finding.endpoint) == ("script-error", "error", None)
    assert "JSONDecodeError raised 34 times at public_pages.py:31" in finding.message
    assert finding.fix.startswith("at public_pages.py:31: response.json()")
    assert "Content-Type" in finding.fix and "status" in finding.fix
    assert finding.evidence["count"] == 34 and finding.evidence["line"] == 31


def test_each_type_gets_its_own_fix() -> None:
    assert "lacked the key" in fix_for("KeyError")
    assert "empty" in fix_for("IndexError")
    assert "None" in fix_for("AttributeError") and "None" in fix_for("TypeError")
    assert "response.failure" in fix_for("AssertionError")
    assert fix_for("ZeroDivisionError") == GENERIC


def test_one_finding_per_group_most_frequent_first_and_bounded() -> None:
    groups = [group("KeyError", count=2, line=7), group(count=34)]
    assert [f.evidence["type"] for f in script_error(FindingInputs(script_errors=groups))] == [
        "JSONDecodeError", "KeyError"]
    many = [group(count=i + 1, line=i) for i in range(MAX_FINDINGS + 3)]
    assert len(script_error(FindingInputs(script_errors=many))) == MAX_FINDINGS


def test_no_script_errors_no_finding() -> None:
    assert script_error(FindingInputs()) == []
