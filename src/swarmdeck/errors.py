"""swarmdeck's errors and exit codes: one hierarchy, mapped to exit codes once, in the CLI.

Every error carries a one-line message saying what is wrong and where, and a hint saying
how to fix it. The CLI prints ``swarmdeck: <message> (<hint>)`` and exits with the code.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # ran, and every threshold held
    THRESHOLD_FAILED = 1  # a threshold failed
    BAD_INPUT = 2  # plan, locustfile or arguments are wrong
    COULD_NOT_RUN = 3  # target or store unreachable at the start, all workers lost
    DEGRADED = 4  # a worker was lost mid-run, or the store was away at the end (journal kept)
    INTERRUPTED = 130  # Ctrl-C; everything measured is kept


class SwarmdeckError(Exception):
    """Base of every error swarmdeck reports to a user."""

    exit_code: ExitCode = ExitCode.BAD_INPUT

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class BadInput(SwarmdeckError):
    exit_code = ExitCode.BAD_INPUT


class PlanError(BadInput):
    """A malformed plan file, setting, flag or environment variable; names the key."""


class LocustfileError(BadInput):
    """A locustfile that is missing, does not import, or has no User class."""


class CouldNotRun(SwarmdeckError):
    exit_code = ExitCode.COULD_NOT_RUN


class TargetUnreachable(CouldNotRun):
    """The host does not resolve or refuses connections at the start of a run."""


class StoreError(CouldNotRun):
    """The results database cannot be opened, migrated or written."""


class RunNotFound(BadInput):
    """A run id that is not in the store."""


class ItemNotFound(BadInput):
    """A user, token, test or target id that is not in the store (the API's 404)."""


class Conflict(BadInput):
    """A name already taken, or a change that would leave the platform without an admin
    (the API's 409)."""


class NotPermitted(BadInput):
    """A run's target that is not on the verified list (the API's 403)."""


class Interrupted(SwarmdeckError):
    """Ctrl-C (or SIGTERM) before the run started: nothing was stored."""

    exit_code = ExitCode.INTERRUPTED
