"""The ``script-error`` finding: exceptions the script's tasks raised (``records.ScriptError``
groups), one finding per group, with a fix fitted to the exception's type. Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from swarmdeck.records.details import ScriptError
from swarmdeck.records.verdict import Finding

if TYPE_CHECKING:
    from swarmdeck.analysis.findings import FindingInputs

MAX_FINDINGS = 10  # groups reported, most frequent first

_STOPS = ("the exception ended its task: the requests after it in that task never ran, so "
          "they are missing from these measurements")
_CHECK_STATUS = ("open the request with catch_response=True and check response.status_code "
                 "(and what you read) before using the body; call response.failure(...) so a "
                 "bad response counts as a failed request instead of an exception")
# (exception class names, the fix); the first match wins
FIXES: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"JSONDecodeError"}),
     ("response.json() got a body that is not JSON (often an HTML error or login page, or an "
     "empty body): check the status and the Content-Type header first — "
     "with catch_response=True: `if r.status_code != 200 or 'json' not in "
     "r.headers.get('Content-Type', ''): r.failure(...)`")),
    (frozenset({"KeyError"}),
     "the response (or a dict built from it) lacked the key: check the status first and "
     "read optional keys with .get(); " + _CHECK_STATUS),
    (frozenset({"IndexError"}),
     "a list was shorter than the script expected (often an empty result, e.g. "
     "random.choice on an empty list): check its length first; " + _CHECK_STATUS),
    (frozenset({"TypeError", "AttributeError"}),
     "a value was not what the script expected (often None, from an error response or a "
     "missing field): check the status and the value before using it; " + _CHECK_STATUS),
    (frozenset({"ValueError"}),
     "a value from the response could not be parsed: check the status and the body's "
     "format first; " + _CHECK_STATUS),
    (frozenset({"AssertionError"}),
     ("an assert in the task failed: to count a bad response as a failed request (and keep "
     "the task going) use catch_response=True and response.failure(...) instead of assert")),
)
GENERIC = ("fix the code at that line (the run's script-errors log has the full tracebacks); "
           "to treat a bad response as a failed request rather than an exception, use "
           "catch_response=True and response.failure(...)")


def fix_for(error_type: str) -> str:
    return next((fix for types, fix in FIXES if error_type in types), GENERIC)


def script_error(inputs: FindingInputs) -> list[Finding]:
    """One error per group of script errors, most frequent first (at most MAX_FINDINGS)."""
    groups = sorted(inputs.script_errors, key=lambda e: (-e.count, e.first_at))
    return [_finding(e) for e in groups[:MAX_FINDINGS] if e.count > 0]


def _finding(e: ScriptError) -> Finding:
    times = "time" if e.count == 1 else "times"
    return Finding(
        "script-error", "error", None,
        f"{e.type} raised {e.count:,} {times} at {e.where} ({e.message or 'no message'}): "
        + _STOPS,
        {"type": e.type, "file": e.file, "line": e.line, "count": e.count,
         "first_at": e.first_at, "last_at": e.last_at, "message": e.message},
        f"at {e.where}: {fix_for(e.type)}")
