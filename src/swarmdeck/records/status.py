"""A run's lifecycle: how the engine saw it end, and the one function that turns that
ending, the run's gates and its errors into its status and the command's exit code.

    decision = decide(Ending.COMPLETED, gates_failed=True)
    decision.status, decision.exit_code      # RunStatus.FAILED, ExitCode.THRESHOLD_FAILED

Errors count the way Locust counts them (``locust --headless`` exits with
``--exit-code-on-error``, default 1, when any request failed or any task raised):
``errors_reason`` says whether they fail the run. A threshold on the error rate takes over
the judgement of failed requests (as in k6); ``--exit-code-on-error 0`` keeps such runs
passing; a task that raised (a script error) always counts unless that option is 0.

Every status a run can have is a ``RunStatus``; nothing else in swarmdeck decides one
(the store's crash detection marks a run whose writer vanished ``CRASHED``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from swarmdeck.errors import ExitCode


class RunStatus(StrEnum):
    RUNNING = "running"  # measuring (or its writer vanished and nobody has noticed yet)
    PASSED = "passed"  # ran to its end and every gate held
    FAILED = "failed"  # a gate failed (a threshold, an abort threshold, a budget)
    ABORTED = "aborted"  # interrupted (Ctrl-C, SIGTERM); everything measured is kept
    CRASHED = "crashed"  # an error ended it, or its writer vanished
    DEGRADED = "degraded"  # a worker was lost mid-run (or all of them), or the store was
    # away at the end (its results kept in the run's journal until `swarmdeck import`)

    @property
    def final(self) -> bool:
        return self is not RunStatus.RUNNING


FINAL_STATUSES = frozenset(s for s in RunStatus if s.final)


class Ending(StrEnum):
    """How a run's measuring ended, as the engine saw it, before any gate is applied."""

    COMPLETED = "completed"  # its time, its shape or Locust itself ended it
    INTERRUPTED = "interrupted"  # Ctrl-C or SIGTERM
    GATE_ABORTED = "gate_aborted"  # an abort threshold stopped it
    WORKERS_LOST = "workers_lost"  # some workers were lost; the others finished
    ALL_WORKERS_LOST = "all_workers_lost"  # every worker was lost
    CRASHED = "crashed"  # an error (a bug, nowhere left to keep the results) stopped it
    # it measured to its end, but the results database did not answer at the end: what it
    # could not write is in the run's journal (engine/storing.py, `swarmdeck import`)
    STORE_AWAY = "store_away"


@dataclass(frozen=True)
class Decision:
    status: RunStatus
    exit_code: int  # an ExitCode, or the user's --exit-code-on-error
    errors: str | None = None  # why the run's errors failed it (errors_reason), if they did


@dataclass(frozen=True)
class ErrorCounts:
    """What went wrong in a run, as the error rule reads it."""

    requests: int
    failures: int  # requests that failed
    script_errors: int = 0  # exceptions raised by tasks (Locust counts them apart)
    error_threshold: bool = False  # the plan has a threshold on the error rate
    exit_code_on_error: int = 1  # Locust's --exit-code-on-error


def errors_reason(errors: ErrorCounts) -> str | None:
    """Why the run's errors fail it, or None when they do not."""
    if errors.exit_code_on_error == 0:
        return None
    reasons = []
    if errors.failures and not errors.error_threshold:
        reasons.append(f"{errors.failures:,} of {errors.requests:,} requests failed")
    if errors.script_errors:
        reasons.append(f"{errors.script_errors:,} script error"
                       f"{'s' * (errors.script_errors != 1)} (exceptions in tasks)")
    return "; ".join(reasons) or None


_BY_ENDING = {
    Ending.COMPLETED: Decision(RunStatus.PASSED, ExitCode.OK),
    Ending.INTERRUPTED: Decision(RunStatus.ABORTED, ExitCode.INTERRUPTED),
    Ending.GATE_ABORTED: Decision(RunStatus.FAILED, ExitCode.THRESHOLD_FAILED),
    Ending.WORKERS_LOST: Decision(RunStatus.DEGRADED, ExitCode.DEGRADED),
    Ending.ALL_WORKERS_LOST: Decision(RunStatus.DEGRADED, ExitCode.COULD_NOT_RUN),
    Ending.CRASHED: Decision(RunStatus.CRASHED, ExitCode.COULD_NOT_RUN),
    Ending.STORE_AWAY: Decision(RunStatus.DEGRADED, ExitCode.DEGRADED),
}
# Endings whose run measured what it set out to: a failed gate makes them FAILED. An
# interrupted or crashed run keeps saying so (its gates are still evaluated and shown). A
# run whose store was away at the end cannot be judged then (gates read the store).
_GATED = frozenset({Ending.COMPLETED, Ending.WORKERS_LOST, Ending.ALL_WORKERS_LOST})


def decide(ending: Ending, *, gates_failed: bool = False,
           errors: ErrorCounts | None = None) -> Decision:
    """The run's status and exit code, from how it ended, whether a gate (a threshold, a
    regression budget) failed, and its errors (``errors_reason``). A failed gate exits 1;
    errors alone exit with ``--exit-code-on-error``."""
    if ending in _GATED:
        if gates_failed:
            return Decision(RunStatus.FAILED, ExitCode.THRESHOLD_FAILED)
        why = errors_reason(errors) if errors is not None else None
        if errors is not None and why is not None:
            return Decision(RunStatus.FAILED, errors.exit_code_on_error, why)
    return _BY_ENDING[ending]

