"""One function decides a run's status and exit code from how it ended and its gates."""

from __future__ import annotations

import pytest

from swarmdeck.errors import ExitCode
from swarmdeck.records import Ending, ErrorCounts, RunStatus, decide, errors_reason


@pytest.mark.parametrize(("ending", "gates_failed", "status", "code"), [
    (Ending.COMPLETED, False, RunStatus.PASSED, ExitCode.OK),
    (Ending.COMPLETED, True, RunStatus.FAILED, ExitCode.THRESHOLD_FAILED),
    (Ending.GATE_ABORTED, False, RunStatus.FAILED, ExitCode.THRESHOLD_FAILED),
    (Ending.GATE_ABORTED, True, RunStatus.FAILED, ExitCode.THRESHOLD_FAILED),
    (Ending.INTERRUPTED, False, RunStatus.ABORTED, ExitCode.INTERRUPTED),
    # an interrupted run says so even when its gates failed on what it measured
    (Ending.INTERRUPTED, True, RunStatus.ABORTED, ExitCode.INTERRUPTED),
    (Ending.WORKERS_LOST, False, RunStatus.DEGRADED, ExitCode.DEGRADED),
    (Ending.WORKERS_LOST, True, RunStatus.FAILED, ExitCode.THRESHOLD_FAILED),
    (Ending.ALL_WORKERS_LOST, False, RunStatus.DEGRADED, ExitCode.COULD_NOT_RUN),
    (Ending.CRASHED, False, RunStatus.CRASHED, ExitCode.COULD_NOT_RUN),
    (Ending.CRASHED, True, RunStatus.CRASHED, ExitCode.COULD_NOT_RUN),
    # measured to its end, the store away at the end: the rest is in the journal; its gates
    # cannot be read then (they read the store)
    (Ending.STORE_AWAY, False, RunStatus.DEGRADED, ExitCode.DEGRADED),
    (Ending.STORE_AWAY, True, RunStatus.DEGRADED, ExitCode.DEGRADED),
])
def test_decide(ending: Ending, gates_failed: bool, status: RunStatus, code: ExitCode) -> None:
    decision = decide(ending, gates_failed=gates_failed)
    assert (decision.status, decision.exit_code) == (status, code)


def test_every_ending_is_decided_and_only_running_is_not_final() -> None:
    for ending in Ending:
        assert decide(ending).status.final
    assert [s for s in RunStatus if not s.final] == [RunStatus.RUNNING]
    assert RunStatus.PASSED == "passed"  # stored and shown as the plain word


def test_failed_requests_fail_the_run_as_locust_does() -> None:
    errors = ErrorCounts(requests=200, failures=200)
    assert errors_reason(errors) == "200 of 200 requests failed"
    decision = decide(Ending.COMPLETED, errors=errors)
    assert (decision.status, decision.exit_code) == (RunStatus.FAILED, 1)


def test_exit_code_on_error_sets_the_code_and_zero_keeps_the_run_passing() -> None:
    assert decide(Ending.COMPLETED, errors=ErrorCounts(
        100, 5, exit_code_on_error=3)).exit_code == 3
    passing = decide(Ending.COMPLETED, errors=ErrorCounts(100, 5, 2, exit_code_on_error=0))
    assert (passing.status, passing.exit_code) == (RunStatus.PASSED, ExitCode.OK)


def test_an_error_threshold_judges_failed_requests_but_not_script_errors() -> None:
    judged = ErrorCounts(100, 5, error_threshold=True)
    assert errors_reason(judged) is None
    assert decide(Ending.COMPLETED, errors=judged).status == RunStatus.PASSED
    scripted = ErrorCounts(100, 0, script_errors=1, error_threshold=True)
    assert errors_reason(scripted) == "1 script error (exceptions in tasks)"
    assert decide(Ending.COMPLETED, errors=scripted).status == RunStatus.FAILED


def test_a_failed_gate_exits_1_and_an_interrupted_run_stays_aborted() -> None:
    errors = ErrorCounts(100, 5, exit_code_on_error=7)
    assert decide(Ending.COMPLETED, gates_failed=True, errors=errors).exit_code == 1
    assert decide(Ending.INTERRUPTED, errors=errors).status == RunStatus.ABORTED
    assert decide(Ending.WORKERS_LOST, errors=errors).status == RunStatus.FAILED
    assert decide(Ending.COMPLETED, errors=ErrorCounts(100, 0)).status == RunStatus.PASSED


def test_the_decision_says_when_the_errors_failed_the_run() -> None:
    assert decide(Ending.COMPLETED, errors=ErrorCounts(10, 10)).errors == (
        "10 of 10 requests failed")
    assert decide(Ending.COMPLETED, gates_failed=True, errors=ErrorCounts(10, 10)).errors is None
    assert decide(Ending.COMPLETED, errors=ErrorCounts(10, 0)).errors is None
