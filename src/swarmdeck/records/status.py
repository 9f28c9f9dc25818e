"""A run's lifecycle: how the engine saw it end, and the one function that turns that
ending and the run's gates into its status and the command's exit code.

    decision = decide(Ending.COMPLETED, gates_failed=True)
    decision.status, decision.exit_code      # RunStatus.FAILED, ExitCode.THRESHOLD_FAILED

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
    DEGRADED = "degraded"  # a worker was lost mid-run (or all of them)

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
    CRASHED = "crashed"  # an error (the store became unwritable, a bug) stopped it


@dataclass(frozen=True)
class Decision:
    status: RunStatus
    exit_code: ExitCode


_BY_ENDING = {
    Ending.COMPLETED: Decision(RunStatus.PASSED, ExitCode.OK),
    Ending.INTERRUPTED: Decision(RunStatus.ABORTED, ExitCode.INTERRUPTED),
    Ending.GATE_ABORTED: Decision(RunStatus.FAILED, ExitCode.THRESHOLD_FAILED),
    Ending.WORKERS_LOST: Decision(RunStatus.DEGRADED, ExitCode.DEGRADED),
    Ending.ALL_WORKERS_LOST: Decision(RunStatus.DEGRADED, ExitCode.COULD_NOT_RUN),
    Ending.CRASHED: Decision(RunStatus.CRASHED, ExitCode.COULD_NOT_RUN),
}
# Endings whose run measured what it set out to: a failed gate makes them FAILED. An
# interrupted or crashed run keeps saying so (its gates are still evaluated and shown).
_GATED = frozenset({Ending.COMPLETED, Ending.WORKERS_LOST, Ending.ALL_WORKERS_LOST})


def decide(ending: Ending, *, gates_failed: bool = False) -> Decision:
    """The run's status and exit code, from how it ended and whether a gate failed."""
    if gates_failed and ending in _GATED:
        return Decision(RunStatus.FAILED, ExitCode.THRESHOLD_FAILED)
    return _BY_ENDING[ending]

