"""One function decides a run's status and exit code from how it ended and its gates."""

from __future__ import annotations

import pytest

from swarmdeck.errors import ExitCode
from swarmdeck.records import Ending, RunStatus, decide


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
])
def test_decide(ending: Ending, gates_failed: bool, status: RunStatus, code: ExitCode) -> None:
    decision = decide(ending, gates_failed=gates_failed)
    assert (decision.status, decision.exit_code) == (status, code)


def test_every_ending_is_decided_and_only_running_is_not_final() -> None:
    for ending in Ending:
        assert decide(ending).status.final
    assert [s for s in RunStatus if not s.final] == [RunStatus.RUNNING]
    assert RunStatus.PASSED == "passed"  # stored and shown as the plain word
